/**
 * Core mutations (model-spec §9): switches that restore real, since-fixed code paths in the
 * generic kernel (kernel-reference §7). Each is a bit of Kernel.mutations, tested where the
 * path runs. Arch plugins declare their own (ArchPlugin.mutations); both share one id space.
 */
import type { MutationDoc } from '../abi/plugin.js';

/** kthread_use_mm() sets tsk->active_mm / tsk->mm before switch_mm(), with IRQs on (pre-38cf307c1f20). */
export const MUT_KTHREAD_USE_MM_IRQS_ON = 1;
/** kernel_execve(): exec_mmap() reads active_mm, is preempted, then stores and drops the stale value (pre-d53c3dfb23c4). */
export const MUT_KERNEL_EXECVE_PREEMPT = 2;
/** CPU offline without sched_force_init_mm(): the dying CPU stays lazy on a user mm (pre-21641bd9a7a7). */
export const MUT_HOTPLUG_NO_FORCE_INIT_MM = 4;
/** idle_task_exit() drops the dying CPU's lazy mm itself, on the offline CPU (pre-bf2c59fce407). */
export const MUT_IDLE_TASK_EXIT_MMDROP = 8;
/**
 * Not a historical bug: the anchor Promela model's BUG_NONATOMIC_GRAB. The lazy mmgrab
 * (mmgrab_lazy_tlb in context_switch to a kernel thread and in exit_mm) as a load of mm_count
 * and, one step later, a store of the loaded value + 1, so an update in between is lost.
 */
export const MUT_MMGRAB_LAZY_NONATOMIC = 16;

export interface CoreMutation extends MutationDoc {
  /** Its bit in Kernel.mutations. */
  readonly bit: number;
}

export const CORE_MUTATIONS: readonly CoreMutation[] = [
  {
    id: 'kthread-use-mm-irqs-on',
    bit: MUT_KTHREAD_USE_MM_IRQS_ON,
    title: 'kthread_use_mm() sets active_mm and mm before switch_mm(), with IRQs on',
    fixedBy: '38cf307c1f20 mm: fix kthread_use_mm() vs TLB invalidate',
    breaks: 'I13',
    cells: [{ arch: 'powerpc', options: { mmu: 'radix' }, scheme: 'refcount', workload: 'kthread-heavy', cpus: 4 }],
    description:
      'Before the fix kthread_use_mm() did `tsk->active_mm = mm; tsk->mm = mm; switch_mm(active_mm, mm, tsk)` under ' +
      'task_lock() only, so an IPI between the stores and switch_mm() saw active_mm == mm while the MMU still ran the ' +
      'old context (powerpc: SPRN_PID of the old mm; the pre-series exit_lazy_flush_tlb IPI then treated the worker as ' +
      'lazy). Restored: the stores are one step, switch_mm_irqs_off() the next, with IRQs on in between.',
  },
  {
    id: 'kernel-execve-preempt',
    bit: MUT_KERNEL_EXECVE_PREEMPT,
    title: 'kernel_execve(): exec_mmap() reads the lazy active_mm, is preempted, and drops the stale value',
    fixedBy: 'd53c3dfb23c4 mm: fix exec activate_mm vs TLB shootdown and lazy tlb switching race',
    breaks: 'I4',
    cells: [{ arch: 'x86-native', scheme: 'refcount', preempt: 'rt', workload: 'kthread-heavy', cpus: 2 }],
    description:
      'Without local_irq_disable() in exec_mmap(), a kernel thread exec (call_usermodehelper -> kernel_execve) reads ' +
      '`active_mm = current->active_mm` (a lazy reference) under task_lock() only; on PREEMPT_RT (where task_lock is a ' +
      'sleeping lock and preemptible) it can be preempted, and on return stores the new mm and ' +
      '`mmdrop(active_mm)`: the scheduler already dropped that lazy reference at the k->u switch, and the one it took ' +
      'when switching back in (u->k mmgrab_lazy_tlb) is never dropped. A double drop of the old mm and a leak of the ' +
      'other (I4, then I5). Restored: a preemption point between the read and the stores, live only under preempt=rt ' +
      '(kernel-reference §11: the pre-fix read sat under task_lock(); without RT the exposure was the IRQs-on activate_mm).',
  },
  {
    id: 'hotplug-no-force-init-mm',
    bit: MUT_HOTPLUG_NO_FORCE_INIT_MM,
    title: 'CPU offline without sched_force_init_mm(): the dying CPU stays lazy on a user mm after clear_tasks_mm_cpumask()',
    fixedBy: '21641bd9a7a7 lazy tlb: fix hotplug exit race with MMU_LAZY_TLB_SHOOTDOWN',
    breaks: 'I7',
    cells: [
      { arch: 'powerpc', options: { mmu: 'radix' }, scheme: 'shootdown', workload: 'hotplug', cpus: 2 },
      { arch: 'powerpc', options: { mmu: 'hash' }, scheme: 'shootdown', workload: 'hotplug', cpus: 2 },
    ],
    description:
      'powerpc __cpu_disable() -> cleanup_cpu_mmu_context() -> clear_tasks_mm_cpumask(cpu) clears the dying CPU from ' +
      'every mm_cpumask while its cpuhp thread / idle task is still lazy on a user mm (until idle_task_exit()). If ' +
      "that mm's final mmdrop comes in the window, cleanup_lazy_tlbs() misses the CPU (I7) and the mm is freed under " +
      'it (I3). Restored: the offline sequence without sched_force_init_mm(), with finish_cpu() dropping the lazy mm.',
  },
  {
    id: 'idle-task-exit-mmdrop',
    bit: MUT_IDLE_TASK_EXIT_MMDROP,
    title: 'idle_task_exit() drops the lazy mm on the dying CPU, which may run __mmdrop() on an offline CPU',
    fixedBy: 'bf2c59fce407 sched/core: Fix illegal RCU from offline CPUs',
    breaks: 'I5',
    cells: [{ arch: 'x86-native', scheme: 'refcount', workload: 'hotplug', cpus: 2 }],
    description:
      'Up to v5.7 idle_task_exit() did `switch_mm(mm, &init_mm, current); mmdrop(mm)` on the dying CPU, after it was ' +
      'marked offline. If that was the last reference, __mmdrop() (which frees memory and may use RCU) ran on a CPU RCU ' +
      'no longer watches (I5: calling context of __mmdrop). The fix leaves the drop to finish_cpu() on the control CPU. ' +
      'Restored: no sched_force_init_mm(), and the drop in idle_task_exit().',
  },
  {
    id: 'mmgrab-lazy-nonatomic',
    bit: MUT_MMGRAB_LAZY_NONATOMIC,
    title: "SYNTHETIC (the anchor model's BUG_NONATOMIC_GRAB, not a kernel bug): the lazy mmgrab as a load of mm_count, then a store of the loaded value + 1",
    // Not a fix: mainline never had this bug. The schema wants a commit, so this is the one that made
    // mmgrab() `atomic_inc(&mm->mm_count)` (include/linux/sched/mm.h), the atomicity this mutation undoes.
    fixedBy: 'f1f1007644ff mm: add new mmgrab() helper',
    synthetic: "the anchor Promela model's BUG_NONATOMIC_GRAB (scripts/spin-compare.mjs): mainline's mmgrab() has been an atomic_inc since f1f1007644ff",
    breaks: 'I4',
    cells: [{ arch: 'reference', scheme: 'refcount', workload: 'exit-heavy', cpus: 4 }],
    description:
      'A counterfactual, not a since-fixed kernel bug: the injected bug of the anchor Promela model ' +
      "(../shared/anchors/lazytlb.pml, BUG_NONATOMIC_GRAB: `tmp = mm_count; mm_count = tmp + 1`). Mainline's " +
      'mmgrab() is `atomic_inc(&mm->mm_count)` (include/linux/sched/mm.h, since f1f1007644ff, the commit cited as ' +
      'fixedBy only because the catalogue requires one), and under MMU_LAZY_TLB_REFCOUNT mmgrab_lazy_tlb() is ' +
      'mmgrab(). Restored counterfactual: the lazy grab of exit_mm() and of context_switch() to a kernel thread ' +
      '(user -> kernel) reads mm_count in one step and stores the read value + 1 in the next, a step at which other ' +
      'CPUs run (in context_switch IRQs stay off in between: the rq lock is held). An atomic mm_count update by ' +
      'another CPU in the window is lost, mm_count ends one below its holders (I4 at the store), and the final ' +
      "mmdrop frees the mm while a CPU still holds it lazily (I3/I14, the anchor's assertion). Only the mm_count " +
      'grab a scheme does there is split (refcount); a scheme that takes no reference (shootdown) is unaffected.',
  },
];

export function coreMutation(id: string): CoreMutation | undefined {
  return CORE_MUTATIONS.find((m) => m.id === id);
}
