import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Artifact, type TraceEvent, createSimulator, hashString128, makeArtifact, referenceArch, replayArtifact, runSeed } from '@lazytlb/core';
import { describe, expect, it } from 'vitest';
import { type PerfettoEvent, type PerfettoTrace, toPerfetto } from '@lazytlb/explore';
import { ReplayError, replayArtifactText, replayFile } from './replay.js';

/** The first violating run of a reference-arch `none` cell whose trace has IPIs. */
function failureWithIpis(cpus: number): Artifact {
  const sim = createSimulator({ plugin: referenceArch, scheme: 'none', cpus, workload: 'default' });
  const cell = hashString128(sim.cellId);
  for (let i = 0; i < 5000; i++) {
    const r = sim.run(runSeed(cell, i));
    if (r.outcome !== 'violation') continue;
    const a = makeArtifact(sim, runSeed(cell, i), r, i);
    const trace = replayArtifact(a, referenceArch, { trace: true }).result.trace ?? [];
    if (trace.some((e) => e.fn === 'smp_call_function')) return a;
  }
  throw new Error('no failure found');
}

const dir = mkdtempSync(join(tmpdir(), 'lazytlb-perfetto-'));

describe('replay --format perfetto', () => {
  const a = failureWithIpis(4);
  const path = join(dir, 'fail.json');
  writeFileSync(path, JSON.stringify(a));

  async function render(): Promise<PerfettoTrace> {
    const text = await replayFile(path, { format: 'perfetto' });
    return JSON.parse(text) as PerfettoTrace;
  }

  it('is valid trace-event JSON with a named track per CPU', async () => {
    const t = await render();
    expect(Array.isArray(t.traceEvents)).toBe(true);
    expect(t.displayTimeUnit).toBe('ns');
    const names = t.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name');
    for (let cpu = 0; cpu < a.cell.cpus; cpu++) {
      expect(names.filter((e) => e.tid === cpu).map((e) => e.args?.name)).toEqual([`CPU${cpu}`]);
    }
    // every event is on a named track of the one process
    for (const e of t.traceEvents) {
      expect(e.pid).toBe(1);
      if (e.ph !== 'M') expect(names.some((m) => m.tid === e.tid)).toBe(true);
    }
    expect(t.otherData).toMatchObject({ arch: 'reference', scheme: 'none', seed: a.seed, fingerprints: a.fingerprints, reproduced: true });
    const proc = t.traceEvents.find((e) => e.ph === 'M' && e.name === 'process_name')!;
    expect(proc.args).toMatchObject({ arch: 'reference', scheme: 'none', seed: a.seed, fingerprints: a.fingerprints });
  });

  it('has well-formed slices inside their step, categorised by actor, non-decreasing per track', async () => {
    const t = await render();
    const slices = t.traceEvents.filter((e) => e.ph === 'X');
    expect(slices.length).toBeGreaterThan(10);
    expect(t.traceEvents.some((e) => (e.ph as string) === 'B' || (e.ph as string) === 'E')).toBe(false);
    for (const e of slices) {
      expect(typeof e.name).toBe('string');
      expect(e.name).not.toBe('');
      expect(['task', 'irq', 'hyp']).toContain(e.cat);
      expect(Number.isFinite(e.ts)).toBe(true);
      expect(e.dur).toBeGreaterThan(0);
      const step = e.args!.step as number;
      expect(e.ts!).toBeGreaterThanOrEqual(step);
      expect(e.ts! + e.dur!).toBeLessThanOrEqual(step + 1 + 1e-9);
      expect(typeof e.args!.text).toBe('string');
    }
    expect(slices.some((e) => e.cat === 'irq')).toBe(true);
    expect(slices.some((e) => e.name === 'context_switch')).toBe(true);
    const byTid = new Map<number, PerfettoEvent[]>();
    for (const e of t.traceEvents) if (e.ph !== 'M') byTid.set(e.tid, [...(byTid.get(e.tid) ?? []), e]);
    for (const evs of byTid.values()) {
      for (let i = 1; i < evs.length; i++) expect(evs[i]!.ts!).toBeGreaterThanOrEqual(evs[i - 1]!.ts!);
      // slices on one track never overlap
      const xs = evs.filter((e) => e.ph === 'X');
      for (let i = 1; i < xs.length; i++) expect(Math.round(xs[i]!.ts! * 1000)).toBeGreaterThan(Math.round((xs[i - 1]!.ts! + xs[i - 1]!.dur!) * 1000));
    }
    // the last step is the violation's
    expect(Math.max(...slices.map((e) => e.ts!))).toBeLessThan(a.outcome.steps);
  });

  it('draws each IPI as a flow from the sending slice to the handler on another CPU', async () => {
    const t = await render();
    const starts = t.traceEvents.filter((e) => e.ph === 's');
    const finishes = t.traceEvents.filter((e) => e.ph === 'f');
    expect(starts.length).toBeGreaterThan(0);
    expect(new Set(starts.map((e) => e.id)).size).toBe(starts.length);
    const slices = t.traceEvents.filter((e) => e.ph === 'X');
    const at = (e: PerfettoEvent) => slices.find((x) => x.tid === e.tid && x.ts! < e.ts! && e.ts! < x.ts! + x.dur!);
    for (const s of starts) {
      const f = finishes.filter((x) => x.id === s.id);
      expect(f).toHaveLength(1);
      expect(f[0]!.bp).toBe('e');
      expect(f[0]!.tid).not.toBe(s.tid);
      expect(f[0]!.ts!).toBeGreaterThan(s.ts!);
      expect(at(s)!.name).toBe('smp_call_function');
      expect(at(s)!.args!.text).toContain(`IPI -> CPU${f[0]!.tid}`);
      expect(at(f[0]!)!.args!.text).toContain(`IPI from CPU${s.tid}`);
      expect(at(f[0]!)!.cat).toBe('irq');
    }
    for (const f of finishes) expect(starts.filter((s) => s.id === f.id)).toHaveLength(1);
  });

  it('marks the violation with an instant carrying the invariant, message and run identity', async () => {
    const t = await render();
    const v = t.traceEvents.filter((e) => e.ph === 'i' && e.cat === 'violation');
    expect(v).toHaveLength(1);
    expect(v[0]!.tid).toBe(a.outcome.cpu);
    expect(v[0]!.s).toBe('t');
    expect(v[0]!.name).toMatch(new RegExp(`^${a.outcome.invariant} `));
    expect(v[0]!.ts!).toBeGreaterThanOrEqual(a.outcome.step!);
    expect(v[0]!.ts!).toBeLessThan(a.outcome.step! + 1);
    expect(v[0]!.args).toMatchObject({
      invariant: a.outcome.invariant,
      message: a.outcome.message,
      arch: 'reference',
      scheme: 'none',
      seed: a.seed,
      fingerprints: a.fingerprints,
    });
    if (a.outcome.site !== undefined) expect(v[0]!.args).toMatchObject({ site: a.outcome.site, siteKind: a.outcome.siteKind });
  });

  it('marks hazards and non-fatal kernel WARNs with instants too, and lists the findings', async () => {
    const t = await render();
    const hz = t.traceEvents.filter((e) => e.ph === 'i' && e.cat === 'hazard');
    expect(hz.length).toBeGreaterThan(0); // none: I3 is a hazard, the run went on to its violation
    expect(hz[0]!.name).toBe('I3 lazy-pointer-live hazard');
    expect(hz[0]!.args).toMatchObject({ invariant: 'I3' });
    const warns = t.traceEvents.filter((e) => e.ph === 'i' && e.cat === 'warn');
    expect(a.outcome.useSites).toContain('__mmdrop'); // the __mmdrop WARN fired in this run (none: not fatal)
    expect(warns.length).toBeGreaterThan(0);
    expect((t.otherData.findings as { kind: string }[]).some((f) => f.kind === 'hazard')).toBe(true);
  });

  it('splits a step among its events and drops a flow whose handler never ran', () => {
    const ev = (step: number, cpu: number, fn: string, text: string, actor: TraceEvent['actor'] = 'task'): TraceEvent => ({ step, cpu, actor, fn, text });
    const t = toPerfetto({
      artifact: a,
      reproduced: true,
      trace: [
        ev(0, 0, 'smp_call_function', 'IPI -> CPU1: flush_tlb_func(M1@1)'),
        ev(0, 0, 'smp_call_function', 'IPI -> CPU2: flush_tlb_func(M1@1)'),
        ev(0, 0, 'x', 'y'),
        ev(1, 1, 'flush_tlb_func', 'IPI from CPU0 (M1@1)', 'irq'),
      ],
    });
    const xs = t.traceEvents.filter((e) => e.ph === 'X');
    expect(xs.map((e) => [e.ts, e.dur])).toEqual([
      [0, 0.332],
      [0.333, 0.332],
      [0.666, 0.333],
      [1, 0.999],
    ]);
    expect(t.traceEvents.filter((e) => e.ph === 's').map((e) => e.args?.to)).toEqual([1]);
    expect(t.traceEvents.filter((e) => e.ph === 'f').map((e) => e.tid)).toEqual([1]);
  });

  it('keeps the clear error for an unknown format', async () => {
    await expect(replayArtifactText(a, path, { format: 'chrome' as never })).rejects.toThrow(
      new ReplayError('unknown format "chrome": allowed lkml, json, perfetto'),
    );
  });
});
