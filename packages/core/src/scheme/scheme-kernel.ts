/**
 * What a scheme plugin sees of the simulated machine: everything an arch plugin sees
 * ({@link ArchKernel}) plus mm_count and the actions a lazy-mm scheme takes, by their kernel
 * names. The core's Kernel implements it; hooks get the Kernel itself (no facade, no
 * allocation), typed as this interface so the model can change behind it.
 */
import type { ArchKernel } from '../abi/arch-kernel.js';
import type { SharedArray } from '../machine/store-buffer.js';

export interface SchemeKernel extends ArchKernel {
  /** mm->mm_count. Change it only through schemeMmgrab / schemeMmdrop (they count the atomics and call __mmdrop). */
  readonly mmCount: Int32Array;
  /** rq->prev_mm (read): the lazy mm a kernel -> user switch hands to finish_task_switch. */
  readonly cpuPrevMm: Int32Array;

  /** atomic_inc(&mm->mm_count) by `cpu` (atomic_add of `n`: one atomic); `what` names the caller in traces and I11 messages. */
  schemeMmgrab(cpu: number, mm: number, what: string, n?: number): void;
  /** atomic_dec_and_test(&mm->mm_count) (atomic_sub of `n`); on reaching 0 __mmdrop runs as `cpu`'s next steps. */
  schemeMmdrop(cpu: number, mm: number, what: string, n?: number): void;
  /** Lazy references the CPUs hold on `mm` (H_curr + H_prev + H_local, kernel-reference §1.6). */
  lazyHolders(mm: number): number;
  /** cpu_online_mask as a word. */
  onlineMask(): number;
  /** The arch's shoot_lazies_mask(mm) (mm_cpumask(mm) in mainline); an exception in it is the arch's plugin error. */
  shootLaziesMask(mm: number): number;
  /** I7: every CPU lazy on `mm` must be in `mask` (the scheme's claim that its IPI mask covers them). */
  checkMaskCoverage(cpu: number, mm: number, mask: number): void;
  /**
   * on_each_cpu_mask(mask, do_shoot_lazy_tlb, mm, wait=1) from `cpu` (kernel/fork.c): each CPU
   * whose current task is lazy on `mm` switches to init_mm. With a single bit this is
   * smp_call_function_single(cpu, do_shoot_lazy_tlb, mm, 1).
   */
  shootLazies(cpu: number, mask: number, mm: number): void;
  /** on_each_cpu_mask(mask, do_check_lazy_tlb, mm, wait=1): a CPU still lazy on `mm` WARNs (I3). */
  checkLazies(cpu: number, mask: number, mm: number): void;
  /**
   * lockdep_assert_preemption_enabled() for the code `cpu` runs now: false in an IPI handler,
   * with IRQs off, or inside a __mmdrop whose caller holds a spinlock (khugepaged's
   * collect_mm_slot under khugepaged_mm_lock) or runs preempt-off (finish_task_switch).
   */
  preemptible(cpu: number): boolean;
  /** I15: a check in the scheme's own kernel code failed (WARN_ON / lockdep); `site` is the kernel function. */
  schemeViolation(cpu: number, site: string, message: string): void;
  /** smp_mb() executed by a lazy-mm helper: counted (cost smp_mb) and, under tso, a full barrier. */
  lazyMb(cpu: number): void;
  /** A read of another CPU's per-CPU line (a scan): counted (cost remote_line_reads). */
  countRemoteRead(cpu: number): void;
  /** An atomic RMW on a line other than mm_count (a cmpxchg on rq->drop_mm): counted, and a full barrier. */
  countSchemeAtomic(cpu: number): void;

  /** Declare scheme state other CPUs read (slot = its index in SchemePlugin.sharedState); returns the array they read. */
  declareSchemeShared(slot: number, name: string, view: SharedArray): SharedArray;
  /** A plain store by `cpu` to declared scheme state (buffered under tso). */
  storeSchemeShared(cpu: number, slot: number, i: number, v: number): void;
}
