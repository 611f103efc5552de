/**
 * What every powerpc function works on: the options and the arch state of one setup().
 */
import type { PowerpcOptions } from './options.js';
import type { PpcState } from './state.js';

export interface Ppc {
  readonly opts: PowerpcOptions;
  readonly st: PpcState;
  readonly radix: boolean;
  /** Mutation radix-trim-clears-other-cpus (pre-a665eec0a22e exit_flush_lazy_tlbs + mm_reset_thread_local). */
  readonly trimClearsOthers: boolean;
  /** Mutation radix-exit-lazy-flush-irqs-on (pre-dfaed3e1fa70 local exit_lazy_flush_tlb without local_irq_save). */
  readonly exitLazyIrqsOn: boolean;
}
