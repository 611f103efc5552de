// Test-only scheme plugin (an out-of-tree scheme, loaded with --plugin): `counted`, version
// 1.2.3, "reconstructed". mode=grab is mainline refcount (every lazy user holds mm_count);
// mode=skip holds nothing, like `none`, but without the dangling premise, so a lazy pointer
// naming a freed mm is an I3 violation. Options, a structural refusal and a Kconfig symbol of
// its own exercise the CLI's option handling, listings and replay headers.
import { z } from 'zod';

export default {
  abi: 1,
  kind: 'scheme',
  name: 'counted',
  version: '1.2.3',
  coreVersions: '>=0.1.0 <1.0.0',
  description: 'counted: lazy users hold mm_count (mode=grab) or nothing (mode=skip) (tests)',
  provenance: 'reconstructed',
  source: 'a test fixture of apps/sweep',
  options: z
    .object({
      mode: z.enum(['grab', 'skip']).default('grab').describe('grab: mmgrab per lazy user (refcount); skip: hold nothing'),
      mb: z.boolean().default(true).describe('smp_mb() in mmdrop_lazy_tlb under mode=skip'),
    })
    .strict(),
  kconfig: { MMU_LAZY_TLB_REFCOUNT: true, MMU_LAZY_TLB_SHOOTDOWN: false, other: ['MMU_LAZY_TLB_COUNTED=y'] },
  structuralRefusal(o) {
    return o.mode === 'grab' && o.mb === false ? 'mb=false needs mode=skip (under mode=grab mmdrop_lazy_tlb is mmdrop(), always a full barrier)' : null;
  },
  claims: {
    danglingPremise: false,
    barriers: [
      { id: 'mmdrop_lazy_tlb-smp_mb', reliedOnBy: 'membarrier', provided: true, how: 'mmdrop() or smp_mb()' },
      { id: 'mmgrab-atomic', reliedOnBy: 'switch_mm_cid', provided: false, how: 'mode=skip takes no atomic' },
    ],
    arch: [{ id: 'counted-covers-lazies', description: 'mode=skip: every lazy CPU leaves the mm before it is freed', checkedBy: 'I3' }],
  },
  setup(options) {
    const grab = options.mode === 'grab';
    return {
      reset() {},
      mmgrab_lazy_tlb(k, cpu, mm) {
        if (grab) k.schemeMmgrab(cpu, mm, 'mmgrab_lazy_tlb');
      },
      mmdrop_lazy_tlb(k, cpu, mm) {
        if (grab) k.schemeMmdrop(cpu, mm, 'mmdrop_lazy_tlb');
        else if (options.mb) k.lazyMb(cpu);
      },
      lazy_refs(k, mm) {
        return grab ? k.lazyHolders(mm) : 0;
      },
    };
  },
};
