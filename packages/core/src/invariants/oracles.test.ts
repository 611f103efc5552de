/**
 * Each oracle must fire when what it guards is broken. The breakages are arch variants of
 * the reference arch (the ABI lets a plugin get things wrong) or direct corruption of the
 * model's state through the step API.
 */
import { describe, expect, it } from 'vitest';
import { INIT_MM, MM_FREED, MM_TABLES_FREED } from '../machine/constants.js';
import { hashString128, runSeed } from '../prng/seed.js';
import { referenceArch } from '../reference-arch/reference-arch.js';
import { referenceVariant } from '../test-support/reference-variant.js';
import { Simulator } from '../run/simulator.js';
import type { InvariantId } from './catalog.js';

const variant = referenceVariant;

/** Invariants violated over `runs` runs of a cell. */
function found(sim: Simulator, runs = 2000): Set<InvariantId> {
  const cell = hashString128(sim.cellId);
  const seen = new Set<InvariantId>();
  for (let i = 0; i < runs; i++) {
    const r = sim.run(runSeed(cell, i));
    if (r.violation !== null) seen.add(r.violation.invariant);
  }
  return seen;
}

describe('oracles fire on broken arches', () => {
  it('I2: a flush that never reaches remote CPUs leaves stale TLB entries', () => {
    const localOnly = variant('local-only-flush', (h) => ({
      flush_tlb_mm_range(k, cpu, mm, flags) {
        h.handle_ipi(k, cpu, 16, mm, flags); // flush_tlb_func locally, no IPIs
      },
    }));
    const sim = new Simulator({ plugin: localOnly, scheme: 'refcount', cpus: 4, workload: 'idle-heavy' });
    expect(found(sim)).toContain('I2');
  });

  it('I1: without leaving lazy mode on table frees, REFCOUNT=n frees a pgd a lazy CPU still has loaded', () => {
    const sim = new Simulator({ plugin: referenceArch, archOptions: { leaveLazyOnFreedTables: false }, scheme: 'none', cpus: 4, workload: 'default' });
    expect(found(sim, 500)).toContain('I1');
  });

  it('I7: a shoot-lazies mask that misses lazy CPUs', () => {
    const noMask = variant('empty-shoot-mask', () => ({ shoot_lazies_mask: () => 0 }));
    const sim = new Simulator({ plugin: noMask, scheme: 'shootdown', cpus: 4, workload: 'default' });
    expect(found(sim, 500)).toContain('I7');
  });

  it('I13: an arch whose switch_mm does not load the new root', () => {
    const lazySwitch = variant('no-load', (h) => ({
      switch_mm_irqs_off(k, cpu, prev, next, task) {
        if (next !== INIT_MM) h.switch_mm_irqs_off(k, cpu, prev, next, task);
      },
    }));
    const sim = new Simulator({ plugin: lazySwitch, scheme: 'shootdown', cpus: 2, workload: 'default' });
    expect(found(sim, 500)).toContain('I13');
  });
});

describe('oracles fire on corrupted model state', () => {
  const workload = {
    explicit: {
      tasks: [
        { name: 'T0', kind: 'user' as const, cpu: 0, mm: 'P', program: ['run', 'sleep 0', 'run'] },
        { name: 'K', kind: 'kthread' as const, cpu: 0, program: ['kwork'] },
      ],
    },
  };

  function runCorrupted(scheme: 'refcount' | 'shootdown', corrupt: (sim: Simulator) => void) {
    const sim = new Simulator({ plugin: referenceArch, scheme, cpus: 1, workload });
    sim.begin(runSeed(hashString128('oracle'), 0));
    let corrupted = false;
    for (let i = 0; i < 200; i++) {
      const en = sim.enabledActors();
      if (en.length === 0) break;
      if (!corrupted && i === 3) {
        corrupt(sim);
        corrupted = true;
      }
      if (!sim.stepActor(en[0]!)) break;
    }
    return sim.end();
  }

  it('I4: an mm_count that does not match its holders', () => {
    const r = runCorrupted('refcount', (sim) => {
      const mm = sim.explicit!.mmIds.get('P')!;
      sim.k.mmCount[mm]! += 1;
      sim.k.touch(mm);
    });
    expect(r.violation?.invariant).toBe('I4');
    expect(r.violation?.message).toMatch(/mm_count of M1@1 is \d+ but its holders account for/);
  });

  it('I5: a count that goes negative / a double free', () => {
    const r = runCorrupted('shootdown', (sim) => {
      const mm = sim.explicit!.mmIds.get('P')!;
      sim.k.mmCount[mm] = 0;
      sim.k.mmUsersRef[mm] = 0;
    });
    expect(r.violation?.invariant).toBe('I5');
  });

  it('I4: an mmgrab holder whose mmdrop never comes (the count stays above its holders)', () => {
    const r = runCorrupted('refcount', (sim) => {
      const mm = sim.explicit!.mmIds.get('P')!;
      sim.k.mmCount[mm]! += 1; // a grab with no holder behind it
      sim.k.touch(mm);
    });
    expect(r.violation?.invariant).toBe('I4');
  });

  it('I6: an mm nobody holds any more but that was never freed', () => {
    const sim = new Simulator({ plugin: referenceArch, scheme: 'shootdown', cpus: 1, workload });
    sim.begin(runSeed(hashString128('oracle'), 0));
    for (let en = sim.enabledActors(); en.length > 0; en = sim.enabledActors()) expect(sim.stepActor(en[0]!)).toBe(true);
    // Quiescent now. Pretend __mmput's final mmdrop never happened: users gone, one count, no holder.
    const mm = sim.explicit!.mmIds.get('P')!;
    expect(sim.k.mmStage[mm]).toBe(MM_FREED);
    sim.k.mmStage[mm] = MM_TABLES_FREED;
    sim.k.mmCount[mm] = 1;
    const r = sim.end();
    expect(r.violation?.invariant).toBe('I6');
    expect(r.violation?.message).toMatch(/M1@1 \(tables_freed, mm_count=1\) has no holder left but was never freed/);
  });
});
