/**
 * switch_mm_irqs_off() for powerpc 64s, shared by radix and hash
 * (arch/powerpc/mm/mmu_context.c; kernel-reference §3.3.1), and switch_mmu_context()
 * (arch/powerpc/include/asm/mmu_context.h: radix__switch_mmu_context in
 * arch/powerpc/mm/book3s64/radix_pgtable.c / mmu_context.c; hash switch_slb in
 * arch/powerpc/mm/book3s64/slb.c).
 *
 * Unlike x86, the decision to reload the MMU context is `if (prev == next) return;` on the
 * core's `prev` pointer (the previous task's active_mm). That is a **pointer** compare: the
 * model compares slab addresses (`k.mmAddr`), so a dangling `prev` whose struct was freed and
 * handed out again to `next` (ABA) skips the load, exactly like the kernel.
 */
import { INIT_MM, type Kernel } from '@lazytlb/core';
import type { Ppc } from './ctx.js';
import { populate } from './tlb.js';

export function switchMmIrqsOff(p: Ppc, k: Kernel, cpu: number, prev: number, next: number, _task: number): void {
  const st = p.st;
  const bit = 1 << cpu;
  // Mark this context has been used on the new CPU
  if ((k.mmCpumask[next]! & bit) === 0) {
    // VM_WARN_ON_ONCE(next == &init_mm): init_mm's bits are set at boot since T13-2.
    if (next === INIT_MM && k.tracer !== null) k.tracer.ev(cpu, 'WARN_ON_ONCE', 'switch_mm_irqs_off: next == &init_mm not in its mm_cpumask');
    k.deref(cpu, next, 'cpumask_set_cpu(cpu, mm_cpumask(next))');
    k.mmCpumask[next]! |= bit;
    st.mmActiveCpus[next]! += 1; // inc_mm_active_cpus(next)
    // smp_mb(): orders the cpumask store before the PID / SLB load (pairs with radix__flush_tlb_mm).
  }
  // switch_mm_pgdir(tsk, next): subarch pgd tracking, nothing on 64s.
  if (prev >= 0 && k.mmAddr[prev] === k.mmAddr[next]) {
    // if (prev == next) return;
    if (prev !== next && k.tracer !== null) {
      k.tracer.ev(cpu, 'switch_mm_irqs_off', `prev == next: ${k.mmName(prev)} and ${k.mmName(next)} share slab address ${k.mmAddr[next]} (ABA): switch_mmu_context skipped, ${p.radix ? 'SPRN_PID' : 'SLB/paca context'} stays ${st.cpuId[cpu]}`);
    }
    return;
  }
  // membarrier_arch_switch_mm(): not modelled (sequentially consistent memory).
  switchMmuContext(p, k, cpu, next);
  // VM_WARN_ON_ONCE(!cpumask_test_cpu(cpu, mm_cpumask(prev))) (v6.6, 177255afb405): reads prev.
  if (prev >= 0) {
    k.deref(cpu, prev, 'switch_mm_irqs_off: VM_WARN_ON_ONCE(!cpumask_test_cpu(cpu, mm_cpumask(prev)))');
    if ((k.mmCpumask[prev]! & bit) === 0 && k.tracer !== null) {
      k.tracer.ev(cpu, 'WARN_ON_ONCE', `switch_mm_irqs_off: CPU${cpu} not in mm_cpumask(prev=${k.mmName(prev)})`);
    }
  }
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
