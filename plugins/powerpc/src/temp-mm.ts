/**
 * Text patching through a temporary mm (hook use_temporary_mm), from
 * arch/powerpc/lib/code-patching.c @ Kingxukai/linux 0291023e7330 (the same in 6.12.118):
 *
 *   patch_mem() / patch_instructions(): local_irq_save(flags);
 *     if (mm_patch_enabled())           // IS_ENABLED(CONFIG_SMP) && radix_enabled()
 *       __do_patch_mem_mm():            // __do_patch_instructions_mm() alike
 *         patching_mm = cpu_patching_context.mm;   // per CPU, mm_alloc()ed by text_area_cpu_up_mm()
 *         orig_mm = start_using_temp_mm(patching_mm);
 *               // orig_mm = current->active_mm; switch_mm_irqs_off(orig_mm, temp_mm, current);
 *               // WARN_ON(!mm_is_thread_local(temp_mm)); suspend_breakpoints();
 *         __patch_mem(...);
 *         stop_using_temp_mm(patching_mm, orig_mm);
 *               // switch_mm_irqs_off(temp_mm, orig_mm, current); restore_breakpoints();
 *         pte_clear(); local_flush_tlb_page_psize(patching_mm, ...);
 *     else __do_patch_mem():            // hash: a kernel alias mapping in init_mm, no mm switch
 *   local_irq_restore(flags);
 *
 * The whole thing runs with IRQs off, so the model takes it as one step. On radix, orig_mm is
 * current->active_mm: a lazy pointer when a kernel thread patches text (static keys, ftrace,
 * BPF, kprobes, module loading all do). Under a dangling-pointer scheme it may name a freed mm:
 * - start_using_temp_mm's switch_mm_irqs_off(orig_mm, patching_mm): `prev == next` is false
 *   (the patching mm is live, at its own address); with CONFIG_DEBUG_VM the closing
 *   VM_WARN_ON_ONCE reads mm_cpumask(orig_mm) (site 'switch_mm_irqs_off (DEBUG_VM ...)');
 * - stop_using_temp_mm's switch_mm_irqs_off(patching_mm, orig_mm) reads mm_cpumask(orig_mm) as
 *   `next` (and, when this CPU's bit is clear, sets it and increments active_cpus: writes into
 *   the freed object) and loads orig_mm->context.id into SPRN_PID (site 'stop_using_temp_mm').
 *
 * The patching mms are not core mms: each CPU's lives from its text_area_cpu_up_mm() to its
 * text_area_cpu_down_mm(), is used by that CPU only (mm_is_thread_local), and no lazy pointer
 * ever names it. The model gives them no PID, slab address or TLB: SPRN_PID names the patching
 * mm only inside this one step, and switching back reloads orig_mm's context (populate) as the
 * kernel's mtspr does. Their PIDs (taken from the same ida at boot) only shift the user PIDs
 * by a constant; the model's lowest-free reuse order among user mms is unchanged.
 */
import { INIT_MM, NO_MM, constants, type ArchKernel } from '@lazytlb/core';
import type { Ppc } from './ctx.js';
import { SITE_STOP_USING_TEMP_MM } from './sites.js';
import { debugVmPrevCheck, switchMmuContext } from './switch-mm.js';

export function useTemporaryMm(p: Ppc, k: ArchKernel, cpu: number, task: number): void {
  if (!p.radix) {
    // mm_patch_enabled() is false on hash: __do_patch_mem() patches through init_mm, no switch.
    if (k.tracer !== null) k.tracer.ev(cpu, 'patch_mem', 'hash: __do_patch_mem (kernel alias in init_mm, no temporary mm)');
    return;
  }
  // start_using_temp_mm(patching_mm): orig_mm = current->active_mm (a pointer load from the task)
  const orig = k.taskActiveMm[task]!;
  // switch_mm_irqs_off(orig_mm, patching_mm, current): the patching mm's bit and PID (not modelled),
  // prev != next; then the DEBUG_VM read of mm_cpumask(orig_mm).
  if (k.tracer !== null) k.tracer.ev(cpu, 'start_using_temp_mm', `orig_mm = ${k.mmName(orig)}: SPRN_PID = patching_mm's PID`);
  if (orig === NO_MM) return;
  if (p.opts.debugVm) debugVmPrevCheck(k, cpu, orig);
  // __patch_mem(); stop_using_temp_mm(patching_mm, orig_mm) = switch_mm_irqs_off(patching_mm, orig_mm, current)
  stopUsingTempMm(p, k, cpu, orig);
}

/** switch_mm_irqs_off(patching_mm, orig_mm, current): orig_mm is `next`. */
function stopUsingTempMm(p: Ppc, k: ArchKernel, cpu: number, orig: number): void {
  const st = p.st;
  const bit = 1 << cpu;
  if (orig > INIT_MM && k.useMm(cpu, orig, SITE_STOP_USING_TEMP_MM)) {
    // Use after free (I14, the run ends). What the kernel then does, for the trace: the object at
    // orig's address is either still free (context.id = MMU_NO_CONTEXT, written by
    // destroy_context: SPRN_PID gets an id no process-table entry has) or a new mm's (its
    // mm_cpumask gets this CPU, SPRN_PID its context id).
    const occupant = liveAt(k, orig);
    if (occupant !== NO_MM) {
      if ((k.mmCpumask[occupant]! & bit) === 0) {
        k.mmCpumask[occupant]! |= bit;
        st.mmActiveCpus[occupant]! += 1;
      }
      switchMmuContext(p, k, cpu, occupant);
    } else {
      st.cpuId[cpu] = 0; // MMU_NO_CONTEXT: nothing walkable for user addresses (the model's id 0)
      st.cpuIdMm[cpu] = orig;
      st.cpuPrtbCached[cpu] = 0;
    }
    if (k.tracer !== null) {
      k.tracer.ev(
        cpu,
        'stop_using_temp_mm',
        `switch_mm_irqs_off(patching_mm, ${k.mmName(orig)}) on a freed mm: ${occupant !== NO_MM ? `its address is ${k.mmName(occupant)}'s now: CPU${cpu} joins its mm_cpumask, SPRN_PID = ${st.cpuId[cpu]}` : 'SPRN_PID = MMU_NO_CONTEXT'}`,
      );
    }
    return;
  }
  // Mark this context has been used on the new CPU (orig is this CPU's active_mm: the bit is
  // already set by I7-ppc; init_mm's bits are set at boot).
  if ((k.mmCpumask[orig]! & bit) === 0) {
    k.mmCpumask[orig]! |= bit;
    st.mmActiveCpus[orig]! += 1;
  }
  // prev (the patching mm) != next; switch_mmu_context(): SPRN_PID = orig_mm->context.id.
  switchMmuContext(p, k, cpu, orig);
  if (k.tracer !== null) k.tracer.ev(cpu, 'stop_using_temp_mm', `back to orig_mm ${k.mmName(orig)}`);
  // The closing VM_WARN_ON_ONCE reads mm_cpumask(patching_mm): live, this CPU's bit set.
}

/** The live mm SLUB handed `stale`'s address to, if any (allocation-free scan; error path only). */
function liveAt(k: ArchKernel, stale: number): number {
  for (let mm = INIT_MM + 1; mm < k.nmm; mm++) {
    if (mm !== stale && k.mmStage[mm] !== constants.MM_FREED && k.ptrEq(mm, stale)) return mm;
  }
  return NO_MM;
}
