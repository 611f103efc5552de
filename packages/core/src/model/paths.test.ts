/**
 * The kernel activity added for issue 10: preemption inside kernel paths per preemption model,
 * khugepaged, io_uring's ring exit, deep idle, text_poke, suspend, reclaim, munmap of
 * everything, shoot-lazies over online CPUs, init_mm's atomics.
 */
import { describe, expect, it } from 'vitest';
import { C_MM_COUNT_ATOMICS } from '../cost/counters.js';
import { hashString128, runSeed } from '../prng/seed.js';
import { referenceArch } from '../reference-arch/reference-arch.js';
import { Simulator, type SimulatorOptions } from '../run/simulator.js';
import { drive } from '../test-support/drive.js';
import { referenceVariant } from '../test-support/reference-variant.js';
import type { ExplicitWorkloadInput } from '../workload/explicit.js';
import { MM_FREED, NO_MM, TS_DEAD, TS_PARKED } from '../machine/constants.js';
import { P_EXIT, P_KHUGEPAGED, P_MMPUT } from './frames.js';
import type { Kernel } from './kernel.js';

const explicit = (w: ExplicitWorkloadInput, o: Partial<SimulatorOptions> = {}): Simulator =>
  new Simulator({ plugin: referenceArch, scheme: 'refcount', cpus: 2, workload: { explicit: w }, ...o });

const inPath = (k: Kernel, cpu: number, path: number, pc: number): boolean => k.cpuSp[cpu]! > 0 && k.frPath[k.top(cpu)] === path && k.frPc[k.top(cpu)] === pc;

describe('preemption inside kernel paths', () => {
  // T exits on CPU0 with U queued behind it; a tick arrives while exit_mmap is between
  // unmap_vmas and its final flush (a cond_resched point, live in every preemption model).
  const w: ExplicitWorkloadInput = {
    tasks: [
      { name: 'T', kind: 'user', cpu: 0, mm: 'P', program: ['run', 'exit'] },
      { name: 'U', kind: 'user', cpu: 0, mm: 'Q', program: ['run', 'run', 'exit'] },
    ],
    tickPreemptions: 1,
  };
  const T = 2;
  for (const preempt of ['none', 'voluntary', 'full', 'rt'] as const) {
    it(`${preempt}: exit_mmap is switched out at its cond_resched with both frames and resumed to the end`, () => {
      const s = explicit(w, { preempt });
      const r = drive(s, [
        { cpu: 0, until: (k) => k.cpuCurr[0] === T && inPath(k, 0, P_MMPUT, 4) },
        { cpu: 0, kind: 'irq' }, // scheduler_tick: resched_curr
        { cpu: 0 }, // preempt_schedule_irq inside exit_mmap
      ]);
      expect(r.outcome).toBe('ok');
      const ev = r.trace!.find((e) => e.fn === 'preempt_schedule_irq');
      expect(ev?.text).toMatch(/T2 preempted inside a kernel path/);
      expect(s.k.taskState[T]).toBe(TS_DEAD);
      expect(s.k.mmStage[1]).toBe(MM_FREED);
    });
  }

  it('the point between exit_mm and mmput is a might_sleep one: live from voluntary up, not under none', () => {
    const at = (k: Kernel): boolean => k.cpuCurr[0] === T && inPath(k, 0, P_EXIT, 1);
    for (const [preempt, live] of [
      ['none', false],
      ['voluntary', true],
      ['full', true],
    ] as const) {
      const s = explicit(w, { preempt });
      s.begin([1, 2, 3, 4]);
      for (let i = 0; i < 200 && !at(s.k); i++) s.stepActor(0);
      expect(at(s.k)).toBe(true);
      expect(s.enabledActors().includes(1), preempt).toBe(live); // CPU0's tick
      s.end();
    }
  });

  it("a task preempted inside a path may resume it on another CPU, lazy on that CPU's mm", () => {
    // Random runs of the default workload under every model stay clean under refcount and
    // somewhere resume an exit on another CPU than the one it was preempted on.
    let moved = 0;
    for (const preempt of ['none', 'full', 'rt'] as const) {
      const s = new Simulator({ plugin: referenceArch, scheme: 'refcount', cpus: 3, workload: 'exit-heavy', preempt });
      const cell = hashString128(s.cellId);
      for (let i = 0; i < 300; i++) {
        const r = s.run(runSeed(cell, i), { trace: i < 60 });
        expect(r.outcome, `${preempt} run ${i}: ${r.violation?.message ?? ''}`).toBe('ok');
        if (r.trace !== null) moved += r.trace.filter((e) => e.fn === 'preempt_schedule_irq' && /load balance moves it/.test(e.text)).length;
      }
    }
    expect(moved).toBeGreaterThan(0);
  });
});

describe('khugepaged', () => {
  // K collapses in P's mm (flush_tlb_range, then the PTE table is freed). T exits meanwhile:
  // __mmput's khugepaged_exit finds khugepaged working on P and sleeps in mmap_write_lock; K
  // lets go, T goes on; K then collects the slot (mmdrop).
  const w: ExplicitWorkloadInput = {
    tasks: [
      { name: 'T', kind: 'user', cpu: 0, mm: 'P', program: ['run', 'exit'] },
      { name: 'K', kind: 'kthread', cpu: 1, program: ['khugepaged P', 'exit'] },
    ],
  };
  const T = 2,
    K = 3;
  it('the exiting task waits for a collapse in progress; khugepaged then collects the slot', () => {
    for (const scheme of ['refcount', 'shootdown', 'none'] as const) {
      const s = explicit(w, { scheme });
      expect(s.k.mmCount[1]).toBe(0); // before begin
      const r = drive(s, [
        { cpu: 1, until: (k) => k.cpuCurr[1] === K && inPath(k, 1, P_KHUGEPAGED, 1) }, // flushed, table not yet freed
        { cpu: 0, until: (k) => k.taskState[T] === TS_PARKED }, // exit: mmput -> __mmput -> khugepaged_exit sleeps
        { cpu: 1, until: (k) => k.cpuCurr[1] !== K || k.cpuSp[1] === 0 },
      ]);
      expect(r.outcome, `${scheme}: ${r.violation?.message ?? ''}`).toBe('ok');
      expect(r.trace!.some((e) => e.fn === 'khugepaged_exit' && /sleeps/.test(e.text))).toBe(true);
      expect(r.trace!.some((e) => e.fn === 'collect_mm_slot')).toBe(true);
      expect(s.k.mmSlotHeld[1]).toBe(0);
      // freed, unless REFCOUNT=y and a CPU that went lazy on it never switched to a user task since
      if (scheme !== 'refcount') expect(s.k.mmStage[1]).toBe(MM_FREED);
      else expect(s.k.mmStage[1] === MM_FREED || s.k.lazyMm(0) === 1 || s.k.lazyMm(1) === 1).toBe(true);
    }
  });

  it('without khugepaged at work, __mmput drops the slot itself', () => {
    const s = explicit({ tasks: [w.tasks[0]!, { ...w.tasks[1]!, program: ['kwork', 'sleep 1', 'khugepaged P', 'exit'] }] });
    const r = drive(s, [{ cpu: 0, until: (k) => k.taskState[T] === TS_DEAD }]);
    expect(r.outcome).toBe('ok');
    expect(r.trace!.some((e) => e.fn === 'khugepaged_exit' && /free the mm_slot/.test(e.text))).toBe(true);
  });
});

describe('io_uring (create_io_thread workers, io_ring_exit_work)', () => {
  const w: ExplicitWorkloadInput = {
    tasks: [
      { name: 'T', kind: 'user', cpu: 0, mm: 'P', program: ['io_uring_setup W E', 'run', 'exit'] },
      { name: 'W', kind: 'user', cpu: 1, unstarted: true, program: ['kwork', 'exit'] },
      { name: 'E', kind: 'kthread', cpu: 1, unstarted: true, program: ['io_ring_exit'] },
    ],
  };
  it('the io-wq thread shares the mm (mm_users), the ring pins it (mm_count), the exit kworker drops the pin after the owner exits', () => {
    for (const scheme of ['refcount', 'shootdown', 'none'] as const) {
      const s = explicit(w, { scheme });
      const r = drive(s, [{ cpu: 0, until: (k) => k.taskMm[3] !== NO_MM }]);
      expect(r.outcome, scheme).toBe('ok');
      const ev = r.trace!.map((e) => e.fn);
      expect(ev).toContain('io_uring_setup');
      expect(ev.indexOf('io_uring_release')).toBeLessThan(ev.indexOf('io_ring_ctx_free'));
      if (scheme !== 'refcount') expect(s.k.mmStage[1]).toBe(MM_FREED);
      expect(s.k.mmGrabHolders[1]).toBe(0);
    }
  });
});

describe('deep idle, text_poke, suspend and reclaim reach the arch', () => {
  const calls: string[] = [];
  const spy = referenceVariant('spy', () => ({
    cpu_idle_deep: (_k, cpu) => void calls.push(`idle${cpu}`),
    use_temporary_mm: (_k, cpu) => void calls.push(`poke${cpu}`),
    suspend_resume: (_k, cpu) => void calls.push(`suspend${cpu}`),
  }));
  it('each once per op / budgeted idle entry', () => {
    calls.length = 0;
    const s = new Simulator({
      plugin: spy,
      scheme: 'refcount',
      cpus: 2,
      workload: {
        explicit: {
          tasks: [
            { name: 'T', kind: 'user', cpu: 0, mm: 'P', program: ['text_poke', 'mremap', 'membarrier_register', 'exit'] },
            { name: 'K', kind: 'kthread', cpu: 1, program: ['text_poke', 'suspend', 'reclaim P', 'exit'] },
          ],
          deepIdles: 3,
        },
      },
    });
    const r = drive(s, [{ cpu: 1, until: (k) => k.taskState[3] === TS_DEAD }]); // K first, while P is alive
    expect(r.outcome).toBe('ok');
    expect(calls.filter((c) => c.startsWith('poke'))).toHaveLength(2);
    expect(calls.filter((c) => c.startsWith('suspend'))).toEqual(['suspend1']);
    expect(calls.filter((c) => c.startsWith('idle'))).toHaveLength(3);
    expect(s.k.idleBudget).toBe(0);
    expect(r.trace!.some((e) => e.fn === 'try_to_unmap')).toBe(true);
    expect(r.trace!.some((e) => e.fn === 'mremap' && /flush_tlb_range/.test(e.text))).toBe(true);
  });
});

describe('munmap of everything', () => {
  it('a thread that runs after its mm lost every VMA faults and exits (SIGSEGV)', () => {
    const s = explicit({
      tasks: [
        { name: 'A', kind: 'user', cpu: 0, mm: 'P', program: ['munmap all', 'exit'] },
        { name: 'B', kind: 'user', cpu: 1, mm: 'P', program: ['sleep 0', 'run', 'run', 'run', 'exit'] },
      ],
    });
    const r = drive(s, [
      { cpu: 1, until: (k) => k.taskState[3] !== 2 },
      { cpu: 0, until: (k) => k.taskState[2] === TS_DEAD },
      { cpu: 0, kind: 'irq' },
    ]);
    expect(r.outcome).toBe('ok');
    expect(r.trace!.some((e) => e.fn === 'do_exit' && /SIGSEGV/.test(e.text))).toBe(true);
  });
});

describe('shoot-lazies over online CPUs (shootdown:mask=online)', () => {
  // An arch that keeps no mm_cpumask for user mms (as arm64): shooting the mask reaches nobody.
  const maskless = referenceVariant('maskless', () => ({ shoot_lazies_mask: () => 0 }));
  it('mask=cpumask misses the lazy CPU (I7); mask=online shoots it and the run is clean', () => {
    for (const [options, want] of [
      [{}, 'I7'],
      [{ mask: 'online' }, null],
    ] as const) {
      const s = new Simulator({ plugin: maskless, scheme: 'shootdown', schemeOptions: options, cpus: 4, workload: 'exit-heavy' });
      const cell = hashString128(s.cellId);
      const seen = new Set<string>();
      for (let i = 0; i < 200; i++) {
        const r = s.run(runSeed(cell, i));
        if (r.violation !== null) seen.add(r.violation.invariant);
      }
      expect([...seen]).toEqual(want === null ? [] : [want]);
    }
    const online = new Simulator({ plugin: maskless, scheme: 'shootdown', schemeOptions: { mask: 'online' }, cpus: 2 });
    expect(online.cell.schemeOptions).toEqual({ mask: 'online' });
    expect(new Simulator({ plugin: maskless, scheme: 'shootdown', schemeOptions: { mask: 'cpumask' }, cpus: 2 }).cell.schemeOptions).toBeUndefined();
    expect(() => new Simulator({ plugin: maskless, scheme: 'refcount', schemeOptions: { mask: 'online' }, cpus: 2 })).toThrow(
      /invalid options for scheme refcount[\s\S]*takes no options/,
    );
    expect(() => new Simulator({ plugin: maskless, scheme: 'shootdown', schemeOptions: { mask: 'all' }, cpus: 2 })).toThrow(/mask[\s\S]*allowed: mask/);
  });
});

describe('init_mm mm_count atomics', () => {
  it('are counted under refcount (the idle task, lazy on init_mm, switches to a user task: mmdrop_lazy_tlb(&init_mm)), not under shootdown', () => {
    // idle (lazy on init_mm) -> K is k->k (no atomic); idle -> T (k->u) drops init_mm's lazy reference in finish_task_switch
    const kwork: ExplicitWorkloadInput = { tasks: [{ name: 'K', kind: 'kthread', cpu: 0, program: ['kwork', 'exit'] }] };
    expect(drive(explicit(kwork), []).outcome).toBe('ok');
    const w: ExplicitWorkloadInput = { tasks: [{ name: 'T', kind: 'user', cpu: 0, mm: 'P', program: ['run', 'exit'] }] };
    for (const [scheme, want] of [
      ['refcount', 1],
      ['shootdown', 0],
    ] as const) {
      const s = explicit(w, { scheme });
      s.begin([1, 2, 3, 4]);
      for (let i = 0; i < 20 && !(s.k.cpuCurr[0] === 2 && s.k.cpuSp[0] === 0); i++) s.stepActor(0);
      expect(s.k.cpuCurr[0]).toBe(2);
      // The only mm_count atomic so far is init_mm's (P is allocated with its count set, no atomic).
      expect(s.k.cost[C_MM_COUNT_ATOMICS], scheme).toBe(want);
      s.end();
    }
    // cpu_up / sched_force_init_mm / hotplug grab init_mm too: random hotplug runs stay clean.
    for (const scheme of ['refcount', 'shootdown'] as const) {
      const s = new Simulator({ plugin: referenceArch, scheme, cpus: 2, workload: 'hotplug' });
      const cell = hashString128(s.cellId);
      let atomics = 0;
      for (let i = 0; i < 50; i++) {
        expect(s.run(runSeed(cell, i)).outcome).toBe('ok');
        atomics += s.costs[C_MM_COUNT_ATOMICS]!;
      }
      if (scheme === 'refcount') expect(atomics).toBeGreaterThan(0);
    }
  });
});

describe('a zap waits for a flush in progress on the same mm (page-table lock)', () => {
  it("exit_mmap's unmap_vmas does not run while kswapd's reclaim flush of that mm waits for its IPIs", () => {
    const s = explicit({
      tasks: [
        { name: 'T', kind: 'user', cpu: 0, mm: 'P', program: ['run', 'exit'] },
        { name: 'K', kind: 'kthread', cpu: 1, program: ['reclaim P', 'exit'] },
      ],
    });
    s.begin([1, 2, 3, 4], { trace: true });
    const k = s.k;
    const step = (actor: number, until: () => boolean): void => {
      for (let i = 0; i < 100 && !until(); i++) s.stepActor(actor);
      expect(until()).toBe(true);
    };
    step(0, () => k.cpuCurr[0] === 2); // T runs on CPU0 (P loaded there)
    step(4, () => k.cpuWait[1]! > 0); // K: try_to_unmap + the batch flush, waiting for CPU0's ack
    step(0, () => k.cpuPtWait[0] === 1); // T exits ... exit_mmap's unmap_vmas finds the lock held
    expect(s.enabledActors()).not.toContain(0); // T waits
    step(1, () => k.cpuWait[1] === 0); // CPU0 takes the flush IPI
    step(4, () => k.mmPtBusy[1] === 0); // K frees the page, lets go
    expect(s.enabledActors()).toContain(0);
    const r = s.end();
    expect(r.violation).toBeNull();
  });
});
