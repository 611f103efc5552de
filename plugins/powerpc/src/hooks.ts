/**
 * The ArchHooks of the powerpc plugin: wires the kernel functions (one file each) to the
 * core's ABI v2 hooks (switch_mm_irqs_off is a resumable sequence, continued by `resume`).
 */
import { NO_MM, type ArchHooks } from '@lazytlb/core';
import {
  PPC_CONT_EXIT_LAZY_SWITCH,
  PPC_CONT_FINAL_FLUSH,
  PPC_CONT_RESET_THREAD_LOCAL,
  PPC_IPI_EXIT_FLUSH_LAZY,
  PPC_IPI_EXIT_FLUSH_LAZY_PRE_FIX,
} from './constants.js';
import { archExitMmap, destroyContext, initNewContext } from './context.js';
import { checkCpu } from './check.js';
import type { Ppc } from './ctx.js';
import { hashFlushTlbMmRange } from './hash-flush.js';
import { hwRoot } from './hw-view.js';
import type { PowerpcOptions } from './options.js';
import { cpuDisable, cpuUp } from './hotplug.js';
import { MUT_RADIX_EXIT_LAZY_FLUSH_IRQS_ON, MUT_RADIX_TRIM_CLEARS_OTHER_CPUS } from './mutations.js';
import {
  doExitFlushLazyTlbPreFix,
  exitLazyFlushTlb,
  exitLazyFlushTlbResume,
  mmResetThreadLocal,
  radixFinalFlush,
  radixFlushTlbMmRange,
} from './radix-flush.js';
import { PpcState } from './state.js';
import { switchBegin, switchStep } from './switch-mm.js';
import { useTemporaryMm } from './temp-mm.js';
import { tlbMayHold } from './tlb.js';

/** `mutations`: the ids of this plugin's mutations enabled for the cell (ArchSetupEnv.mutations), read once here. */
export function createHooks(opts: PowerpcOptions, mutations: readonly string[] = []): ArchHooks {
  const radix = opts.mmu === 'radix';
  const p: Ppc = {
    opts,
    st: new PpcState(),
    radix,
    // Both are radix code paths (radix_tlb.c); on hash they change nothing.
    trimClearsOthers: radix && mutations.includes(MUT_RADIX_TRIM_CLEARS_OTHER_CPUS),
    exitLazyIrqsOn: radix && mutations.includes(MUT_RADIX_EXIT_LAZY_FLUSH_IRQS_ON),
  };
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
    // ABI v2: a resumable sequence (switch-mm.ts): cpumask_set_cpu | inc_mm_active_cpus |
    // smp_mb(), prev == next | switch_mmu_context. The `prev == next` compare is named by who
    // called (k.switchCaller, set by the core and kept by switchBegin for the later steps).
    switch_mm_irqs_off(k, cpu, prev, next) {
      return switchBegin(p, k, cpu, prev, next, k.switchCaller);
    },
    resume(k, cpu, hook, pc, a, b) {
      // switch_mm_irqs_off is the only sequence: flush_tlb_mm_range returns nothing (one step).
      if (hook !== 'switch_mm_irqs_off') throw new Error(`powerpc: ${hook} is not a sequence`);
      return switchStep(p, k, cpu, pc, a, b);
    },
    // text_poke: radix start_using_temp_mm / stop_using_temp_mm (code-patching.c); nothing on hash.
    use_temporary_mm(k, cpu, task) {
      useTemporaryMm(p, k, cpu, task);
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
      else if (fn === PPC_IPI_EXIT_FLUSH_LAZY_PRE_FIX) doExitFlushLazyTlbPreFix(p, k, cpu, mm);
    },
    arch_continue(k, cpu, fn, mm, arg) {
      if (fn === PPC_CONT_FINAL_FLUSH) radixFinalFlush(p, k, cpu, mm);
      else if (fn === PPC_CONT_RESET_THREAD_LOCAL) mmResetThreadLocal(p, k, cpu, mm);
      else if (fn === PPC_CONT_EXIT_LAZY_SWITCH) exitLazyFlushTlbResume(p, k, cpu, mm, arg !== 0);
    },
    cpu_disable(k, cpu) {
      cpuDisable(p, k, cpu);
    },
    cpu_up(k, cpu) {
      cpuUp(p, k, cpu);
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
    tlb_may_hold(k, cpu, mm, gen) {
      return tlbMayHold(p, k, cpu, mm, gen);
    },
    check(k, cpu) {
      checkCpu(p, k, cpu);
    },
    describe_cpu(k, cpu) {
      const id = st.cpuId[cpu]!;
      const inc = st.cpuIncPending[cpu]!;
      const sw = inc !== NO_MM ? ` (switching: inc_mm_active_cpus(${k.mmName(inc)}) pending)` : '';
      return p.radix
        ? `PID=${id}(${k.mmName(st.cpuIdMm[cpu]!)})${st.cpuPrtbCached[cpu] !== 0 ? ' prtb' : ''}${sw}`
        : `ctx=${id}(${k.mmName(st.cpuIdMm[cpu]!)})${sw}`;
    },
    ipi_name(fn) {
      return fn === PPC_IPI_EXIT_FLUSH_LAZY || fn === PPC_IPI_EXIT_FLUSH_LAZY_PRE_FIX ? 'do_exit_flush_lazy_tlb' : `ipi${fn}`;
    },
  };
}
