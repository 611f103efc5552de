/**
 * switch_mm_irqs_off() for powerpc 64s, shared by radix and hash
 * (arch/powerpc/mm/mmu_context.c @ Kingxukai/linux 0291023e7330; kernel-reference §3.3.1), and
 * switch_mmu_context() (arch/powerpc/include/asm/mmu_context.h: radix__switch_mmu_context in
 * arch/powerpc/mm/book3s64/mmu_context.c, hash switch_slb in arch/powerpc/mm/book3s64/slb.c).
 *
 *   if (!cpumask_test_cpu(cpu, mm_cpumask(next))) {
 *           VM_WARN_ON_ONCE(next == &init_mm);
 *           cpumask_set_cpu(cpu, mm_cpumask(next));
 *           inc_mm_active_cpus(next);
 *           smp_mb();   // "orders the store to the cpumask above vs a subsequent load which allows
 *                       //  this CPU/MMU to begin loading translations for 'next'" (radix: the load
 *                       //  of the context id moved to SPRN_PID); the other side is the smp_mb() of
 *                       //  radix__flush_tlb_mm() / __flush_all_mm() / __radix__flush_tlb_range()
 *                       //  (radix_tlb.c: "Order loads of mm_cpumask (in flush_type_needed) vs
 *                       //  previous stores to clear ptes"); hash: pte_xchg includes the barrier
 *           new_on_cpu = true;
 *   }
 *   switch_mm_pgdir(tsk, next);                      // nothing on 64s
 *   if (prev == next) return;                        // POINTER compare
 *   dssall; if (!new_on_cpu) membarrier_arch_switch_mm(prev, next, tsk);
 *   switch_mmu_context(prev, next, tsk);             // radix: mtspr(SPRN_PID, next->context.id)
 *   VM_WARN_ON_ONCE(!cpumask_test_cpu(cpu, mm_cpumask(prev)));   // CONFIG_DEBUG_VM, 177255afb405 (v6.6)
 *
 * Granularity (ABI v2: a resumable sequence, each step one task step of the CPU, IRQs off
 * throughout). The steps are the accesses other CPUs observe or race with, in code order:
 *
 *   [begin]  cpumask_test_cpu + cpumask_set_cpu(cpu, mm_cpumask(next)) (an atomic set_bit, read
 *            by flush_type_needed / mm_is_thread_local / exit_flush_lazy_tlbs on other CPUs)
 *   [SW_INC] inc_mm_active_cpus(next) (an atomic_inc, read by flush_type_needed /
 *            mm_is_thread_local before the mask: between the two, active_cpus lags the mask)
 *   [SW_MB]  smp_mb(); then the `prev == next` compare (fused: registers only, no memory access)
 *   [SW_PID] dssall, switch_mmu_context(): the load of next->context.id and mtspr(SPRN_PID) (hash:
 *            switch_slb), the point from which the MMU may walk next's tables; with DEBUG_VM the
 *            closing read of mm_cpumask(prev) (fused: it reads only this CPU's own bit, which only
 *            this CPU changes, and prev cannot be freed meanwhile in mainline: the lazy reference or
 *            rq->prev_mm holds it until after the switch, and a shoot-lazies IPI cannot land with
 *            IRQs off; under `none` it is the same use-after-free one step later)
 *
 * When the bit is already set (the common case: the CPU has run next before and was not trimmed)
 * there is no store and no barrier, and the whole function is one step: the cpumask_test_cpu()
 * reads this CPU's own bit, which in mainline only this CPU sets or clears (exit_lazy_flush_tlb
 * runs on the CPU itself; hotplug's clear_tasks_mm_cpumask runs under stop_machine), so nothing
 * another CPU does can change what the test sees between it and the PID load;
 * membarrier_arch_switch_mm() is an smp_mb() at most (not modelled: the plugin runs under sc).
 * Model-internal switches run inside one IRQs-off step: exit_lazy_flush_tlb's switch to init_mm
 * (from an IPI, or under local_irq_save) runs these steps to completion at once
 * ({@link switchMmIrqsOff}), and text patching (temp-mm.ts, the use_temporary_mm hook, which is
 * not a sequence hook) does its two switches inline in its step; init_mm's bits are set at boot,
 * so a switch to init_mm is one step anyway.
 *
 * Unlike x86, the decision to reload the MMU context is taken on the core's `prev` pointer (the
 * previous task's active_mm). The compare is k.ptrEq (slab addresses: a freed mm keeps its old
 * address, SLUB hands it to a new mm): a dangling `prev` whose struct was handed out again to
 * `next` (ABA) returns early, exactly like the kernel. Whether that changes what the kernel does
 * is the site's consequence rule (sites.ts): only if the context id loaded on this CPU is not
 * next's. Then it is I14 (stale compare), named by the caller (k.switchCaller, recorded at the
 * first step): context_switch 'switch_mm_irqs_off (prev == next)', exec_mmap 'activate_mm',
 * 'kthread_use_mm'.
 */
import { INIT_MM, NO_MM, constants, type ArchKernel } from '@lazytlb/core';
import type { Ppc } from './ctx.js';
import { COMPARE_SITE_BY_CALLER, SITE_DEBUG_VM_PREV, SITE_PREV_EQ_NEXT, SITE_SWITCH_NEXT } from './sites.js';
import { populate } from './tlb.js';

/** switch_mm_irqs_off() steps after the first (ArchHooks.resume pcs). */
export const SW_INC = 1; // inc_mm_active_cpus(next)
export const SW_MB = 2; // smp_mb(); prev == next
export const SW_PID = 3; // switch_mmu_context(): SPRN_PID / switch_slb; DEBUG_VM read of prev

/**
 * The first step of switch_mm_irqs_off(prev, next, tsk); returns the pc of the next step (0:
 * done). `caller`: core SWITCH_* (k.switchCaller), kept for the compare's site.
 */
export function switchBegin(p: Ppc, k: ArchKernel, cpu: number, prev: number, next: number, caller: number): number {
  const st = p.st;
  const bit = 1 << cpu;
  st.cpuSwCaller[cpu] = caller;
  // Mark this context has been used on the new CPU (before the compare: never skipped)
  if ((k.mmCpumask[next]! & bit) === 0) {
    // VM_WARN_ON_ONCE(next == &init_mm): init_mm's bits are set at boot since T13-2.
    if (p.opts.debugVm && next === INIT_MM && k.tracer !== null) k.tracer.ev(cpu, 'WARN_ON_ONCE', 'switch_mm_irqs_off: next == &init_mm not in its mm_cpumask');
    k.useMm(cpu, next, SITE_SWITCH_NEXT);
    k.mmCpumask[next]! |= bit; // cpumask_set_cpu(): atomic set_bit
    st.cpuIncPending[cpu] = next;
    st.cpuSwBusy[cpu] = 1;
    if (k.tracer !== null) k.tracer.ev(cpu, 'switch_mm_irqs_off', `cpumask_set_cpu(CPU${cpu}, mm_cpumask(${k.mmName(next)}))`);
    return SW_INC;
  }
  // Bit already set: no store, no barrier (new_on_cpu = false); the rest is this one step.
  if (!compare(p, k, cpu, prev, next)) return 0;
  // dssall; membarrier_arch_switch_mm(prev, next, tsk): an smp_mb() at most (sc: nothing to do).
  loadContext(p, k, cpu, prev, next);
  return 0;
}

/** One later step of switch_mm_irqs_off() (see the module comment); returns the next pc, 0 when done. */
export function switchStep(p: Ppc, k: ArchKernel, cpu: number, pc: number, prev: number, next: number): number {
  const st = p.st;
  switch (pc) {
    case SW_INC:
      st.mmActiveCpus[next]! += 1; // inc_mm_active_cpus(next): atomic_inc(&next->context.active_cpus)
      st.cpuIncPending[cpu] = NO_MM;
      if (k.tracer !== null) k.tracer.ev(cpu, 'switch_mm_irqs_off', `inc_mm_active_cpus(${k.mmName(next)}): active_cpus = ${st.mmActiveCpus[next]}`);
      return SW_MB;
    case SW_MB:
      // smp_mb(): the cpumask store (and active_cpus) before the context id load below.
      k.smpMb(cpu);
      if (k.tracer !== null)
        k.tracer.ev(cpu, 'switch_mm_irqs_off', `smp_mb() (new on CPU${cpu}: mm_cpumask(${k.mmName(next)}) before the ${p.radix ? 'PID' : 'context'} load)`);
      // switch_mm_pgdir(): nothing on 64s. if (prev == next) return;
      if (compare(p, k, cpu, prev, next)) return SW_PID;
      st.cpuSwBusy[cpu] = 0;
      return 0;
    case SW_PID:
      // dssall; new_on_cpu: no membarrier_arch_switch_mm() (the smp_mb() above serves it).
      st.cpuSwBusy[cpu] = 0;
      loadContext(p, k, cpu, prev, next);
      return 0;
    default:
      throw new Error(`powerpc switch_mm_irqs_off: no step ${pc}`);
  }
}

/**
 * switch_mm_irqs_off() run to completion in the current step: the model's own switches inside
 * one IRQs-off step (exit_lazy_flush_tlb's switch to init_mm and its pre-a665eec0a22e form).
 * `caller`: core SWITCH_* naming the compare (SWITCH_TO_INIT_MM for a switch to init_mm, which
 * a stale prev cannot decide: init_mm has no slab address).
 */
export function switchMmIrqsOff(p: Ppc, k: ArchKernel, cpu: number, prev: number, next: number, caller: number = constants.SWITCH_TO_INIT_MM): void {
  for (let pc = switchBegin(p, k, cpu, prev, next, caller); pc > 0; pc = switchStep(p, k, cpu, pc, prev, next));
}

/**
 * `if (prev == next) return;` Returns true when the switch goes on to switch_mmu_context(). A
 * pointer compare by address (k.ptrEq): a stale prev at next's address returns early (staleAba).
 */
function compare(p: Ppc, k: ArchKernel, cpu: number, prev: number, next: number): boolean {
  if (prev === next) return false;
  if (prev >= 0 && k.ptrEq(prev, next)) {
    staleAba(p, k, cpu, prev, next, COMPARE_SITE_BY_CALLER[p.st.cpuSwCaller[cpu]!] ?? SITE_PREV_EQ_NEXT);
    return false;
  }
  return true;
}

/** switch_mmu_context(prev, next, tsk), then (DEBUG_VM) VM_WARN_ON_ONCE(!cpumask_test_cpu(cpu, mm_cpumask(prev))). */
function loadContext(p: Ppc, k: ArchKernel, cpu: number, prev: number, next: number): void {
  switchMmuContext(p, k, cpu, next);
  // VM_WARN_ON_ONCE(!cpumask_test_cpu(cpu, mm_cpumask(prev))) (177255afb405): reads prev (DEBUG_VM only).
  if (p.opts.debugVm && prev >= 0) debugVmPrevCheck(k, cpu, prev);
}

/** CONFIG_DEBUG_VM's read of mm_cpumask(prev) after switch_mmu_context(). */
export function debugVmPrevCheck(k: ArchKernel, cpu: number, prev: number): void {
  if (k.useMm(cpu, prev, SITE_DEBUG_VM_PREV)) return;
  if ((k.mmCpumask[prev]! & (1 << cpu)) === 0 && k.tracer !== null) {
    k.tracer.ev(cpu, 'WARN_ON_ONCE', `switch_mm_irqs_off: CPU${cpu} not in mm_cpumask(prev=${k.mmName(prev)})`);
  }
}

/**
 * `prev == next` decided by a stale prev (freed; its address is next's now): the early return
 * skips switch_mmu_context(). Consequence rule (sites.ts): the kernel's behaviour changes only if
 * the context id this CPU has loaded (radix SPRN_PID, hash the context of the user SLB entries /
 * paca) is not next's. The cpumask bit was set above, whatever the compare said.
 */
function staleAba(p: Ppc, k: ArchKernel, cpu: number, prev: number, next: number, site: string): void {
  const st = p.st;
  const loaded = st.cpuId[cpu]!;
  const want = st.mmId[next]!;
  const reg = p.radix ? 'SPRN_PID' : 'the SLB / paca context';
  if (loaded !== want) {
    k.staleCompare(
      cpu,
      site,
      prev,
      next,
      `switch_mm_irqs_off returns at prev == next: switch_mmu_context skipped, ${reg} stays ${loaded} (loaded for ${k.mmName(st.cpuIdMm[cpu]!)}) instead of ${k.mmName(next)}'s ${want}`,
    );
    if (k.tracer !== null)
      k.tracer.ev(
        cpu,
        'switch_mm_irqs_off',
        `prev == next: ${k.mmName(prev)} and ${k.mmName(next)} share slab address ${k.mmAddr[next]} (ABA): switch_mmu_context skipped, ${reg} stays ${loaded}`,
      );
    return;
  }
  // Benign: the dead mm's id went to next itself (ida: lowest free id), so the skipped load
  // would have written the value already there. The hardware state is what the load gives;
  // only the model's note of whom the id was loaded for moves to next.
  st.cpuIdMm[cpu] = next;
  populate(p, k, cpu);
  if (k.tracer !== null)
    k.tracer.ev(
      cpu,
      'switch_mm_irqs_off',
      `prev == next: ${k.mmName(prev)} and ${k.mmName(next)} share slab address ${k.mmAddr[next]} (ABA), but ${reg} ${loaded} is already ${k.mmName(next)}'s: benign`,
    );
}

/** radix: mtspr(SPRN_PID, next->context.id); isync().  hash: switch_slb(tsk, next) + paca context copy. */
export function switchMmuContext(p: Ppc, k: ArchKernel, cpu: number, next: number): void {
  const st = p.st;
  const id = next === INIT_MM ? 0 : st.mmId[next]!;
  st.cpuId[cpu] = id;
  st.cpuIdMm[cpu] = next;
  st.cpuPrtbCached[cpu] = p.radix && id !== 0 ? st.idPrtbValid[id]! : 0;
  populate(p, k, cpu);
  if (k.tracer !== null)
    k.tracer.ev(cpu, p.radix ? 'radix__switch_mmu_context' : 'switch_slb', `${p.radix ? 'SPRN_PID' : 'context'} = ${id} (${k.mmName(next)})`);
}
