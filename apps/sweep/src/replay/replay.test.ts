import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Artifact, createSimulator, hashString128, type InvariantId, invariantName, makeArtifact, referenceArch, runSeed } from '@lazytlb/core';
import { describe, expect, it } from 'vitest';
import { wrap } from '@lazytlb/explore';
import { ReplayError, replayFile } from './replay.js';

function firstFailure(cpus: number): Artifact {
  const sim = createSimulator({ plugin: referenceArch, scheme: 'none', cpus, workload: 'default' });
  const cell = hashString128(sim.cellId);
  for (let i = 0; i < 5000; i++) {
    const r = sim.run(runSeed(cell, i));
    if (r.outcome === 'violation') return makeArtifact(sim, runSeed(cell, i), r, i);
  }
  throw new Error('no failure found');
}

const dir = mkdtempSync(join(tmpdir(), 'lazytlb-replay-'));
function file(name: string, content: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

describe('replayFile --format lkml', () => {
  const a = firstFailure(4);
  const path = file('fail.json', a);

  it('prints a header, one column per CPU, one row per step and the violation marker', async () => {
    const text = await replayFile(path);
    const inv = a.outcome.invariant!;
    const name = invariantName(inv as InvariantId);
    expect(text).toMatch(new RegExp(`^lazytlb: ${inv} ${name} violated at step ${a.outcome.step} on CPU${a.outcome.cpu}`));
    expect(text).toContain('scheme:    none (MMU_LAZY_TLB_REFCOUNT=n, MMU_LAZY_TLB_SHOOTDOWN=n)');
    expect(text).toContain(`seed:      ${a.seed} (run ${a.runIndex})`);
    expect(text).toContain(`model:     lazytlb ${a.toolVersion}, behaviour fingerprints core ${a.fingerprints.core}, arch ${a.fingerprints.arch}`);
    expect(text).toContain('replay:    reproduced exactly');
    const head = text.split('\n').find((l) => l.trimStart().startsWith('step'))!;
    expect(head.match(/CPU\d/g)).toEqual(['CPU0', 'CPU1', 'CPU2', 'CPU3']);
    expect(text).toContain(`*** ${inv} ${name} ***`);
    expect(text).toMatch(new RegExp(`\\^\\^\\^ ${inv} ${name} violated here`));
    // under none, I3 is a hazard: marked where it is recorded, the run goes on
    expect(text).toContain('!!! I3 lazy-pointer-live hazard !!!');
    expect(text).toMatch(/Findings \(hazards and use sites, first firing of each\):\n {2}hazard I3 at step \d+ on CPU\d+: /);
    expect(text).toContain('context_switch');
    expect(text).toContain('Legend:');
    // every step of the run has a row, in order
    const rows = text
      .split('\n')
      .filter((l) => /^\s*\d+ \|/.test(l))
      .map((l) => Number(l.split('|')[0]));
    expect(rows).toEqual([...Array(a.outcome.steps).keys()]);
    // every table line has ncpu column separators
    const table = text.split('\n').filter((l) => /^\s*\d* \|/.test(l));
    for (const l of table) expect(l.split(' | ').length).toBeLessThanOrEqual(5);
  });

  it('wraps long text instead of truncating', () => {
    expect(wrap('free_mm(M1@1) while CPU0 still has it as active_mm', 20, '  ')).toEqual(['free_mm(M1@1) while', '  CPU0 still has it', '  as active_mm']);
    expect(wrap('x'.repeat(25), 10)).toEqual(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
  });

  it('renders JSON with events and outcome', async () => {
    const j = JSON.parse(await replayFile(path, { format: 'json' })) as {
      reproduced: boolean;
      outcome: { invariant: string; steps: number };
      events: { violation?: string }[];
    };
    expect(j.reproduced).toBe(true);
    expect(j.outcome.invariant).toBe(a.outcome.invariant);
    expect(j.outcome.steps).toBe(a.outcome.steps);
    expect(j.events.filter((e) => e.violation !== undefined)).toHaveLength(1);
  });

  it('refuses an artifact of a model that behaves differently, naming the part; --allow-model-mismatch replays it and says so', async () => {
    const p = file('old.json', { ...a, fingerprints: { ...a.fingerprints, arch: '0000000000000000' } });
    const e = (await replayFile(p).catch((x: unknown) => x)) as ReplayError;
    expect(e).toBeInstanceOf(ReplayError);
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(
      /cannot replay .*old\.json: artifact was recorded with another model .*arch reference@\S+ behaves differently \(fingerprint 0000000000000000, now [0-9a-f]{16}\).*--allow-model-mismatch/,
    );
    const text = await replayFile(p, { allowModelMismatch: true });
    expect(text).toMatch(/DIFFERS: arch reference@\S+ behaves differently .*replayed anyway/);
    expect(text).toContain('reproduced exactly');
    const j = JSON.parse(await replayFile(p, { allowModelMismatch: true, format: 'json' })) as { modelMismatch: string[]; fingerprints: { arch: string } };
    expect(j.modelMismatch).toHaveLength(1);
    expect(j.fingerprints.arch).toBe('0000000000000000');
  });

  it('reads a lazytlb.artifact/2 file and refuses it unless asked (its source hash cannot be checked)', async () => {
    const { fingerprints: _f, ...rest } = a;
    const p = file('v2.json', { ...rest, schema: 'lazytlb.artifact/2', modelHash: 'd83aebb9ff3757a2' });
    await expect(replayFile(p)).rejects.toThrow(/before behaviour fingerprints \(model d83aebb9ff3757a2.*cannot be checked/);
    expect(await replayFile(p, { allowModelMismatch: true })).toContain('reproduced exactly');
  });

  it('replays another plugin version that behaves the same; refuses an unknown arch, bad JSON, a missing file and an invalid artifact', async () => {
    // Another version of the plugin that behaves the same replays (the fingerprint, not the version, identifies the model).
    expect(await replayFile(file('v.json', { ...a, cell: { ...a.cell, arch: { ...a.cell.arch, version: '9.9.9' } } }))).toContain('arch:      reference@9.9.9');
    await expect(replayFile(file('u.json', { ...a, cell: { ...a.cell, arch: { ...a.cell.arch, name: 'riscv' } } }))).rejects.toThrow(
      /unknown arch "riscv". Installed arches: reference/,
    );
    await expect(replayFile(file('bad.json', '{ nope'))).rejects.toThrow(/is not JSON/);
    await expect(replayFile(join(dir, 'missing.json'))).rejects.toThrow(/cannot read artifact/);
    await expect(replayFile(file('inv.json', { ...a, seed: 'xyz' }))).rejects.toThrow(/seed: must be 32 lowercase hex digits/);
  });

  it('reports a run that does not reproduce with exit code 1', async () => {
    const p = file('diff.json', { ...a, outcome: { ...a.outcome, steps: a.outcome.steps + 1 } });
    const e = (await replayFile(p).catch((x: unknown) => x)) as ReplayError;
    expect(e).toBeInstanceOf(ReplayError);
    expect(e.exitCode).toBe(1);
    expect(e.message).toMatch(/did not reproduce/);
  });
});
