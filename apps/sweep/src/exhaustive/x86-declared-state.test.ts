/**
 * x86-native and x86-paravirt declare their per-run state (ArchPlugin.declaresState): when an
 * exhaustive search explores the in-step choices (ArchKernel.choicesExplored()), the two places
 * where x86 reads the step count as jiffies, should_trim_cpumask()'s interval and
 * consider_global_asid()'s `(pid & 0x1f) == (jiffies & 0x1f)` gate, are 2-way choices. So
 * their cells are hashed: every declared array is in the fingerprint, the hashed search at
 * preemption bound 1 gives the reference search's verdict and findings on every canonical
 * workload, and the unbounded hashed search (sleep sets on) finishes on each of them. Runs
 * whose choices are drawn (random, PCT) are unchanged: choicesExplored() is false there, and the
 * plugins' own fingerprint tests pin their behaviour.
 */
import x86Native from '@lazytlb/arch-x86-native';
import x86Paravirt from '@lazytlb/arch-x86-paravirt';
import { type ArchPlugin, CANONICAL_NAMES, CANONICAL_WORKLOADS, createSimulator, hashString128, runSeed, type Simulator } from '@lazytlb/core';
import { type ExhaustiveResult, exhaustiveSearch } from '@lazytlb/explore';
import { describe, expect, it } from 'vitest';
import { expectDeclaredStateHashed } from '../test-support/declared-state.js';

const SEED = runSeed(hashString128('x86-declared-state'), 0);

interface Cell {
  readonly label: string;
  readonly plugin: ArchPlugin<any>;
  readonly archOptions?: unknown;
  /** How many arrays the cell's plugin declares (X86Tlb: 28 arrays + 2 one-element counters). */
  readonly declared: number;
  /** Run the unbounded hashed search on exec-while-lazy too (the longest: ~10-15 s per cell). */
  readonly unboundedAll: boolean;
}

const CELLS: readonly Cell[] = [
  { label: 'x86-native', plugin: x86Native, declared: 30, unboundedAll: true },
  // INVLPGB with on-demand global ASIDs (consider_global_asid); v6.18 is the first release with INVLPGB by default.
  { label: 'x86-native invlpgb', plugin: x86Native, archOptions: { invlpgb: true, globalAsid: 'on-demand' }, declared: 30, unboundedAll: false },
  { label: 'x86-paravirt kvm', plugin: x86Paravirt, archOptions: { backend: 'kvm' }, declared: 31, unboundedAll: false },
];

function simFor(cell: Cell, name: string, scheme = 'refcount'): Simulator {
  return createSimulator({
    plugin: cell.plugin,
    ...(cell.archOptions !== undefined ? { archOptions: cell.archOptions } : {}),
    scheme,
    cpus: CANONICAL_WORKLOADS[name as keyof typeof CANONICAL_WORKLOADS].cpus,
    workload: `canonical:${name}`,
  });
}

const findingKeys = (r: ExhaustiveResult): string[] => r.findings.map((f) => `${f.class}:${f.key}`);

describe('x86 declares its state: exhaustive search with state hashing', () => {
  it('choicesExplored() is false in random runs (choices drawn, behaviour as before) and true under an exhaustive search', () => {
    const sim = simFor(CELLS[0]!, 'switch-vs-flush');
    sim.begin(SEED);
    expect(sim.k.choicesExplored()).toBe(false);
    sim.end();
    const probe = simFor(CELLS[0]!, 'exit-while-lazy');
    expect(exhaustiveSearch(probe, { seed: SEED, preemptionBound: 0 }).verdict).toBe('proved');
    expect(probe.k.choicesExplored()).toBe(true); // the last execution's explorer enumerated choices
  });

  it.each(CELLS.map((c) => [c.label, c] as const))('%s: hashable, and every declared array is in the fingerprint', (_label, cell) => {
    expectDeclaredStateHashed(simFor(cell, 'switch-vs-flush'), SEED, cell.declared, 6);
  });

  it.each(CELLS.map((c) => [c.label, c] as const))(
    '%s: on every canonical workload, the hashed search at preemption bound 1 finds what the reference search finds',
    (_label, cell) => {
      for (const name of CANONICAL_NAMES) {
        const off = exhaustiveSearch(simFor(cell, name), { seed: SEED, preemptionBound: 1, stateHashing: 'off' });
        const on = exhaustiveSearch(simFor(cell, name), { seed: SEED, preemptionBound: 1 });
        expect(on.stateHashing.on, `${name}: ${on.stateHashing.reason}`).toBe(true);
        expect(off.stateHashing.on).toBe(false);
        expect([name, on.verdict, findingKeys(on)]).toEqual([name, off.verdict, findingKeys(off)]);
        expect(on.executions).toBeLessThanOrEqual(off.executions);
      }
    },
  );

  it.each(CELLS.map((c) => [c.label, c] as const))('%s: the unbounded hashed search (sleep sets) finishes on every canonical workload', (_label, cell) => {
    for (const name of CANONICAL_NAMES) {
      if (name === 'exec-while-lazy' && !cell.unboundedAll) continue; // the same search as x86-native's, ~10-15 s more
      const r = exhaustiveSearch(simFor(cell, name), { seed: SEED });
      expect(r.stateHashing.on, `${name}: ${r.stateHashing.reason}`).toBe(true);
      expect(r.preemptionBound).toBeNull();
      expect(r.stoppedBy, name).toBeNull();
      expect(r.frontier, name).toBe(0);
      // Under refcount no canonical workload breaks an invariant on x86.
      expect([name, r.verdict]).toEqual([name, 'proved']);
    }
  });
});
