/**
 * `refcount`: CONFIG_MMU_LAZY_TLB_REFCOUNT=y, the mainline default (include/linux/sched/mm.h):
 * mmgrab_lazy_tlb() is mmgrab() and mmdrop_lazy_tlb() is mmdrop(), so every lazy user holds an
 * mm_count reference and __mmdrop cannot run while one is left.
 */
import { z } from 'zod';
import { CORE_VERSION } from '../../generated/version.js';
import { defineSchemePlugin } from '../abi.js';
import { MEMBARRIER_BARRIER, MM_CID_BARRIER } from './barriers.js';

export const refcountScheme = defineSchemePlugin({
  abi: 1,
  kind: 'scheme',
  declaresState: true, // no per-run state of its own: mm_count and mm_cpumask are the kernel's
  name: 'refcount',
  version: CORE_VERSION,
  coreVersions: `^${CORE_VERSION}`,
  description: 'MMU_LAZY_TLB_REFCOUNT=y: lazy users hold mm_count (mainline default)',
  provenance: 'mainline',
  source: "include/linux/sched/mm.h mmgrab_lazy_tlb / mmdrop_lazy_tlb (v6.4+, Nick Piggin's series)",
  options: z.object({}).strict(),
  kconfig: { MMU_LAZY_TLB_REFCOUNT: true, MMU_LAZY_TLB_SHOOTDOWN: false },
  claims: {
    danglingPremise: false,
    barriers: [
      { ...MEMBARRIER_BARRIER, provided: true, how: 'mmdrop_lazy_tlb is mmdrop(): atomic_dec_and_test, a full barrier' },
      { ...MM_CID_BARRIER, provided: true, how: 'mmgrab_lazy_tlb is mmgrab(): atomic_inc (smp_mb__after_mmgrab)' },
    ],
    arch: [],
  },
  setup: () => ({
    reset() {},
    mmgrab_lazy_tlb(k, cpu, mm) {
      k.schemeMmgrab(cpu, mm, 'mmgrab_lazy_tlb');
    },
    mmdrop_lazy_tlb(k, cpu, mm) {
      k.schemeMmdrop(cpu, mm, 'mmdrop_lazy_tlb');
    },
    lazy_refs(k, mm) {
      return k.lazyHolders(mm);
    },
  }),
});
