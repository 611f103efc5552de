/**
 * Swarm testing (params.ts `swarm`): off leaves every generated run and the cell JSON exactly
 * as they were before the option existed; on, each run keeps a random subset of op kinds and
 * feature classes, drawn from its own workload PRNG.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  MUNMAP_ALL, MUNMAP_FREED_TABLES, OP_CLONE_THREAD, OP_EXEC, OP_FORK, OP_IOURING_SETUP, OP_KERNEL_EXECVE, OP_MASK, OP_MIGRATE,
  OP_MUNMAP, OP_RUN, OP_SHIFT, OP_SLEEP, OP_USE_MM, OP_YIELD, TASK_KTHREAD,
} from '../model/constants.js';
import type { Kernel } from '../model/kernel.js';
import { hashString128, runSeed, type RunSeed } from '../prng/seed.js';
import { Sfc32 } from '../prng/sfc32.js';
import { referenceArch } from '../reference-arch/reference-arch.js';
import { canonicalJson } from '../run/canonical.js';
import { Simulator } from '../run/simulator.js';
import {
  SWARM_EXEC, SWARM_FEATURE_BITS, SWARM_FEATURE_NAMES, SWARM_FORKS, SWARM_IO_WORKERS, SWARM_KIND_BITS, SWARM_KTHREADS, SWARM_THREADS,
  SWARM_TICKS, SWARM_USERMODEHELPERS, SWARM_VCPU, WorkloadGenerator,
} from './generate.js';
import { WorkloadParams } from './params.js';
import { PROFILE_NAMES, resolveWorkload, type WorkloadSpec } from './profiles.js';

function makeSim(workload: WorkloadSpec, cpus: number, scheme: 'refcount' | 'shootdown' = 'refcount', pct = false): Simulator {
  return new Simulator({ plugin: referenceArch, scheme, cpus, workload, ...(pct ? { strategy: { kind: 'pct', depth: 3 } } : {}) });
}
function paramsOf(sim: Simulator): WorkloadParams {
  return (sim.cell.workload as { params: WorkloadParams }).params;
}

/** Everything the generator writes, serialised. */
function generated(k: Kernel, est: number): string {
  const n = k.ntasks;
  const rq: number[][] = [];
  for (let c = 0; c < k.ncpu; c++) {
    const q: number[] = [];
    for (let j = 0; j < k.rqLen[c]!; j++) q.push(k.rq[c * k.taskCapacity + ((k.rqHead[c]! + j) % k.taskCapacity)]!);
    rq.push(q);
  }
  return JSON.stringify({
    prog: Array.from(k.prog.subarray(0, k.progLen)),
    kind: Array.from(k.taskKind.subarray(0, n)), state: Array.from(k.taskState.subarray(0, n)),
    cpu: Array.from(k.taskCpu.subarray(0, n)), pc: Array.from(k.taskPc.subarray(0, n)), end: Array.from(k.taskEnd.subarray(0, n)),
    mm: Array.from(k.taskMm.subarray(0, n)), activeMm: Array.from(k.taskActiveMm.subarray(0, n)),
    nmm: k.nmm, rq, est, tick: k.tickBudget, vcpu: k.vcpuBudget,
    vcpuAt: Array.from(k.vcpuAt.subarray(0, k.vcpuBudget)), vcpuFor: Array.from(k.vcpuFor.subarray(0, k.vcpuBudget)),
  });
}

/** Seed `i` of the snapshot sequence (independent of any cell id). */
const snapSeed = (i: number): RunSeed => runSeed(hashString128('swarm-snapshot'), i);

/** Load run `i` with the generator alone (the simulator only sizes the Kernel and provides the arch). */
function load(sim: Simulator, g: WorkloadGenerator, seed: RunSeed): string {
  const k = sim.k;
  k.resetState();
  k.arch.reset(k);
  return generated(k, g.generate(k, new Sfc32(seed[0], seed[1], seed[2], seed[3])));
}
const sha = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 16);

/**
 * Recorded with the generator as it was before `swarm` existed (commit e9e8c99): sha256 of
 * everything it wrote for snapSeed(0..3), and of the cell's canonical workload JSON.
 */
const SNAPSHOT: { spec: WorkloadSpec; cpus: number; runs: string[]; workload: string }[] = [
  { spec: { profile: 'default' }, cpus: 2, runs: ['d19e5bd5d41aee7a', '61111d76edf6f557', '74355e151c1b2b83', 'da26110cdc49b876'], workload: '6b9fcaea2005fb8e' },
  { spec: { profile: 'default' }, cpus: 4, runs: ['43fe94fd47456e9e', '3389db033659b6dd', '18444d34088c1d55', '4ad4d4a3e41cb6b8'], workload: '6b9fcaea2005fb8e' },
  { spec: { profile: 'exit-heavy' }, cpus: 4, runs: ['2b9982c1de4fd519', '8727fa5e5c18ce25', '5c36a7cc71c8bc04', '863ddf8d11a1fdb8'], workload: '97f4efc3ee086f2e' },
  { spec: { profile: 'kthread-heavy' }, cpus: 2, runs: ['bca2a81ea69aacea', '1543ebca61fa1e27', '86c87a897bc2ed5b', '932940a85c23547e'], workload: '2138025a325be1cf' },
  { spec: { profile: 'idle-heavy' }, cpus: 4, runs: ['0a217e17e08d4524', '244789f44e2e4500', 'd7fbeb31b5fbc0b4', '87dcd7bac3479499'], workload: '73ae7bcca5867f70' },
  {
    spec: {
      profile: 'default',
      params: { processes: 8, threadsPerProcess: 8, forksPerProcess: 4, execRate: 1, kthreads: 8, ioWorkers: 4, usermodehelpers: 4, opsPerTask: 64, tickPreemptions: 64, vcpuPreemptions: 64 },
    },
    cpus: 8,
    runs: ['15ba4eef5abcbbc0', 'b0cd31115e45e01b', '96d8a1f0ac8596da', '40b48368bf53f469'],
    workload: 'af6627ebb9220fe4',
  },
  {
    spec: { profile: 'default', params: { ops: { run: 0, munmap: 0, sleep: 0, migrate: 4 } } },
    cpus: 3,
    runs: ['11c08d0e62b5061a', 'ac3309396ecdfb00', '9b381180bd1fc272', 'af226caecae8272d'],
    workload: '2de673ef53afbe46',
  },
];

/** Which body op kinds (bits 0..6) and feature ops a loaded run contains. */
function inventory(k: Kernel): { kinds: number; ops: Set<number>; pureKthreads: number; ioWorkers: number; helpers: number } {
  let kinds = 0;
  const ops = new Set<number>();
  let pureKthreads = 0;
  let ioWorkers = 0;
  let helpers = 0;
  for (let t = 0; t < k.ntasks; t++) {
    const prog = Array.from(k.prog.subarray(k.taskPc[t]!, k.taskEnd[t]!)).map((w) => [w & OP_MASK, w >> OP_SHIFT] as const);
    const io = prog.some(([o]) => o === OP_USE_MM);
    const helper = prog.some(([o]) => o === OP_KERNEL_EXECVE);
    if (k.taskKind[t] === TASK_KTHREAD) {
      if (io) ioWorkers++;
      else if (helper) helpers++;
      else pureKthreads++;
    }
    for (const [o, a] of prog) {
      ops.add(o);
      if (o === OP_RUN) kinds |= 1;
      else if (o === OP_MUNMAP) kinds |= a === 0 ? 2 : a === MUNMAP_FREED_TABLES ? 4 : a === MUNMAP_ALL ? 8 : 0;
      else if (o === OP_SLEEP && !io) kinds |= 16;
      else if (o === OP_YIELD) kinds |= 32;
      else if (o === OP_MIGRATE) kinds |= 64;
    }
  }
  return { kinds, ops, pureKthreads, ioWorkers, helpers };
}

const popcount = (x: number): number => {
  let n = 0;
  for (; x !== 0; x &= x - 1) n++;
  return n;
};

describe('swarm off (omitted): identical to the generator before swarm existed', () => {
  it('generates exactly the recorded runs', () => {
    for (const { spec, cpus, runs } of SNAPSHOT) {
      const sim = makeSim(spec, cpus);
      const g = new WorkloadGenerator(paramsOf(sim));
      const got = runs.map((_, i) => sha(load(sim, g, snapSeed(i))));
      expect(got, JSON.stringify(spec)).toEqual(runs);
      expect(g.swarmKept).toBe(SWARM_KIND_BITS | SWARM_FEATURE_BITS);
    }
  });

  it('the simulator loads the same runs as the generator alone', () => {
    const { spec, cpus } = SNAPSHOT[1]!;
    const sim = makeSim(spec, cpus);
    const g = new WorkloadGenerator(paramsOf(sim));
    for (let i = 0; i < 4; i++) {
      const expected = load(sim, g, snapSeed(i));
      sim.begin(snapSeed(i));
      expect(generated(sim.k, sim.estimatedSteps)).toBe(expected);
    }
  });

  it('leaves the canonical cell JSON unchanged (no swarm key anywhere)', () => {
    for (const { spec, cpus, workload } of SNAPSHOT) {
      const sim = makeSim(spec, cpus);
      expect(sha(canonicalJson(sim.cell.workload)), JSON.stringify(spec)).toBe(workload);
      expect(sim.cellId).not.toContain('swarm');
      expect('swarm' in paramsOf(sim)).toBe(false);
    }
    for (const profile of PROFILE_NAMES) expect('swarm' in resolveWorkload(profile).params, profile).toBe(false);
  });
});

describe('swarm parameter', () => {
  it('is a probability in [0, 1], recorded in the cell when given', () => {
    expect(resolveWorkload({ profile: 'default', params: { swarm: 0.5 } }).params.swarm).toBe(0.5);
    expect(resolveWorkload({ profile: 'default', params: { swarm: 0 } }).params.swarm).toBe(0);
    expect(() => resolveWorkload({ profile: 'default', params: { swarm: 1.5 } })).toThrow(/swarm/);
    expect(() => resolveWorkload({ profile: 'default', params: { swarm: -0.1 } })).toThrow(/swarm/);
    expect(makeSim({ profile: 'default', params: { swarm: 0.5 } }, 2).cellId).toContain('"swarm":0.5');
    expect(WorkloadParams.shape.swarm.description).toMatch(/munmapFreeTables.*threads.*forks.*exec.*kthreads.*ioWorkers.*usermodehelpers.*tickPreemptions.*vcpuPreemptions/s);
  });
});

describe('swarm on', () => {
  /** A generator for `params` over the default profile, with a simulator that sizes its Kernel. */
  function setup(params: NonNullable<Exclude<WorkloadSpec, string>['params']>, cpus = 4): { sim: Simulator; g: WorkloadGenerator; p: WorkloadParams } {
    const sim = makeSim({ profile: 'default', params }, cpus);
    const p = paramsOf(sim);
    return { sim, g: new WorkloadGenerator(p), p };
  }

  it('different runs keep different subsets; never zero op kinds; programs use only the kept kinds and features', () => {
    // kthread-heavy-ish sizes so every feature class is on, exec always when kept.
    const { sim, g, p } = setup({ swarm: 0.5, execRate: 1, forksPerProcess: 2, ioWorkers: 2, usermodehelpers: 2, kthreads: 2 });
    const masks = new Map<number, number>();
    const keptCount = new Array<number>(16).fill(0);
    const N = 600;
    for (let i = 0; i < N; i++) {
      load(sim, g, snapSeed(i));
      const m = g.swarmKept;
      masks.set(m, (masks.get(m) ?? 0) + 1);
      for (let b = 0; b < 16; b++) if ((m & (1 << b)) !== 0) keptCount[b]!++;
      const k = sim.k;
      const inv = inventory(k);
      const ctx = `run ${i} kept ${m.toString(16)}`;
      expect(m & SWARM_KIND_BITS, ctx).not.toBe(0);
      expect(inv.kinds & ~m, ctx).toBe(0); // no body op of a dropped kind
      if ((m & SWARM_THREADS) === 0) expect(inv.ops.has(OP_CLONE_THREAD), ctx).toBe(false);
      if ((m & SWARM_FORKS) === 0) expect(inv.ops.has(OP_FORK), ctx).toBe(false);
      if ((m & SWARM_EXEC) === 0) expect(inv.ops.has(OP_EXEC), ctx).toBe(false);
      if ((m & SWARM_FORKS) !== 0 && (m & SWARM_EXEC) !== 0 && inv.ops.has(OP_FORK)) expect(inv.ops.has(OP_EXEC), ctx).toBe(true);
      expect(inv.pureKthreads, ctx).toBe((m & SWARM_KTHREADS) !== 0 ? p.kthreads : 0);
      expect(inv.ioWorkers, ctx).toBe((m & SWARM_IO_WORKERS) !== 0 ? p.ioWorkers : 0);
      expect(inv.ops.has(OP_IOURING_SETUP), ctx).toBe((m & SWARM_IO_WORKERS) !== 0);
      expect(inv.helpers, ctx).toBe((m & SWARM_USERMODEHELPERS) !== 0 ? p.usermodehelpers : 0);
      expect(k.tickBudget, ctx).toBe((m & SWARM_TICKS) !== 0 ? p.tickPreemptions : 0);
      expect(k.vcpuBudget, ctx).toBe((m & SWARM_VCPU) !== 0 ? p.vcpuPreemptions : 0);
    }
    expect(masks.size).toBeGreaterThan(N / 2); // 2^15 possible subsets: nearly every run differs
    // Each kind and class is kept about half the time (binomial(600, 0.5): sd 12.2; the op kinds
    // slightly more, from the at-least-one rule).
    for (let b = 0; b < 7; b++) expect(keptCount[b], `kind ${b}`).toBeGreaterThan(240);
    for (let b = 0; b < 7; b++) expect(keptCount[b], `kind ${b}`).toBeLessThan(360);
    SWARM_FEATURE_NAMES.forEach((name, j) => {
      expect(keptCount[8 + j], name).toBeGreaterThan(240);
      expect(keptCount[8 + j], name).toBeLessThan(360);
    });
  });

  it('swarm 0 keeps exactly one op kind (each positive one, about uniformly) and no feature class', () => {
    const { sim, g } = setup({ swarm: 0, ops: { munmapAll: 0 } });
    const seen = new Array<number>(7).fill(0);
    for (let i = 0; i < 300; i++) {
      load(sim, g, snapSeed(i));
      const m = g.swarmKept;
      expect(popcount(m)).toBe(1);
      expect(inventory(sim.k).kinds & ~m).toBe(0);
      seen[Math.log2(m)]!++;
    }
    expect(seen[3]).toBe(0); // munmapAll has weight 0: never chosen
    for (const b of [0, 1, 2, 4, 5, 6]) expect(seen[b], `kind ${b}`).toBeGreaterThan(25); // 50 expected
  });

  it('swarm 1 keeps every enabled op kind and feature class', () => {
    const { sim, g } = setup({ swarm: 1, ops: { yield: 0 } });
    for (let i = 0; i < 20; i++) {
      load(sim, g, snapSeed(i));
      expect(g.swarmKept).toBe((SWARM_KIND_BITS & ~32) | SWARM_FEATURE_BITS);
    }
  });

  it('kept kinds are drawn in proportion to their weights', () => {
    // Only run (3) and sleep (1) are positive; with swarm 1 both are always kept.
    const { sim, g } = setup({ swarm: 1, opsPerTask: 64, ops: { run: 3, munmap: 0, munmapFreeTables: 0, munmapAll: 0, sleep: 1, yield: 0, migrate: 0 } });
    let run = 0;
    let sleep = 0;
    for (let i = 0; i < 100; i++) {
      load(sim, g, snapSeed(i));
      const k = sim.k;
      for (let t = 0; t < k.ntasks; t++) {
        const prog = Array.from(k.prog.subarray(k.taskPc[t]!, k.taskEnd[t]!));
        if (prog.some((w) => (w & OP_MASK) === OP_USE_MM)) continue;
        for (const w of prog) {
          if ((w & OP_MASK) === OP_RUN) run++;
          if ((w & OP_MASK) === OP_SLEEP) sleep++;
        }
      }
    }
    expect(run / (run + sleep)).toBeGreaterThan(0.72);
    expect(run / (run + sleep)).toBeLessThan(0.78);
  });

  it('is deterministic: the same seed keeps the same subset and program, whatever ran before', () => {
    const { sim, g } = setup({ swarm: 0.5 });
    const first = load(sim, g, snapSeed(7));
    const kept = g.swarmKept;
    load(sim, g, snapSeed(8));
    load(sim, g, snapSeed(9));
    expect(load(sim, g, snapSeed(7))).toBe(first);
    expect(g.swarmKept).toBe(kept);
    const fresh = setup({ swarm: 0.5 });
    expect(load(fresh.sim, fresh.g, snapSeed(7))).toBe(first);
    // and the simulator loads it from the run seed
    sim.begin(snapSeed(7));
    expect(generated(sim.k, sim.estimatedSteps)).toBe(first);
  });

  it('only shrinks runs: everything stays within workloadBounds of the unswarmed parameters', () => {
    const { sim, g } = setup({ swarm: 0.3, processes: 8, threadsPerProcess: 8, forksPerProcess: 4, execRate: 1, ioWorkers: 4, usermodehelpers: 4, kthreads: 8, opsPerTask: 64 }, 8);
    for (let i = 0; i < 100; i++) load(sim, g, snapSeed(i)); // allocMm throws past the capacity the bounds gave
    expect(sim.k.ntasks).toBeLessThanOrEqual(sim.k.taskCapacity);
  });

  it('runs terminate and are clean with the reference arch under refcount and shootdown', () => {
    const bad: string[] = [];
    let runs = 0;
    for (const profile of PROFILE_NAMES) {
      for (const cpus of [2, 4]) {
        for (const [scheme, pct] of [['refcount', false], ['refcount', true], ['shootdown', true]] as const) {
          const sim = makeSim({ profile, params: { swarm: 0.5 } }, cpus, scheme, pct);
          const cell = hashString128(sim.cellId);
          for (let i = 0; i < 25; i++) {
            const r = sim.run(runSeed(cell, i));
            runs++;
            if (r.outcome !== 'ok') bad.push(`${profile}/${cpus}/${scheme}/${pct ? 'pct' : 'random'} run ${i}: ${r.outcome} ${r.violation?.invariant ?? ''} ${r.violation?.message ?? r.pluginError?.message ?? ''}`);
          }
        }
      }
    }
    expect(runs).toBe(750);
    expect(bad).toEqual([]);
  });
});
