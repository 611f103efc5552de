// Test-only arch plugin "toy-tso": x86-native (which offers the tso memory model) with one
// mutation of its own, declared on a tso cell, for the memory axis of `lazytlb mutants`:
// - toy-tso-no-flush: flush_tlb_mm_range() does nothing (stale TLB entries: I2), killed at once;
//   its cell runs under memory: 'tso'.
import x86Native from '@lazytlb/arch-x86-native';

export default {
  ...x86Native,
  name: 'toy-tso',
  description: 'x86-native with a test mutation on a tso cell (lazytlb mutants tests)',
  mutations: [
    {
      id: 'toy-tso-no-flush',
      title: 'flush_tlb_mm_range() flushes nothing (under tso)',
      fixedBy: '000000000011 toy: flush the TLB',
      breaks: 'I2',
      cells: [{ arch: 'toy-tso', scheme: 'refcount', cpus: 2, memory: 'tso' }],
      description: 'Test fixture: every TLB flush is skipped, so freed pages stay mapped in some TLB.',
    },
  ],
  setup(options, env) {
    const h = x86Native.setup(options, env);
    return env.mutations.includes('toy-tso-no-flush') ? { ...h, flush_tlb_mm_range() {} } : h;
  },
};
