/**
 * The x86 use sites of a possibly dangling lazy mm pointer (kernel-reference §12.2; research
 * notes §1d-§1f, §1j, §4): every id the x86 hooks pass to k.useMm. The README's use-site table
 * also lists the sites the model does not model and why.
 *
 * On x86 the lazy mm a CPU keeps is cpu_tlbstate.loaded_mm, not current->active_mm: x86's
 * switch_mm_irqs_off() ignores its `prev` argument. loaded_mm is also the CPU's CR3, so it can
 * only name a freed mm after I1 (the core checks every CPU's MMU root at mm_free_pgd), which
 * ends the run first. The sites that read loaded_mm are declared and called anyway (they are
 * what the code does); the one that reads a dangling pointer without I1 is
 * fix_processor_context(), through current->active_mm.
 */
import type { UseSiteDoc } from '@lazytlb/core';

export const SITE_FIX_PROCESSOR_CONTEXT = 'fix_processor_context';
export const SITE_INITIALIZE_TLBSTATE = 'initialize_tlbstate_and_flush';
export const SITE_SWITCH_LDT = 'switch_ldt';
export const SITE_CLEAR_PREV = 'switch_mm_irqs_off: cpumask_clear_cpu(prev)';
export const SITE_FLUSH_CLEAR = 'flush_tlb_func: cpumask_clear_cpu(f->mm)';

const TLB_C = 'arch/x86/mm/tlb.c @ CachyOS/linux 0ebd1b8055ed (≥6.18-era file)';

export const X86_USE_SITES: readonly UseSiteDoc[] = [
  {
    id: SITE_FIX_PROCESSOR_CONTEXT,
    kind: 'dereference',
    source: 'arch/x86/power/cpu.c @ Kingxukai/linux 0291023e7330 (same in 6.12.118); load_mm_ldt() in arch/x86/kernel/ldt.c (6.12.118)',
    reads:
      'load_mm_ldt(current->active_mm): READ_ONCE(mm->context.ldt), then lldt from the ldt_struct (or clear_LDT()); ' +
      'resume path restore_processor_state() -> __restore_processor_state() -> fix_processor_context(), run by the task that ' +
      'suspended (a kworker for autosleep: a lazy active_mm)',
    consequence: "a read of a freed mm_struct (always a use after free; with a reused slot it loads another process's LDT)",
  },
  {
    id: SITE_INITIALIZE_TLBSTATE,
    kind: 'dereference',
    source: TLB_C,
    reads: 'mm = cpu_tlbstate.loaded_mm; mm->pgd (write_cr3(build_cr3(mm->pgd, 0, 0))), mm->context.ctx_id, mm_lam_cr3_mask(mm)',
    consequence: "a read of a freed mm_struct and CR3 <- its freed pgd; loaded_mm is the CPU's CR3, so it is freed only after I1",
  },
  {
    id: SITE_SWITCH_LDT,
    kind: 'dereference',
    source: `${TLB_C}: "if (next != prev) { cr4_update_pce_mm(next); switch_ldt(prev, next); }"; switch_ldt() in arch/x86/kernel/ldt.c (6.12.118)`,
    reads: 'prev->context.ldt | next->context.ldt, prev = cpu_tlbstate.loaded_mm (the lazy mm on a lazy CPU); CONFIG_MODIFY_LDT_SYSCALL',
    consequence: 'a read of a freed mm_struct; loaded_mm is freed only after I1',
  },
  {
    id: SITE_CLEAR_PREV,
    kind: 'dereference',
    source:
      'arch/x86/mm/tlb.c switch_mm_irqs_off(), v4.20-v6.13 (Debian linux-source-6.12.118): "if (prev != &init_mm) cpumask_clear_cpu(cpu, mm_cpumask(prev))"',
    reads: 'mm_cpumask(prev) (inside the mm_struct), prev = cpu_tlbstate.loaded_mm; only with the clear-on-switch policy',
    consequence: 'a write to a freed mm_struct; loaded_mm is freed only after I1',
  },
  {
    id: SITE_FLUSH_CLEAR,
    kind: 'dereference',
    source: `${TLB_C}: flush_tlb_func(): "if (f->mm && f->mm != loaded_mm) cpumask_clear_cpu(raw_smp_processor_id(), mm_cpumask(f->mm))" (v6.14+)`,
    reads: 'mm_cpumask(f->mm), the mm being flushed (the flusher holds it and waits for the IPI)',
    consequence: 'a write to a freed mm_struct; never in mainline (the sender pins f->mm until every CPU acknowledged)',
  },
];
