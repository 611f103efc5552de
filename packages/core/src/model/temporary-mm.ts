/**
 * text_poke() (and EFI runtime calls): the kernel patches its text through a temporary mm
 * with IRQs off, then switches back. The switches are the arch's (hook use_temporary_mm):
 * x86 use_temporary_mm() first leaves a lazy mm (leave_mm) and returns to init_mm; powerpc
 * radix start_using_temp_mm()/stop_using_temp_mm() switch away from and back to
 * current->active_mm; arm64's EFI efi_virtmap_unload() reinstalls current->active_mm.
 */
import { arch_use_temporary_mm } from './arch-calls.js';
import type { Kernel } from './kernel.js';

export function text_poke(k: Kernel, cpu: number, task: number): void {
  if (k.tracer !== null) k.tracer.ev(cpu, 'text_poke', `${k.taskName(task)}: use_temporary_mm() and back (active_mm ${k.mmName(k.taskActiveMm[task]!)})`);
  arch_use_temporary_mm(k, cpu, task);
}
