/**
 * The synthetic mutation mmgrab-lazy-nonatomic (the anchor Promela model's BUG_NONATOMIC_GRAB:
 * the lazy mmgrab as a load of mm_count, then a store of the load + 1) under exhaustive search on
 * a small explicit workload: two threads of M exit on two CPUs (both exit_mm()s grab M lazily),
 * and a kernel thread keeps CPU1 lazy afterwards. Mainline refcount is proved; the mutation
 * violates I4 (the lost update, at the second store), and needs one preemption: at bound 0 the
 * first CPU runs its whole exit_mm() before the other starts.
 *
 * Measured (reference arch, one thread): mainline unbounded proved, 12 executions, 149 distinct
 * states; mutated unbounded violates I4 after 31 executions; at bound 0 both are proved (2).
 */
import { describe, expect, it } from 'vitest';
import { type ExplicitWorkloadInput, hashString128, referenceArch, runSeed, Simulator } from '@lazytlb/core';
import { exhaustiveSearch } from '../exhaustive/search.js';

const SEED = runSeed(hashString128('mmgrab-lazy-nonatomic'), 0);
const W: ExplicitWorkloadInput = {
  tasks: [
    { name: 'A', kind: 'user', cpu: 0, mm: 'M', program: ['exit'] },
    { name: 'B', kind: 'user', cpu: 1, mm: 'M', program: ['exit'] },
    { name: 'K', kind: 'kthread', cpu: 1, program: ['kwork'] },
  ],
};

function search(mutated: boolean, preemptionBound?: number) {
  const sim = new Simulator({
    plugin: referenceArch,
    scheme: 'refcount',
    cpus: 2,
    workload: { explicit: W },
    ...(mutated ? { mutations: ['mmgrab-lazy-nonatomic'] } : {}),
  });
  return exhaustiveSearch(sim, { seed: SEED, maxExecutions: 10_000, ...(preemptionBound !== undefined ? { preemptionBound } : {}) });
}

describe('mmgrab-lazy-nonatomic under exhaustive search', () => {
  it('mainline refcount is proved on the two-exits workload', () => {
    const r = search(false);
    expect(r.verdict).toBe('proved');
    expect(r.findings.filter((f) => f.class === 'violation')).toEqual([]);
  });

  it('the mutation violates I4 (a lost lazy grab), unbounded and at preemption bound 1', () => {
    for (const bound of [undefined, 1]) {
      const r = search(true, bound);
      expect(r.verdict).toBe('violates');
      expect(r.findings.filter((f) => f.class === 'violation').map((f) => f.key)).toEqual(['I4']);
    }
  });

  it('at bound 0 the two grabs never overlap: proved', () => {
    expect(search(true, 0).verdict).toBe('proved');
  });
});
