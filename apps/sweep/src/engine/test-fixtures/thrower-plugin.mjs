// Test-only arch plugin: the reference arch, except that switch_mm_irqs_off throws in some
// runs (deterministically: on CPU 1 at steps ≡ 0 mod 37 after step 40).
import { referenceArch } from '@lazytlb/core';

export default {
  ...referenceArch,
  name: 'thrower',
  description: 'reference arch whose switch_mm_irqs_off sometimes throws (tests)',
  setup(options, env) {
    const h = referenceArch.setup(options, env);
    return {
      ...h,
      switch_mm_irqs_off(k, cpu, prev, next, task) {
        if (cpu === 1 && k.step > 40 && k.step % 37 === 0) throw new Error('thrower: injected failure');
        return h.switch_mm_irqs_off(k, cpu, prev, next, task);
      },
    };
  },
};
