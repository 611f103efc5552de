/**
 * Stateful exhaustive search (ExhaustiveOptions.stateful, the default where states can be
 * snapshotted) visits the same tree as re-execution from step 0 (`stateful: 'off'`): after an
 * execution it restores the state saved at the deepest pick frame at or before the backtrack
 * point (core's Simulator.saveRun/restoreRun/resume) instead of re-running the prefix. Every
 * canonical workload on the reference arch, x86-native (sc and tso), powerpc and arm64, under
 * refcount, shootdown and none, with preemption bound 1 and unbounded (sleep sets): the verdict,
 * the findings (keys, decisions, choices, steps), executions, steps, nodes, distinct states and
 * every pruned count are equal, on small budgets (a search the budget stops is compared as far
 * as it went: the same executions in the same order).
 */
import arm64 from '@lazytlb/arch-arm64';
import powerpc from '@lazytlb/arch-powerpc';
import x86Native from '@lazytlb/arch-x86-native';
import { type ArchPlugin, CANONICAL_NAMES, hashString128, referenceArch, runSeed, Simulator } from '@lazytlb/core';
import { type ExhaustiveResult, exhaustiveSearch } from '@lazytlb/explore';
import { describe, expect, it } from 'vitest';

const SEED = runSeed(hashString128('stateful'), 0);
/** Executions per search: small, so that the 7 x 5 x 3 x 2 x 2 searches stay within seconds. */
const BUDGET = 120;

const ARCHES: readonly (readonly [string, ArchPlugin<any>, 'sc' | 'tso'])[] = [
  ['reference', referenceArch, 'sc'],
  ['x86-native', x86Native, 'sc'],
  ['x86-native tso', x86Native, 'tso'],
  ['powerpc', powerpc, 'sc'],
  ['arm64', arm64, 'sc'],
];

/** Everything a search found and counted, but the time and the stateful section itself. */
function comparable(r: ExhaustiveResult): unknown {
  const { elapsedMs: _t, stateful: _s, findings, ...rest } = r;
  return { ...rest, findings: findings.map((f) => ({ ...f, decisions: Array.from(f.decisions), choices: Array.from(f.choices) })) };
}

describe('stateful exhaustive search visits the same tree as re-execution', () => {
  for (const [label, plugin, memory] of ARCHES) {
    it(`${label}: every canonical workload x refcount/shootdown/none x bound 1/unbounded`, () => {
      let resumed = 0;
      for (const name of CANONICAL_NAMES) {
        for (const scheme of ['refcount', 'shootdown', 'none'] as const) {
          for (const bound of [1, undefined]) {
            const sim = (): Simulator => new Simulator({ plugin, scheme, cpus: 2, memory, workload: `canonical:${name}` });
            const opts = { seed: SEED, maxExecutions: BUDGET, ...(bound !== undefined ? { preemptionBound: bound } : {}) };
            const on = exhaustiveSearch(sim(), opts);
            const off = exhaustiveSearch(sim(), { ...opts, stateful: 'off' });
            const where = `${label} ${name} ${scheme} bound ${bound ?? 'none'}`;
            expect(on.stateful.on, where).toBe(true);
            expect(off.stateful.on, where).toBe(false);
            expect(comparable(on), where).toEqual(comparable(off));
            // Re-execution simulates every step; the stateful search fewer whenever it resumed.
            expect(off.stateful.simulatedSteps, where).toBe(off.steps);
            expect(on.stateful.simulatedSteps, where).toBeLessThanOrEqual(on.steps);
            expect(on.stateful.resumed, where).toBe(on.executions - 1);
            resumed += on.stateful.resumed;
          }
        }
      }
      expect(resumed).toBeGreaterThan(0);
    });
  }
});
