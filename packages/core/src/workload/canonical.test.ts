/**
 * The canonical workloads (canonical.ts): each loads as `canonical:NAME` on the reference arch,
 * is recorded in the cell as its explicit workload, runs to completion under refcount on random
 * schedules, and names its CPUs right. Their exhaustive verdicts (and the mutations each finds)
 * are in packages/explore/src/exhaustive/canonical.test.ts; every bundled arch loads them in
 * apps/sweep/src/matrix/canonical.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { referenceArch } from '../reference-arch/reference-arch.js';
import { hashString128, runSeed } from '../prng/seed.js';
import { Simulator } from '../run/simulator.js';
import { CANONICAL_NAMES, CANONICAL_WORKLOADS, canonicalWorkload, canonicalWorkloadFor, isKnownCanonicalRef } from './canonical.js';
import { ExplicitWorkload, WorkloadError } from './explicit.js';
import { PROFILE_NAMES, resolveWorkload, WorkloadSpec } from './profiles.js';

const RUNS = 50;

/** The highest CPU a workload's tasks sit on or name (migrate, sleep, cpu_up). */
function highestCpu(name: (typeof CANONICAL_NAMES)[number]): number {
  let max = 0;
  for (const t of CANONICAL_WORKLOADS[name].workload.tasks) {
    max = Math.max(max, t.cpu);
    for (const op of t.program ?? []) {
      const [word, arg] = op.trim().split(/\s+/);
      if ((word === 'migrate' || word === 'sleep' || word === 'cpu_up') && arg !== undefined) max = Math.max(max, Number(arg));
    }
  }
  return max;
}

describe('canonical workloads', () => {
  it('are the seven issue 15 names (kebab-case), none of them a profile name', () => {
    expect([...CANONICAL_NAMES].sort()).toEqual(
      [
        'exec-while-lazy',
        'exit-while-lazy',
        'fork-racing-exit',
        'hotplug-vs-exit',
        'kthread-use-mm-vs-flush',
        'munmap-freed-tables-vs-lazy',
        'switch-vs-flush',
      ].sort(),
    );
    for (const n of CANONICAL_NAMES) {
      expect(n).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect((PROFILE_NAMES as string[]).includes(n)).toBe(false);
    }
    for (const p of PROFILE_NAMES) expect(p.includes(':')).toBe(false);
  });

  it.each(CANONICAL_NAMES)('%s: documented, small, and written for the CPUs it says', (name) => {
    const c = CANONICAL_WORKLOADS[name];
    expect(c.description).toMatch(/\w+\(\)/); // kernel function names
    expect(c.description.length).toBeGreaterThan(40);
    expect(c.source).toMatch(/^kernel-reference §\d/);
    expect([2, 3]).toContain(c.cpus);
    expect(highestCpu(name)).toBe(c.cpus - 1);
    const tasks = c.workload.tasks.filter((t) => !(t.program?.length === 1 && t.program[0] === 'cpuhp')); // a cpuhp thread is hotplug machinery
    expect(tasks.length).toBeLessThanOrEqual(3);
    expect(c.workload.tasks.reduce((n, t) => n + (t.program?.length ?? 0), 0)).toBeLessThanOrEqual(10);
  });

  it.each(CANONICAL_NAMES)('%s loads on the reference arch as canonical:NAME, recorded as its explicit workload', (name) => {
    const c = CANONICAL_WORKLOADS[name];
    const sim = new Simulator({ plugin: referenceArch, scheme: 'refcount', cpus: c.cpus, workload: `canonical:${name}` });
    expect(sim.cell.workload).toEqual({ explicit: ExplicitWorkload.parse(c.workload) });
    const direct = new Simulator({ plugin: referenceArch, scheme: 'refcount', cpus: c.cpus, workload: { explicit: c.workload } });
    expect(sim.cellId).toBe(direct.cellId); // an artifact of it replays with no name lookup
    const obj = new Simulator({ plugin: referenceArch, scheme: 'refcount', cpus: c.cpus, workload: { profile: `canonical:${name}` } });
    expect(obj.cellId).toBe(sim.cellId);
    // more CPUs than it is written for: allowed (the others idle)
    expect(new Simulator({ plugin: referenceArch, scheme: 'refcount', cpus: c.cpus + 1, workload: `canonical:${name}` }).cell.cpus).toBe(c.cpus + 1);
  });

  it.each(CANONICAL_NAMES)('%s runs to completion under refcount, shootdown and none on random schedules (refcount: clean)', (name) => {
    const c = CANONICAL_WORKLOADS[name];
    for (const scheme of ['refcount', 'shootdown', 'none'] as const) {
      const sim = new Simulator({ plugin: referenceArch, scheme, cpus: c.cpus, workload: `canonical:${name}` });
      const outcomes = new Map<string, number>();
      for (let i = 0; i < RUNS; i++) {
        const r = sim.run(runSeed(hashString128(`canonical ${name}`), i));
        const key = r.outcome === 'violation' ? `violation:${r.violation!.invariant}` : r.outcome;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        if (scheme === 'refcount') expect([r.outcome, r.hazards, r.useSites]).toEqual(['ok', 0, 0]);
      }
      // none of them runs into the step budget or deadlocks: every run ends
      expect([...outcomes.keys()].filter((k) => k === 'budget' || k === 'deadlock' || k === 'plugin-error')).toEqual([]);
    }
  });

  it('names the canonical workloads when given an unknown one', () => {
    const msg =
      /unknown canonical workload "canonical:exit-while-lazyy": allowed canonical:exit-while-lazy, canonical:exec-while-lazy, .*canonical:switch-vs-flush/;
    expect(() => new Simulator({ plugin: referenceArch, scheme: 'refcount', cpus: 2, workload: 'canonical:exit-while-lazyy' as never })).toThrow(WorkloadError);
    expect(() => new Simulator({ plugin: referenceArch, scheme: 'refcount', cpus: 2, workload: 'canonical:exit-while-lazyy' as never })).toThrow(msg);
    expect(() => canonicalWorkload('canonical:nope')).toThrow(/allowed canonical:exit-while-lazy/);
    expect(isKnownCanonicalRef('canonical:nope')).toBe(false);
    expect(isKnownCanonicalRef('canonical:switch-vs-flush')).toBe(true);
    expect(isKnownCanonicalRef('canonical:toString')).toBe(false);
    // the WorkloadSpec schema (matrix files' object form) says the same
    const r = WorkloadSpec.safeParse({ profile: 'canonical:nope' });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(['profile']);
    expect(r.error!.issues[0]!.message).toMatch(/unknown canonical workload "canonical:nope": allowed canonical:exit-while-lazy/);
    // a plain unknown name lists the profiles and the canonical workloads
    const p = WorkloadSpec.safeParse({ profile: 'heavy' });
    expect(p.error!.issues[0]!.message).toMatch(
      /unknown workload profile "heavy": allowed default, exit-heavy.*\(or a canonical workload: canonical:exit-while-lazy/,
    );
  });

  it('refuses a cell with fewer CPUs than the workload is written for, saying so', () => {
    expect(() => new Simulator({ plugin: referenceArch, scheme: 'refcount', cpus: 1, workload: 'canonical:exit-while-lazy' })).toThrow(
      /workload "canonical:exit-while-lazy" is written for 2 CPUs \(its tasks run on CPUs 0\.\.1\); this cell has 1/,
    );
    expect(() => canonicalWorkloadFor('canonical:hotplug-vs-exit', 1)).toThrow(WorkloadError);
  });

  it('takes no params, and is not a profile for resolveWorkload', () => {
    expect(
      () => new Simulator({ plugin: referenceArch, scheme: 'refcount', cpus: 2, workload: { profile: 'canonical:exit-while-lazy', params: { processes: 1 } } }),
    ).toThrow(/is an explicit workload: it takes no params/);
    const r = WorkloadSpec.safeParse({ profile: 'canonical:exit-while-lazy', params: { processes: 1 } });
    expect(r.error!.issues.map((i) => [i.path, i.message])).toEqual([
      [['params'], 'workload "canonical:exit-while-lazy" is an explicit workload: it takes no params'],
    ]);
    expect(WorkloadSpec.parse({ profile: 'canonical:exit-while-lazy' })).toEqual({ profile: 'canonical:exit-while-lazy' });
    expect(() => resolveWorkload('canonical:exit-while-lazy')).toThrow(WorkloadError);
    expect(() => resolveWorkload('canonical:exit-while-lazy')).toThrow(/an explicit workload, not a profile/);
    expect(canonicalWorkloadFor('default', 2)).toBeNull();
    expect(canonicalWorkloadFor({ profile: 'exit-heavy', params: { processes: 1 } }, 2)).toBeNull();
  });
});
