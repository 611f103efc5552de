/**
 * Radix TLB flushing, mm_cpumask trimming and the lazy exit
 * (arch/powerpc/mm/book3s64/radix_tlb.c; kernel-reference §3.3.2):
 * tick_and_test_trim_clock, flush_type_needed, exit_lazy_flush_tlb, do_exit_flush_lazy_tlb,
 * exit_flush_lazy_tlbs, radix__flush_tlb_mm / radix__flush_tlb_range, and radix__tlb_flush
 * with the v6.6 combined final flush + shootdown (e43c0a0c3c28).
 *
 * mm_cpumask policy: a bit is set by switch_mm_irqs_off and cleared only by the CPU itself in
 * exit_lazy_flush_tlb, after it left the mm (IRQs off), never while current->mm == mm
 * (a665eec0a22e, §7.4), and by CPU hotplug (cleanup_cpu_mmu_context). active_cpus counts the
 * bits (+1 while a copro is attached).
 *
 * Mutations (mutations.ts) restore two earlier forms: radix-trim-clears-other-cpus (the
 * single-threaded flusher clears the other CPUs' bits itself, pre-a665eec0a22e) and
 * radix-exit-lazy-flush-irqs-on (a local exit_lazy_flush_tlb switches with IRQs on,
 * pre-dfaed3e1fa70).
 */
import { INIT_MM, NO_MM, REASON_FLUSH, type ArchKernel, FLUSH_FULLMM, cpumaskWeight } from '@lazytlb/core';
import {
  FLUSH_TYPE_GLOBAL,
  FLUSH_TYPE_LOCAL,
  FLUSH_TYPE_NAMES,
  FLUSH_TYPE_NONE,
  PPC_CONT_EXIT_LAZY_SWITCH,
  PPC_CONT_FINAL_FLUSH,
  PPC_CONT_RESET_THREAD_LOCAL,
  PPC_IPI_EXIT_FLUSH_LAZY,
  PPC_IPI_EXIT_FLUSH_LAZY_PRE_FIX,
} from './constants.js';
import type { Ppc } from './ctx.js';
import { SITE_DO_EXIT_FLUSH_LAZY_TLB_PRE_FIX, SITE_EXIT_LAZY_FLUSH_TLB, SITE_MM_RESET_THREAD_LOCAL, SITE_RADIX_FLUSH } from './sites.js';
import { switchMmIrqsOff } from './switch-mm.js';
import { tlbie, tlbiel } from './tlb.js';

/** tick_and_test_trim_clock(): true every tlb_mm_cpumask_trim_timer-th call on this CPU. */
function tickAndTestTrimClock(p: Ppc, cpu: number): boolean {
  const c = p.st.cpuTrimClock[cpu]! + 1;
  if (c >= p.opts.trimPeriod) {
    p.st.cpuTrimClock[cpu] = 0;
    return true;
  }
  p.st.cpuTrimClock[cpu] = c;
  return false;
}

/**
 * exit_lazy_flush_tlb(mm, always_flush), on the CPU being trimmed: from the
 * do_exit_flush_lazy_tlb IPI, or called locally from flush_type_needed. A lazy user switches
 * to init_mm under local_irq_save (dfaed3e1fa70, §7.6: the whole hook is one step, IRQs off;
 * the mutation radix-exit-lazy-flush-irqs-on splits a local call in two, IRQs on between).
 *
 * `current->active_mm == mm` is a pointer compare (k.ptrEq). `mm` is live (the flusher holds
 * it and waits for the IPIs), so it can only be decided by a stale active_mm if that freed mm's
 * address is mm's now (ABA) while this CPU is in mm_cpumask(mm). A CPU enters a mask only by
 * switching to the mm, which makes it its active_mm, except through stop_using_temp_mm() on a
 * freed orig_mm (temp-mm.ts), itself an I14 dereference that ends the run first. And where it
 * happens the compare is benign: the CPU leaves the stale pointer for init_mm (exactly what the
 * CPU, whose SPRN_PID then is mm's, should do), mmdrop_lazy_tlb() is only an smp_mb() without
 * REFCOUNT, and the bit and the flush follow as for a live lazy mm. So it is no use site
 * (README, use-site table), only modelled as the kernel does it.
 */
export function exitLazyFlushTlb(p: Ppc, k: ArchKernel, cpu: number, mm: number, alwaysFlush: boolean, remote: boolean): void {
  k.useMm(cpu, mm, SITE_EXIT_LAZY_FLUSH_TLB); // pid = mm->context.id
  const t = k.cpuCurr[cpu]!;
  // A kthread inside kthread_use_mm(mm) has current->mm == mm: keep the bit, just flush.
  // (current->mm holds mm_users: live, so the compare is an identity compare.)
  if (k.taskMm[t] !== mm) {
    if (k.ptrEq(k.taskActiveMm[t]!, mm)) {
      if (k.taskMm[t] !== NO_MM && k.tracer !== null) k.tracer.ev(cpu, 'WARN_ON_ONCE', 'exit_lazy_flush_tlb: current->mm != NULL');
      if (p.exitLazyIrqsOn && !k.inIrq) {
        exitLazySwitchIrqsOn(k, cpu, t, mm, alwaysFlush);
        return;
      }
      // local_irq_save(flags); mmgrab_lazy_tlb(&init_mm); current->active_mm = &init_mm;
      // switch_mm_irqs_off(mm, &init_mm, current); mmdrop_lazy_tlb(mm); local_irq_restore(flags)
      k.mmgrabLazyTlb(cpu, INIT_MM);
      k.setActiveMm(t, INIT_MM);
      switchMmIrqsOff(p, k, cpu, mm, INIT_MM);
      if (k.tracer !== null) k.tracer.ev(cpu, 'exit_lazy_flush_tlb', `${k.taskName(t)} lazy on ${k.mmName(mm)} -> init_mm`);
      k.mmdropLazyTlb(cpu, mm);
    }
    exitLazyFlushTlbClearBit(p, k, cpu, mm, alwaysFlush, remote);
    return;
  }
  if (alwaysFlush) tlbiel(p, k, cpu, p.st.mmId[mm]!, true, remote); // out: _tlbiel_pid(pid, RIC_FLUSH_ALL)
}

/** The tail of exit_lazy_flush_tlb() once current is off the mm: clear our own bit (if still set), flush. */
function exitLazyFlushTlbClearBit(p: Ppc, k: ArchKernel, cpu: number, mm: number, alwaysFlush: boolean, remote: boolean): void {
  const st = p.st;
  let flush = alwaysFlush;
  // May race with another IPI that already cleared the bit: don't underflow active_cpus.
  const bit = 1 << cpu;
  if ((k.mmCpumask[mm]! & bit) !== 0) {
    st.mmActiveCpus[mm]! -= 1; // dec_mm_active_cpus(mm)
    k.mmCpumask[mm]! &= ~bit;
    flush = true;
    if (k.tracer !== null) k.tracer.ev(cpu, 'exit_lazy_flush_tlb', `cpumask_clear_cpu(CPU${cpu}, mm_cpumask(${k.mmName(mm)}))`);
  }
  if (flush) tlbiel(p, k, cpu, st.mmId[mm]!, true, remote); // _tlbiel_pid(pid, RIC_FLUSH_ALL)
}

/**
 * Mutation radix-exit-lazy-flush-irqs-on (before dfaed3e1fa70 "powerpc/64s/radix: Fix exit lazy
 * tlb mm switch with irqs enabled"): exit_lazy_flush_tlb() called locally from
 * flush_type_needed() (exit_mmap -> tlb_finish_mmu -> __flush_all_mm, or a flush from a lazy
 * kthread) ran the lazy switch with IRQs on. Step 1 (this): mmgrab_lazy_tlb(&init_mm);
 * current->active_mm = &init_mm. IRQs stay on. Step 2 (arch_continue
 * PPC_CONT_EXIT_LAZY_SWITCH, {@link exitLazyFlushTlbResume}): switch_mm_irqs_off(mm, &init_mm),
 * mmdrop_lazy_tlb(mm), then the bit and the flush. Between the two, SPRN_PID is still mm's PID
 * while active_mm says init_mm, and an IPI may run (kernel-reference §7.6). The lazy reference
 * lives in the function's `mm` meanwhile (the core's H_local, k.setLocalMm).
 */
function exitLazySwitchIrqsOn(k: ArchKernel, cpu: number, t: number, mm: number, alwaysFlush: boolean): void {
  if (k.cpuLocalMm[cpu] !== NO_MM) {
    throw new Error(`exit_lazy_flush_tlb (IRQs-on mutation): CPU${cpu} already holds ${k.mmName(k.cpuLocalMm[cpu]!)} in a local`);
  }
  k.mmgrabLazyTlb(cpu, INIT_MM);
  k.setLocalMm(cpu, mm);
  k.setActiveMm(t, INIT_MM);
  if (k.tracer !== null)
    k.tracer.ev(cpu, 'exit_lazy_flush_tlb', `${k.taskName(t)} lazy on ${k.mmName(mm)}: current->active_mm = &init_mm with IRQs on (no local_irq_save)`);
  k.archContinue(cpu, PPC_CONT_EXIT_LAZY_SWITCH, mm, alwaysFlush ? 1 : 0);
}

/** Step 2 of the IRQs-on lazy switch (arch_continue PPC_CONT_EXIT_LAZY_SWITCH). */
export function exitLazyFlushTlbResume(p: Ppc, k: ArchKernel, cpu: number, mm: number, alwaysFlush: boolean): void {
  const _t = k.cpuCurr[cpu]!;
  k.useMm(cpu, mm, SITE_EXIT_LAZY_FLUSH_TLB);
  switchMmIrqsOff(p, k, cpu, mm, INIT_MM);
  if (k.tracer !== null) k.tracer.ev(cpu, 'exit_lazy_flush_tlb', `switch_mm_irqs_off(${k.mmName(mm)}, init_mm) with IRQs on; mmdrop_lazy_tlb(${k.mmName(mm)})`);
  k.setLocalMm(cpu, NO_MM);
  k.mmdropLazyTlb(cpu, mm);
  exitLazyFlushTlbClearBit(p, k, cpu, mm, alwaysFlush, false);
}

/**
 * Mutation radix-trim-clears-other-cpus: do_exit_flush_lazy_tlb() before a665eec0a22e
 * (introduced by 0cef77c7798a7). `if (current->mm == mm) return; /* Local CPU *\/` (no flush,
 * no bit change); a lazy kthread is switched to init_mm; _tlbiel_pid(pid, RIC_FLUSH_ALL). The
 * CPU never clears its own bit: the flusher's mm_reset_thread_local() does that for everyone.
 */
export function doExitFlushLazyTlbPreFix(p: Ppc, k: ArchKernel, cpu: number, mm: number): void {
  k.useMm(cpu, mm, SITE_DO_EXIT_FLUSH_LAZY_TLB_PRE_FIX);
  const t = k.cpuCurr[cpu]!;
  if (k.taskMm[t] === mm) {
    if (k.tracer !== null) k.tracer.ev(cpu, 'do_exit_flush_lazy_tlb', `current->mm == ${k.mmName(mm)}: return (no flush; pre-a665eec0a22e)`);
    return;
  }
  if (k.ptrEq(k.taskActiveMm[t]!, mm)) {
    // BUG_ON(current->mm); mmgrab(&init_mm); switch_mm(mm, &init_mm, current); current->active_mm = &init_mm; mmdrop(mm)
    k.mmgrabLazyTlb(cpu, INIT_MM);
    switchMmIrqsOff(p, k, cpu, mm, INIT_MM);
    k.setActiveMm(t, INIT_MM);
    if (k.tracer !== null) k.tracer.ev(cpu, 'do_exit_flush_lazy_tlb', `${k.taskName(t)} lazy on ${k.mmName(mm)} -> init_mm (bit kept)`);
    k.mmdropLazyTlb(cpu, mm);
  }
  tlbiel(p, k, cpu, p.st.mmId[mm]!, true, true);
}

/**
 * Mutation radix-trim-clears-other-cpus: mm_reset_thread_local() (arch/powerpc/include/asm/tlb.h,
 * removed by a665eec0a22e), run by the single-threaded flusher after its
 * smp_call_function_many(wait=1): every other CPU's bit is wiped and active_cpus is set to 1,
 * whatever those CPUs did since the flusher checked mm_users (an io_uring worker's
 * mmget_not_zero + kthread_use_mm).
 */
export function mmResetThreadLocal(p: Ppc, k: ArchKernel, cpu: number, mm: number): void {
  k.useMm(cpu, mm, SITE_MM_RESET_THREAD_LOCAL);
  const st = p.st;
  if (k.tracer !== null) {
    if (st.mmCopros[mm]! > 0) k.tracer.ev(cpu, 'WARN_ON', `mm_reset_thread_local: ${k.mmName(mm)} has a copro`);
    if (k.taskMm[k.cpuCurr[cpu]!] !== mm) k.tracer.ev(cpu, 'WARN_ON', `mm_reset_thread_local: current->mm != ${k.mmName(mm)}`);
    k.tracer.ev(
      cpu,
      'mm_reset_thread_local',
      `${k.mmName(mm)}: mm_cpumask 0x${(k.mmCpumask[mm]! >>> 0).toString(16)} -> {CPU${cpu}}, active_cpus ${st.mmActiveCpus[mm]} -> 1`,
    );
  }
  st.mmActiveCpus[mm] = 1; // atomic_set(&mm->context.active_cpus, 1)
  k.mmCpumask[mm] = 1 << cpu; // cpumask_clear(mm_cpumask(mm)); cpumask_set_cpu(smp_processor_id(), mm_cpumask(mm))
}

/**
 * exit_flush_lazy_tlbs(): smp_call_function_many(mm_cpumask(mm), do_exit_flush_lazy_tlb, mm, 1):
 * not to self. `fn` is PPC_IPI_EXIT_FLUSH_LAZY, or its pre-a665eec0a22e form under the
 * radix-trim-clears-other-cpus mutation.
 */
export function exitFlushLazyTlbs(_p: Ppc, k: ArchKernel, cpu: number, mm: number, fn: number = PPC_IPI_EXIT_FLUSH_LAZY): number {
  const mask = k.mmCpumask[mm]!;
  let n = 0;
  for (let c = 0; c < k.ncpu; c++) {
    if (c === cpu || (mask & (1 << c)) === 0 || k.cpuOnline[c] === 0) continue;
    k.sendIpi(cpu, c, fn, mm, 0, true, REASON_FLUSH);
    n++;
  }
  if (k.tracer !== null) k.tracer.ev(cpu, 'exit_flush_lazy_tlbs', `${k.mmName(mm)}: ${n} IPI(s), wait=1`);
  return n;
}

/** flush_type_needed(mm, fullmm). */
export function flushTypeNeeded(p: Ppc, k: ArchKernel, cpu: number, mm: number, fullmm: boolean): number {
  const st = p.st;
  const active = st.mmActiveCpus[mm]!;
  const cur = k.taskMm[k.cpuCurr[cpu]!]!;
  const inMask = (k.mmCpumask[mm]! & (1 << cpu)) !== 0;
  if (active <= 0) return FLUSH_TYPE_NONE;
  if (active === 1 && inMask) {
    if (cur !== mm && tickAndTestTrimClock(p, cpu)) {
      // Asynchronous flush sources may trim down to nothing if the process is not running.
      exitLazyFlushTlb(p, k, cpu, mm, true, false);
      return FLUSH_TYPE_NONE;
    }
    return FLUSH_TYPE_LOCAL;
  }
  if (st.mmCopros[mm]! > 0) return FLUSH_TYPE_GLOBAL; // nest MMU needs TLBIE
  if (fullmm) return FLUSH_TYPE_GLOBAL;
  // Single-threaded process running here: trim the rest of the mask, always.
  if (k.mmUsers[mm]! <= 1 && cur === mm) {
    if (p.trimClearsOthers) {
      // Before a665eec0a22e: exit_flush_lazy_tlbs() = smp_call_function_many(old handler, wait=1),
      // then mm_reset_thread_local() once every IPI completed; then the local flush.
      if (exitFlushLazyTlbs(p, k, cpu, mm, PPC_IPI_EXIT_FLUSH_LAZY_PRE_FIX) > 0) k.archContinue(cpu, PPC_CONT_RESET_THREAD_LOCAL, mm, 0);
      else mmResetThreadLocal(p, k, cpu, mm);
      return FLUSH_TYPE_LOCAL;
    }
    exitFlushLazyTlbs(p, k, cpu, mm);
    return FLUSH_TYPE_LOCAL;
  }
  if (tickAndTestTrimClock(p, cpu)) {
    exitFlushLazyTlbs(p, k, cpu, mm);
    if (cur === mm) return FLUSH_TYPE_LOCAL;
    if (inMask) exitLazyFlushTlb(p, k, cpu, mm, true, false);
    return FLUSH_TYPE_NONE;
  }
  return FLUSH_TYPE_GLOBAL;
}

function doFlush(p: Ppc, k: ArchKernel, cpu: number, mm: number, type: number, ric2: boolean): void {
  const pid = p.st.mmId[mm]!;
  if (k.tracer !== null) k.tracer.ev(cpu, 'flush_type_needed', `${k.mmName(mm)} -> FLUSH_TYPE_${FLUSH_TYPE_NAMES[type]}`);
  if (type === FLUSH_TYPE_LOCAL) tlbiel(p, k, cpu, pid, ric2, false);
  else if (type === FLUSH_TYPE_GLOBAL) tlbie(p, k, cpu, pid, ric2);
}

/**
 * The radix flush_tlb_mm_range(): radix__tlb_flush() for exit_mmap's fullmm gather,
 * radix__flush_tlb_mm() for dup_mmap's flush_tlb_mm(), radix__flush_tlb_range() (with the
 * page-walk cache when tables were freed) for munmap. Each starts with smp_mb() (orders the
 * PTE clearing before reading mm_cpumask / active_cpus).
 */
export function radixFlushTlbMmRange(p: Ppc, k: ArchKernel, cpu: number, mm: number, flags: number): void {
  k.useMm(cpu, mm, SITE_RADIX_FLUSH);
  if ((flags & FLUSH_FULLMM) !== 0) {
    if (k.shootdown && p.opts.combinedFinalFlush && exitFlushLazyTlbs(p, k, cpu, mm) > 0) {
      // Shootdown means we IPI the mm_cpumask soon anyway when the mm goes away: do it as
      // part of the final flush now. __flush_all_mm runs once every IPI has completed
      // (smp_call_function_many, wait=1): a continuation after the wait.
      k.archContinue(cpu, PPC_CONT_FINAL_FLUSH, mm, 0);
      return;
    }
    radixFinalFlush(p, k, cpu, mm);
    return;
  }
  doFlush(p, k, cpu, mm, flushTypeNeeded(p, k, cpu, mm, false), false);
}

/** __flush_all_mm(mm, true): RIC=2 (TLB + PWC + process-table cache) with the flush type chosen now. */
export function radixFinalFlush(p: Ppc, k: ArchKernel, cpu: number, mm: number): void {
  doFlush(p, k, cpu, mm, flushTypeNeeded(p, k, cpu, mm, true), true);
}

/**
 * I7-ppc bookkeeping check: active_cpus == |mm_cpumask| + [copros > 0] (radix), less the CPUs
 * inside switch_mm_irqs_off() between cpumask_set_cpu() and inc_mm_active_cpus() (their bit is
 * in the mask, their increment not yet in active_cpus: a window the kernel has too, switch-mm.ts).
 * A pending increment whose bit someone else has cleared meanwhile is not subtracted: once it
 * lands, active_cpus exceeds the mask, as it would in the kernel.
 */
export function activeCpusExpected(p: Ppc, k: ArchKernel, mm: number): number {
  const mask = k.mmCpumask[mm]!;
  let pending = 0;
  for (let c = 0; c < k.ncpu; c++) if (p.st.cpuIncPending[c] === mm && (mask & (1 << c)) !== 0) pending++;
  return cpumaskWeight(mask) - pending + (p.radix && p.st.mmCopros[mm]! > 0 ? 1 : 0);
}
