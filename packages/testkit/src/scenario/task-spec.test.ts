import { describe, expect, it } from 'vitest';
import { WorkloadError } from '@lazytlb/core';
import { child, ioWorker, kthread, programWords, ringExitWorker, thread, toExplicitWorkload, useMmWorker } from './task-spec.js';

describe('task declarations', () => {
  it('map 1:1 to core explicit tasks, in declaration order', () => {
    expect(
      toExplicitWorkload(
        {
          T0: thread('P', 0, 'run', 'use_mm_setup W', 'clone C'),
          K: kthread(1, 'kwork; kernel_execve'),
          C: child(1, 'run'),
          W: useMmWorker(0, 'kthread_use_mm', 'kthread_unuse_mm'),
        },
        { tickPreemptions: 2 },
      ),
    ).toEqual({
      tasks: [
        { name: 'T0', kind: 'user', cpu: 0, mm: 'P', unstarted: false, program: ['run', 'use_mm_setup W', 'clone C'] },
        { name: 'K', kind: 'kthread', cpu: 1, unstarted: false, program: ['kwork', 'kernel_execve'] },
        { name: 'C', kind: 'user', cpu: 1, unstarted: true, program: ['run'] },
        { name: 'W', kind: 'kthread', cpu: 0, unstarted: true, program: ['kthread_use_mm', 'kthread_unuse_mm'] },
      ],
      tickPreemptions: 2,
    });
  });

  it('split program strings on ; , and newlines', () => {
    expect(programWords('run;  munmap   freed-tables ,\n sleep 1;')).toEqual(['run', 'munmap freed-tables', 'sleep 1']);
    expect(programWords(undefined)).toEqual([]);
  });

  it('reject inconsistent declarations with the reason', () => {
    expect(() => toExplicitWorkload({ K: { cpu: 0, kthread: true, mm: 'P' } })).toThrow(WorkloadError);
    expect(() => toExplicitWorkload({ K: { cpu: 0, kthread: true, mm: 'P' } })).toThrow(/task "K": a kernel thread has no mm/);
    expect(() => toExplicitWorkload({ A: thread('P', 0, 'clone C'), C: { cpu: 0, unstarted: true, mm: 'P' } })).toThrow(
      /unstarted child gets its mm from the clone\/fork/,
    );
    expect(() => toExplicitWorkload({ A: thread('P', 0, 'clone B'), B: thread('P', 1) })).toThrow(
      /starts B, which is already runnable at the start: declare it unstarted/,
    );
    expect(() => toExplicitWorkload({ A: thread('P', 0, 'clone C', 'fork C'), C: child(1) })).toThrow(
      /task "C" is started twice \("A: clone C" and "A: fork C"\)/,
    );
    expect(() => toExplicitWorkload({ A: thread('P', 0, 'use_mm_setup C'), C: child(1) })).toThrow(
      /use_mm_setup starts a kernel thread \(useMmWorker\(\)\) there, but C is a user task/,
    );
    expect(() => toExplicitWorkload({ A: thread('P', 0, 'clone W'), W: useMmWorker(1) })).toThrow(
      /clone starts a user task \(child\(\)\) there, but W is a kernel thread/,
    );
    expect(() => toExplicitWorkload({ K: kthread(0, 'clone C'), C: child(1) })).toThrow(/needs current->mm, but K is a kernel thread/);
    expect(() => toExplicitWorkload({ K: kthread(0, 'kernel_execve', 'clone C'), C: child(1) })).not.toThrow();
    expect(() => toExplicitWorkload({ A: thread('P', 0), C: child(1) })).toThrow(
      /task "C" is unstarted but no clone\/fork\/use_mm_setup\/io_uring_setup\/cpu_down op starts it/,
    );
  });

  it('io_uring_setup starts the io-wq thread (a CLONE_VM user task) and names the ring exit kworker', () => {
    expect(
      toExplicitWorkload({ A: thread('P', 0, 'io_uring_setup IOW X', 'run'), IOW: child(1, 'run'), X: ringExitWorker(0) }).tasks.map((t) => [
        t.name,
        t.kind,
        t.unstarted,
        t.program,
      ]),
    ).toEqual([
      ['A', 'user', false, ['io_uring_setup IOW X', 'run']],
      ['IOW', 'user', true, ['run']],
      ['X', 'kthread', true, ['io_ring_exit']],
    ]);
    expect(() => toExplicitWorkload({ A: thread('P', 0, 'io_uring_setup IOW X'), IOW: useMmWorker(1), X: ringExitWorker(0) })).toThrow(
      /io_uring_setup starts a user task \(child\(\)\) there, but IOW is a kernel thread/,
    );
    expect(() => toExplicitWorkload({ A: thread('P', 0, 'io_uring_setup IOW X'), IOW: child(1), X: useMmWorker(0, 'kwork') })).toThrow(
      /X must be the ring's exit kworker, whose program is io_ring_exit \(ringExitWorker\(\)\)/,
    );
    expect(() => toExplicitWorkload({ A: thread('P', 0, 'use_mm_setup X'), X: ringExitWorker(0) })).toThrow(
      /X is a ring exit kworker \(io_ring_exit\): only io_uring_setup's second task may name it/,
    );
    expect(() => toExplicitWorkload({ A: thread('P', 0, 'io_uring_setup IOW X', 'clone IOW'), IOW: child(1), X: ringExitWorker(0) })).toThrow(
      /task "IOW" is started twice/,
    );
  });

  it('ioWorker is the deprecated name of useMmWorker', () => {
    expect(ioWorker(1, 'kthread_use_mm')).toEqual(useMmWorker(1, 'kthread_use_mm'));
  });
});
