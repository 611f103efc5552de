/**
 * Calls into the arch plugin. Each wrapper records which hook is running, so an exception
 * thrown inside a plugin is reported as a plugin error naming the hook, never as a model
 * violation. The hooks themselves are called unwrapped (validated once at load). Hooks nest
 * (flush_tlb_mm_range -> on_each_cpu_mask -> the local handle_ipi), so each restores the
 * outer hook id on return.
 */
import type { Kernel } from './kernel.js';

export const HOOK_NAMES = [
  'none', 'reset', 'init_new_context', 'destroy_context', 'switch_mm_irqs_off', 'enter_lazy_tlb',
  'flush_tlb_mm_range', 'handle_ipi', 'arch_exit_mmap', 'shoot_lazies_mask', 'hw_root', 'tlb_may_hold',
  'check', 'vcpu_preempt', 'vcpu_resume', 'describe_cpu', 'ipi_name', 'arch_continue', 'cpu_disable', 'cpu_up',
  'cpu_idle_deep', 'use_temporary_mm', 'suspend_resume', 'tlbbatch_flush',
] as const;

/** `caller`: SWITCH_* (who calls it: context_switch, activate_mm, kthread_use_mm, a switch to init_mm), in k.switchCaller. */
export function arch_switch_mm_irqs_off(k: Kernel, cpu: number, prev: number, next: number, task: number, caller: number): void {
  k.mmStateTouched = true;
  k.switchCaller = caller;
  const outer = k.hook;
  k.hook = 4;
  k.arch.switch_mm_irqs_off(k, cpu, prev, next, task);
  k.hook = outer;
}

export function arch_enter_lazy_tlb(k: Kernel, cpu: number, mm: number, task: number): void {
  k.mmStateTouched = true;
  const outer = k.hook;
  k.hook = 5;
  k.arch.enter_lazy_tlb(k, cpu, mm, task);
  k.hook = outer;
}

export function arch_flush_tlb_mm_range(k: Kernel, cpu: number, mm: number, flags: number): void {
  k.mmStateTouched = true;
  const outer = k.hook;
  k.hook = 6;
  k.arch.flush_tlb_mm_range(k, cpu, mm, flags);
  k.hook = outer;
}

export function arch_handle_ipi(k: Kernel, cpu: number, fn: number, mm: number, arg: number): void {
  k.mmStateTouched = true;
  const outer = k.hook;
  k.hook = 7;
  k.arch.handle_ipi(k, cpu, fn, mm, arg);
  k.hook = outer;
}

export function arch_exit_mmap(k: Kernel, cpu: number, mm: number): void {
  k.mmStateTouched = true;
  const outer = k.hook;
  k.hook = 8;
  k.arch.arch_exit_mmap(k, cpu, mm);
  k.hook = outer;
}

export function arch_init_new_context(k: Kernel, cpu: number, mm: number): void {
  k.mmStateTouched = true;
  const outer = k.hook;
  k.hook = 2;
  k.arch.init_new_context(k, cpu, mm);
  k.hook = outer;
}

export function arch_destroy_context(k: Kernel, cpu: number, mm: number): void {
  k.mmStateTouched = true;
  const outer = k.hook;
  k.hook = 3;
  k.arch.destroy_context(k, cpu, mm);
  k.hook = outer;
}

export function arch_shoot_lazies_mask(k: Kernel, mm: number): number {
  const outer = k.hook;
  k.hook = 9;
  const m = k.arch.shoot_lazies_mask(k, mm);
  k.hook = outer;
  return m;
}

export function arch_hw_root(k: Kernel, cpu: number): number {
  const outer = k.hook;
  k.hook = 10;
  const r = k.arch.hw_root(k, cpu);
  k.hook = outer;
  return r;
}

export function arch_tlb_may_hold(k: Kernel, cpu: number, mm: number, gen: number): boolean {
  const outer = k.hook;
  k.hook = 11;
  const r = k.arch.tlb_may_hold(k, cpu, mm, gen);
  k.hook = outer;
  return r;
}

export function arch_check(k: Kernel, cpu: number): void {
  const outer = k.hook;
  k.hook = 12;
  k.arch.check(k, cpu);
  k.hook = outer;
}

export function arch_continue(k: Kernel, cpu: number, fn: number, mm: number, arg: number): void {
  k.mmStateTouched = true;
  const outer = k.hook;
  k.hook = 17;
  k.arch.arch_continue!(k, cpu, fn, mm, arg);
  k.hook = outer;
}

export function arch_cpu_disable(k: Kernel, cpu: number): void {
  if (k.arch.cpu_disable === undefined) return;
  k.mmStateTouched = true;
  const outer = k.hook;
  k.hook = 18;
  k.arch.cpu_disable(k, cpu);
  k.hook = outer;
}

export function arch_cpu_up(k: Kernel, cpu: number): void {
  if (k.arch.cpu_up === undefined) return;
  k.mmStateTouched = true;
  const outer = k.hook;
  k.hook = 19;
  k.arch.cpu_up(k, cpu);
  k.hook = outer;
}

/** cpuidle_enter_state() of a deep C-state on `cpu` (its idle task runs it). Optional hook. */
export function arch_cpu_idle_deep(k: Kernel, cpu: number): void {
  if (k.arch.cpu_idle_deep === undefined) return;
  k.mmStateTouched = true;
  const outer = k.hook;
  k.hook = 20;
  k.arch.cpu_idle_deep(k, cpu);
  k.hook = outer;
}

/** text_poke() / an EFI runtime call on `cpu` by `task`: the arch's temporary-mm switch and back. Optional hook. */
export function arch_use_temporary_mm(k: Kernel, cpu: number, task: number): void {
  if (k.arch.use_temporary_mm === undefined) return;
  k.mmStateTouched = true;
  const outer = k.hook;
  k.hook = 21;
  k.arch.use_temporary_mm(k, cpu, task);
  k.hook = outer;
}

/** A suspend/resume cycle run by `task` on `cpu` (the arch's save/restore of processor state). Optional hook. */
export function arch_suspend_resume(k: Kernel, cpu: number, task: number): void {
  if (k.arch.suspend_resume === undefined) return;
  k.mmStateTouched = true;
  const outer = k.hook;
  k.hook = 22;
  k.arch.suspend_resume(k, cpu, task);
  k.hook = outer;
}

/**
 * try_to_unmap_flush() -> arch_tlbbatch_flush() for a page of `mm` that reclaim unmapped (the
 * batch's cpumask is mm_cpumask(mm)). Without the hook: flush_tlb_mm_range(mm, no freed tables).
 */
export function arch_tlbbatch_flush(k: Kernel, cpu: number, mm: number): void {
  k.mmStateTouched = true;
  const outer = k.hook;
  if (k.arch.tlbbatch_flush === undefined) {
    k.hook = 6;
    k.arch.flush_tlb_mm_range(k, cpu, mm, 0);
  } else {
    k.hook = 23;
    k.arch.tlbbatch_flush(k, cpu, mm);
  }
  k.hook = outer;
}
