// Test-only arch plugin "toy": the reference arch plus three mutations for `lazytlb mutants`
// tests, independent of the real catalogue:
// - toy-no-flush: flush_tlb_mm_range() does nothing (stale TLB entries: I2), killed at once;
// - toy-rare: flush_tlb_mm_range() does nothing at steps ≡ 0 mod 151: killed after a few to
//   a few dozen runs, for the exactness of runs to kill;
// - toy-noop: changes nothing (an equivalent mutant: it always survives);
// - toy-on-none: toy-no-flush, declared on scheme none, whose unmutated cell violates (I14 / I1):
//   the false-alarm check must report it;
// - toy-no-victim: declared without a cell (noVictim, with the reason): reported, never run.
import { referenceArch } from '@lazytlb/core';

const cell = { arch: 'toy', scheme: 'refcount', cpus: 2 };

export default {
  ...referenceArch,
  name: 'toy',
  description: 'reference arch with test mutations (lazytlb mutants tests)',
  mutations: [
    {
      id: 'toy-no-flush',
      title: 'flush_tlb_mm_range() flushes nothing',
      fixedBy: '000000000001 toy: flush the TLB',
      breaks: 'I2',
      cells: [cell],
      description: 'Test fixture: every TLB flush is skipped, so freed pages stay mapped in some TLB.',
    },
    {
      id: 'toy-rare',
      title: 'flush_tlb_mm_range() flushes nothing at some steps',
      fixedBy: '000000000004 toy: always flush the TLB',
      breaks: 'I2',
      cells: [cell],
      description: 'Test fixture: the flush is skipped at steps that are multiples of 151.',
    },
    {
      id: 'toy-noop',
      title: 'nothing changes',
      fixedBy: '000000000002 toy: nothing',
      breaks: 'I2',
      cells: [cell],
      description: 'Test fixture: an equivalent mutant, never killed.',
    },
    {
      id: 'toy-on-none',
      title: 'flush_tlb_mm_range() flushes nothing, on a scheme that is unsafe anyway',
      fixedBy: '000000000003 toy: flush the TLB',
      breaks: 'I2',
      cells: [{ arch: 'toy', scheme: 'none', cpus: 2 }],
      description: 'Test fixture: the unmutated cell violates (scheme none), a false alarm.',
    },
    {
      id: 'toy-no-victim',
      title: 'a bug the model cannot show',
      fixedBy: '000000000005 toy: unmodelled',
      breaks: 'I2',
      cells: [],
      noVictim: 'test fixture: the window it opens is not modelled by the toy arch',
      description: 'Test fixture: a mutation declared without a modelled victim.',
    },
  ],
  setup(options, env) {
    const h = referenceArch.setup(options, env);
    if (env.mutations.includes('toy-rare')) {
      return { ...h, flush_tlb_mm_range: (k, cpu, mm, flags) => (k.step % 151 === 0 ? undefined : h.flush_tlb_mm_range(k, cpu, mm, flags)) };
    }
    if (!env.mutations.includes('toy-no-flush') && !env.mutations.includes('toy-on-none')) return h;
    return { ...h, flush_tlb_mm_range() {} };
  },
};
