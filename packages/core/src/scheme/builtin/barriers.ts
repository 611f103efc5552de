/**
 * Barriers other kernel code borrows from the lazy-mm helpers (kernel-reference §12.3): a
 * scheme says whether it provides each, and how, or what replaces it.
 */
export const MEMBARRIER_BARRIER = {
  id: 'mmdrop_lazy_tlb-smp_mb',
  reliedOnBy:
    "membarrier (kernel/sched/membarrier.c): the full barrier between a kernel -> user switch's rq->curr store and user code, " +
    'taken in finish_task_switch by mmdrop_lazy_tlb_sched (checked by I10 under tso)',
} as const;

export const MM_CID_BARRIER = {
  id: 'mmgrab-atomic',
  reliedOnBy:
    "switch_mm_cid (kernel/sched/sched.h, v6.4-v6.18): smp_mb__after_mmgrab() orders the user -> kernel switch's " +
    'mm_cid ownership against the mm_cid scan (not modelled: the model has no mm_cid)',
} as const;

/** Both borrowed barriers under MMU_LAZY_TLB_REFCOUNT=n (shootdown and none): mmdrop_lazy_tlb keeps an smp_mb(). */
export const REFCOUNT_N_BARRIERS = [
  { ...MEMBARRIER_BARRIER, provided: true, how: 'mmdrop_lazy_tlb is smp_mb() under REFCOUNT=n' },
  { ...MM_CID_BARRIER, provided: false, how: 'mmgrab_lazy_tlb is empty; the v6.4+ switch_mm_cid keeps an explicit smp_mb() for !REFCOUNT' },
] as const;
