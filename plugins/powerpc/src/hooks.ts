/**
 * The ArchHooks of the powerpc plugin: wires the kernel functions (one file each) to the
 * core's ABI v1 hooks.
 */
import type { ArchHooks } from '@lazytlb/core';
import { PPC_CONT_FINAL_FLUSH, PPC_IPI_EXIT_FLUSH_LAZY } from './constants.js';
import { archExitMmap, destroyContext, initNewContext } from './context.js';
import { checkCpu } from './check.js';
import type { Ppc } from './ctx.js';
import { hashFlushTlbMmRange } from './hash-flush.js';
import { hwRoot } from './hw-view.js';
import type { PowerpcOptions } from './options.js';
import { exitLazyFlushTlb, radixFinalFlush, radixFlushTlbMmRange } from './radix-flush.js';
import { PpcState } from './state.js';
import { switchMmIrqsOff } from './switch-mm.js';
import { tlbMayHold } from './tlb.js';

export function createHooks(opts: PowerpcOptions): ArchHooks {
  const p: Ppc = { opts, st: new PpcState(), radix: opts.mmu === 'radix' };
  const st = p.st;
  return {
    reset(k) {
      st.reset(k);
    },
    init_new_context(k, cpu, mm) {
      initNewContext(p, k, cpu, mm);
    },
    destroy_context(k, cpu, mm) {
      destroyContext(p, k, cpu, mm);
    },
    switch_mm_irqs_off(k, cpu, prev, next, task) {
      switchMmIrqsOff(p, k, cpu, prev, next, task);
    },
    // enter_lazy_tlb(): a no-op on 64s (only BOOK3E_64 defines one), asm/mmu_context.h.
    enter_lazy_tlb() {},
    flush_tlb_mm_range(k, cpu, mm, flags) {
      if (p.radix) radixFlushTlbMmRange(p, k, cpu, mm, flags);
      else hashFlushTlbMmRange(p, k, cpu, mm, flags);
    },
    handle_ipi(k, cpu, fn, mm) {
      // do_exit_flush_lazy_tlb(arg): exit_lazy_flush_tlb(mm, true)
      if (fn === PPC_IPI_EXIT_FLUSH_LAZY) exitLazyFlushTlb(p, k, cpu, mm, true, k.ipiSender !== cpu);
    },
    arch_continue(k, cpu, fn, mm) {
      if (fn === PPC_CONT_FINAL_FLUSH) radixFinalFlush(p, k, cpu, mm);
    },
    arch_exit_mmap(k, cpu, mm) {
      archExitMmap(p, k, cpu, mm);
    },
    shoot_lazies_mask(k, mm) {
      return k.mmCpumask[mm]!; // cleanup_lazy_tlbs: on_each_cpu_mask(mm_cpumask(mm), ...)
    },
    hw_root(k, cpu) {
      return hwRoot(p, k, cpu);
    },
    tlb_may_hold(_k, cpu, mm, gen) {
      return tlbMayHold(p, cpu, mm, gen);
    },
    check(k, cpu) {
      checkCpu(p, k, cpu);
    },
    describe_cpu(k, cpu) {
      const id = st.cpuId[cpu]!;
      return p.radix
        ? `PID=${id}(${k.mmName(st.cpuIdMm[cpu]!)})${st.cpuPrtbCached[cpu] !== 0 ? ' prtb' : ''}`
        : `ctx=${id}(${k.mmName(st.cpuIdMm[cpu]!)})`;
    },
    ipi_name(fn) {
      return fn === PPC_IPI_EXIT_FLUSH_LAZY ? 'do_exit_flush_lazy_tlb' : `ipi${fn}`;
    },
  };
}
