/**
 * Kernel paths in progress. A path that spans several atomic steps keeps a small
 * continuation on its CPU: the path id, the next step (pc) and up to three registers.
 * A path that calls another (mmput -> __mmput -> mmdrop -> __mmdrop) pushes a frame.
 *
 * Convention: a step first advances its own pc (or pops itself) and only then does work
 * that may push a callee frame, so the callee runs next and returns to the right place.
 * A call is not an interleaving point: the step that calls also takes the callee's first
 * step (Stepper.runFrame); returning is one (the caller continues at its next step).
 */
import { FRAME_DEPTH, type Kernel, ModelError, P_MMDROP_PATH } from './kernel.js';

export const P_FINISH_SWITCH = 1; // finish_task_switch(): mmdrop_lazy_tlb_sched(mm) after IRQs are back on
export const P_MUNMAP = 2; // do_vmi_munmap -> unmap_region -> tlb_finish_mmu
export const P_FORK = 3; // copy_process -> copy_mm -> dup_mm -> dup_mmap (flush_tlb_mm(oldmm))
export const P_EXEC = 4; // bprm_execve -> exec_mmap (user exec and kernel_execve)
export const P_EXIT = 5; // do_exit -> exit_mm -> mmput -> do_task_dead
export const P_MMPUT = 6; // mmput -> __mmput -> exit_mmap -> mmdrop
export const P_MMDROP = P_MMDROP_PATH; // 7, __mmdrop: cleanup_lazy_tlbs -> mm_free_pgd -> destroy_context -> free_mm
export const P_USE_MM = 8; // mmget_not_zero + kthread_use_mm
export const P_UNUSE_MM = 9; // kthread_unuse_mm + mmput
export const P_ARCH = 10; // an arch hook's continuation (Kernel.archContinue): runs after the CPU's IPI waits
export const P_CPU_DOWN = 11; // cpu_down() on the control CPU: deactivate, kick cpuhp/N, wait for it to die, finish_cpu()
export const P_CPUHP_AP = 12; // cpuhp/N on the dying CPU: sched_cpu_wait_empty -> sched_force_init_mm; take_cpu_down
export const P_IDLE_DEAD = 13; // the dying CPU's idle task: arch_cpu_idle_dead, cpuhp_report_idle_dead
export const P_KHUGEPAGED = 14; // khugepaged on one mm: collapse (flush_tlb_range, free the PTE table) or collect_mm_slot
export const P_RECLAIM = 15; // kswapd: try_to_unmap a page of an mm, arch_tlbbatch_flush, free the page
/**
 * An arch hook written as a resumable sequence (ABI v2) that returned the pc of its next step:
 * the hook's later steps run as the CPU's next task steps (after any IPI wait), each through
 * ArchHooks.resume. Registers: the hook's three arguments; pc: the sequence pc | SEQ_* flags.
 */
export const P_SEQ_SWITCH = 16; // switch_mm_irqs_off(prev, next, task)
export const P_SEQ_FLUSH = 17; // flush_tlb_mm_range(mm, flags)
export const P_SEQ_TLBBATCH = 18; // tlbbatch_flush(mm)
/** context_switch() after switch_mm_irqs_off(): rq->prev_mm, switch_to, finish_task_switch (fused with the switch's last step). */
export const P_SWITCH_TAIL = 19;
export const P_MEMBARRIER = 20; // membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED): membarrier_private_expedited()
/** A scheme hook written as a resumable sequence (mmput / cleanup_lazy_tlbs). Registers: a = mm, b = which hook. */
export const P_SEQ_SCHEME = 21;
/**
 * (mutation mmgrab-lazy-nonatomic) The store of context_switch()'s non-atomic lazy grab, the
 * CPU's next step after the switch (IRQs still off). Registers: a = mm, b = the mm_count read.
 */
export const P_LAZY_GRAB_STORE = 22;
/** A sequence frame's pc word: the plugin's pc in the low 16 bits, flags above. */
export const SEQ_PC_MASK = 0xffff;
/** The sequence runs with IRQs off that its caller turns back on when it ends (activate_mm, kthread_use_mm). */
export const SEQ_IRQS_OFF = 1 << 16;

/**
 * Push a frame. With `enter` (the default) the calling step also takes the callee's first
 * step; without it the frame runs as the CPU's next task step (after any IPI wait).
 */
export function call(k: Kernel, cpu: number, path: number, a: number, b: number, c: number, enter = true): void {
  const sp = k.cpuSp[cpu]!;
  if (sp >= FRAME_DEPTH) throw new ModelError(`kernel path stack overflow on CPU${cpu}`);
  const f = cpu * FRAME_DEPTH + sp;
  k.frPath[f] = path;
  k.frPc[f] = 0;
  k.frA[f] = a;
  k.frB[f] = b;
  k.frC[f] = c;
  k.cpuSp[cpu] = sp + 1;
  if (enter) k.calls++;
}

export function ret(k: Kernel, cpu: number): void {
  k.cpuSp[cpu]! -= 1;
}
