import { describe, expect, it } from 'vitest';
import { archFingerprint, coreFingerprint } from '../behaviour/fingerprint.js';
import { INVARIANTS } from '../invariants/catalog.js';
import { hashString128, runSeed } from '../prng/seed.js';
import { referenceArch } from '../reference-arch/reference-arch.js';
import { ArtifactError, makeArtifact, parseArtifact, replayArtifact } from './artifact.js';
import { Simulator } from '../run/simulator.js';

function firstFailure(sim: Simulator) {
  const cell = hashString128(sim.cellId);
  for (let i = 0; i < 1000; i++) {
    const seed = runSeed(cell, i);
    const r = sim.run(seed);
    if (r.outcome === 'violation') return { seed, r, i };
  }
  throw new Error('no failure found');
}

describe('artifacts', () => {
  const sim = new Simulator({ plugin: referenceArch, scheme: 'none', cpus: 4, workload: 'default', strategy: { kind: 'pct', depth: 3 } });

  it('round-trip through JSON and replay the violation exactly', () => {
    const { seed, r, i } = firstFailure(sim);
    const artifact = makeArtifact(sim, seed, r, i);
    const parsed = parseArtifact(JSON.parse(JSON.stringify(artifact)));
    expect(parsed).toEqual(artifact);
    const replay = replayArtifact(parsed, referenceArch, { trace: true });
    expect(replay.reproduced).toBe(true);
    expect(replay.result.violation).toEqual(r.violation);
    expect(replay.result.trace!.some((e) => e.violation === r.violation!.invariant)).toBe(true);
    expect(artifact.outcome.invariantName).toBe(INVARIANTS[r.violation!.invariant].name);
  });

  it('records the behaviour fingerprints of core and the arch (no scheme part for a built-in scheme)', () => {
    const { seed, r } = firstFailure(sim);
    const artifact = makeArtifact(sim, seed, r);
    expect(artifact.fingerprints).toEqual({ core: coreFingerprint(), arch: archFingerprint(referenceArch) });
    expect(coreFingerprint()).toMatch(/^[0-9a-f]{16}$/);
  });

  it('refuses an artifact of a model that behaves differently, naming the part; tries anyway when asked', () => {
    const { seed, r } = firstFailure(sim);
    const artifact = { ...makeArtifact(sim, seed, r), fingerprints: { core: '0123456789abcdef', arch: '0123456789abcdef' } };
    expect(() => replayArtifact(artifact, referenceArch)).toThrow(ArtifactError);
    expect(() => replayArtifact(artifact, referenceArch)).toThrow(
      new RegExp(`core fingerprint 0123456789abcdef, now ${coreFingerprint()}.*--allow-model-mismatch`),
    );
    const tried = replayArtifact(artifact, referenceArch, { allowModelMismatch: true });
    expect(tried.reproduced).toBe(true);
    expect(tried.modelMismatch[0]).toMatch(/the core model behaves differently/);
  });

  it('reads a lazytlb.artifact/2 file (source hash) and refuses to replay it unless asked', () => {
    const { seed, r } = firstFailure(sim);
    const { fingerprints: _f, ...rest } = makeArtifact(sim, seed, r);
    const v2 = { ...rest, schema: 'lazytlb.artifact/2', modelHash: 'd83aebb9ff3757a2' };
    const a = parseArtifact(JSON.parse(JSON.stringify(v2)));
    expect(a.fingerprints.core).toBe('source:d83aebb9ff3757a2');
    expect(() => replayArtifact(a, referenceArch)).toThrow(/before behaviour fingerprints \(model d83aebb9ff3757a2.*cannot be checked/);
    expect(replayArtifact(a, referenceArch, { allowModelMismatch: true }).reproduced).toBe(true);
    expect(() => parseArtifact({ ...v2, modelHash: 'xyz' })).toThrow(/modelHash: must be 16 lowercase hex digits/);
  });

  it('replays an artifact of another version of the same arch plugin when it behaves the same', () => {
    const { seed, r } = firstFailure(sim);
    const artifact = makeArtifact(sim, seed, r);
    expect(replayArtifact(artifact, { ...referenceArch, version: '9.9.9' }).reproduced).toBe(true);
    expect(() => replayArtifact(artifact, { ...referenceArch, name: 'other' })).toThrow(/recorded with arch reference@.*but other@/);
  });

  it('says it did not reproduce when a changed model cannot take a recorded decision', () => {
    const { seed, r } = firstFailure(sim);
    const artifact = makeArtifact(sim, seed, r);
    const d = Buffer.from(artifact.decisions, 'base64');
    d[0] = 255;
    const changed = { ...artifact, decisions: d.toString('base64'), fingerprints: { core: '0123456789abcdef', arch: '0123456789abcdef' } };
    expect(() => replayArtifact(changed, referenceArch, { allowModelMismatch: true })).toThrow(
      /tried anyway on a model that differs .*did not reproduce: step 0/,
    );
  });

  it('rejects a malformed artifact naming the field', () => {
    const { seed, r } = firstFailure(sim);
    const artifact = makeArtifact(sim, seed, r);
    expect(() => parseArtifact({ ...artifact, seed: 'xyz' })).toThrow(/seed: must be 32 lowercase hex digits/);
    expect(() => parseArtifact({ ...artifact, cell: { ...artifact.cell, scheme: 'Lazy MM' } })).toThrow(/cell\.scheme/);
  });

  it('detects a tampered decision list', () => {
    const { seed, r } = firstFailure(sim);
    const artifact = makeArtifact(sim, seed, r);
    const d = Buffer.from(artifact.decisions, 'base64');
    const wrongActor = Buffer.from(d);
    wrongActor[0] = 255; // no such actor
    expect(() => replayArtifact({ ...artifact, decisions: wrongActor.toString('base64') }, referenceArch)).toThrow(/step 0: recorded actor 255 is not enabled/);
    const truncated = d.subarray(0, Math.floor(d.length / 2));
    expect(() => replayArtifact({ ...artifact, decisions: truncated.toString('base64') }, referenceArch)).toThrow(/decision list ends at step/);
  });

  it('refuses a lazytlb.artifact/1 file, saying why and what to do', () => {
    const { seed, r } = firstFailure(sim);
    const old = { ...makeArtifact(sim, seed, r), schema: 'lazytlb.artifact/1' };
    expect(() => parseArtifact(old, 'failures/0-I1.json')).toThrow(
      /failures\/0-I1\.json: artifact schema lazytlb\.artifact\/1 is not lazytlb\.artifact\/3: .*re-run the sweep/,
    );
  });

  it('records a run for a hazard (target), stops it right there and replays it exactly', () => {
    const cell = hashString128(sim.cellId);
    let found = false;
    for (let i = 0; i < 400 && !found; i++) {
      const seed = runSeed(cell, i);
      const full = sim.run(seed);
      if ((full.hazards & 1) === 0) continue;
      found = true;
      const r = sim.run(seed, { keepDecisions: true, stopAt: { hazard: 'I3' } });
      expect(r.outcome).toBe('stopped');
      expect(r.steps).toBeLessThanOrEqual(full.steps);
      const artifact = parseArtifact(JSON.parse(JSON.stringify(makeArtifact(sim, seed, r, i, { hazard: 'I3' }))));
      expect(artifact.target).toEqual({ hazard: 'I3' });
      expect(artifact.outcome.hazards).toContain('I3');
      const replay = replayArtifact(artifact, referenceArch, { trace: true });
      expect(replay.reproduced).toBe(true);
      expect(replay.result.trace!.some((e) => e.fn === 'hazard')).toBe(true);
      const f = replay.simulator.findings().find((x) => x.kind === 'hazard');
      expect(f).toMatchObject({ kind: 'hazard', id: 'I3' });
    }
    expect(found).toBe(true);
  });
});
