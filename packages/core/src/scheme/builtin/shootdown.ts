/**
 * `shootdown`: CONFIG_MMU_LAZY_TLB_REFCOUNT=n, CONFIG_MMU_LAZY_TLB_SHOOTDOWN=y (kernel/fork.c,
 * v6.4+; selected by powerpc 64s): lazy users hold no reference; __mmdrop's
 * cleanup_lazy_tlbs() IPIs mm_cpumask(mm) with wait=1 and do_shoot_lazy_tlb() switches every
 * CPU still lazy on the mm to init_mm. `mask=online` IPIs every online CPU instead (what
 * DEBUG_VM_SHOOT_LAZIES' on_each_cpu() does; the only variant that can work on an arch that
 * keeps no mm_cpumask for user mms, such as arm64).
 */
import { z } from 'zod';
import { CORE_VERSION } from '../../generated/version.js';
import { defineSchemePlugin } from '../abi.js';
import { REFCOUNT_N_BARRIERS } from './barriers.js';
import { refcountNHooks } from './refcount-n.js';

export const ShootdownOptions = z
  .object({
    mask: z
      .enum(['cpumask', 'online'])
      .default('cpumask')
      .describe('CPUs cleanup_lazy_tlbs() IPIs: mm_cpumask(mm) (mainline) or every online CPU (DEBUG_VM_SHOOT_LAZIES on_each_cpu)'),
  })
  .strict();

export const shootdownScheme = defineSchemePlugin({
  abi: 1,
  kind: 'scheme',
  declaresState: true, // no per-run state of its own: mm_count and mm_cpumask are the kernel's
  name: 'shootdown',
  version: CORE_VERSION,
  coreVersions: `^${CORE_VERSION}`,
  description: 'MMU_LAZY_TLB_REFCOUNT=n, MMU_LAZY_TLB_SHOOTDOWN=y: __mmdrop IPIs mm_cpumask and lazy users switch to init_mm',
  provenance: 'mainline',
  source: "kernel/fork.c cleanup_lazy_tlbs / do_shoot_lazy_tlb (v6.4+, Nick Piggin's series)",
  options: ShootdownOptions,
  kconfig: { MMU_LAZY_TLB_REFCOUNT: false, MMU_LAZY_TLB_SHOOTDOWN: true },
  claims: {
    danglingPremise: false,
    barriers: REFCOUNT_N_BARRIERS,
    arch: [
      {
        id: 'cpumask-covers-lazies',
        description: 'mask=cpumask: every CPU lazy on an mm is in mm_cpumask(mm) when its last reference goes',
        checkedBy: 'I7',
      },
    ],
  },
  setup: (options) => {
    const online = options.mask === 'online';
    return {
      ...refcountNHooks(),
      cleanup_lazy_tlbs(k, cpu, mm) {
        const mask = online ? k.onlineMask() : k.shootLaziesMask(mm);
        k.checkMaskCoverage(cpu, mm, mask);
        k.shootLazies(cpu, mask, mm);
      },
    };
  },
});
