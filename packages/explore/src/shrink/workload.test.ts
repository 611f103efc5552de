import { type ExplicitWorkloadInput, formatOp, OP_WORDS, parseOp, type WorkloadOp } from '@lazytlb/core';
import { describe, expect, it } from 'vitest';
import {
  explicitInput,
  opComplexity,
  remapCpus,
  removeOp,
  removeTask,
  removeTaskStartingChildren,
  renameTasks,
  replaceOp,
  type ShrinkWorkload,
  simplerOps,
  structuredWorkload,
  workloadBudgets,
  workloadCounts,
  workloadOpComplexity,
} from './workload.js';

/** A workload in explicit-input form (op strings), read as the shrinker reads it. */
const ops = (...s: string[]) => s.map((x) => parseOp(x));

const W: ExplicitWorkloadInput = {
  tasks: [
    {
      name: 'P',
      kind: 'user',
      cpu: 0,
      mm: 'app',
      program: ['clone P.t', 'fork C', 'io_uring_setup IO RX', 'sleep 2', 'migrate 1', 'membarrier_register_and_command', 'exit'],
    },
    { name: 'P.t', kind: 'user', cpu: 1, unstarted: true, program: ['run', 'exit'] },
    { name: 'C', kind: 'user', cpu: 2, unstarted: true, program: ['exec', 'exit'] },
    { name: 'IO', kind: 'user', cpu: 0, unstarted: true, program: ['kwork'] },
    { name: 'RX', kind: 'kthread', cpu: 2, unstarted: true, program: ['io_ring_exit'] },
    { name: 'K', kind: 'kthread', cpu: 1, program: ['khugepaged app', 'reclaim app', 'cpu_down H', 'cpu_up 2', 'sleep'] },
    { name: 'H', kind: 'kthread', cpu: 2, unstarted: true, program: ['cpuhp'] },
  ],
  tickPreemptions: 2,
  vcpuPreemptions: 0,
  deepIdles: 1,
};

const programs = (w: ShrinkWorkload) => explicitInput(w).tasks.map((t) => [t.name, ...(t.program ?? [])]);

describe('structured workload: ops as data, strings as serialisation', () => {
  it("reads op strings into core's WorkloadOp and writes them back unchanged (fields and their order kept)", () => {
    const w = structuredWorkload(W);
    expect(w.tasks[0]!.program.slice(0, 3)).toEqual([
      { op: 'clone', task: 'P.t' },
      { op: 'fork', task: 'C' },
      { op: 'io_uring_setup', ioWorker: 'IO', exitWorker: 'RX' },
    ]);
    expect(w.tasks[0]!.program[5]).toEqual({ op: 'membarrier_register', andCommand: true });
    const back = explicitInput(w);
    expect(back).toEqual(W);
    expect(JSON.stringify(back)).toBe(JSON.stringify(W));
    expect(workloadCounts(w)).toEqual({ tasks: 7, ops: 7 + 2 + 2 + 1 + 1 + 5 + 1 });
    expect(workloadBudgets(w)).toBe(3);
  });

  it('remapCpus renumbers task placement and the CPU arguments of sleep, migrate and cpu_up (a bare sleep follows its task)', () => {
    const w = remapCpus(structuredWorkload(W), (c) => (c === 2 ? 1 : c));
    expect(w.tasks.map((t) => t.cpu)).toEqual([0, 1, 1, 0, 1, 1, 1]);
    expect(programs(w)[0]).toContain('sleep 1');
    expect(programs(w)[0]).toContain('migrate 1');
    expect(programs(w)[5]).toEqual(['K', 'khugepaged app', 'reclaim app', 'cpu_down H', 'cpu_up 1', 'sleep']);
  });

  it('removeTask drops the task and the ops that start it (clone, fork, io_uring_setup naming either task, cpu_down)', () => {
    const w = structuredWorkload(W);
    expect(programs(removeTask(w, 1))[0]).toEqual(['P', 'fork C', 'io_uring_setup IO RX', 'sleep 2', 'migrate 1', 'membarrier_register_and_command', 'exit']);
    expect(programs(removeTask(w, 4))[0]).toEqual(['P', 'clone P.t', 'fork C', 'sleep 2', 'migrate 1', 'membarrier_register_and_command', 'exit']);
    expect(programs(removeTask(w, 6)).find((p) => p[0] === 'K')).toEqual(['K', 'khugepaged app', 'reclaim app', 'cpu_up 2', 'sleep']);
    const small = {
      tasks: [
        { name: 'a', kind: 'user' as const, cpu: 0, mm: 'm', program: ops('clone b', 'run', 'exit') },
        { name: 'b', kind: 'user' as const, cpu: 1, unstarted: true, program: ops('exit') },
      ],
    };
    expect(explicitInput(removeTask(small, 1)).tasks).toEqual([{ name: 'a', kind: 'user', cpu: 0, mm: 'm', program: ['run', 'exit'] }]);
  });

  it('removeTask drops the khugepaged / reclaim ops of an mm no task starts with any more, and only then', () => {
    const w = structuredWorkload(W);
    expect(programs(removeTask(w, 0)).find((p) => p[0] === 'K')).toEqual(['K', 'cpu_down H', 'cpu_up 2', 'sleep']);
    const two = structuredWorkload({ ...W, tasks: [...W.tasks, { name: 'Q', kind: 'user', cpu: 1, mm: 'app', program: ['run'] }] });
    expect(programs(removeTask(two, 0)).find((p) => p[0] === 'K')).toEqual(['K', 'khugepaged app', 'reclaim app', 'cpu_down H', 'cpu_up 2', 'sleep']);
  });

  it("removeTaskStartingChildren starts a cloned thread in the parent's mm and a forked child in an mm of its own; null without children", () => {
    const w = structuredWorkload(W);
    const p = explicitInput(removeTaskStartingChildren(w, 0)!);
    expect(p.tasks.find((t) => t.name === 'P.t')).toEqual({ name: 'P.t', kind: 'user', cpu: 1, program: ['run', 'exit'], mm: 'app' });
    expect(p.tasks.find((t) => t.name === 'C')).toEqual({ name: 'C', kind: 'user', cpu: 2, program: ['exec', 'exit'], mm: 'mm_C' });
    expect(p.tasks.find((t) => t.name === 'IO')!.unstarted).toBe(true); // started by io_uring_setup, not a fork or clone
    expect(removeTaskStartingChildren(w, 1)).toBeNull();
    expect(removeTaskStartingChildren(w, 5)).toBeNull(); // a kernel thread
    // a fresh mm name never collides with one in use
    const clash = structuredWorkload({
      tasks: [
        { name: 'A', kind: 'user', cpu: 0, mm: 'mm_B', program: ['fork B'] },
        { name: 'B', kind: 'user', cpu: 0, unstarted: true, program: [] },
      ],
    });
    expect(explicitInput(removeTaskStartingChildren(clash, 0)!).tasks[0]!.mm).toBe('mm_B_2');
  });

  it('renameTasks names tasks as traces do (T<id> / K<id> after the idle tasks) and renames the ops that name them', () => {
    const w = renameTasks(structuredWorkload(W), 3);
    expect(w.tasks.map((t) => t.name)).toEqual(['T3', 'T4', 'T5', 'T6', 'K7', 'K8', 'K9']);
    expect(programs(w)[0]!.slice(0, 4)).toEqual(['T3', 'clone T4', 'fork T5', 'io_uring_setup T6 K7']);
    expect(programs(w)[5]).toEqual(['K8', 'khugepaged app', 'reclaim app', 'cpu_down K9', 'cpu_up 2', 'sleep']);
  });

  it('removeOp removes one op of one task', () => {
    const w = removeOp(structuredWorkload(W), 5, 1);
    expect(programs(w)[5]).toEqual(['K', 'khugepaged app', 'cpu_down H', 'cpu_up 2', 'sleep']);
    expect(programs(w)[0]).toEqual(programs(structuredWorkload(W))[0]);
  });

  it('replaceOp replaces one op of one task', () => {
    const w = replaceOp(structuredWorkload(W), 0, 5, { op: 'membarrier_register' });
    expect(programs(w)[0]).toEqual(['P', 'clone P.t', 'fork C', 'io_uring_setup IO RX', 'sleep 2', 'migrate 1', 'membarrier_register', 'exit']);
    expect(programs(w).slice(1)).toEqual(programs(structuredWorkload(W)).slice(1));
    expect([workloadOpComplexity(structuredWorkload(W)), workloadOpComplexity(w)]).toEqual([1, 0]);
  });
});

describe("simpler ops: a total order on each op's variants", () => {
  const simpler = (s: string) => simplerOps(parseOp(s)).map((op) => formatOp(op));
  const BOTH: WorkloadOp = { op: 'munmap', freedTables: true, all: true };

  it("drops munmap's flags (munmap < freed-tables < all < both) and membarrier_register_and_command's command, simplest first", () => {
    expect(simpler('munmap all')).toEqual(['munmap', 'munmap freed-tables']);
    expect(simpler('munmap freed-tables')).toEqual(['munmap']);
    expect(simplerOps(BOTH).map((op) => formatOp(op))).toEqual(['munmap', 'munmap freed-tables', 'munmap all']);
    expect(simpler('membarrier_register_and_command')).toEqual(['membarrier_register']);
    expect(['munmap', 'munmap freed-tables', 'munmap all'].map((s) => opComplexity(parseOp(s)))).toEqual([0, 1, 2]);
    expect(opComplexity(BOTH)).toBe(3);
    expect(['membarrier_register', 'membarrier_register_and_command'].map((s) => opComplexity(parseOp(s)))).toEqual([0, 1]);
  });

  it('offers nothing for the other ops (their arguments name what they act on; a sleep keeps its CPU)', () => {
    for (const s of [
      'munmap',
      'membarrier_register',
      'membarrier',
      'sleep',
      'sleep 1',
      'migrate 1',
      'cpu_up 1',
      'fork T',
      'clone T',
      'use_mm_setup K',
      'cpu_down H',
      'io_uring_setup T K',
      'khugepaged m',
      'reclaim m',
      'run',
      'exit',
      'kernel_execve',
      'exec',
    ]) {
      expect([s, simpler(s), opComplexity(parseOp(s))]).toEqual([s, [], 0]);
    }
  });

  it('every op word: each simpler variant is the same op, strictly simpler, in increasing order, and has a string', () => {
    const args: Partial<Record<string, string>> = {
      sleep: ' 1',
      migrate: ' 1',
      cpu_up: ' 1',
      clone: ' T',
      fork: ' T',
      use_mm_setup: ' K',
      cpu_down: ' H',
      io_uring_setup: ' T K',
      khugepaged: ' m',
      reclaim: ' m',
    };
    for (const op of [
      ...OP_WORDS.map((w) => parseOp(`${w}${args[w] ?? ''}`)),
      ...(['freed-tables', 'all'] as const).map((f) => parseOp(`munmap ${f}`)),
      BOTH,
    ]) {
      const cx = simplerOps(op).map((v) => {
        expect(v.op).toBe(op.op);
        expect(parseOp(formatOp(v))).toEqual(v);
        return opComplexity(v);
      });
      expect(cx).toEqual([...cx].sort((a, b) => a - b));
      expect(new Set(cx).size).toBe(cx.length);
      expect(cx.every((c) => c < opComplexity(op))).toBe(true);
    }
  });
});
