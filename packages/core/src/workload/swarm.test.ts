/**
 * Swarm testing (params.ts `swarm`): off leaves every generated run and the cell JSON exactly
 * as they were before the option existed; on, each run keeps a random subset of op kinds and
 * feature classes, drawn from its own workload PRNG.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  MUNMAP_ALL,
  MUNMAP_FREED_TABLES,
  OP_CLONE_THREAD,
  OP_EXEC,
  OP_FORK,
  OP_USE_MM_SETUP,
  OP_KERNEL_EXECVE,
  OP_MASK,
  OP_MIGRATE,
  OP_MUNMAP,
  OP_RUN,
  OP_SHIFT,
  OP_SLEEP,
  OP_USE_MM,
  OP_YIELD,
  TASK_KTHREAD,
  OP_MREMAP,
  OP_MEMBARRIER_REGISTER,
  OP_TEXT_POKE,
  OP_KHUGEPAGED,
  OP_RECLAIM,
  OP_SUSPEND,
  OP_IO_RING_EXIT,
  OP_IO_URING_SETUP,
  OP_KWORK,
  TASK_USER,
} from '../machine/constants.js';
import type { Kernel } from '../model/kernel.js';
import { hashString128, runSeed, type RunSeed } from '../prng/seed.js';
import { Sfc32 } from '../prng/sfc32.js';
import { referenceArch } from '../reference-arch/reference-arch.js';
import { canonicalJson } from '../run/canonical.js';
import { Simulator } from '../run/simulator.js';
import {
  SWARM_DEEP_IDLES,
  SWARM_EXEC,
  SWARM_FEATURE_BITS,
  SWARM_FEATURE_NAMES,
  SWARM_FORKS,
  SWARM_IO_URING,
  SWARM_KHUGEPAGED,
  SWARM_KIND_BITS,
  SWARM_KTHREADS,
  SWARM_RECLAIMS,
  SWARM_SUSPENDS,
  SWARM_THREADS,
  SWARM_TICKS,
  SWARM_USE_MM_WORKERS,
  SWARM_USERMODEHELPERS,
  SWARM_VCPU,
  WorkloadGenerator,
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
    kind: Array.from(k.taskKind.subarray(0, n)),
    state: Array.from(k.taskState.subarray(0, n)),
    cpu: Array.from(k.taskCpu.subarray(0, n)),
    pc: Array.from(k.taskPc.subarray(0, n)),
    end: Array.from(k.taskEnd.subarray(0, n)),
    mm: Array.from(k.taskMm.subarray(0, n)),
    activeMm: Array.from(k.taskActiveMm.subarray(0, n)),
    nmm: k.nmm,
    rq,
    est,
    tick: k.tickBudget,
    idle: k.idleBudget,
    vcpu: k.vcpuBudget,
    slots: Array.from(k.mmSlotHeld.subarray(0, k.nmm)),
    vcpuAt: Array.from(k.vcpuAt.subarray(0, k.vcpuBudget)),
    vcpuFor: Array.from(k.vcpuFor.subarray(0, k.vcpuBudget)),
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
 * sha256 of everything the generator wrote for snapSeed(0..3), and of the cell's canonical
 * workload JSON. First recorded before `swarm` existed (commit e9e8c99); re-recorded when the
 * workload gained today's io_uring, deep idle, khugepaged, reclaim, suspend, mremap, membarrier
 * and text_poke (lazytlb 0.2), and when the generated membarrier op became "register on first use,
 * then MEMBARRIER_CMD_PRIVATE_EXPEDITED" (fidelity II: its argument word changed; runs without
 * a membarrier op are unchanged): swarm off must keep generating exactly these.
 */
const SNAPSHOT: { spec: WorkloadSpec; cpus: number; runs: string[]; workload: string }[] = [
  {
    spec: { profile: 'default' },
    cpus: 2,
    runs: ['9ca4100f33f32790', '127d227a16dab052', '5b2bf5f1b051fbcf', '6f5ce8b6971d85ed'],
    workload: '3ace81911c22397a',
  },
  {
    spec: { profile: 'default' },
    cpus: 4,
    runs: ['a0577070ac55b855', '05f273365984709c', 'c2e1b04876c310af', '1d156dac30fe27c4'],
    workload: '3ace81911c22397a',
  },
  {
    spec: { profile: 'exit-heavy' },
    cpus: 4,
    runs: ['404f8bede68846e7', '4ecc966b7262191e', '6454a57aa20e1813', '1abb842959bcf2af'],
    workload: '916cb16ddd2b3c54',
  },
  {
    spec: { profile: 'kthread-heavy' },
    cpus: 2,
    runs: ['bc159d5a20fe9884', '5cb4ff82ba2d2d06', 'eca337615e2ebcea', 'b56a216845e52518'],
    workload: 'eee4a5f0103b4d8b',
  },
  {
    spec: { profile: 'idle-heavy' },
    cpus: 4,
    runs: ['30cbc0147d80888e', 'fdd0ee10034b5f06', '19fc37a781b9005b', '27da451b6bd8cf88'],
    workload: '6c6267d6a1b933f3',
  },
  {
    spec: {
      profile: 'default',
      params: {
        processes: 8,
        threadsPerProcess: 8,
        forksPerProcess: 4,
        execRate: 1,
        kthreads: 8,
        useMmWorkers: 4,
        usermodehelpers: 4,
        opsPerTask: 64,
        tickPreemptions: 64,
        vcpuPreemptions: 64,
      },
    },
    cpus: 8,
    runs: ['5d1ec4770a2feba3', '1562b21569dff0c3', 'b3474c96530801fe', 'c2f945afab82bd03'],
    workload: '02d1701e0cad9fb7',
  },
  {
    spec: { profile: 'default', params: { ops: { run: 0, munmap: 0, sleep: 0, migrate: 4 } } },
    cpus: 3,
    runs: ['00f89fc63a9781dd', 'c673dfcf894f79c6', 'c1b3d197a3bb189d', 'dd659ff9b1b8fb45'],
    workload: '498a4928f0bb4086',
  },
];

/**
 * Which body op kinds (bits 0..9) and feature ops a loaded run contains. Programs that are not
 * made of body ops (kthread_use_mm workers, khugepaged / kswapd / the suspend kworker, the ring's
 * io-wq thread and exit kworker) count only as features.
 */
function inventory(k: Kernel): {
  kinds: number;
  ops: Set<number>;
  pureKthreads: number;
  useMmWorkers: number;
  helpers: number;
  daemons: number;
  rings: number;
} {
  let kinds = 0;
  const ops = new Set<number>();
  let pureKthreads = 0;
  let useMmWorkers = 0;
  let helpers = 0;
  let daemons = 0;
  let rings = 0;
  for (let t = 0; t < k.ntasks; t++) {
    const prog = Array.from(k.prog.subarray(k.taskPc[t]!, k.taskEnd[t]!)).map((w) => [w & OP_MASK, w >> OP_SHIFT] as const);
    const io = prog.some(([o]) => o === OP_USE_MM);
    const helper = prog.some(([o]) => o === OP_KERNEL_EXECVE);
    const daemon = prog.some(([o]) => o === OP_KHUGEPAGED || o === OP_RECLAIM || o === OP_SUSPEND);
    const ringTask = prog.some(([o]) => o === OP_IO_RING_EXIT) || (k.taskKind[t] === TASK_USER && prog.some(([o]) => o === OP_KWORK));
    if (prog.some(([o]) => o === OP_IO_URING_SETUP)) rings++;
    for (const [o] of prog) ops.add(o);
    if (k.taskKind[t] === TASK_KTHREAD) {
      if (io) useMmWorkers++;
      else if (helper) helpers++;
      else if (daemon) daemons++;
      else if (!ringTask) pureKthreads++;
    }
    if (io || daemon || ringTask) continue;
    for (const [o, a] of prog) {
      if (o === OP_RUN) kinds |= 1;
      else if (o === OP_MUNMAP) kinds |= a === 0 ? 2 : a === MUNMAP_FREED_TABLES ? 4 : a === MUNMAP_ALL ? 8 : 0;
      else if (o === OP_SLEEP) kinds |= 16;
      else if (o === OP_YIELD) kinds |= 32;
      else if (o === OP_MIGRATE) kinds |= 64;
      else if (o === OP_MREMAP) kinds |= 128;
      else if (o === OP_MEMBARRIER_REGISTER) kinds |= 256;
      else if (o === OP_TEXT_POKE) kinds |= 512;
    }
  }
  return { kinds, ops, pureKthreads, useMmWorkers, helpers, daemons, rings };
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
    expect(WorkloadParams.shape.swarm.description).toMatch(
      /munmapFreeTables.*threads.*forks.*exec.*kthreads.*useMmWorkers.*usermodehelpers.*tickPreemptions.*vcpuPreemptions.*ioUring.*deepIdles.*khugepagedScans.*reclaims.*suspends/s,
    );
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
    const { sim, g, p } = setup({ swarm: 0.5, execRate: 1, forksPerProcess: 2, useMmWorkers: 2, usermodehelpers: 2, kthreads: 2, ops: { munmapAll: 0 } });
    const masks = new Map<number, number>();
    const keptCount = new Array<number>(32).fill(0);
    const N = 600;
    for (let i = 0; i < N; i++) {
      load(sim, g, snapSeed(i));
      const m = g.swarmKept;
      masks.set(m, (masks.get(m) ?? 0) + 1);
      for (let b = 0; b < 32; b++) if ((m & (1 << b)) !== 0) keptCount[b]!++;
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
      expect(inv.useMmWorkers, ctx).toBe((m & SWARM_USE_MM_WORKERS) !== 0 ? p.useMmWorkers : 0);
      expect(inv.ops.has(OP_USE_MM_SETUP), ctx).toBe((m & SWARM_USE_MM_WORKERS) !== 0);
      expect(inv.helpers, ctx).toBe((m & SWARM_USERMODEHELPERS) !== 0 ? p.usermodehelpers : 0);
      expect(k.tickBudget, ctx).toBe((m & SWARM_TICKS) !== 0 ? p.tickPreemptions : 0);
      expect(k.vcpuBudget, ctx).toBe((m & SWARM_VCPU) !== 0 ? p.vcpuPreemptions : 0);
      expect(k.idleBudget, ctx).toBe((m & SWARM_DEEP_IDLES) !== 0 ? p.deepIdles : 0);
      expect(inv.rings, ctx).toBe((m & SWARM_IO_URING) !== 0 ? Math.min(p.ioUring, p.processes) : 0);
      const daemons = ((m & SWARM_KHUGEPAGED) !== 0 ? 1 : 0) + ((m & SWARM_RECLAIMS) !== 0 ? 1 : 0) + ((m & SWARM_SUSPENDS) !== 0 ? 1 : 0);
      expect(inv.daemons, ctx).toBe(daemons);
    }
    expect(masks.size).toBeGreaterThan(N / 2); // 2^22 possible subsets: nearly every run differs
    // Each kind and class is kept about half the time (binomial(600, 0.5): sd 12.2; the op kinds
    // slightly more, from the at-least-one rule). munmapAll has weight 0 here (it ends programs).
    for (const b of [0, 1, 2, 4, 5, 6, 7, 8, 9]) expect(keptCount[b], `kind ${b}`).toBeGreaterThan(240);
    for (const b of [0, 1, 2, 4, 5, 6, 7, 8, 9]) expect(keptCount[b], `kind ${b}`).toBeLessThan(360);
    SWARM_FEATURE_NAMES.forEach((name, j) => {
      expect(keptCount[16 + j], name).toBeGreaterThan(240);
      expect(keptCount[16 + j], name).toBeLessThan(360);
    });
  });

  it('swarm 0 keeps exactly one op kind (each positive one, about uniformly) and no feature class', () => {
    const { sim, g } = setup({ swarm: 0, ops: { munmapAll: 0 } });
    const seen = new Array<number>(10).fill(0);
    for (let i = 0; i < 450; i++) {
      load(sim, g, snapSeed(i));
      const m = g.swarmKept;
      expect(popcount(m)).toBe(1);
      expect(inventory(sim.k).kinds & ~m).toBe(0);
      seen[Math.log2(m)]!++;
    }
    expect(seen[3]).toBe(0); // munmapAll has weight 0: never chosen
    for (const b of [0, 1, 2, 4, 5, 6, 7, 8, 9]) expect(seen[b], `kind ${b}`).toBeGreaterThan(25); // 50 expected
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
    const { sim, g } = setup({
      swarm: 1,
      opsPerTask: 64,
      khugepagedScans: 0,
      reclaims: 0,
      suspends: 0,
      ioUring: 0,
      ops: { run: 3, munmap: 0, munmapFreeTables: 0, munmapAll: 0, sleep: 1, yield: 0, migrate: 0, mremap: 0, membarrier: 0, textPoke: 0 },
    });
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
    const { sim, g } = setup(
      { swarm: 0.3, processes: 8, threadsPerProcess: 8, forksPerProcess: 4, execRate: 1, useMmWorkers: 4, usermodehelpers: 4, kthreads: 8, opsPerTask: 64 },
      8,
    );
    for (let i = 0; i < 100; i++) load(sim, g, snapSeed(i)); // allocMm throws past the capacity the bounds gave
    expect(sim.k.ntasks).toBeLessThanOrEqual(sim.k.taskCapacity);
  });

  it('runs terminate and are clean with the reference arch under refcount and shootdown', () => {
    const bad: string[] = [];
    let runs = 0;
    for (const profile of PROFILE_NAMES) {
      for (const cpus of [2, 4]) {
        for (const [scheme, pct] of [
          ['refcount', false],
          ['refcount', true],
          ['shootdown', true],
        ] as const) {
          const sim = makeSim({ profile, params: { swarm: 0.5 } }, cpus, scheme, pct);
          const cell = hashString128(sim.cellId);
          for (let i = 0; i < 25; i++) {
            const r = sim.run(runSeed(cell, i));
            runs++;
            if (r.outcome !== 'ok')
              bad.push(
                `${profile}/${cpus}/${scheme}/${pct ? 'pct' : 'random'} run ${i}: ${r.outcome} ${r.violation?.invariant ?? ''} ${r.violation?.message ?? r.pluginError?.message ?? ''}`,
              );
          }
        }
      }
    }
    expect(runs).toBe(PROFILE_NAMES.length * 2 * 3 * 25);
    expect(bad).toEqual([]);
  });
});
