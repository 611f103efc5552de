import { describe, expect, it } from 'vitest';
import {
  INIT_MM,
  MUNMAP_ALL,
  MUNMAP_FREED_TABLES,
  NO_MM,
  OP_CLONE_THREAD,
  OP_EXEC,
  OP_EXIT,
  OP_FORK,
  OP_USE_MM_SETUP,
  OP_KERNEL_EXECVE,
  OP_KWORK,
  OP_MASK,
  OP_MIGRATE,
  OP_MUNMAP,
  OP_NAMES,
  OP_RUN,
  OP_SHIFT,
  OP_SLEEP,
  OP_UNUSE_MM,
  OP_USE_MM,
  OP_YIELD,
  TASK_IDLE,
  TASK_KTHREAD,
  TASK_USER,
  TS_RUNNABLE,
  TS_RUNNING,
  TS_UNSTARTED,
  OP_CPU_DOWN,
  OP_CPU_UP,
  OP_CPUHP,
  OP_IO_URING_SETUP,
  OP_IO_RING_EXIT,
  OP_PAIR_MASK,
  OP_PAIR_SHIFT,
  OP_MREMAP,
  OP_MEMBARRIER_REGISTER,
  MEMBARRIER_AND_COMMAND,
  OP_TEXT_POKE,
  OP_KHUGEPAGED,
  OP_RECLAIM,
  OP_SUSPEND,
} from '../machine/constants.js';
import type { Kernel } from '../model/kernel.js';
import { hashString128, runSeed, type RunSeed } from '../prng/seed.js';
import { referenceArch } from '../reference-arch/reference-arch.js';
import { Simulator } from '../run/simulator.js';
import { workloadBounds } from './generate.js';
import type { WorkloadParams, WorkloadParamsInput } from './params.js';
import { PROFILE_NAMES, type ProfileName } from './profiles.js';

type Overrides = Partial<Omit<WorkloadParamsInput, 'ops'>> & { ops?: Partial<WorkloadParams['ops']> };

function makeSim(profile: ProfileName, cpus: number, params?: Overrides): Simulator {
  return new Simulator({ plugin: referenceArch, scheme: 'refcount', cpus, workload: params ? { profile, params } : profile });
}

function paramsOf(sim: Simulator): WorkloadParams {
  return (sim.cell.workload as { params: WorkloadParams }).params;
}

const op = (w: number): number => w & OP_MASK;
const arg = (w: number): number => w >> OP_SHIFT;

function program(k: Kernel, t: number): number[] {
  return Array.from(k.prog.subarray(k.taskPc[t]!, k.taskEnd[t]!));
}

function queued(k: Kernel): Map<number, number> {
  const out = new Map<number, number>(); // task -> cpu whose runqueue holds it
  for (let c = 0; c < k.ncpu; c++) {
    for (let j = 0; j < k.rqLen[c]!; j++) out.set(k.rq[c * k.taskCapacity + ((k.rqHead[c]! + j) % k.taskCapacity)]!, c);
  }
  return out;
}

/** A copy of everything the generator writes, for determinism checks. */
function snapshot(sim: Simulator): unknown {
  const k = sim.k;
  const n = k.ntasks;
  return {
    prog: Array.from(k.prog.subarray(0, k.progLen)),
    kind: Array.from(k.taskKind.subarray(0, n)),
    state: Array.from(k.taskState.subarray(0, n)),
    cpu: Array.from(k.taskCpu.subarray(0, n)),
    pc: Array.from(k.taskPc.subarray(0, n)),
    end: Array.from(k.taskEnd.subarray(0, n)),
    mm: Array.from(k.taskMm.subarray(0, n)),
    activeMm: Array.from(k.taskActiveMm.subarray(0, n)),
    nmm: k.nmm,
    queued: [...queued(k).entries()],
    est: sim.estimatedSteps,
  };
}

/**
 * Structural checks of a freshly generated run; returns a list of problems (empty = fine) so a
 * sweep over hundreds of seeds reports every failure at once, with its context.
 */
function checkGenerated(sim: Simulator, ctx: string): string[] {
  const k = sim.k;
  const p = paramsOf(sim);
  const ncpu = k.ncpu;
  const problems: string[] = [];
  const bad = (msg: string): void => void problems.push(`${ctx}: ${msg}`);
  const b = workloadBounds(p, ncpu);

  if (k.ntasks > b.tasks) bad(`${k.ntasks} tasks > bound ${b.tasks}`);
  if (k.nmm > b.mms) bad(`${k.nmm} mms > bound ${b.mms}`);
  if (k.progLen > b.progWords) bad(`${k.progLen} program words > bound ${b.progWords}`);
  if (!(sim.estimatedSteps > 0)) bad(`estimated steps ${sim.estimatedSteps} not positive`);
  if (sim.estimatedSteps < k.progLen) bad(`estimated steps ${sim.estimatedSteps} < program words ${k.progLen}`);
  if (k.tickBudget !== p.tickPreemptions) bad(`tickBudget ${k.tickBudget} != ${p.tickPreemptions}`);
  if (k.idleBudget !== p.deepIdles) bad(`idleBudget ${k.idleBudget} != ${p.deepIdles}`);
  if (k.vcpuBudget !== p.vcpuPreemptions) bad(`vcpuBudget ${k.vcpuBudget} != ${p.vcpuPreemptions}`);

  // Idle tasks: ids 0..ncpu-1, running on their CPU with init_mm as active_mm.
  for (let c = 0; c < ncpu; c++) {
    if (k.taskKind[c] !== TASK_IDLE || k.taskState[c] !== TS_RUNNING || k.cpuCurr[c] !== c || k.taskActiveMm[c] !== INIT_MM || k.taskMm[c] !== NO_MM) {
      bad(`idle task ${c} is not set up as CPU${c}'s running idle task`);
    }
  }

  // Who starts whom.
  const startedBy = new Map<number, { by: number; op: number }[]>();
  const q = queued(k);
  const ranges: [number, number][] = [];
  let leaders = 0;
  const leaderMms = new Set<number>();
  for (let t = ncpu; t < k.ntasks; t++) {
    const kind = k.taskKind[t]!;
    if (kind === TASK_IDLE) bad(`task ${t} past the idle tasks is an idle task`);
    if (k.taskCpu[t]! < 0 || k.taskCpu[t]! >= ncpu) bad(`task ${t} on CPU ${k.taskCpu[t]}`);
    const prog = program(k, t);
    ranges.push([k.taskPc[t]!, k.taskEnd[t]!]);
    if (prog.length === 0) {
      bad(`task ${t} has an empty program`);
      continue;
    }
    if (k.taskEnd[t]! > k.progLen) bad(`task ${t}'s program ends past progLen`);
    // A cpuhp/N thread runs its teardown and parks for good (take_cpu_down): [cpuhp], no exit.
    const cpuhp = prog.length === 1 && op(prog[0]!) === OP_CPUHP;
    if (cpuhp && (kind !== TASK_KTHREAD || k.taskState[t] !== TS_UNSTARTED)) bad(`cpuhp thread ${t} is not an unstarted kernel thread`);
    if (!cpuhp && op(prog[prog.length - 1]!) !== OP_EXIT) bad(`task ${t}'s program does not end with exit: ${prog.map((w) => OP_NAMES[op(w)]).join(' ')}`);
    if (prog.slice(0, -1).some((w) => op(w) === OP_EXIT)) bad(`task ${t} exits before the end of its program`);
    let execved = false;
    prog.forEach((w, i) => {
      const o = op(w);
      const a = arg(w);
      if (o < 1 || o >= OP_NAMES.length) bad(`task ${t} op ${i}: unknown opcode ${o}`);
      if ((o === OP_SLEEP || o === OP_MIGRATE) && (a < 0 || a >= ncpu)) bad(`task ${t}: ${OP_NAMES[o]} to CPU ${a}`);
      if (o === OP_CPU_DOWN && (a < ncpu || a >= k.ntasks || k.taskCpu[a] === k.taskCpu[t])) bad(`task ${t}: cpu_down of task ${a} on its own CPU`);
      if (o === OP_CPU_UP && (a < 0 || a >= ncpu)) bad(`task ${t}: cpu_up of CPU ${a}`);
      const starts =
        o === OP_IO_URING_SETUP
          ? [a & OP_PAIR_MASK, (a >> OP_PAIR_SHIFT) & OP_PAIR_MASK]
          : o === OP_CLONE_THREAD || o === OP_FORK || o === OP_USE_MM_SETUP || o === OP_CPU_DOWN
            ? [a]
            : [];
      for (const x of starts) {
        const list = startedBy.get(x) ?? [];
        list.push({ by: t, op: o });
        startedBy.set(x, list);
      }
      if (o === OP_KERNEL_EXECVE) execved = true;
      if (
        kind === TASK_USER &&
        (o === OP_USE_MM || o === OP_UNUSE_MM || o === OP_KERNEL_EXECVE || o === OP_KHUGEPAGED || o === OP_RECLAIM || o === OP_SUSPEND || o === OP_IO_RING_EXIT)
      ) {
        bad(`user task ${t} has kernel-thread op ${OP_NAMES[o]}`);
      }
      if (
        kind === TASK_KTHREAD &&
        !execved &&
        (o === OP_RUN || o === OP_MUNMAP || o === OP_EXEC || o === OP_CLONE_THREAD || o === OP_FORK || o === OP_MREMAP || o === OP_MEMBARRIER_REGISTER)
      ) {
        bad(`kernel thread ${t} runs user op ${OP_NAMES[o]} before kernel_execve`);
      }
      if ((o === OP_KHUGEPAGED || o === OP_RECLAIM) && !leaderMmIds(k).includes(a)) bad(`task ${t}: ${OP_NAMES[o]} of mm ${a}, not an initial process's`);
      if (o === OP_EXEC && i !== 0) bad(`task ${t} execs at op ${i}, not first`);
      if (o === OP_MUNMAP && (a & MUNMAP_ALL) !== 0 && kind === TASK_USER && op(prog[i + 1] ?? 0) !== OP_EXIT)
        bad(`task ${t} goes on after munmap of everything`);
    });
    // A user task's kwork ops: only io-wq threads (PF_IO_WORKER, started by io_uring_setup).
    if (kind === TASK_USER && prog.some((w) => op(w) === OP_KWORK) && !(startedByOp(k, t) === OP_IO_URING_SETUP))
      bad(`user task ${t} has kwork but is no io-wq thread`);
    if (k.taskState[t] === TS_UNSTARTED) {
      if (q.has(t)) bad(`unstarted task ${t} is on a runqueue`);
    } else {
      if (k.taskState[t] !== TS_RUNNABLE) bad(`started task ${t} is in state ${k.taskState[t]}`);
      if (q.get(t) !== k.taskCpu[t]) bad(`runnable task ${t} is not queued on its CPU ${k.taskCpu[t]}`);
      if (kind === TASK_USER) {
        leaders++;
        const mm = k.taskMm[t]!;
        if (mm <= INIT_MM || k.taskActiveMm[t] !== mm) bad(`leader ${t} has mm ${mm}, active_mm ${k.taskActiveMm[t]}`);
        if (leaderMms.has(mm)) bad(`leader ${t} shares mm ${mm} with another leader`);
        leaderMms.add(mm);
        // mm_count: the users reference, plus khugepaged's mm_slot when it will scan
        if (k.mmUsers[mm] !== 1 || k.mmCount[mm] !== 1 + k.mmSlotHeld[mm]!) bad(`leader ${t}'s mm has users ${k.mmUsers[mm]}, count ${k.mmCount[mm]}`);
        if ((k.mmSlotHeld[mm] === 1) !== p.khugepagedScans > 0) bad(`leader ${t}'s mm_slot held=${k.mmSlotHeld[mm]} with khugepagedScans ${p.khugepagedScans}`);
      } else if (k.taskMm[t] !== NO_MM) {
        bad(`kernel thread ${t} has an mm`);
      }
    }
  }
  if (leaders !== p.processes) bad(`${leaders} started user tasks, expected ${p.processes} processes`);
  if (k.nmm !== 1 + p.processes) bad(`${k.nmm} mms before the run, expected init_mm + ${p.processes}`);
  if (q.size !== [...Array(k.ntasks).keys()].filter((t) => t >= ncpu && k.taskState[t] !== TS_UNSTARTED).length) {
    bad('a runqueue holds a task twice or a task that is not runnable');
  }

  // Programs are disjoint.
  ranges.sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < ranges.length; i++) if (ranges[i]![0] < ranges[i - 1]![1]) bad('two programs overlap');

  // Every unstarted task is started exactly once, by the right op, and only unstarted tasks are.
  for (let t = ncpu; t < k.ntasks; t++) {
    const s = startedBy.get(t) ?? [];
    if (k.taskState[t] === TS_UNSTARTED && s.length !== 1) bad(`unstarted task ${t} is started by ${s.length} ops`);
    if (k.taskState[t] !== TS_UNSTARTED && s.length !== 0) bad(`already-started task ${t} is started again`);
    for (const { by, op: o } of s) {
      const kind = k.taskKind[t]!;
      if ((o === OP_CLONE_THREAD || o === OP_FORK) && kind !== TASK_USER) bad(`${OP_NAMES[o]} by ${by} starts non-user task ${t}`);
      if ((o === OP_USE_MM_SETUP || o === OP_CPU_DOWN) && kind !== TASK_KTHREAD) bad(`${OP_NAMES[o]} by ${by} starts non-kthread ${t}`);
      if (o === OP_IO_URING_SETUP) {
        const prog = program(k, t).map(op);
        const exitWorker = kind === TASK_KTHREAD;
        if (exitWorker && JSON.stringify(prog) !== JSON.stringify([OP_IO_RING_EXIT, OP_EXIT]))
          bad(`ring exit kworker ${t} program ${prog.map((x) => OP_NAMES[x]).join(' ')}`);
        if (!exitWorker && prog.some((x) => x !== OP_KWORK && x !== OP_SLEEP && x !== OP_EXIT))
          bad(`io-wq thread ${t} program ${prog.map((x) => OP_NAMES[x]).join(' ')}`);
      }
      if (k.taskState[by] === TS_UNSTARTED) bad(`task ${t} is started by ${by}, which is itself a child`);
    }
  }
  for (const t of startedBy.keys()) if (t < ncpu || t >= k.ntasks) bad(`a start op names task ${t}, which does not exist`);

  // exec only in single-threaded children: forked children, never threads or leaders.
  for (let t = ncpu; t < k.ntasks; t++) {
    if (!program(k, t).some((w) => op(w) === OP_EXEC)) continue;
    const s = startedBy.get(t) ?? [];
    if (s.length !== 1 || s[0]!.op !== OP_FORK) bad(`task ${t} execs but was not forked (started by ${s.map((x) => OP_NAMES[x.op]).join(',') || 'nobody'})`);
    if (program(k, t).some((w) => op(w) === OP_CLONE_THREAD)) bad(`task ${t} execs and clones threads`);
  }

  // io workers: kthread_use_mm / kwork / kthread_unuse_mm / sleep rounds, only in use_mm_setup targets.
  for (let t = ncpu; t < k.ntasks; t++) {
    const prog = program(k, t).map(op);
    const s = startedBy.get(t) ?? [];
    const isWorker = s.length === 1 && s[0]!.op === OP_USE_MM_SETUP;
    if (isWorker) {
      const rounds = Array.from({ length: p.useMmRounds }, () => [OP_USE_MM, OP_KWORK, OP_UNUSE_MM, OP_SLEEP]).flat();
      if (JSON.stringify(prog) !== JSON.stringify([...rounds, OP_EXIT])) bad(`kthread_use_mm worker ${t} program ${prog.map((o) => OP_NAMES[o]).join(' ')}`);
    } else if (prog.includes(OP_USE_MM) || prog.includes(OP_UNUSE_MM)) {
      bad(`task ${t} uses kthread_use_mm but is not a use_mm_setup worker`);
    }
  }
  return problems;
}

/** mm ids of the initial processes (the leaders' mms). */
function leaderMmIds(k: Kernel): number[] {
  const out: number[] = [];
  for (let t = k.ncpu; t < k.ntasks; t++) if (k.taskKind[t] === TASK_USER && k.taskState[t] !== TS_UNSTARTED && k.taskMm[t]! > INIT_MM) out.push(k.taskMm[t]!);
  return out;
}

/** The opcode that starts task `t`, or -1. */
function startedByOp(k: Kernel, t: number): number {
  for (let by = k.ncpu; by < k.ntasks; by++) {
    for (const w of program(k, by)) {
      const o = op(w);
      const a = arg(w);
      if (o === OP_IO_URING_SETUP && ((a & OP_PAIR_MASK) === t || ((a >> OP_PAIR_SHIFT) & OP_PAIR_MASK) === t)) return o;
      if ((o === OP_CLONE_THREAD || o === OP_FORK || o === OP_USE_MM_SETUP || o === OP_CPU_DOWN) && a === t) return o;
    }
  }
  return -1;
}

const SEEDS_PER_CELL = 25;

describe('checkGenerated (the checker these tests rely on)', () => {
  function corrupted(f: (k: Kernel, firstUser: number) => void): string[] {
    const sim = makeSim('default', 2, { processes: 2, forksPerProcess: 2, execRate: 1, threadsPerProcess: 3 });
    sim.begin([3, 3, 3, 3]);
    expect(checkGenerated(sim, 'clean')).toEqual([]);
    f(sim.k, 2);
    return checkGenerated(sim, 'corrupt');
  }
  it('notices a program that does not end with exit', () => {
    expect(corrupted((k, t) => void (k.prog[k.taskEnd[t]! - 1] = OP_RUN)).join('\n')).toContain('does not end with exit');
  });
  it('notices an exec in a leader', () => {
    expect(corrupted((k, t) => void (k.prog[k.taskPc[t]!] = OP_EXEC)).join('\n')).toContain('execs but was not forked');
  });
  it('notices an empty program', () => {
    expect(corrupted((k, t) => void (k.taskEnd[t] = k.taskPc[t]!)).join('\n')).toContain('empty program');
  });
  it('notices a sleep to a CPU that does not exist', () => {
    expect(corrupted((k, t) => void (k.prog[k.taskPc[t]!] = OP_SLEEP | (7 << OP_SHIFT))).join('\n')).toContain('sleep to CPU 7');
  });
});

describe('WorkloadGenerator: structure of generated runs', () => {
  it.each(PROFILE_NAMES)('profile %s, 2..8 CPUs, many seeds', (profile) => {
    const problems: string[] = [];
    for (let cpus = 2; cpus <= 8; cpus++) {
      const sim = makeSim(profile, cpus);
      const cell = hashString128(sim.cellId);
      for (let i = 0; i < SEEDS_PER_CELL; i++) {
        sim.begin(runSeed(cell, i));
        problems.push(...checkGenerated(sim, `${profile} cpus=${cpus} run=${i}`));
      }
    }
    expect(problems).toEqual([]);
  });

  it('maxed-out parameters stay within workloadBounds', () => {
    const params: Overrides = {
      processes: 8,
      threadsPerProcess: 8,
      forksPerProcess: 4,
      execRate: 1,
      kthreads: 8,
      useMmWorkers: 4,
      useMmRounds: 8,
      usermodehelpers: 4,
      opsPerTask: 64,
      ioUring: 4,
      deepIdles: 64,
      khugepagedScans: 16,
      reclaims: 16,
      suspends: 4,
    };
    const problems: string[] = [];
    for (const cpus of [2, 5, 8]) {
      const sim = makeSim('default', cpus, params);
      for (let i = 0; i < 20; i++) {
        sim.begin([i, cpus, 0xfeed, 1]);
        problems.push(...checkGenerated(sim, `max cpus=${cpus} seed=${i}`));
      }
    }
    expect(problems).toEqual([]);
  });

  it('minimal parameters (one single-threaded process, nothing else) still give a valid run', () => {
    const params: Overrides = {
      processes: 1,
      threadsPerProcess: 1,
      forksPerProcess: 0,
      execRate: 0,
      kthreads: 0,
      useMmWorkers: 0,
      useMmRounds: 1,
      usermodehelpers: 0,
      opsPerTask: 1,
      ioUring: 0,
      khugepagedScans: 0,
      reclaims: 0,
      suspends: 0,
    };
    const sim = makeSim('default', 2, params);
    const problems: string[] = [];
    for (let i = 0; i < 20; i++) {
      sim.begin([i, 0, 0, 1]);
      problems.push(...checkGenerated(sim, `min seed=${i}`));
      // ncpu idle tasks plus the one leader, whose program is one body op and exit.
      if (sim.k.ntasks !== 3) problems.push(`seed ${i}: ${sim.k.ntasks} tasks`);
      if (program(sim.k, 2).length !== 2) problems.push(`seed ${i}: leader program of ${program(sim.k, 2).length} words`);
    }
    expect(problems).toEqual([]);
  });

  it('full runs never allocate more mms than workloadBounds (forks and execs included)', () => {
    const params: Overrides = { processes: 3, forksPerProcess: 4, execRate: 1, usermodehelpers: 4, threadsPerProcess: 2 };
    const problems: string[] = [];
    for (const profile of PROFILE_NAMES) {
      for (const cpus of [2, 4, 8]) {
        const sim = makeSim(profile, cpus, profile === 'default' ? params : undefined);
        const bound = workloadBounds(paramsOf(sim), cpus).mms;
        const cell = hashString128(sim.cellId);
        for (let i = 0; i < 8; i++) {
          const r = sim.run(runSeed(cell, i));
          if (sim.k.nmm > bound) problems.push(`${profile} cpus=${cpus} run=${i}: ${sim.k.nmm} mms > ${bound}`);
          if (r.outcome === 'plugin-error') problems.push(`${profile} cpus=${cpus} run=${i}: plugin error ${r.pluginError?.message}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('WorkloadGenerator: draws follow the parameters', () => {
  it('threads are drawn 1..threadsPerProcess, forks 0..forksPerProcess, body ops 1..opsPerTask', () => {
    const params: Overrides = {
      processes: 1,
      threadsPerProcess: 3,
      forksPerProcess: 2,
      execRate: 0,
      kthreads: 0,
      useMmWorkers: 0,
      usermodehelpers: 0,
      opsPerTask: 4,
      ioUring: 0,
      khugepagedScans: 0,
      reclaims: 0,
      suspends: 0,
      ops: { munmapAll: 0 },
    };
    const sim = makeSim('default', 3, params);
    const clones = new Set<number>();
    const forks = new Set<number>();
    const childBodies = new Set<number>();
    for (let i = 0; i < 300; i++) {
      sim.begin([i, 1, 2, 3]);
      const k = sim.k;
      const leader = 3;
      const prog = program(k, leader).map(op);
      clones.add(prog.filter((o) => o === OP_CLONE_THREAD).length);
      forks.add(prog.filter((o) => o === OP_FORK).length);
      for (let t = leader + 1; t < k.ntasks; t++) childBodies.add(program(k, t).length - 1);
    }
    expect([...clones].sort()).toEqual([0, 1, 2]); // threadsPerProcess 3 = leader + 0..2 threads
    expect([...forks].sort()).toEqual([0, 1, 2]);
    expect([...childBodies].sort()).toEqual([1, 2, 3, 4]);
  });

  it('execRate 0 never execs; execRate 1 execs in every forked child', () => {
    const base: Overrides = { processes: 2, forksPerProcess: 3, kthreads: 0, useMmWorkers: 0, usermodehelpers: 0, ops: { munmapAll: 0 } };
    for (const execRate of [0, 1]) {
      const sim = makeSim('default', 4, { ...base, execRate });
      let forked = 0;
      let execs = 0;
      for (let i = 0; i < 50; i++) {
        sim.begin([i, 9, 9, 9]);
        const k = sim.k;
        for (let t = 4; t < k.ntasks; t++) {
          const prog = program(k, t);
          forked += prog.filter((w) => op(w) === OP_FORK).length;
          execs += prog.filter((w) => op(w) === OP_EXEC).length;
        }
      }
      expect(forked).toBeGreaterThan(20);
      expect(execs).toBe(execRate === 0 ? 0 : forked);
    }
  });

  const KINDS: [keyof WorkloadParams['ops'], number, number][] = [
    // [weight, user word, kernel-thread opcode]
    ['run', OP_RUN, OP_KWORK],
    ['munmap', OP_MUNMAP, OP_KWORK],
    ['munmapFreeTables', OP_MUNMAP | (MUNMAP_FREED_TABLES << OP_SHIFT), OP_KWORK],
    ['munmapAll', OP_MUNMAP | (MUNMAP_ALL << OP_SHIFT), OP_KWORK],
    ['sleep', OP_SLEEP, OP_SLEEP],
    ['yield', OP_YIELD, OP_YIELD],
    ['migrate', OP_MIGRATE, OP_MIGRATE],
    ['mremap', OP_MREMAP, OP_KWORK],
    ['membarrier', OP_MEMBARRIER_REGISTER | (MEMBARRIER_AND_COMMAND << OP_SHIFT), OP_KWORK], // register on first use, then the command
    ['textPoke', OP_TEXT_POKE, OP_TEXT_POKE],
  ];
  const NO_OPS = { run: 0, munmap: 0, munmapFreeTables: 0, munmapAll: 0, sleep: 0, yield: 0, migrate: 0, mremap: 0, membarrier: 0, textPoke: 0 };
  it.each(KINDS)('with only the %s weight set, every body op is that op', (name, userWord, kthreadOp) => {
    const ops = { ...NO_OPS, [name]: 1 };
    const sim = makeSim('default', 3, {
      ops,
      kthreads: 2,
      useMmWorkers: 0,
      usermodehelpers: 0,
      execRate: 0,
      ioUring: 0,
      khugepagedScans: 0,
      reclaims: 0,
      suspends: 0,
    });
    const user = new Set<number>();
    const kthread = new Set<number>();
    for (let i = 0; i < 40; i++) {
      sim.begin([i, 5, 6, 7]);
      const k = sim.k;
      for (let t = 3; t < k.ntasks; t++) {
        for (const w of program(k, t)) {
          const o = op(w);
          if (o === OP_EXIT || o === OP_CLONE_THREAD || o === OP_FORK) continue;
          if (k.taskKind[t] === TASK_USER) user.add(o === OP_SLEEP || o === OP_MIGRATE ? o : w);
          else kthread.add(op(w));
        }
      }
    }
    expect([...user]).toEqual([userWord]);
    expect([...kthread]).toEqual([kthreadOp]);
  });

  it('body ops are drawn in proportion to their weights', () => {
    const ops = { ...NO_OPS, run: 1, yield: 3 };
    const sim = makeSim('default', 2, { ops, kthreads: 0, useMmWorkers: 0, usermodehelpers: 0, opsPerTask: 64, ioUring: 0 });
    let run = 0;
    let yld = 0;
    for (let i = 0; i < 100; i++) {
      sim.begin([i, 0, 1, 0]);
      for (let t = 2; t < sim.k.ntasks; t++) {
        for (const w of program(sim.k, t)) {
          if (op(w) === OP_RUN) run++;
          if (op(w) === OP_YIELD) yld++;
        }
      }
    }
    expect(run + yld).toBeGreaterThan(4000);
    expect(run / (run + yld)).toBeGreaterThan(0.22);
    expect(run / (run + yld)).toBeLessThan(0.28);
  });

  // Regression (was a silent parameter clamp): only processes 0..min(processes, workers)-1 got a
  // worker; kthread-heavy asks for 4 workers with 2 processes and got 2.
  it('creates useMmWorkers kthread_use_mm workers even when there are fewer processes (kthread-heavy: 4 workers, 2 processes)', () => {
    const sim = makeSim('kthread-heavy', 4);
    expect(paramsOf(sim).useMmWorkers).toBe(4);
    expect(paramsOf(sim).processes).toBe(2);
    sim.begin([1, 2, 3, 4]);
    const k = sim.k;
    const workers = [...Array(k.ntasks).keys()].filter((t) => program(k, t).some((w) => op(w) === OP_USE_MM));
    expect(workers).toHaveLength(4);
  });

  it('kthread_use_mm workers run exactly useMmRounds rounds', () => {
    const sim = makeSim('kthread-heavy', 4, { useMmRounds: 3 });
    sim.begin([1, 2, 3, 4]);
    const k = sim.k;
    const workers = [...Array(k.ntasks).keys()].filter((t) => program(k, t).some((w) => op(w) === OP_USE_MM));
    expect(workers.length).toBeGreaterThan(0);
    for (const t of workers) {
      const prog = program(k, t).map(op);
      expect(prog.filter((o) => o === OP_USE_MM)).toHaveLength(3);
      expect(prog.filter((o) => o === OP_UNUSE_MM)).toHaveLength(3);
    }
  });
});

describe('WorkloadGenerator: determinism', () => {
  it('the same seed gives the same run, in the same or a fresh simulator, whatever ran before', () => {
    for (const profile of PROFILE_NAMES) {
      const a = makeSim(profile, 4);
      const seed: RunSeed = runSeed(hashString128(a.cellId), 17);
      a.begin(seed);
      const first = snapshot(a);
      a.begin(runSeed(hashString128(a.cellId), 18));
      a.run(runSeed(hashString128(a.cellId), 19));
      a.begin(seed);
      expect(snapshot(a)).toEqual(first);
      const b = makeSim(profile, 4);
      b.begin(seed);
      expect(snapshot(b)).toEqual(first);
    }
  });

  it('different seeds give different runs', () => {
    const sim = makeSim('default', 4);
    const cell = hashString128(sim.cellId);
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      sim.begin(runSeed(cell, i));
      seen.add(JSON.stringify(snapshot(sim)));
    }
    expect(seen.size).toBe(30);
  });

  it('the estimated step count is positive and grows with the workload', () => {
    const small = makeSim('default', 2, {
      processes: 1,
      opsPerTask: 1,
      kthreads: 0,
      useMmWorkers: 0,
      usermodehelpers: 0,
      threadsPerProcess: 1,
      forksPerProcess: 0,
      ioUring: 0,
      khugepagedScans: 0,
      reclaims: 0,
      suspends: 0,
    });
    const big = makeSim('default', 2, { processes: 8, opsPerTask: 64 });
    small.begin([1, 1, 1, 1]);
    big.begin([1, 1, 1, 1]);
    expect(small.estimatedSteps).toBeGreaterThan(0);
    expect(big.estimatedSteps).toBeGreaterThan(small.estimatedSteps);
  });
});

describe('workloadBounds', () => {
  it('grows with the CPU count and with every size parameter', () => {
    const p = paramsOf(makeSim('default', 2));
    const b = workloadBounds(p, 4);
    expect(workloadBounds(p, 5).tasks).toBeGreaterThan(b.tasks);
    for (const key of ['processes', 'threadsPerProcess', 'forksPerProcess', 'kthreads', 'useMmWorkers', 'usermodehelpers', 'ioUring'] as const) {
      expect(workloadBounds({ ...p, [key]: p[key] + 1 }, 4).tasks, key).toBeGreaterThan(b.tasks);
    }
    expect(workloadBounds({ ...p, opsPerTask: p.opsPerTask + 1 }, 4).progWords).toBeGreaterThan(b.progWords);
    expect(workloadBounds({ ...p, useMmRounds: p.useMmRounds + 1 }, 4).progWords).toBeGreaterThan(b.progWords);
    expect(workloadBounds({ ...p, forksPerProcess: p.forksPerProcess + 1 }, 4).mms).toBeGreaterThan(b.mms);
    expect(workloadBounds({ ...p, usermodehelpers: p.usermodehelpers + 1 }, 4).mms).toBeGreaterThan(b.mms);
  });
});
