/**
 * Calls into the arch plugin. Each wrapper records which hook is running, so an exception
 * thrown inside a plugin is reported as a plugin error naming the hook, never as a model
 * violation. The hooks themselves are called unwrapped (validated once at load). Hooks nest
 * (flush_tlb_mm_range -> on_each_cpu_mask -> the local handle_ipi), so each restores the
 * outer hook id on return.
 */
import { SWITCH_TO_INIT_MM } from '../machine/constants.js';
import { call, P_SEQ_FLUSH, P_SEQ_SWITCH, P_SEQ_TLBBATCH, SEQ_IRQS_OFF, SEQ_PC_MASK } from './frames.js';
import type { ArchHooks } from '../abi/plugin.js';
import type { Kernel } from './kernel.js';
import { checkSwitchEnd } from './invariant-checks.js';

/**
 * Hook ids (Kernel.hook: which hook is running, for error attribution), derived from the
 * ArchHooks interface: a hook added to the interface without an id here is a compile error.
 */
export const HOOK_IDS = {
  reset: 1,
  init_new_context: 2,
  destroy_context: 3,
  switch_mm_irqs_off: 4,
  enter_lazy_tlb: 5,
  flush_tlb_mm_range: 6,
  handle_ipi: 7,
  arch_exit_mmap: 8,
  shoot_lazies_mask: 9,
  hw_root: 10,
  tlb_may_hold: 11,
  check: 12,
  vcpu_preempt: 13,
  vcpu_resume: 14,
  describe_cpu: 15,
  ipi_name: 16,
  arch_continue: 17,
  cpu_disable: 18,
  cpu_up: 19,
  cpu_idle_deep: 20,
  use_temporary_mm: 21,
  suspend_resume: 22,
  tlbbatch_flush: 23,
  resume: 24,
} as const satisfies Record<keyof ArchHooks, number>;
export type HookName = keyof typeof HOOK_IDS;

/** Hook names by id (0: none). */
export const HOOK_NAMES: readonly string[] = (() => {
  const names: string[] = ['none'];
  for (const [name, id] of Object.entries(HOOK_IDS)) names[id] = name;
  return names;
})();

/** Hook ids of the hooks that may be written as resumable sequences (ABI v2), by frame path. */
const SEQ_HOOK = [HOOK_IDS.switch_mm_irqs_off, HOOK_IDS.flush_tlb_mm_range, HOOK_IDS.tlbbatch_flush] as const;
const SEQ_NAME = ['switch_mm_irqs_off', 'flush_tlb_mm_range', 'tlbbatch_flush'] as const;

/**
 * A sequence hook returned `pc` (ABI v2: its next step). Where the caller cannot be resumed
 * later (interrupt context; switches to init_mm, which end idle and hotplug paths) the rest
 * runs now, in this step; otherwise a P_SEQ_* frame makes it the CPU's next task steps.
 * Returns true when the hook goes on in later steps.
 */
function continueSeq(k: Kernel, cpu: number, path: number, pc: number, a: number, b: number, c: number, atomic: boolean, flags: number): boolean {
  const i = path - P_SEQ_SWITCH;
  if (atomic) {
    const outer = k.hook;
    k.hook = SEQ_HOOK[i]!;
    const name = SEQ_NAME[i]!;
    for (let p = pc; p > 0; ) p = k.arch.resume!(k, cpu, name, p, a, b, c) || 0;
    k.hook = outer;
    return false;
  }
  call(k, cpu, path, a, b, c, false);
  k.frPc[k.top(cpu)] = (pc & SEQ_PC_MASK) | flags;
  if ((flags & SEQ_IRQS_OFF) !== 0) k.irqsOff(cpu);
  return true;
}

/**
 * Continue the sequence of frame `f` on `cpu` (its next step). Returns true when it ended
 * (its frame is popped and, with SEQ_IRQS_OFF, IRQs are back on).
 */
export function arch_resume(k: Kernel, cpu: number, f: number): boolean {
  k.mmStateTouched = true;
  const i = k.frPath[f]! - P_SEQ_SWITCH;
  const word = k.frPc[f]!;
  const outer = k.hook;
  k.hook = SEQ_HOOK[i]!;
  const pc = k.arch.resume!(k, cpu, SEQ_NAME[i]!, word & SEQ_PC_MASK, k.frA[f]!, k.frB[f]!, k.frC[f]!) || 0;
  k.hook = outer;
  if (pc > 0) {
    k.frPc[f] = (pc & SEQ_PC_MASK) | (word & ~SEQ_PC_MASK);
    return false;
  }
  k.cpuSp[cpu]! -= 1;
  if ((word & SEQ_IRQS_OFF) !== 0) {
    k.irqsOn(cpu);
    checkSwitchEnd(k, cpu);
  }
  return true;
}

/**
 * `caller`: SWITCH_* (who calls it: context_switch, activate_mm, kthread_use_mm, a switch to
 * init_mm), in k.switchCaller. Returns true when the arch's switch goes on in later steps (an
 * ABI v2 sequence; IRQs stay off until it ends).
 */
export function arch_switch_mm_irqs_off(k: Kernel, cpu: number, prev: number, next: number, task: number, caller: number): boolean {
  k.mmStateTouched = true;
  k.switchCaller = caller;
  const outer = k.hook;
  k.hook = HOOK_IDS.switch_mm_irqs_off;
  const pc = k.arch.switch_mm_irqs_off(k, cpu, prev, next, task) || 0;
  k.hook = outer;
  if (pc <= 0) return false;
  return continueSeq(k, cpu, P_SEQ_SWITCH, pc, prev, next, task, k.inIrq || caller === SWITCH_TO_INIT_MM, SEQ_IRQS_OFF);
}

export function arch_enter_lazy_tlb(k: Kernel, cpu: number, mm: number, task: number): void {
  k.mmStateTouched = true;
  const outer = k.hook;
  k.hook = HOOK_IDS.enter_lazy_tlb;
  k.arch.enter_lazy_tlb(k, cpu, mm, task);
  k.hook = outer;
}

export function arch_flush_tlb_mm_range(k: Kernel, cpu: number, mm: number, flags: number): void {
  k.mmStateTouched = true;
  const outer = k.hook;
  k.hook = HOOK_IDS.flush_tlb_mm_range;
  const pc = k.arch.flush_tlb_mm_range(k, cpu, mm, flags) || 0;
  k.hook = outer;
  if (pc > 0) continueSeq(k, cpu, P_SEQ_FLUSH, pc, mm, flags, 0, k.inIrq, 0);
}

export function arch_handle_ipi(k: Kernel, cpu: number, fn: number, mm: number, arg: number): void {
  k.mmStateTouched = true;
  const outer = k.hook;
  k.hook = HOOK_IDS.handle_ipi;
  k.arch.handle_ipi(k, cpu, fn, mm, arg);
  k.hook = outer;
}

export function arch_exit_mmap(k: Kernel, cpu: number, mm: number): void {
  k.mmStateTouched = true;
  const outer = k.hook;
  k.hook = HOOK_IDS.arch_exit_mmap;
  k.arch.arch_exit_mmap(k, cpu, mm);
  k.hook = outer;
}

export function arch_init_new_context(k: Kernel, cpu: number, mm: number): void {
  k.mmStateTouched = true;
  const outer = k.hook;
  k.hook = HOOK_IDS.init_new_context;
  k.arch.init_new_context(k, cpu, mm);
  k.hook = outer;
}

export function arch_destroy_context(k: Kernel, cpu: number, mm: number): void {
  k.mmStateTouched = true;
  const outer = k.hook;
  k.hook = HOOK_IDS.destroy_context;
  k.arch.destroy_context(k, cpu, mm);
  k.hook = outer;
}

export function arch_shoot_lazies_mask(k: Kernel, mm: number): number {
  const outer = k.hook;
  k.hook = HOOK_IDS.shoot_lazies_mask;
  const m = k.arch.shoot_lazies_mask(k, mm);
  k.hook = outer;
  return m;
}

export function arch_hw_root(k: Kernel, cpu: number): number {
  const outer = k.hook;
  k.hook = HOOK_IDS.hw_root;
  const r = k.arch.hw_root(k, cpu);
  k.hook = outer;
  return r;
}

export function arch_tlb_may_hold(k: Kernel, cpu: number, mm: number, gen: number): boolean {
  const outer = k.hook;
  k.hook = HOOK_IDS.tlb_may_hold;
  const r = k.arch.tlb_may_hold(k, cpu, mm, gen);
  k.hook = outer;
  return r;
}

export function arch_check(k: Kernel, cpu: number): void {
  const outer = k.hook;
  k.hook = HOOK_IDS.check;
  k.arch.check(k, cpu);
  k.hook = outer;
}

export function arch_continue(k: Kernel, cpu: number, fn: number, mm: number, arg: number): void {
  k.mmStateTouched = true;
  const outer = k.hook;
  k.hook = HOOK_IDS.arch_continue;
  k.arch.arch_continue!(k, cpu, fn, mm, arg);
  k.hook = outer;
}

export function arch_cpu_disable(k: Kernel, cpu: number): void {
  if (k.arch.cpu_disable === undefined) return;
  k.mmStateTouched = true;
  const outer = k.hook;
  k.hook = HOOK_IDS.cpu_disable;
  k.arch.cpu_disable(k, cpu);
  k.hook = outer;
}

export function arch_cpu_up(k: Kernel, cpu: number): void {
  if (k.arch.cpu_up === undefined) return;
  k.mmStateTouched = true;
  const outer = k.hook;
  k.hook = HOOK_IDS.cpu_up;
  k.arch.cpu_up(k, cpu);
  k.hook = outer;
}

/** cpuidle_enter_state() of a deep C-state on `cpu` (its idle task runs it). Optional hook. */
export function arch_cpu_idle_deep(k: Kernel, cpu: number): void {
  if (k.arch.cpu_idle_deep === undefined) return;
  k.mmStateTouched = true;
  const outer = k.hook;
  k.hook = HOOK_IDS.cpu_idle_deep;
  k.arch.cpu_idle_deep(k, cpu);
  k.hook = outer;
}

/** text_poke() / an EFI runtime call on `cpu` by `task`: the arch's temporary-mm switch and back. Optional hook. */
export function arch_use_temporary_mm(k: Kernel, cpu: number, task: number): void {
  if (k.arch.use_temporary_mm === undefined) return;
  k.mmStateTouched = true;
  const outer = k.hook;
  k.hook = HOOK_IDS.use_temporary_mm;
  k.arch.use_temporary_mm(k, cpu, task);
  k.hook = outer;
}

/** A suspend/resume cycle run by `task` on `cpu` (the arch's save/restore of processor state). Optional hook. */
export function arch_suspend_resume(k: Kernel, cpu: number, task: number): void {
  if (k.arch.suspend_resume === undefined) return;
  k.mmStateTouched = true;
  const outer = k.hook;
  k.hook = HOOK_IDS.suspend_resume;
  k.arch.suspend_resume(k, cpu, task);
  k.hook = outer;
}

/**
 * try_to_unmap_flush() -> arch_tlbbatch_flush() for a page of `mm` that reclaim unmapped (the
 * batch's cpumask is mm_cpumask(mm)). Without the hook: flush_tlb_mm_range(mm, no freed tables).
 */
export function arch_tlbbatch_flush(k: Kernel, cpu: number, mm: number): void {
  if (k.arch.tlbbatch_flush === undefined) {
    arch_flush_tlb_mm_range(k, cpu, mm, 0);
    return;
  }
  k.mmStateTouched = true;
  const outer = k.hook;
  k.hook = HOOK_IDS.tlbbatch_flush;
  const pc = k.arch.tlbbatch_flush(k, cpu, mm) || 0;
  k.hook = outer;
  if (pc > 0) continueSeq(k, cpu, P_SEQ_TLBBATCH, pc, mm, 0, 0, k.inIrq, 0);
}
