import { constants as C, parseOp } from '@lazytlb/core';
import { describe, expect, it } from 'vitest';
import type { OptionSpace } from './options.js';
import { type Candidate, candidatesOf, drivePass, type ShrinkPass, type ShrinkSubject } from './pass.js';
import { budgetsPass, cpusPass, decisionsPass, opsPass, optionsPass, simplifyOpsPass, tasksPass } from './passes.js';
import { explicitInput, type ShrinkWorkload } from './workload.js';

const A = C.ACTORS_PER_CPU;
const subject = (over: Partial<ShrinkSubject> = {}): ShrinkSubject => ({ archOptions: {}, cpus: 1, workload: null, decisions: new Uint8Array(), ...over });
const list = (c: Candidate) => Array.from(c.decisions);
const w = (
  tasks: { name: string; cpu: number; program: string[]; kind?: 'user' | 'kthread'; mm?: string; unstarted?: boolean }[],
  more: Partial<ShrinkWorkload> = {},
): ShrinkWorkload => ({
  tasks: tasks.map(({ program, kind, ...t }) => ({
    kind: kind ?? 'user',
    ...(kind !== 'kthread' && t.unstarted !== true && t.mm === undefined ? { mm: `m${t.name}` } : {}),
    ...t,
    program: program.map((s) => parseOp(s)),
  })),
  ...more,
});
const names = (c: Candidate) =>
  c.workload!.tasks.map(
    (t) =>
      `${t.name}@${t.cpu}:${explicitInput(c.workload!)
        .tasks.find((x) => x.name === t.name)!
        .program!.join(',')}`,
  );

/** Drive `pass`, accepting a candidate when `ok` says so (the accepted candidate becomes the subject). */
function run(pass: ShrinkPass, s: ShrinkSubject, ok: (c: Candidate, cur: ShrinkSubject) => boolean) {
  const seen: Candidate[] = [];
  const out = drivePass(pass, s, (c, cur) => {
    seen.push(c);
    return ok(c, cur)
      ? {
          ...cur,
          decisions: Uint8Array.from(c.decisions),
          ...(c.cpus !== undefined ? { cpus: c.cpus } : {}),
          ...(c.workload !== undefined ? { workload: c.workload } : {}),
          ...(c.archOptions !== undefined ? { archOptions: c.archOptions } : {}),
        }
      : undefined;
  });
  return { ...out, seen };
}

describe('drivePass / candidatesOf', () => {
  it("lists a pass's candidates in order when none is accepted, and stops when asked", () => {
    const s = subject({ decisions: Uint8Array.of(0, 1, 0, 1) });
    expect(candidatesOf(decisionsPass, s).length).toBe(2 + 4 + 2);
    let n = 0;
    const r = drivePass(
      decisionsPass,
      s,
      () => void n++,
      () => n >= 3,
    );
    expect([n, r.accepted.length, r.subject]).toEqual([3, 0, s]);
  });
});

describe('decisions pass', () => {
  it('removes chunks of halving size, left to right, then every decision of one actor, highest actor first', () => {
    const s = subject({ decisions: Uint8Array.of(0, 1, 4, 0, 5) });
    expect(candidatesOf(decisionsPass, s).map(list)).toEqual([
      [4, 0, 5],
      [0, 1, 5],
      [0, 1, 4, 0], // chunk 2
      [1, 4, 0, 5],
      [0, 4, 0, 5],
      [0, 1, 0, 5],
      [0, 1, 4, 5],
      [0, 1, 4, 0], // chunk 1
      [0, 1, 4, 0],
      [0, 1, 0, 5],
      [0, 4, 0, 5],
      [1, 4, 5], // actors 5, 4, 1, 0
    ]);
  });

  it('after an accepted removal tries the same position again, and goes on from the accepted list', () => {
    // accept a list of 3 or more that does not start with actor 1
    const r = run(decisionsPass, subject({ decisions: Uint8Array.of(1, 1, 1, 4, 0, 4) }), (c) => list(c)[0] !== 1 && list(c).length >= 3);
    // chunk 3 at 0 accepted, then chunk 3 at 0 again (the chunk size stays), then chunk 1 of what was accepted
    expect(r.seen.slice(0, 3).map(list)).toEqual([[4, 0, 4], [], [0, 4]]);
    expect(Array.from(r.subject.decisions)).toEqual([4, 0, 4]);
    expect(r.accepted.map(list)).toEqual([[4, 0, 4]]);
  });
});

describe('options pass', () => {
  const space: OptionSpace = { defaults: { a: false, mode: 'x' }, enums: new Map([['mode', ['x', 'y', 'z']]]), optional: new Set(['extra']) };

  it('offers each non-default option at its default, an optional one dropped, then lower enum values; the same CPUs, workload and decisions', () => {
    const s = subject({ archOptions: { a: true, mode: 'z', extra: 3 }, decisions: Uint8Array.of(0, 1) });
    const cs = candidatesOf(optionsPass(space), s);
    expect(cs.map((c) => c.archOptions)).toEqual([
      { a: false, mode: 'z', extra: 3 },
      { a: true, mode: 'z' },
      { a: true, mode: 'x', extra: 3 },
      { a: true, mode: 'y', extra: 3 },
    ]);
    expect(cs.every((c) => list(c).join() === '0,1' && c.cpus === undefined && c.workload === undefined)).toBe(true);
  });

  it('lists the candidates of the accepted options again after each acceptance, to the fixpoint', () => {
    const r = run(optionsPass(space), subject({ archOptions: { a: true, mode: 'z' } }), () => true);
    expect(r.accepted.map((c) => c.archOptions)).toEqual([
      { a: false, mode: 'z' },
      { a: false, mode: 'x' },
    ]);
    expect(candidatesOf(optionsPass(space), subject({ archOptions: { a: false, mode: 'x' } }))).toEqual([]);
  });
});

describe('cpus pass', () => {
  const wl = w([
    { name: 'A', cpu: 0, program: ['sleep 2', 'exit'] },
    { name: 'B', cpu: 1, program: ['migrate 0', 'exit'] },
    { name: 'C', cpu: 2, program: ['run', 'exit'] },
  ]);
  const d = Uint8Array.of(0, A, 2 * A + 1, A + 1, 2 * A);

  it("removes the highest CPU first: with its tasks and its actors' decisions, or else moving them to the CPU below; renumbers the rest", () => {
    const cs = candidatesOf(cpusPass, subject({ cpus: 3, workload: wl, decisions: d }));
    expect(cs.map((c) => c.cpus)).toEqual([2, 2, 2, 2, 2, 2]);
    // CPU 2: without C (and A's sleep 2 now wakes on CPU 1), decisions of CPU 2's actors dropped
    expect(names(cs[0]!)).toEqual(['A@0:sleep 1,exit', 'B@1:migrate 0,exit']);
    expect(list(cs[0]!)).toEqual([0, A, A + 1]);
    // ... or C moved to CPU 1 with CPU 2's actors
    expect(names(cs[1]!)).toEqual(['A@0:sleep 1,exit', 'B@1:migrate 0,exit', 'C@1:run,exit']);
    expect(list(cs[1]!)).toEqual([0, A, A + 1, A + 1, A]);
    // CPU 1: B goes (CPU 2 becomes 1), or moves to CPU 0
    expect(names(cs[2]!)).toEqual(['A@0:sleep 1,exit', 'C@1:run,exit']);
    expect(names(cs[3]!)).toEqual(['A@0:sleep 1,exit', 'B@0:migrate 0,exit', 'C@1:run,exit']);
    // CPU 0: A goes, or moves to CPU 0 (the lowest left)
    expect(names(cs[4]!)).toEqual(['B@0:migrate 0,exit', 'C@1:run,exit']);
    expect(list(cs[5]!)).toEqual([0, 0, A + 1, 1, A]);
  });

  it('goes on from an accepted removal with the CPUs below it; offers nothing on one CPU or a generated workload', () => {
    const r = run(cpusPass, subject({ cpus: 3, workload: wl, decisions: d }), (c) => c.cpus === 2 && c.workload!.tasks.length === 2);
    expect(r.accepted.length).toBe(1);
    expect(r.subject.cpus).toBe(2);
    expect(r.seen.map((c) => c.cpus)).toEqual([2, 1, 1, 1, 1]);
    expect(candidatesOf(cpusPass, subject({ cpus: 1, workload: wl }))).toEqual([]);
    expect(candidatesOf(cpusPass, subject({ cpus: 3 }))).toEqual([]);
  });
});

describe('tasks pass', () => {
  const wl = w([
    { name: 'P', cpu: 0, program: ['fork C', 'clone T', 'exit'] },
    { name: 'C', cpu: 0, unstarted: true, program: ['run', 'exit'] },
    { name: 'T', cpu: 1, unstarted: true, program: ['run', 'exit'] },
  ]);

  it('removes each task, last first, or else removes it and starts its fork and clone children at boot', () => {
    const cs = candidatesOf(tasksPass, subject({ cpus: 2, workload: wl, decisions: Uint8Array.of(0, 1) }));
    expect(cs.map(names)).toEqual([
      ['P@0:fork C,exit', 'C@0:run,exit'],
      ['P@0:clone T,exit', 'T@1:run,exit'],
      ['C@0:run,exit', 'T@1:run,exit'],
      ['C@0:run,exit', 'T@1:run,exit'],
    ]);
    expect(cs[3]!.workload!.tasks.map((t) => [t.mm, t.unstarted])).toEqual([
      ['mm_C', undefined],
      ['mP', undefined],
    ]);
    expect(cs.every((c) => list(c).join() === '0,1' && c.cpus === undefined)).toBe(true);
  });

  it('never removes the last task; offers nothing on a generated workload', () => {
    expect(candidatesOf(tasksPass, subject({ workload: w([{ name: 'A', cpu: 0, program: ['run'] }]) }))).toEqual([]);
    expect(candidatesOf(tasksPass, subject())).toEqual([]);
  });
});

describe('ops pass', () => {
  it("removes each op, last task and last op first, never a task's final exit", () => {
    const wl = w([
      { name: 'A', cpu: 0, program: ['run', 'yield', 'exit'] },
      { name: 'B', cpu: 0, program: ['exit', 'run'] },
    ]);
    expect(candidatesOf(opsPass, subject({ workload: wl })).map(names)).toEqual([
      ['A@0:run,yield,exit', 'B@0:exit'],
      ['A@0:run,yield,exit', 'B@0:run'],
      ['A@0:run,exit', 'B@0:exit,run'],
      ['A@0:yield,exit', 'B@0:exit,run'],
    ]);
  });
});

describe('simplify-ops pass', () => {
  const wl = w([
    { name: 'A', cpu: 0, program: ['munmap all', 'membarrier_register_and_command', 'sleep 1', 'exit'] },
    { name: 'B', cpu: 1, program: ['munmap freed-tables', 'migrate 0', 'exit'] },
  ]);

  it('replaces each op by its simpler variants, simplest first, last task and last op first; the same CPUs and decisions', () => {
    const cs = candidatesOf(simplifyOpsPass, subject({ cpus: 2, workload: wl, decisions: Uint8Array.of(0, A) }));
    expect(cs.map(names)).toEqual([
      ['A@0:munmap all,membarrier_register_and_command,sleep 1,exit', 'B@1:munmap,migrate 0,exit'],
      ['A@0:munmap all,membarrier_register,sleep 1,exit', 'B@1:munmap freed-tables,migrate 0,exit'],
      ['A@0:munmap,membarrier_register_and_command,sleep 1,exit', 'B@1:munmap freed-tables,migrate 0,exit'],
      ['A@0:munmap freed-tables,membarrier_register_and_command,sleep 1,exit', 'B@1:munmap freed-tables,migrate 0,exit'],
    ]);
    expect(cs.every((c) => list(c).join() === `0,${A}` && c.cpus === undefined && c.archOptions === undefined)).toBe(true);
  });

  it('keeps the first variant accepted (the rest are less simple) and goes on from the accepted workload', () => {
    // 'munmap all' must keep freeing tables: 'munmap' is refused, 'munmap freed-tables' accepted
    const r = run(simplifyOpsPass, subject({ cpus: 2, workload: wl }), (c) => !names(c)[0]!.startsWith('A@0:munmap,'));
    expect(r.accepted.map(names).map((n) => n.join(' '))).toEqual([
      'A@0:munmap all,membarrier_register_and_command,sleep 1,exit B@1:munmap,migrate 0,exit',
      'A@0:munmap all,membarrier_register,sleep 1,exit B@1:munmap,migrate 0,exit',
      'A@0:munmap freed-tables,membarrier_register,sleep 1,exit B@1:munmap,migrate 0,exit',
    ]);
    expect(r.seen.length).toBe(4);
    expect(candidatesOf(simplifyOpsPass, r.subject).map(names)).toEqual([['A@0:munmap,membarrier_register,sleep 1,exit', 'B@1:munmap,migrate 0,exit']]);
  });

  it('offers nothing when no op has a simpler variant, or on a generated workload', () => {
    expect(
      candidatesOf(simplifyOpsPass, subject({ workload: w([{ name: 'A', cpu: 0, program: ['munmap', 'membarrier_register', 'sleep 0', 'exit'] }]) })),
    ).toEqual([]);
    expect(candidatesOf(simplifyOpsPass, subject())).toEqual([]);
  });
});

describe('budgets pass', () => {
  it('sets tick preemptions, vCPU preemptions and deep idles to 0, each on its own, only when set', () => {
    const wl = w([{ name: 'A', cpu: 0, program: ['run'] }], { tickPreemptions: 2, vcpuPreemptions: 0, deepIdles: 1 });
    const cs = candidatesOf(budgetsPass, subject({ workload: wl }));
    expect(cs.map((c) => [c.workload!.tickPreemptions, c.workload!.vcpuPreemptions, c.workload!.deepIdles])).toEqual([
      [0, 0, 1],
      [2, 0, 0],
    ]);
    expect(run(budgetsPass, subject({ workload: wl }), () => true).subject.workload).toMatchObject({ tickPreemptions: 0, deepIdles: 0 });
  });
});
