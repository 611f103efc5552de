import { describe, expect, it } from 'vitest';
import { CANONICAL_WORKLOADS, type ExplicitWorkloadInput, hashString128, type RunSeed, referenceArch, runSeed, Simulator } from '@lazytlb/core';
import { DfsExplorer } from './dfs-explorer.js';
import { type ExhaustiveResult, exhaustiveSearch } from './search.js';

const SEED: RunSeed = runSeed(hashString128('exhaustive'), 0);

/** Two threads of one process exit on two CPUs (kernel-reference §5: exit while lazy). */
const EXIT2: ExplicitWorkloadInput = {
  tasks: [
    { name: 'A', kind: 'user', cpu: 0, mm: 'm', program: ['run', 'exit'] },
    { name: 'B', kind: 'user', cpu: 1, mm: 'm', program: ['run', 'exit'] },
  ],
};
/** EXIT2 with one op fewer. */
const EXIT1: ExplicitWorkloadInput = {
  tasks: [
    { name: 'A', kind: 'user', cpu: 0, mm: 'm', program: ['run', 'exit'] },
    { name: 'B', kind: 'user', cpu: 1, mm: 'm', program: ['exit'] },
  ],
};
/** mutations.test.ts's kthread_use_mm scenario (38cf307c1f20). */
const USE_MM: ExplicitWorkloadInput = {
  tasks: [
    { name: 'P', kind: 'user', cpu: 0, mm: 'M', program: ['use_mm_setup W', 'run', 'run', 'exit'] },
    { name: 'W', kind: 'kthread', cpu: 1, unstarted: true, program: ['kthread_use_mm', 'kwork', 'kthread_unuse_mm', 'exit'] },
  ],
};
/** mutations.test.ts's kernel_execve scenario under PREEMPT_RT (d53c3dfb23c4). */
const EXECVE: ExplicitWorkloadInput = {
  tasks: [
    { name: 'U', kind: 'user', cpu: 0, mm: 'L', program: ['run', 'sleep 1', 'run', 'exit'] },
    { name: 'K', kind: 'kthread', cpu: 0, program: ['kwork', 'kernel_execve', 'run', 'exit'] },
    { name: 'X', kind: 'user', cpu: 0, mm: 'X', program: ['run', 'yield', 'run', 'exit'] },
  ],
  tickPreemptions: 1,
};

function sim(
  workload: ExplicitWorkloadInput,
  scheme: 'refcount' | 'shootdown' | 'none' = 'refcount',
  mutations: string[] = [],
  preempt: 'full' | 'rt' = 'full',
) {
  return new Simulator({ plugin: referenceArch, scheme, cpus: 2, workload: { explicit: workload }, mutations, preempt });
}

/**
 * Every schedule by brute force, independently of DfsExplorer: re-execute each prefix step by
 * step, branch on every enabled actor, count preemptions (a switch away from an actor still
 * enabled) and cut branches over the bound. Returns each complete schedule as a string.
 */
function bruteForce(s: Simulator, bound = Number.POSITIVE_INFINITY): { schedules: Set<string>; violating: Map<string, number> } {
  const schedules = new Set<string>();
  const violating = new Map<string, number>();
  const walk = (prefix: number[], pre: number): void => {
    s.begin(SEED);
    let ended = false;
    for (const a of prefix) if (!s.stepActor(a)) ended = true;
    const en = ended ? [] : s.enabledActors();
    if (en.length === 0 || s.k.step >= s.cell.stepBudget) {
      const r = s.end();
      schedules.add(prefix.join(','));
      if (r.violation !== null) violating.set(r.violation.invariant, Math.min(violating.get(r.violation.invariant) ?? Infinity, r.steps));
      return;
    }
    s.end();
    const prev = prefix.length > 0 ? prefix[prefix.length - 1]! : -1;
    for (const a of en) {
      const p = pre + (prev >= 0 && a !== prev && en.includes(prev) ? 1 : 0);
      if (p <= bound) walk([...prefix, a], p);
    }
  };
  walk([], 0);
  return { schedules, violating };
}

/** Every execution DfsExplorer drives, as schedule strings. */
function dfsSchedules(s: Simulator, bound = Number.POSITIVE_INFINITY): string[] {
  const dfs = new DfsExplorer(bound);
  const out: string[] = [];
  for (;;) {
    const r = s.run(SEED, { explorer: dfs, keepDecisions: true });
    out.push(Array.from(r.decisions!).join(','));
    if (!dfs.backtrack()) return out;
  }
}

const strip = (r: ExhaustiveResult) => ({ ...r, elapsedMs: 0 });

describe('exhaustive search', () => {
  it.each([
    [0, EXIT2],
    [1, EXIT2],
    [2, EXIT2],
    // unbounded on a smaller workload: 14 526 schedules (EXIT2's 29 052 take the brute force minutes on a loaded machine)
    [Number.POSITIVE_INFINITY, EXIT1],
  ] as const)('visits exactly the schedules a brute-force enumeration finds, each once (preemption bound %s)', { timeout: 180_000 }, (bound, workload) => {
    const s = sim(workload, 'none');
    const dfs = dfsSchedules(s, bound);
    const brute = bruteForce(s, bound);
    expect(new Set(dfs).size).toBe(dfs.length);
    expect(new Set(dfs)).toEqual(brute.schedules);
    const r = exhaustiveSearch(s, { seed: SEED, stateHashing: 'off', ...(Number.isFinite(bound) ? { preemptionBound: bound } : {}) });
    expect(r.executions).toBe(brute.schedules.size);
    expect(r.verdict).toBe('proved');
    expect(r.prunedByBound > 0).toBe(Number.isFinite(bound));
  });

  it('the preemption bound grows the search monotonically, and every finding stays within it', () => {
    let last = 0;
    for (const bound of [0, 1, 2, 3]) {
      const r = exhaustiveSearch(sim(USE_MM, 'refcount', ['kthread-use-mm-irqs-on']), { seed: SEED, preemptionBound: bound });
      expect(r.executions).toBeGreaterThanOrEqual(last);
      last = r.executions;
      for (const f of r.findings) expect(f.preemptions).toBeLessThanOrEqual(bound);
    }
  });

  it('a seeded bug (kthread-use-mm-irqs-on) is found with the shortest trace; its decisions replay it; mainline is proved', () => {
    const mut = sim(USE_MM, 'refcount', ['kthread-use-mm-irqs-on']);
    const r = exhaustiveSearch(mut, { seed: SEED, preemptionBound: 2, stateHashing: 'off' });
    expect(r.verdict).toBe('violates');
    const f = r.findings.find((x) => x.class === 'violation')!;
    expect(f.key).toBe('I13');
    // the shortest violating execution of the whole tree (brute force agrees; the reference search, without hashing)
    expect(f.steps).toBe(bruteForce(mut, 2).violating.get('I13'));
    const replay = mut.run(SEED, { decisions: f.decisions });
    expect([replay.outcome, replay.violation?.invariant, replay.steps]).toEqual(['violation', 'I13', f.steps]);
    const main = exhaustiveSearch(sim(USE_MM), { seed: SEED, preemptionBound: 3 });
    expect([main.verdict, main.findings]).toEqual(['proved', []]);
  });

  it('kernel-execve-preempt needs a preemption: proved at bound 0, violates I4 from bound 1; mainline proved at 2', () => {
    const mut = () => sim(EXECVE, 'refcount', ['kernel-execve-preempt'], 'rt');
    expect(exhaustiveSearch(mut(), { seed: SEED, preemptionBound: 0 }).verdict).toBe('proved');
    const r = exhaustiveSearch(mut(), { seed: SEED, preemptionBound: 1 });
    expect(r.verdict).toBe('violates');
    expect(r.findings.filter((f) => f.class === 'violation').map((f) => f.key)).toEqual(['I4']);
    expect(exhaustiveSearch(sim(EXECVE, 'refcount', [], 'rt'), { seed: SEED, preemptionBound: 2 }).verdict).toBe('proved');
  });

  it('in-step choices are frames of the search: the CPU a task preempted in kernel_execve is queued on is enumerated, and findings replay with their choices', () => {
    const r = exhaustiveSearch(sim(EXECVE, 'refcount', ['kernel-execve-preempt'], 'rt'), { seed: SEED, preemptionBound: 1, stateHashing: 'off' });
    expect(r.enumerated.some((e) => e.startsWith('in-step choices'))).toBe(true);
    const f = r.findings.find((x) => x.key === 'I4')!;
    expect(f.choices.length).toBeGreaterThan(0);
    const s = sim(EXECVE, 'refcount', ['kernel-execve-preempt'], 'rt');
    const replay = s.run(SEED, { decisions: f.decisions, choices: f.choices });
    expect([replay.outcome, replay.violation?.invariant, replay.steps, Array.from(replay.choices ?? [])]).toEqual([
      'violation',
      'I4',
      f.steps,
      Array.from(f.choices),
    ]);
    // The search over choices explores more executions than a search that holds them at the seed's draws.
    const dfs = new DfsExplorer(1);
    const both = new Set<string>();
    for (;;) {
      const run = s.run(SEED, { explorer: dfs, keepDecisions: true });
      both.add(`${Array.from(run.decisions!).join(',')}|${Array.from(run.choices ?? []).join(',')}`);
      if (!dfs.backtrack()) break;
    }
    expect(both.size).toBe(r.executions);
    expect([...both].some((x) => x.endsWith('|1'))).toBe(true);
    expect([...both].some((x) => x.endsWith('|0'))).toBe(true);
  });

  it('hazards and use sites that do not end runs are findings, not violations (none: proved, with I3 and __mmdrop)', () => {
    const r = exhaustiveSearch(sim(EXIT2, 'none'), { seed: SEED, preemptionBound: 1 });
    expect(r.verdict).toBe('proved');
    expect(r.findings.map((f) => `${f.class}:${f.key}`)).toEqual(['use-site:__mmdrop', 'hazard:I3']);
  });

  it('reports progress (executions, nodes, distinct states, depth, frontier), the last at the end', () => {
    const seen: { executions: number; distinctStates: number; frontier: number }[] = [];
    const r = exhaustiveSearch(sim(EXIT2), { seed: SEED, progressEvery: 2, onProgress: (p) => seen.push(p) });
    expect(seen.length).toBeGreaterThan(2);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.executions).toBeGreaterThanOrEqual(seen[i - 1]!.executions);
    expect(seen.at(-1)).toMatchObject({ executions: r.executions, distinctStates: r.stateHashing.distinctStates, frontier: 0 });
    expect(r.stateHashing.distinctStates).toBeGreaterThan(0);
  });

  it('is deterministic, and a budget stops it incomplete with the frontier left', () => {
    const a = exhaustiveSearch(sim(EXIT2), { seed: SEED, preemptionBound: 2 });
    const b = exhaustiveSearch(sim(EXIT2), { seed: SEED, preemptionBound: 2 });
    expect(strip(a)).toEqual(strip(b));
    const cut = exhaustiveSearch(sim(EXIT2), { seed: SEED, maxExecutions: 5 });
    expect(cut).toMatchObject({ verdict: 'incomplete', stoppedBy: 'executions', executions: 5 });
    expect(cut.frontier).toBeGreaterThan(0);
    const first = exhaustiveSearch(sim(USE_MM, 'refcount', ['kthread-use-mm-irqs-on']), { seed: SEED, stopAtFirstViolation: true });
    expect(first).toMatchObject({ verdict: 'violates', stoppedBy: 'first-violation' });
  });

  it.each([
    ['exit2 none', () => sim(EXIT2, 'none')],
    ['exit2 refcount', () => sim(EXIT2)],
    ['use_mm mutated', () => sim(USE_MM, 'refcount', ['kthread-use-mm-irqs-on'])],
    ['use_mm shootdown', () => sim(USE_MM, 'shootdown')],
    ['execve mutated rt', () => sim(EXECVE, 'refcount', ['kernel-execve-preempt'], 'rt')],
    ['execve none rt', () => sim(EXECVE, 'none', [], 'rt')],
  ] as const)('state hashing finds exactly the reference search’s findings and verdict, in fewer executions (%s)', (_name, make) => {
    for (const bound of [0, 1, 2, Number.POSITIVE_INFINITY]) {
      if (_name.startsWith('execve') && bound > 2) continue; // the reference search alone would take minutes
      const b = Number.isFinite(bound) ? { preemptionBound: bound } : {};
      const ref = exhaustiveSearch(make(), { seed: SEED, stateHashing: 'off', ...b });
      const hashed = exhaustiveSearch(make(), { seed: SEED, ...b });
      expect(hashed.stateHashing.on).toBe(true);
      expect(hashed.verdict, `bound ${bound}`).toBe(ref.verdict);
      expect(
        hashed.findings.map((f) => `${f.class}:${f.key}`),
        `bound ${bound}`,
      ).toEqual(ref.findings.map((f) => `${f.class}:${f.key}`));
      expect(hashed.executions).toBeLessThanOrEqual(ref.executions);
      // every hashed finding replays to itself
      for (const f of hashed.findings.filter((x) => x.class === 'violation')) {
        const r = make().run(SEED, { decisions: f.decisions, choices: f.choices });
        expect([r.outcome, r.violation?.invariant]).toEqual(['violation', f.key]);
      }
    }
  });

  it('partial-order reduction (sleep sets, decided by experiment) is on for unbounded searches and finds exactly the reference search’s findings', () => {
    for (const make of [() => sim(EXIT2, 'none'), () => sim(USE_MM, 'refcount', ['kthread-use-mm-irqs-on']), () => sim(USE_MM)]) {
      const ref = exhaustiveSearch(make(), { seed: SEED, stateHashing: 'off' });
      const por = exhaustiveSearch(make(), { seed: SEED });
      expect(por.partialOrder.on).toBe(true);
      expect(por.partialOrder.slept).toBeGreaterThan(0);
      expect(por.verdict).toBe(ref.verdict);
      expect(por.findings.map((f) => `${f.class}:${f.key}`)).toEqual(ref.findings.map((f) => `${f.class}:${f.key}`));
      expect(por.executions).toBeLessThan(ref.executions);
    }
    expect(exhaustiveSearch(sim(EXIT2), { seed: SEED, preemptionBound: 2 }).partialOrder).toMatchObject({
      on: false,
      reason: expect.stringMatching(/preemption bound/),
    });
  });

  it.each(Object.keys(CANONICAL_WORKLOADS))('canonical:%s — sleep sets with hashing find what hashing alone finds, unbounded, in fewer executions', (name) => {
    for (const scheme of ['refcount', 'none'] as const) {
      if (name === 'exec-while-lazy' && scheme === 'refcount') continue; // 76 000 executions without the reduction (5 s): the none cell covers it
      const make = () => new Simulator({ plugin: referenceArch, scheme, cpus: 2, workload: `canonical:${name}` as 'default' });
      const hashed = exhaustiveSearch(make(), { seed: SEED, partialOrder: 'off' });
      const por = exhaustiveSearch(make(), { seed: SEED });
      expect(por.partialOrder.on).toBe(true);
      expect(por.verdict, scheme).toBe(hashed.verdict);
      expect(
        por.findings.map((f) => `${f.class}:${f.key}`),
        scheme,
      ).toEqual(hashed.findings.map((f) => `${f.class}:${f.key}`));
      expect(por.executions).toBeLessThan(hashed.executions);
      for (const f of por.findings.filter((x) => x.class === 'violation')) {
        const r = make().run(SEED, { decisions: f.decisions, choices: f.choices });
        expect([r.outcome, r.violation?.invariant]).toEqual(['violation', f.key]);
      }
    }
  });

  it('maxMs stops a search on the clock it is given: incomplete, stopped by time, with its frontier', () => {
    let now = 0;
    const sim = new Simulator({ plugin: referenceArch, scheme: 'refcount', cpus: 2, workload: 'canonical:hotplug-vs-exit' });
    // Each execution advances the fake clock by 1 ms: a 5 ms budget stops after 5 executions.
    const r = exhaustiveSearch(sim, { seed: runSeed(hashString128('max-ms'), 0), preemptionBound: 1, maxMs: 5, clock: () => now++ });
    expect(r.stoppedBy).toBe('time');
    expect(r.verdict).toBe('incomplete');
    expect(r.frontier).toBeGreaterThan(0);
    expect(r.executions).toBeLessThanOrEqual(5);
  });
});
