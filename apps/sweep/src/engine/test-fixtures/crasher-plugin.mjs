// Test-only arch plugin: the reference arch, except that a run whose step 150 is a switch_mm
// on CPU 0 kills its worker thread (process.exit in a worker thread ends only that thread).
import { referenceArch } from '@lazytlb/core';

export default {
  ...referenceArch,
  name: 'crasher',
  description: 'reference arch that kills its worker in some runs (tests)',
  setup(options, env) {
    const h = referenceArch.setup(options, env);
    return {
      ...h,
      switch_mm_irqs_off(k, cpu, prev, next, task) {
        if (cpu === 0 && k.step === 150) process.exit(7);
        return h.switch_mm_irqs_off(k, cpu, prev, next, task);
      },
    };
  },
};
