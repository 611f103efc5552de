/**
 * `none`: CONFIG_MMU_LAZY_TLB_REFCOUNT=n and CONFIG_MMU_LAZY_TLB_SHOOTDOWN=n: not expressible in
 * mainline Kconfig; the seed thread's x86 question (Andy Lutomirski: with refcounting off,
 * ->active_mm may dangle as long as nothing uses it). mmdrop_lazy_tlb() keeps its smp_mb();
 * nothing else is done. "Mainline with __mmdrop's WARN_ON_ONCE(mm == current->active_mm)
 * removed": the WARN is recorded as a hazard.
 */
import { z } from 'zod';
import { CORE_VERSION } from '../../generated/version.js';
import { defineSchemePlugin } from '../abi.js';
import { REFCOUNT_N_BARRIERS } from './barriers.js';
import { refcountNHooks } from './refcount-n.js';

export const noneScheme = defineSchemePlugin({
  abi: 1,
  kind: 'scheme',
  declaresState: true, // no per-run state of its own: mm_count and mm_cpumask are the kernel's
  name: 'none',
  version: CORE_VERSION,
  coreVersions: `^${CORE_VERSION}`,
  description: "MMU_LAZY_TLB_REFCOUNT=n, MMU_LAZY_TLB_SHOOTDOWN=n: not expressible in mainline Kconfig (the seed thread's x86 question)",
  provenance: 'mainline',
  source: 'include/linux/sched/mm.h with both Kconfig symbols off (the seed thread, June 2021)',
  options: z.object({}).strict(),
  kconfig: { MMU_LAZY_TLB_REFCOUNT: false, MMU_LAZY_TLB_SHOOTDOWN: false },
  claims: {
    danglingPremise: true,
    barriers: REFCOUNT_N_BARRIERS,
    arch: [
      {
        id: 'nothing-uses-a-dangling-active-mm',
        description: 'no kernel code dereferences, or acts on a compare with, a lazy active_mm after its mm is freed',
        checkedBy: 'I14',
      },
    ],
  },
  setup: () => refcountNHooks(),
});
