/**
 * switch_mm_irqs_off() for powerpc 64s, shared by radix and hash
 * (arch/powerpc/mm/mmu_context.c @ Kingxukai/linux 0291023e7330; kernel-reference §3.3.1), and
 * switch_mmu_context() (arch/powerpc/include/asm/mmu_context.h: radix__switch_mmu_context in
 * arch/powerpc/mm/book3s64/mmu_context.c, hash switch_slb in arch/powerpc/mm/book3s64/slb.c).
 *
 *   if (!cpumask_test_cpu(cpu, mm_cpumask(next))) { set bit; inc_mm_active_cpus(next); smp_mb(); new_on_cpu = true; }
 *   switch_mm_pgdir(tsk, next);                      // nothing on 64s
 *   if (prev == next) return;                        // POINTER compare
 *   dssall; if (!new_on_cpu) membarrier_arch_switch_mm(prev, next, tsk);
 *   switch_mmu_context(prev, next, tsk);
 *   VM_WARN_ON_ONCE(!cpumask_test_cpu(cpu, mm_cpumask(prev)));   // CONFIG_DEBUG_VM, 177255afb405 (v6.6)
 *
 * Unlike x86, the decision to reload the MMU context is taken on the core's `prev` pointer (the
 * previous task's active_mm). The compare is k.ptrEq (slab addresses: a freed mm keeps its old
 * address, SLUB hands it to a new mm): a dangling `prev` whose struct was handed out again to
 * `next` (ABA) returns early, exactly like the kernel. Whether that changes what the kernel does
 * is the site's consequence rule (sites.ts): only if the context id loaded on this CPU is not
 * next's. Then it is I14 (stale compare), named by the caller (k.switchCaller): context_switch
 * 'switch_mm_irqs_off (prev == next)', exec_mmap 'activate_mm', 'kthread_use_mm'.
 */
import { INIT_MM, type Kernel } from '@lazytlb/core';
import type { Ppc } from './ctx.js';
import { SITE_DEBUG_VM_PREV, SITE_SWITCH_NEXT } from './sites.js';
import { populate } from './tlb.js';

/**
 * `compareSite`: the use site that names the `prev == next` compare (COMPARE_SITE_BY_CALLER for
 * the core's calls; the plugin's own switches to init_mm cannot be decided by a stale prev).
 */
export function switchMmIrqsOff(p: Ppc, k: Kernel, cpu: number, prev: number, next: number, _task: number, compareSite: string): void {
  const st = p.st;
  const bit = 1 << cpu;
  // Mark this context has been used on the new CPU (before the compare: never skipped)
  if ((k.mmCpumask[next]! & bit) === 0) {
    // VM_WARN_ON_ONCE(next == &init_mm): init_mm's bits are set at boot since T13-2.
    if (p.opts.debugVm && next === INIT_MM && k.tracer !== null) k.tracer.ev(cpu, 'WARN_ON_ONCE', 'switch_mm_irqs_off: next == &init_mm not in its mm_cpumask');
    k.useMm(cpu, next, SITE_SWITCH_NEXT);
    k.mmCpumask[next]! |= bit;
    st.mmActiveCpus[next]! += 1; // inc_mm_active_cpus(next)
    // smp_mb(): orders the cpumask store before the PID / SLB load (pairs with radix__flush_tlb_mm).
  }
  // switch_mm_pgdir(tsk, next): subarch pgd tracking, nothing on 64s.
  // Nothing else to do if we aren't actually switching: if (prev == next) return;
  if (prev === next) return;
  if (prev >= 0 && k.ptrEq(prev, next)) {
    staleAba(p, k, cpu, prev, next, compareSite);
    return;
  }
  // dssall; membarrier_arch_switch_mm(): an smp_mb at most, invisible to the SC model.
  switchMmuContext(p, k, cpu, next);
  // VM_WARN_ON_ONCE(!cpumask_test_cpu(cpu, mm_cpumask(prev))) (177255afb405): reads prev (DEBUG_VM only).
  if (p.opts.debugVm && prev >= 0) debugVmPrevCheck(k, cpu, prev);
}

/** CONFIG_DEBUG_VM's read of mm_cpumask(prev) after switch_mmu_context(). */
export function debugVmPrevCheck(k: Kernel, cpu: number, prev: number): void {
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
function staleAba(p: Ppc, k: Kernel, cpu: number, prev: number, next: number, site: string): void {
  const st = p.st;
  const loaded = st.cpuId[cpu]!;
  const want = st.mmId[next]!;
  const reg = p.radix ? 'SPRN_PID' : 'the SLB / paca context';
  if (loaded !== want) {
    k.staleCompare(
      cpu, site, prev, next,
      `switch_mm_irqs_off returns at prev == next: switch_mmu_context skipped, ${reg} stays ${loaded} (loaded for ${k.mmName(st.cpuIdMm[cpu]!)}) instead of ${k.mmName(next)}'s ${want}`,
    );
    if (k.tracer !== null) k.tracer.ev(cpu, 'switch_mm_irqs_off', `prev == next: ${k.mmName(prev)} and ${k.mmName(next)} share slab address ${k.mmAddr[next]} (ABA): switch_mmu_context skipped, ${reg} stays ${loaded}`);
    return;
  }
  // Benign: the dead mm's id went to next itself (ida: lowest free id), so the skipped load
  // would have written the value already there. The hardware state is what the load gives;
  // only the model's note of whom the id was loaded for moves to next.
  st.cpuIdMm[cpu] = next;
  populate(p, k, cpu);
  if (k.tracer !== null) k.tracer.ev(cpu, 'switch_mm_irqs_off', `prev == next: ${k.mmName(prev)} and ${k.mmName(next)} share slab address ${k.mmAddr[next]} (ABA), but ${reg} ${loaded} is already ${k.mmName(next)}'s: benign`);
}

/** radix: mtspr(SPRN_PID, next->context.id); isync().  hash: switch_slb(tsk, next) + paca context copy. */
export function switchMmuContext(p: Ppc, k: Kernel, cpu: number, next: number): void {
  const st = p.st;
  const id = next === INIT_MM ? 0 : st.mmId[next]!;
  st.cpuId[cpu] = id;
  st.cpuIdMm[cpu] = next;
  st.cpuPrtbCached[cpu] = p.radix && id !== 0 ? st.idPrtbValid[id]! : 0;
  populate(p, k, cpu);
  if (k.tracer !== null) k.tracer.ev(cpu, p.radix ? 'radix__switch_mmu_context' : 'switch_slb', `${p.radix ? 'SPRN_PID' : 'context'} = ${id} (${k.mmName(next)})`);
}
