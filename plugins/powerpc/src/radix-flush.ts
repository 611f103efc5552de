/**
 * Radix TLB flushing, mm_cpumask trimming and the lazy exit
 * (arch/powerpc/mm/book3s64/radix_tlb.c; kernel-reference §3.3.2):
 * tick_and_test_trim_clock, flush_type_needed, exit_lazy_flush_tlb, do_exit_flush_lazy_tlb,
 * exit_flush_lazy_tlbs, radix__flush_tlb_mm / radix__flush_tlb_range, and radix__tlb_flush
 * with the v6.6 combined final flush + shootdown (e43c0a0c3c28).
 *
 * mm_cpumask policy: a bit is set by switch_mm_irqs_off and cleared only by the CPU itself in
 * exit_lazy_flush_tlb, after it left the mm (IRQs off), never while current->mm == mm
 * (a665eec0a22e, §7.4). active_cpus counts the bits (+1 while a copro is attached).
 */
import { INIT_MM, NO_MM, REASON_FLUSH, type Kernel, FLUSH_FULLMM } from '@lazytlb/core';
import { FLUSH_TYPE_GLOBAL, FLUSH_TYPE_LOCAL, FLUSH_TYPE_NAMES, FLUSH_TYPE_NONE, PPC_CONT_FINAL_FLUSH, PPC_IPI_EXIT_FLUSH_LAZY } from './constants.js';
import type { Ppc } from './ctx.js';
import { cpumaskWeight } from './state.js';
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
 * to init_mm under local_irq_save (T14, §7.6: the whole hook is one step, IRQs off).
 */
export function exitLazyFlushTlb(p: Ppc, k: Kernel, cpu: number, mm: number, alwaysFlush: boolean, remote: boolean): void {
  const st = p.st;
  k.deref(cpu, mm, 'exit_lazy_flush_tlb: mm->context.id');
  const pid = st.mmId[mm]!;
  const t = k.cpuCurr[cpu]!;
  let flush = alwaysFlush;
  // A kthread inside kthread_use_mm(mm) has current->mm == mm: keep the bit, just flush.
  if (k.taskMm[t] !== mm) {
    if (k.taskActiveMm[t] === mm) {
      if (k.taskMm[t] !== NO_MM && k.tracer !== null) k.tracer.ev(cpu, 'WARN_ON_ONCE', 'exit_lazy_flush_tlb: current->mm != NULL');
      // local_irq_save(flags); mmgrab_lazy_tlb(&init_mm); current->active_mm = &init_mm;
      // switch_mm_irqs_off(mm, &init_mm, current); mmdrop_lazy_tlb(mm); local_irq_restore(flags)
      k.mmgrabLazyTlb(cpu, INIT_MM);
      k.setActiveMm(t, INIT_MM);
      switchMmIrqsOff(p, k, cpu, mm, INIT_MM, t);
      if (k.tracer !== null) k.tracer.ev(cpu, 'exit_lazy_flush_tlb', `${k.taskName(t)} lazy on ${k.mmName(mm)} -> init_mm`);
      k.mmdropLazyTlb(cpu, mm);
    }
    // May race with another IPI that already cleared the bit: don't underflow active_cpus.
    const bit = 1 << cpu;
    if ((k.mmCpumask[mm]! & bit) !== 0) {
      st.mmActiveCpus[mm]! -= 1; // dec_mm_active_cpus(mm)
      k.mmCpumask[mm]! &= ~bit;
      flush = true;
      if (k.tracer !== null) k.tracer.ev(cpu, 'exit_lazy_flush_tlb', `cpumask_clear_cpu(CPU${cpu}, mm_cpumask(${k.mmName(mm)}))`);
    }
  }
  if (flush) tlbiel(p, k, cpu, pid, true, remote); // _tlbiel_pid(pid, RIC_FLUSH_ALL)
}

/** exit_flush_lazy_tlbs(): smp_call_function_many(mm_cpumask(mm), do_exit_flush_lazy_tlb, mm, 1): not to self. */
export function exitFlushLazyTlbs(p: Ppc, k: Kernel, cpu: number, mm: number): number {
  const mask = k.mmCpumask[mm]!;
  let n = 0;
  for (let c = 0; c < k.ncpu; c++) {
    if (c === cpu || (mask & (1 << c)) === 0 || k.cpuOnline[c] === 0) continue;
    k.sendIpi(cpu, c, PPC_IPI_EXIT_FLUSH_LAZY, mm, 0, true, REASON_FLUSH);
    n++;
  }
  if (k.tracer !== null) k.tracer.ev(cpu, 'exit_flush_lazy_tlbs', `${k.mmName(mm)}: ${n} IPI(s), wait=1`);
  return n;
}

/** flush_type_needed(mm, fullmm). */
export function flushTypeNeeded(p: Ppc, k: Kernel, cpu: number, mm: number, fullmm: boolean): number {
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

function doFlush(p: Ppc, k: Kernel, cpu: number, mm: number, type: number, ric2: boolean): void {
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
export function radixFlushTlbMmRange(p: Ppc, k: Kernel, cpu: number, mm: number, flags: number): void {
  k.deref(cpu, mm, 'radix__flush_tlb_mm: mm->context.id');
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
export function radixFinalFlush(p: Ppc, k: Kernel, cpu: number, mm: number): void {
  doFlush(p, k, cpu, mm, flushTypeNeeded(p, k, cpu, mm, true), true);
}

/** I7-ppc bookkeeping check: active_cpus == |mm_cpumask| + [copros > 0] (radix). */
export function activeCpusExpected(p: Ppc, k: Kernel, mm: number): number {
  return cpumaskWeight(k.mmCpumask[mm]!) + (p.radix && p.st.mmCopros[mm]! > 0 ? 1 : 0);
}
