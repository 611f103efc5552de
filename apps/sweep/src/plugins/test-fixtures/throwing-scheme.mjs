// Test-only scheme plugin: refcount, except that mmdrop_lazy_tlb throws in some runs
// (deterministically: on CPU 1 at steps ≡ 0 mod 23 after step 30).
import { refcountScheme } from '@lazytlb/core';

export default {
  ...refcountScheme,
  name: 'throwing',
  version: '0.0.1',
  coreVersions: '>=0.1.0 <1.0.0',
  description: 'refcount whose mmdrop_lazy_tlb sometimes throws (tests)',
  provenance: 'proposal',
  source: 'a test fixture of apps/sweep',
  setup(options, env) {
    const h = refcountScheme.setup(options, env);
    return {
      ...h,
      mmdrop_lazy_tlb(k, cpu, mm, site) {
        if (cpu === 1 && k.step > 30 && k.step % 23 === 0) throw new Error('throwing: injected failure');
        return h.mmdrop_lazy_tlb(k, cpu, mm, site);
      },
    };
  },
};
