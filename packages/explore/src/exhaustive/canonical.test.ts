/**
 * The canonical workloads (core's CANONICAL_WORKLOADS, `canonical:NAME`) searched exhaustively
 * on the reference arch at preemption bound 2: mainline refcount and shootdown are proved, and
 * each workload's race shows up as the expected finding under the scheme `none`, a core
 * mutation (CORE_MUTATIONS) or a reference-arch option that restores the bug.
 *
 * Executions and time at bound 2 on the written CPU count (2 for all), measured when the table
 * was written (reference arch, one thread, this machine; the counts are deterministic, the times
 * are not; exec-while-lazy's include the in-step choices DfsExplorer enumerates since 86bd034):
 *
 *   workload                      refcount        shootdown       none                        the bug, restored
 *   exit-while-lazy                 152   23 ms     214   47 ms     164 proved, hazard I3       leaveKeepsMaskBit=false (shootdown): I7, 144
 *   exec-while-lazy                1866  328 ms    3753  253 ms    1351 violates I14, hazard I3 kernel-execve-preempt (refcount, rt): I4, 2155
 *   kthread-use-mm-vs-flush         174   12 ms     205   15 ms     180 proved, hazard I3       kthread-use-mm-irqs-on (refcount): I13, 72
 *   hotplug-vs-exit                2269  172 ms    3459  204 ms    1624 violates I1, I14        hotplug-no-force-init-mm (shootdown): I7 + I1, 3345;
 *                                                                                              idle-task-exit-mmdrop (refcount): I5, 2076
 *   munmap-freed-tables-vs-lazy     466   19 ms     600   26 ms     478 proved, hazard I3       leaveKeepsMaskBit=false (shootdown): I7, 355;
 *                                                                                              leaveLazyOnFreedTables=false (none): I1, 462
 *   fork-racing-exit               1358   36 ms    2897   71 ms    1731 violates I14, hazard I3 leaveKeepsMaskBit=false (shootdown): I7, 521
 *   switch-vs-flush                1165   35 ms    1607   45 ms    1357 violates I14, hazard I3 leaveKeepsMaskBit=false (shootdown): I7, 1007
 *
 * (I14 under `none`: the reference arch's switch_mm clears the CPU from the freed previous mm's
 * mm_cpumask, a use of the freed mm; the §7.9 store-buffer race itself needs x86-native under tso,
 * not the reference arch.) On 3 CPUs (measured before 86bd034) the counts were the same except
 * hotplug-vs-exit (5009 refcount, 8549 shootdown): the third CPU is idle and never lazy.
 */
import { describe, expect, it } from 'vitest';
import { CANONICAL_NAMES, type CanonicalName, hashString128, referenceArch, type RunSeed, runSeed, Simulator } from '@lazytlb/core';
import { type ExhaustiveResult, exhaustiveSearch } from './search.js';

const SEED: RunSeed = runSeed(hashString128('canonical'), 0);
const BOUND = 2;
/** Executions a canonical workload may take at bound 2 (the "finishes in seconds"). */
const BUDGET = 200_000;

interface Cell {
  readonly scheme: 'refcount' | 'shootdown' | 'none';
  readonly mutations?: string[];
  readonly preempt?: 'full' | 'rt';
  readonly archOptions?: Record<string, unknown>;
}

function search(name: CanonicalName, c: Cell): ExhaustiveResult {
  const sim = new Simulator({
    plugin: referenceArch,
    scheme: c.scheme,
    cpus: 2,
    workload: `canonical:${name}`,
    ...(c.mutations !== undefined ? { mutations: c.mutations } : {}),
    ...(c.preempt !== undefined ? { preempt: c.preempt } : {}),
    ...(c.archOptions !== undefined ? { archOptions: c.archOptions } : {}),
  });
  return exhaustiveSearch(sim, { seed: SEED, preemptionBound: BOUND, maxExecutions: BUDGET });
}

const keys = (r: ExhaustiveResult, cls?: string) => r.findings.filter((f) => cls === undefined || f.class === cls).map((f) => `${f.class}:${f.key}`);

/** What `none` finds (every finding, class:key, in the search's order). */
const NONE: Record<CanonicalName, { verdict: 'proved' | 'violates'; findings: string[] }> = {
  'exit-while-lazy': { verdict: 'proved', findings: ['use-site:__mmdrop', 'hazard:I3'] },
  'exec-while-lazy': { verdict: 'violates', findings: ['violation:I14', 'use-site:__mmdrop', 'use-site:cpumask_clear_cpu(mm_cpumask(prev))', 'hazard:I3'] },
  'kthread-use-mm-vs-flush': { verdict: 'proved', findings: ['use-site:__mmdrop', 'hazard:I3'] },
  'hotplug-vs-exit': {
    verdict: 'violates',
    findings: ['violation:I1', 'violation:I14', 'use-site:__mmdrop', 'use-site:cpumask_clear_cpu(mm_cpumask(prev))', 'hazard:I3'],
  },
  'munmap-freed-tables-vs-lazy': { verdict: 'proved', findings: ['use-site:__mmdrop', 'hazard:I3'] },
  'fork-racing-exit': { verdict: 'violates', findings: ['violation:I14', 'use-site:__mmdrop', 'use-site:cpumask_clear_cpu(mm_cpumask(prev))', 'hazard:I3'] },
  'switch-vs-flush': { verdict: 'violates', findings: ['violation:I14', 'use-site:__mmdrop', 'use-site:cpumask_clear_cpu(mm_cpumask(prev))', 'hazard:I3'] },
};

/** The historical bug each one restores, and the violations the search must find (and nothing else). */
const BUGS: [CanonicalName, string, Cell, string[]][] = [
  [
    'exit-while-lazy',
    'leave_mm clears the bit at once (x86 mask trimming, §5.2-B)',
    { scheme: 'shootdown', archOptions: { leaveKeepsMaskBit: false } },
    ['I7'],
  ],
  ['exec-while-lazy', 'kernel-execve-preempt (d53c3dfb23c4)', { scheme: 'refcount', mutations: ['kernel-execve-preempt'], preempt: 'rt' }, ['I4']],
  ['kthread-use-mm-vs-flush', 'kthread-use-mm-irqs-on (38cf307c1f20)', { scheme: 'refcount', mutations: ['kthread-use-mm-irqs-on'] }, ['I13']],
  ['kthread-use-mm-vs-flush', 'kthread-use-mm-irqs-on (38cf307c1f20) under shootdown', { scheme: 'shootdown', mutations: ['kthread-use-mm-irqs-on'] }, ['I13']],
  ['hotplug-vs-exit', 'hotplug-no-force-init-mm (21641bd9a7a7)', { scheme: 'shootdown', mutations: ['hotplug-no-force-init-mm'] }, ['I1', 'I7']],
  ['hotplug-vs-exit', 'idle-task-exit-mmdrop (bf2c59fce407)', { scheme: 'refcount', mutations: ['idle-task-exit-mmdrop'] }, ['I5']],
  ['munmap-freed-tables-vs-lazy', 'leave_mm clears the bit at once (§5.2-B)', { scheme: 'shootdown', archOptions: { leaveKeepsMaskBit: false } }, ['I7']],
  [
    'munmap-freed-tables-vs-lazy',
    'a lazy CPU does not leave on freed tables, no lazy refs (§5.2-C)',
    { scheme: 'none', archOptions: { leaveLazyOnFreedTables: false } },
    ['I1'],
  ],
  ['fork-racing-exit', 'leave_mm clears the bit at once (§5.2-B)', { scheme: 'shootdown', archOptions: { leaveKeepsMaskBit: false } }, ['I7']],
  ['switch-vs-flush', 'leave_mm clears the bit at once (§5.2-B)', { scheme: 'shootdown', archOptions: { leaveKeepsMaskBit: false } }, ['I7']],
];

describe(`canonical workloads, exhaustively (reference arch, 2 CPUs, preemption bound ${BOUND})`, () => {
  it.each(CANONICAL_NAMES)('%s: mainline refcount and shootdown are proved, within the budget', (name) => {
    for (const scheme of ['refcount', 'shootdown'] as const) {
      const r = search(name, { scheme });
      expect([scheme, r.verdict, keys(r)]).toEqual([scheme, 'proved', []]);
      expect(r.executions).toBeLessThan(BUDGET);
      expect(r.prunedByBound).toBeGreaterThan(0); // the bound bit: bound 2 is a bound, not the whole tree
    }
  });

  it.each(CANONICAL_NAMES)('%s: under none the race shows (the mm freed under a lazy CPU: hazard I3, or worse)', (name) => {
    const r = search(name, { scheme: 'none' });
    expect([r.verdict, keys(r)]).toEqual([NONE[name].verdict, NONE[name].findings]);
  });

  it.each(BUGS)('%s: %s is found', (name, _what, cell, want) => {
    const r = search(name, cell);
    expect(r.verdict).toBe('violates');
    expect(keys(r, 'violation')).toEqual(want.map((k) => `violation:${k}`));
    for (const f of r.findings) expect(f.preemptions).toBeLessThanOrEqual(BOUND);
    // the same cell without the bug is proved (no false alarm)
    const fixed = search(name, { scheme: cell.scheme, ...(cell.preempt !== undefined ? { preempt: cell.preempt } : {}) });
    if (cell.scheme !== 'none') expect([fixed.verdict, keys(fixed)]).toEqual(['proved', []]);
  });

  it("each bug's shortest finding replays from its decisions", () => {
    const sim = new Simulator({
      plugin: referenceArch,
      scheme: 'refcount',
      cpus: 2,
      workload: 'canonical:hotplug-vs-exit',
      mutations: ['idle-task-exit-mmdrop'],
    });
    const r = exhaustiveSearch(sim, { seed: SEED, preemptionBound: BOUND });
    const f = r.findings.find((x) => x.class === 'violation')!;
    const replay = sim.run(SEED, { decisions: f.decisions });
    expect([replay.outcome, replay.violation?.invariant, replay.steps]).toEqual(['violation', f.key, f.steps]);
  });
});
