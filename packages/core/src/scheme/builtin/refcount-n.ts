/**
 * The lazy-mm helpers under MMU_LAZY_TLB_REFCOUNT=n (include/linux/sched/mm.h): mmgrab_lazy_tlb()
 * does nothing, mmdrop_lazy_tlb() / mmdrop_lazy_tlb_sched() only smp_mb() (membarrier relies on
 * it), and lazy users hold no mm_count reference. `shootdown` and `none` share them.
 */
import type { SchemeHooks } from '../abi.js';

export function refcountNHooks(): Pick<SchemeHooks, 'reset' | 'mmgrab_lazy_tlb' | 'mmdrop_lazy_tlb' | 'lazy_refs'> {
  return {
    reset() {},
    mmgrab_lazy_tlb() {},
    mmdrop_lazy_tlb(k, cpu) {
      k.lazyMb(cpu);
    },
    lazy_refs() {
      return 0;
    },
  };
}
