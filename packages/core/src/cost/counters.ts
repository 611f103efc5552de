/**
 * Cost counters of one run (model-spec §1 question 2). Indices into a Float64Array so the
 * hot loop only does `k.cost[C_X] += 1`.
 */
export const C_STEPS = 0;
/** context_switch() by transition (kernel/sched/core.c: the four cases). */
export const C_CS_USER_USER = 1;
export const C_CS_USER_KERNEL = 2;
export const C_CS_KERNEL_KERNEL = 3;
export const C_CS_KERNEL_USER = 4;
/** atomic_inc / atomic_dec_and_test on mm->mm_count (mmgrab, mmdrop and the lazy variants). */
export const C_MM_COUNT_ATOMICS = 5;
/** mm_count atomics that found the cache line owned by another CPU (a cross-CPU line transfer). */
export const C_MM_COUNT_LINE_TRANSFERS = 6;
/** smp_mb() executed by mmdrop_lazy_tlb*() instead of an atomic (REFCOUNT=n). */
export const C_SMP_MB = 7;
/** IPIs sent / handled, by reason (REASON_FLUSH, REASON_SHOOTDOWN, REASON_ARCH). */
export const C_IPI_SENT_FLUSH = 8;
export const C_IPI_SENT_SHOOTDOWN = 9;
export const C_IPI_SENT_ARCH = 10;
export const C_IPI_HANDLED_FLUSH = 11;
export const C_IPI_HANDLED_SHOOTDOWN = 12;
export const C_IPI_HANDLED_ARCH = 13;
/** TLB flushes executed on the flushing CPU / on another CPU (by IPI or by the hypervisor). */
export const C_TLB_FLUSH_LOCAL = 14;
export const C_TLB_FLUSH_REMOTE = 15;
export const C_HYPERCALLS = 16;
/**
 * Memory pinned by lazy CPUs: sum over steps of the number of mms whose users are gone and
 * that still had lazy holders at their last mmput (REFCOUNT=y keeps them until the last
 * lazy CPU switches to a user task), until they are freed.
 */
export const C_LAZY_PINNED_MM_STEPS = 17;
/** __mmput (last mm_users reference) and free_mm (struct freed). */
export const C_MM_EXITS = 18;
export const C_MM_FREES = 19;
export const C_VCPU_PREEMPTIONS = 20;
export const C_WAKEUPS = 21;
/** Sum over steps of the number of mms whose users are gone but which are not freed yet (any reason). */
export const C_EXITED_MM_STEPS = 22;
/** mms still pinned only by lazy references when the run quiesced (freed only at a later kernel->user switch). */
export const C_LAZY_PINNED_AT_END = 23;
/**
 * x86 cond_mitigation() (arch/x86/mm/tlb.c) on switches to a user mm: IBPBs issued, and IBPBs
 * skipped because next->mm's address equals cpu_tlbstate.last_user_mm_spec although it is
 * another mm (SLUB reused the address of the last user mm: the reuse hole the kernel's comment
 * accepts). Arches without the mitigation leave them 0.
 */
export const C_IBPB = 24;
export const C_IBPB_SKIPPED_REUSE = 25;
/** Switches to a user mm that cond_mitigation() looked at (the denominator of the two above). */
export const C_IBPB_CHECKS = 26;
/**
 * I8 diagnostic (tso): a CPU loaded a value another CPU publishes (x86 switch_mm_irqs_off's
 * next->context.tlb_gen) while its own publication that CPU reads back (loaded_mm, is_lazy) was
 * still in its store buffer: "publish, full barrier, then read" without the barrier. Not a
 * violation by itself; when it matters, its consequence is I2.
 */
export const C_I8_UNFENCED_READS = 27;
/**
 * Scheme costs that no mainline scheme has: reads of another CPU's per-CPU cache line by a
 * scan (hazptr's __mmdrop scan, Andy's __mmput scan), and atomic RMWs on lines other than
 * mm_count (a cmpxchg handing a reference to rq->drop_mm).
 */
export const C_REMOTE_LINE_READS = 28;
export const C_SCHEME_ATOMICS = 29;
/**
 * The lazy-mm costs by the event they belong to (the argument of the seed thread and of Linus'
 * "is it scalable to scan 1024 CPUs on every exit"): for each event (context switch, mm exit =
 * __mmput, final mmdrop = __mmdrop) the atomics (mm_count and scheme), mm_count cache-line
 * transfers, remote cache-line reads, IPIs sent and lazy-helper barriers counted while the
 * CPU ran that event's code. C_EVENT_BASE + event * EVENT_CATEGORIES + category.
 */
export const EVENT_SWITCH = 0;
export const EVENT_EXIT = 1;
export const EVENT_MMDROP = 2;
export const EVENT_NAMES = ['switch', 'exit', 'mmdrop'] as const;
export const EC_ATOMICS = 0;
export const EC_LINE_TRANSFERS = 1;
export const EC_REMOTE_READS = 2;
export const EC_IPIS = 3;
export const EC_BARRIERS = 4;
export const EVENT_CATEGORIES = 5;
export const EVENT_CATEGORY_NAMES = ['atomics', 'line_transfers', 'remote_reads', 'ipis', 'barriers'] as const;
export const C_EVENT_BASE = 30;
export const COST_COUNT = C_EVENT_BASE + EVENT_NAMES.length * EVENT_CATEGORIES;

export const COST_NAMES = [
  'steps',
  'cs_user_user',
  'cs_user_kernel',
  'cs_kernel_kernel',
  'cs_kernel_user',
  'mm_count_atomics',
  'mm_count_line_transfers',
  'smp_mb',
  'ipi_sent_flush',
  'ipi_sent_shootdown',
  'ipi_sent_arch',
  'ipi_handled_flush',
  'ipi_handled_shootdown',
  'ipi_handled_arch',
  'tlb_flush_local',
  'tlb_flush_remote',
  'hypercalls',
  'lazy_pinned_mm_steps',
  'mm_exits',
  'mm_frees',
  'vcpu_preemptions',
  'wakeups',
  'exited_mm_steps',
  'lazy_pinned_at_end',
  'ibpb',
  'ibpb_skipped_reuse',
  'ibpb_checks',
  'i8_unfenced_reads',
  'remote_line_reads',
  'scheme_atomics',
  'switch_atomics',
  'switch_line_transfers',
  'switch_remote_reads',
  'switch_ipis',
  'switch_barriers',
  'exit_atomics',
  'exit_line_transfers',
  'exit_remote_reads',
  'exit_ipis',
  'exit_barriers',
  'mmdrop_atomics',
  'mmdrop_line_transfers',
  'mmdrop_remote_reads',
  'mmdrop_ipis',
  'mmdrop_barriers',
] as const;

export type CostName = (typeof COST_NAMES)[number];
export type Costs = Record<CostName, number>;

export function costsToObject(cost: ArrayLike<number>): Costs {
  const out = {} as Costs;
  for (let i = 0; i < COST_COUNT; i++) out[COST_NAMES[i]!] = cost[i]!;
  return out;
}
