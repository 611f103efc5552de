import { describe, expect, it } from 'vitest';
import { costsToObject } from '../cost/counters.js';
import { hashString128, runSeed } from '../prng/seed.js';
import { referenceArch } from '../reference-arch/reference-arch.js';
import { referenceVariant } from '../test-support/reference-variant.js';
import { makeArtifact, replayArtifact } from '../artifact/artifact.js';
import { Simulator } from './simulator.js';

function cellSeed(sim: Simulator, i: number) {
  return runSeed(hashString128(sim.cellId), i);
}

describe('Simulator', () => {
  it('is a pure function of (cell, seed): two instances, same results, costs and decisions', () => {
    for (const scheme of ['refcount', 'shootdown', 'none'] as const) {
      const a = new Simulator({ plugin: referenceArch, scheme, cpus: 4, workload: 'default', strategy: { kind: 'pct', depth: 2 } });
      const b = new Simulator({ plugin: referenceArch, scheme, cpus: 4, workload: 'default', strategy: { kind: 'pct', depth: 2 } });
      // b runs other seeds first: state left over from earlier runs must not leak into a run.
      for (let i = 0; i < 20; i++) b.run(cellSeed(b, 1000 + i));
      for (let i = 0; i < 50; i++) {
        const ra = a.run(cellSeed(a, i), { keepDecisions: true });
        const ca = costsToObject(a.costs);
        const rb = b.run(cellSeed(b, i), { keepDecisions: true });
        expect(rb.outcome).toBe(ra.outcome);
        expect(rb.steps).toBe(ra.steps);
        expect(rb.violation).toEqual(ra.violation);
        expect(Array.from(rb.decisions!)).toEqual(Array.from(ra.decisions!));
        expect(costsToObject(b.costs)).toEqual(ca);
      }
    }
  });

  it('tracing does not change the run', () => {
    const sim = new Simulator({ plugin: referenceArch, scheme: 'none', cpus: 3, workload: 'exit-heavy' });
    for (let i = 0; i < 30; i++) {
      const plain = sim.run(cellSeed(sim, i), { keepDecisions: true });
      const costs = costsToObject(sim.costs);
      const traced = sim.run(cellSeed(sim, i), { trace: true, keepDecisions: true });
      expect(traced.outcome).toBe(plain.outcome);
      expect(traced.steps).toBe(plain.steps);
      expect(traced.violation).toEqual(plain.violation);
      expect(Array.from(traced.decisions!)).toEqual(Array.from(plain.decisions!));
      expect(costsToObject(sim.costs)).toEqual(costs);
      expect(traced.trace!.length).toBeGreaterThan(traced.steps / 2);
      expect(plain.trace).toBeNull();
    }
  });

  it('replays a decision list exactly', () => {
    const sim = new Simulator({ plugin: referenceArch, scheme: 'shootdown', cpus: 4, workload: 'kthread-heavy' });
    for (let i = 0; i < 30; i++) {
      const r = sim.run(cellSeed(sim, i), { keepDecisions: true });
      const costs = costsToObject(sim.costs);
      const again = sim.run(cellSeed(sim, i), { decisions: r.decisions!, keepDecisions: true });
      expect(again.steps).toBe(r.steps);
      expect(again.outcome).toBe(r.outcome);
      expect(costsToObject(sim.costs)).toEqual(costs);
    }
  });

  it('reports the step budget as its own outcome', () => {
    const sim = new Simulator({ plugin: referenceArch, scheme: 'refcount', cpus: 2, workload: 'default', stepBudget: 10 });
    const r = sim.run(cellSeed(sim, 0));
    expect(r.outcome).toBe('budget');
    expect(r.steps).toBe(10);
    expect(r.violation).toBeNull();
    expect(r.decisions).toHaveLength(10);
  });

  it('reports a plugin that throws as a plugin error naming the hook, not a violation', () => {
    let calls = 0;
    const broken = referenceVariant('broken', (hooks) => ({
      flush_tlb_mm_range(k, cpu, mm, flags) {
        if (++calls > 3) throw new Error('boom in flush');
        hooks.flush_tlb_mm_range(k, cpu, mm, flags);
      },
    }));
    const sim = new Simulator({ plugin: broken, scheme: 'refcount', cpus: 2, workload: 'default' });
    let seen = 0;
    for (let i = 0; i < 20 && seen === 0; i++) {
      const r = sim.run(cellSeed(sim, i));
      if (r.outcome === 'plugin-error') {
        seen++;
        expect(r.pluginError).toEqual({ hook: 'flush_tlb_mm_range', message: 'boom in flush' });
        expect(r.violation).toBeNull();
        expect(r.decisions).toHaveLength(r.steps + 1); // includes the step that threw
        // the artifact replays to the same plugin error (making it runs the plugin's fingerprint corpus: reset after)
        const artifact = makeArtifact(sim, cellSeed(sim, i), r);
        calls = 0;
        const replay = replayArtifact(artifact, broken);
        expect(replay.reproduced).toBe(true);
        expect(replay.result.pluginError).toEqual(r.pluginError);
      }
    }
    expect(seen).toBe(1);
  });

  it('attributes an exception to the outer hook even after a nested hook ran (local on_each_cpu_mask)', () => {
    const throwsAfterLocalRun = referenceVariant('throws-after-local-ipi', (hooks) => ({
      flush_tlb_mm_range(k, cpu, mm, flags) {
        hooks.flush_tlb_mm_range(k, cpu, mm, flags); // runs handle_ipi locally when cpu is in the mask
        throw new Error('plugin bug after the local flush');
      },
    }));
    const sim = new Simulator({ plugin: throwsAfterLocalRun, scheme: 'refcount', cpus: 2, workload: 'default' });
    const r = sim.run(cellSeed(sim, 0));
    expect(r.outcome).toBe('plugin-error');
    expect(r.pluginError).toEqual({ hook: 'flush_tlb_mm_range', message: 'plugin bug after the local flush' });
  });

  it('counts the costs each scheme pays', () => {
    const totals: Record<string, Record<string, number>> = {};
    for (const scheme of ['refcount', 'shootdown'] as const) {
      const sim = new Simulator({ plugin: referenceArch, scheme, cpus: 4, workload: 'idle-heavy' });
      const acc: Record<string, number> = {};
      for (let i = 0; i < 200; i++) {
        sim.run(cellSeed(sim, i));
        for (const [name, v] of Object.entries(costsToObject(sim.costs))) acc[name] = (acc[name] ?? 0) + v;
      }
      totals[scheme] = acc;
    }
    const rc = totals.refcount!;
    const sd = totals.shootdown!;
    // REFCOUNT=y: every user->kernel switch is an atomic_inc of mm_count, every kernel->user one a dec.
    expect(rc.cs_user_kernel).toBeGreaterThan(0);
    expect(rc.mm_count_atomics).toBeGreaterThanOrEqual(rc.cs_user_kernel! + rc.cs_kernel_user!);
    expect(rc.mm_count_line_transfers).toBeGreaterThan(0);
    expect(rc.smp_mb).toBe(0);
    expect(rc.ipi_sent_shootdown).toBe(0);
    // SHOOTDOWN: no lazy atomics (k->u pays smp_mb instead), IPIs at exit.
    expect(sd.smp_mb).toBeGreaterThan(0);
    expect(sd.mm_count_atomics).toBeLessThan(rc.mm_count_atomics!);
    expect(sd.ipi_handled_shootdown).toBe(sd.ipi_sent_shootdown);
    // memory pinned by lazy CPUs: only REFCOUNT=y keeps exited mms alive for lazy CPUs
    expect(rc.lazy_pinned_mm_steps).toBeGreaterThan(0);
    expect(rc.lazy_pinned_at_end).toBeGreaterThan(0);
    expect(sd.lazy_pinned_mm_steps).toBe(0);
    expect(sd.lazy_pinned_at_end).toBe(0);
    expect(sd.exited_mm_steps).toBeGreaterThan(0);
    // idle-heavy has one process: under REFCOUNT=y no CPU switches to another user task, so it is never freed in-run
    expect(sd.mm_frees).toBeGreaterThan(rc.mm_frees!);
  });

  it('rejects bad configuration with the reason', () => {
    expect(() => new Simulator({ plugin: referenceArch, scheme: 'refcount', cpus: 0 })).toThrow();
    expect(() => new Simulator({ plugin: referenceArch, scheme: 'refcount', cpus: 33 })).toThrow();
    expect(() => new Simulator({ plugin: referenceArch, scheme: { MMU_LAZY_TLB_REFCOUNT: true, MMU_LAZY_TLB_SHOOTDOWN: true }, cpus: 2 })).toThrow(
      /depends on !MMU_LAZY_TLB_SHOOTDOWN/,
    );
    expect(() => new Simulator({ plugin: referenceArch, archOptions: { leaveLazyOnFreedTables: 'yes' }, scheme: 'refcount', cpus: 2 })).toThrow(
      /leaveLazyOnFreedTables/,
    );
    expect(() => new Simulator({ plugin: referenceArch, scheme: 'refcount', cpus: 2, workload: { profile: 'default', params: { processes: 0 } } })).toThrow(
      /processes/,
    );
  });
});
