/**
 * Each core mutation breaks its declared invariant on a directed interleaving from
 * kernel-reference §7, and the mainline model passes the same script; random runs of the
 * mutation's own cell kill it too. (Arch mutations are tested in their plugins.)
 */
import { describe, expect, it } from 'vitest';
import { NO_MM, TS_BLOCKED, TS_UNSTARTED } from '../machine/constants.js';
import type { Kernel } from '../model/kernel.js';
import { hashString128, runSeed } from '../prng/seed.js';
import { referenceArch } from '../reference-arch/reference-arch.js';
import { Simulator } from '../run/simulator.js';
import type { ExplicitWorkloadInput } from '../workload/explicit.js';
import { drive, type ScriptStep } from '../test-support/drive.js';
import { P_EXIT, P_LAZY_GRAB_STORE } from '../model/frames.js';
import { CORE_MUTATIONS, coreMutation } from './catalog.js';
import { MutationError } from './resolve.js';

type Preempt = 'none' | 'voluntary' | 'full' | 'rt';

function sim(scheme: 'refcount' | 'shootdown', cpus: number, w: ExplicitWorkloadInput, mutations: string[], preempt: Preempt = 'full'): Simulator {
  return new Simulator({ plugin: referenceArch, scheme, cpus, workload: { explicit: w }, mutations, preempt });
}

/** Run the script mutated and unmutated: returns [mutated result, mainline result]. */
function both(scheme: 'refcount' | 'shootdown', cpus: number, w: ExplicitWorkloadInput, id: string, script: ScriptStep[], preempt: Preempt = 'full') {
  return [drive(sim(scheme, cpus, w, [id], preempt), script), drive(sim(scheme, cpus, w, [], preempt), script)] as const;
}

const topPc = (k: Kernel, cpu: number): number => (k.cpuSp[cpu]! > 0 ? k.frPc[k.top(cpu)]! : -1);

describe('core mutations: directed scenarios (mutated breaks, mainline passes)', () => {
  it('kthread-use-mm-irqs-on (38cf307c1f20): active_mm == mm before switch_mm, IRQs on -> I13', () => {
    const w: ExplicitWorkloadInput = {
      tasks: [
        { name: 'P', kind: 'user', cpu: 0, mm: 'M', program: ['use_mm_setup W', 'run', 'run', 'exit'] },
        { name: 'W', kind: 'kthread', cpu: 1, unstarted: true, program: ['kthread_use_mm', 'kwork', 'kthread_unuse_mm', 'exit'] },
      ],
    };
    const W = 2 + 1;
    const [mut, main] = both('refcount', 2, w, 'kthread-use-mm-irqs-on', [
      { cpu: 0, until: (k) => k.taskState[W] !== TS_UNSTARTED }, // use_mm_setup wakes the worker on CPU1
      { cpu: 1, until: (k) => k.taskMm[W] !== NO_MM && k.cpuSp[1] === 0 }, // kthread_use_mm
    ]);
    expect(mut.outcome).toBe('violation');
    expect(mut.violation!.invariant).toBe('I13');
    expect(mut.trace!.some((e) => e.fn === 'kthread_use_mm' && /with IRQs on/.test(e.text))).toBe(true);
    expect(main.outcome).toBe('ok');
  });

  it('kernel-execve-preempt (d53c3dfb23c4): preempted between reading active_mm and the stores (PREEMPT_RT) -> I4', () => {
    // CPU0: U runs and sleeps, K (call_usermodehelper) is lazy on U's mm L and starts
    // kernel_execve; a tick preempts it for X (k->u: L's lazy ref dropped), X yields back
    // (u->k: K lazy on X, +1), K stores the new mm and drops the stale L. The pre-fix read sat
    // under task_lock(): only PREEMPT_RT can preempt there.
    const w: ExplicitWorkloadInput = {
      tasks: [
        { name: 'U', kind: 'user', cpu: 0, mm: 'L', program: ['run', 'sleep 1', 'run', 'exit'] },
        { name: 'K', kind: 'kthread', cpu: 0, program: ['kwork', 'kernel_execve', 'run', 'exit'] },
        { name: 'X', kind: 'user', cpu: 0, mm: 'X', program: ['run', 'yield', 'run', 'exit'] },
      ],
      tickPreemptions: 1,
    };
    const K = 2 + 1;
    const inExec = (k: Kernel): boolean => k.cpuCurr[0] === K && k.cpuSp[0]! > 0 && topPc(k, 0) >= 2;
    const script: ScriptStep[] = [
      { cpu: 0, until: inExec },
      { cpu: 0, kind: 'irq' },
    ];
    const [mut, main] = both('refcount', 2, w, 'kernel-execve-preempt', script, 'rt');
    expect(mut.outcome).toBe('violation');
    expect(mut.violation!.invariant).toBe('I4');
    expect(mut.trace!.some((e) => e.fn === 'preempt_schedule_irq')).toBe(true);
    expect(main.outcome).toBe('ok');
    // Without PREEMPT_RT task_lock() keeps preemption off: the tick cannot come in the window.
    const full = drive(sim('refcount', 2, w, ['kernel-execve-preempt'], 'full'), [{ cpu: 0, until: inExec }]);
    expect(full.outcome).toBe('ok');
    expect(full.trace!.some((e) => e.fn === 'preempt_schedule_irq')).toBe(false);
  });

  // CPU1 goes lazy on M (A sleeps); the control thread on CPU2 takes CPU1 down. The mainline
  // sched_force_init_mm() moves cpuhp/1 to init_mm before take_cpu_down; without it CPU1 goes
  // offline still lazy on M, after clear_tasks_mm_cpumask() cleared its bit.
  // B unmaps everything first (so exit_mmap has no final flush: the only thing left to go wrong
  // is the lazy pointer itself, not the offline CPU's TLB).
  const hotplug: ExplicitWorkloadInput = {
    tasks: [
      { name: 'A', kind: 'user', cpu: 1, mm: 'M', program: ['run', 'sleep 0', 'run', 'exit'] },
      { name: 'B', kind: 'user', cpu: 0, mm: 'M', program: ['munmap all', 'run', 'exit'] },
      { name: 'ctl', kind: 'kthread', cpu: 2, program: ['cpu_down hp', 'cpu_up 1'] },
      { name: 'hp', kind: 'kthread', cpu: 1, unstarted: true, program: ['cpuhp'] },
    ],
  };
  const A = 3;
  const cpu1Lazy = (k: Kernel): boolean => k.cpuCurr[1] === 1 && k.taskState[A] === TS_BLOCKED;
  const unmapped = (k: Kernel): boolean => k.mmHasVmas[1] === 0 && k.cpuSp[0] === 0;
  const cpu1Offline = (k: Kernel): boolean => k.cpuOnline[1] === 0;

  it('hotplug-no-force-init-mm (21641bd9a7a7): the offline CPU stays lazy on M outside its mask -> I7 under SHOOTDOWN', () => {
    const script: ScriptStep[] = [
      { cpu: 0, until: unmapped },
      { cpu: 1, until: cpu1Lazy },
      { cpu: 2, until: (k) => k.cpuActive[1] === 0 }, // cpu_down: deactivate CPU1, kick cpuhp/1
      { cpu: 1, until: cpu1Offline }, // cpuhp/1 ... take_cpu_down; idle_task_exit not yet
      { cpu: 0, kind: 'irq' }, // A's wakeup lands on CPU0
      { cpu: 0, until: (k) => k.violation !== null || (k.ntasks > 0 && k.mmStage[1] === 6) },
    ];
    const [mut, main] = both('shootdown', 3, hotplug, 'hotplug-no-force-init-mm', script);
    expect(mut.outcome).toBe('violation');
    expect(mut.violation!.invariant).toBe('I7');
    expect(mut.violation!.message).toMatch(/CPU1 \(offline\) is lazy on it/);
    expect(main.outcome).toBe('ok');
  });

  it('idle-task-exit-mmdrop (bf2c59fce407): the last reference dropped in idle_task_exit on the offline CPU -> I5', () => {
    // A (single-threaded M) goes to sleep on CPU1 and exits on CPU0, whose next switch is to
    // C (k->u drops CPU0's lazy ref): CPU1's lazy reference is M's last.
    const w: ExplicitWorkloadInput = {
      tasks: [
        { name: 'A', kind: 'user', cpu: 1, mm: 'M', program: ['munmap all', 'sleep 0', 'exit'] },
        { name: 'C', kind: 'user', cpu: 0, mm: 'N', program: ['run', 'yield', 'run', 'exit'] },
        { name: 'ctl', kind: 'kthread', cpu: 2, program: ['cpu_down hp', 'cpu_up 1'] },
        { name: 'hp', kind: 'kthread', cpu: 1, unstarted: true, program: ['cpuhp'] },
      ],
    };
    const script: ScriptStep[] = [
      { cpu: 1, until: cpu1Lazy },
      { cpu: 0, kind: 'irq' },
      { cpu: 0, until: (k) => k.mmUsers[1] === 0 && k.lazyMm(0) !== 1 && k.cpuSp[0] === 0 },
      { cpu: 2, until: (k) => k.cpuActive[1] === 0 },
      { cpu: 1, until: (k) => k.violation !== null || (k.cpuOnline[1] === 0 && k.cpuDying[1] === 0) },
    ];
    const [mut, main] = both('refcount', 3, w, 'idle-task-exit-mmdrop', script);
    expect(mut.outcome).toBe('violation');
    expect(mut.violation!.invariant).toBe('I5');
    expect(mut.violation!.message).toMatch(/offline CPU1/);
    expect(main.outcome).toBe('ok');
  });
});

describe("mmgrab-lazy-nonatomic (synthetic: the anchor model's BUG_NONATOMIC_GRAB)", () => {
  // Two threads of M exit at once on CPU0 and CPU1: both exit_mm()s read mm_count before either
  // stores it back + 1, so one lazy grab is lost (I4 at the second store). Mainline's grabs are
  // atomic steps: the same script passes.
  const w: ExplicitWorkloadInput = {
    tasks: [
      { name: 'A', kind: 'user', cpu: 0, mm: 'M', program: ['exit'] },
      { name: 'B', kind: 'user', cpu: 1, mm: 'M', program: ['exit'] },
    ],
  };
  // In exit_mm past the grab's read: pc 5 mutated (the store is next), pc 1 mainline (mmput is next).
  const grabbed = (cpu: number) => (k: Kernel) => k.cpuSp[cpu]! > 0 && k.frPath[k.top(cpu)] === P_EXIT && [1, 5].includes(topPc(k, cpu));
  const script: ScriptStep[] = [{ cpu: 0, until: grabbed(0) }, { cpu: 1, until: grabbed(1) }, { cpu: 0 }, { cpu: 1 }];

  it('two exit_mm() lazy grabs read the same mm_count: the second store loses the first -> I4', () => {
    const [mut, main] = both('refcount', 2, w, 'mmgrab-lazy-nonatomic', script);
    expect(mut.outcome).toBe('violation');
    expect(mut.violation!.invariant).toBe('I4');
    expect(mut.violation!.cpu).toBe(1);
    expect(mut.trace!.filter((e) => e.fn === 'mmgrab_lazy_tlb' && /lost/.test(e.text))).toHaveLength(1);
    expect(main.outcome).toBe('ok');
  });

  it('a context switch to a kernel thread reads mm_count, and stores it at its next step with IRQs off', () => {
    const kw: ExplicitWorkloadInput = {
      tasks: [
        { name: 'U', kind: 'user', cpu: 0, mm: 'M', program: ['run', 'yield', 'exit'] },
        { name: 'K', kind: 'kthread', cpu: 0, program: ['kwork', 'exit'] },
      ],
    };
    const s = sim('refcount', 1, kw, ['mmgrab-lazy-nonatomic']);
    let irqsOff = -1;
    const pending = (k: Kernel): boolean => {
      const at = k.cpuSp[0]! > 0 && k.frPath[k.top(0)] === P_LAZY_GRAB_STORE;
      if (at) irqsOff = k.cpuIrqsOff[0]!;
      return at;
    };
    const r = drive(s, [{ cpu: 0, until: pending }]);
    expect(r.outcome).toBe('ok');
    expect(irqsOff).toBe(1);
    // U -> K (context_switch), then U's exit_mm(): each a read, then a store at a later step
    const grabs = r.trace!.filter((e) => e.fn === 'mmgrab_lazy_tlb');
    expect(grabs.map((e) => /tmp = /.test(e.text))).toEqual([true, false, true, false]);
    expect(grabs[1]!.step).toBeGreaterThan(grabs[0]!.step);
    expect(grabs[3]!.step).toBeGreaterThan(grabs[2]!.step);
    // shootdown takes no lazy reference: nothing to split, the run is mainline's
    const sd = drive(sim('shootdown', 1, kw, ['mmgrab-lazy-nonatomic']), []);
    expect(sd.trace!.some((e) => e.fn === 'mmgrab_lazy_tlb')).toBe(false);
    expect(sd.outcome).toBe('ok');
  });
});

describe('mutation catalogue', () => {
  it('has unique ids and bits, and each doc names a commit and the invariant it breaks', () => {
    const ids = CORE_MUTATIONS.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    const bits = CORE_MUTATIONS.map((m) => m.bit);
    expect(new Set(bits).size).toBe(bits.length);
    for (const m of CORE_MUTATIONS) {
      expect(m.fixedBy).toMatch(/^[0-9a-f]{12} \S/);
      expect(m.cells.length).toBeGreaterThan(0);
    }
    expect(coreMutation('kernel-execve-preempt')?.breaks).toBe('I4');
  });

  it('an unknown mutation is refused with the allowed ids; mutations are part of the cell id and the artifact', () => {
    expect(() => new Simulator({ plugin: referenceArch, scheme: 'refcount', cpus: 2, mutations: ['nope'] })).toThrow(MutationError);
    expect(() => new Simulator({ plugin: referenceArch, scheme: 'refcount', cpus: 2, mutations: ['nope'] })).toThrow(/allowed kthread-use-mm-irqs-on/);
    const plain = new Simulator({ plugin: referenceArch, scheme: 'refcount', cpus: 2 });
    const mut = new Simulator({ plugin: referenceArch, scheme: 'refcount', cpus: 2, mutations: ['kernel-execve-preempt', 'kernel-execve-preempt'] });
    expect(plain.cell.mutations).toBeUndefined();
    expect(mut.cell.mutations).toEqual(['kernel-execve-preempt']);
    expect(mut.cellId).not.toBe(plain.cellId);
  });
});

describe('core mutations: random runs of the reference arch find them, the mainline stays clean', () => {
  const cases = [
    { id: 'kthread-use-mm-irqs-on', scheme: 'refcount', workload: 'kthread-heavy', cpus: 2, inv: 'I13' },
    { id: 'kernel-execve-preempt', scheme: 'refcount', workload: 'kthread-heavy', cpus: 2, inv: 'I4', preempt: 'rt' },
    { id: 'hotplug-no-force-init-mm', scheme: 'shootdown', workload: 'hotplug', cpus: 4, inv: null },
    { id: 'idle-task-exit-mmdrop', scheme: 'refcount', workload: 'hotplug', cpus: 4, inv: 'I5' },
    { id: 'mmgrab-lazy-nonatomic', scheme: 'refcount', workload: 'exit-heavy', cpus: 4, inv: 'I4' },
  ] as const;
  for (const c of cases) {
    it(`${c.id}: ${c.scheme} ${c.workload}`, () => {
      const count = (mutations: string[]): Map<string, number> => {
        const s = new Simulator({
          plugin: referenceArch,
          scheme: c.scheme,
          cpus: c.cpus,
          workload: c.workload,
          mutations,
          preempt: 'preempt' in c ? c.preempt : 'full',
        });
        const base = hashString128(s.cellId);
        const out = new Map<string, number>();
        for (let i = 0; i < 1500; i++) {
          const r = s.run(runSeed(base, i));
          if (r.outcome !== 'ok') {
            const key = r.violation?.invariant ?? r.outcome;
            out.set(key, (out.get(key) ?? 0) + 1);
          }
        }
        return out;
      };
      const mut = count([c.id]);
      expect([...mut.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      if (c.inv !== null) expect(mut.get(c.inv) ?? 0).toBeGreaterThan(0);
      expect(count([]).size).toBe(0);
    });
  }
});
