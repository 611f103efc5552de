/**
 * Calls into the scheme plugin, as model/arch-calls.ts does for the arch: each wrapper records
 * which hook runs (Kernel.hook, SCHEME_HOOK_IDS), so an exception thrown inside a scheme is
 * reported as a plugin error naming the scheme and the hook, never as a model violation.
 */
import { call, P_SEQ_SCHEME, SEQ_PC_MASK } from './frames.js';
import type { Kernel } from './kernel.js';
import type { SchemeHooks, SchemeSequenceHook } from '../scheme/abi.js';

/** Scheme hook ids, above the arch's (derived from SchemeHooks: a hook without an id is a compile error). */
export const SCHEME_HOOK_BASE = 64;
export const SCHEME_HOOK_IDS = {
  reset: 65,
  mmgrab_lazy_tlb: 66,
  mmdrop_lazy_tlb: 67,
  lazy_refs: 68,
  mmput: 69,
  cleanup_lazy_tlbs: 70,
  shoot_lazy_tlb: 71,
  lazy_kick: 72,
  resume: 73,
  describe_cpu: 74,
  context_switch_to_user: 75,
  finish_task_switch: 76,
} as const satisfies Record<keyof SchemeHooks, number>;

/** Scheme hook names by id - SCHEME_HOOK_BASE. */
export const SCHEME_HOOK_NAMES: readonly string[] = (() => {
  const names: string[] = [];
  for (const [name, id] of Object.entries(SCHEME_HOOK_IDS)) names[id - SCHEME_HOOK_BASE] = name;
  return names;
})();

/**
 * Which optional hooks the cell's scheme has (Kernel.schemeHas), tested on the hot paths as
 * bits of one number instead of loading a property from hooks objects of different shapes.
 */
export const HAS_MMPUT = 1;
export const HAS_CLEANUP = 2;
export const HAS_SHOOT = 4;
export const HAS_KICK = 8;
export const HAS_TO_USER = 16;
export const HAS_FINISH = 32;

export function schemeHasMask(h: SchemeHooks): number {
  return (
    (h.mmput !== undefined ? HAS_MMPUT : 0) |
    (h.cleanup_lazy_tlbs !== undefined ? HAS_CLEANUP : 0) |
    (h.shoot_lazy_tlb !== undefined ? HAS_SHOOT : 0) |
    (h.lazy_kick !== undefined ? HAS_KICK : 0) |
    (h.context_switch_to_user !== undefined ? HAS_TO_USER : 0) |
    (h.finish_task_switch !== undefined ? HAS_FINISH : 0)
  );
}

/** The sequence hooks by frame register b. */
const SEQ_HOOKS: readonly SchemeSequenceHook[] = ['mmput', 'cleanup_lazy_tlbs'];
export const SEQ_SCHEME_MMPUT = 0;
export const SEQ_SCHEME_CLEANUP = 1;

export function scheme_mmgrab_lazy_tlb(k: Kernel, cpu: number, mm: number, site: number): void {
  const outer = k.hook;
  k.hook = SCHEME_HOOK_IDS.mmgrab_lazy_tlb;
  k.scheme.mmgrab_lazy_tlb(k, cpu, mm, site);
  k.hook = outer;
}

export function scheme_mmdrop_lazy_tlb(k: Kernel, cpu: number, mm: number, site: number): void {
  const outer = k.hook;
  k.hook = SCHEME_HOOK_IDS.mmdrop_lazy_tlb;
  k.scheme.mmdrop_lazy_tlb(k, cpu, mm, site);
  k.hook = outer;
}

export function scheme_lazy_refs(k: Kernel, mm: number): number {
  const outer = k.hook;
  k.hook = SCHEME_HOOK_IDS.lazy_refs;
  const n = k.scheme.lazy_refs(k, mm);
  k.hook = outer;
  return n;
}

/**
 * Start a sequence hook (mmput / cleanup_lazy_tlbs) in a kernel path's step. A returned pc
 * becomes a P_SEQ_SCHEME frame: the hook's later steps run as the CPU's next task steps (after
 * its wait=1 IPIs), before the calling path goes on.
 */
function startSeq(k: Kernel, cpu: number, which: number, mm: number, pc: number): void {
  if (pc === 0) return;
  checkPc(which, pc);
  if (k.scheme.resume === undefined) throw new TypeError(`${SEQ_HOOKS[which]} returned a pc (${pc}) but the scheme has no resume hook`);
  call(k, cpu, P_SEQ_SCHEME, mm, which, 0, false);
  k.frPc[k.top(cpu)] = pc & SEQ_PC_MASK;
}

export function scheme_mmput(k: Kernel, cpu: number, mm: number): void {
  const outer = k.hook;
  k.hook = SCHEME_HOOK_IDS.mmput;
  startSeq(k, cpu, SEQ_SCHEME_MMPUT, mm, k.scheme.mmput!(k, cpu, mm) ?? 0);
  k.hook = outer;
}

export function scheme_cleanup_lazy_tlbs(k: Kernel, cpu: number, mm: number): void {
  const outer = k.hook;
  k.hook = SCHEME_HOOK_IDS.cleanup_lazy_tlbs;
  startSeq(k, cpu, SEQ_SCHEME_CLEANUP, mm, k.scheme.cleanup_lazy_tlbs!(k, cpu, mm) ?? 0);
  k.hook = outer;
}

/** A sequence hook's pc is an integer 1..65535 (or nothing / 0 when done): anything else is the plugin's bug. */
function checkPc(which: number, pc: number): void {
  if (!Number.isInteger(pc) || pc < 0 || pc > SEQ_PC_MASK) {
    throw new TypeError(
      `${SEQ_HOOKS[which]} returned ${String(pc)}: a sequence hook returns the pc of its next step (an integer 1..${SEQ_PC_MASK}) or nothing`,
    );
  }
}

/** The next step of a P_SEQ_SCHEME frame `f` on `cpu`; pops it when the hook is done. */
export function scheme_resume(k: Kernel, cpu: number, f: number): void {
  const outer = k.hook;
  k.hook = SCHEME_HOOK_IDS.resume;
  const pc = k.scheme.resume!(k, cpu, SEQ_HOOKS[k.frB[f]!]!, k.frPc[f]! & SEQ_PC_MASK, k.frA[f]!) ?? 0;
  if (pc !== 0) checkPc(k.frB[f]!, pc);
  k.hook = outer;
  if (pc > 0) {
    k.frPc[f] = pc & SEQ_PC_MASK;
    return;
  }
  // Done. The step may have called a path (an mmdrop() reaching 0 pushes __mmdrop above this
  // frame): the sequence returns and that callee goes on, so frame f leaves from under it.
  const top = k.top(cpu);
  for (let g = f; g < top; g++) {
    k.frPath[g] = k.frPath[g + 1]!;
    k.frPc[g] = k.frPc[g + 1]!;
    k.frA[g] = k.frA[g + 1]!;
    k.frB[g] = k.frB[g + 1]!;
    k.frC[g] = k.frC[g + 1]!;
  }
  k.cpuSp[cpu]! -= 1;
}

export function scheme_shoot_lazy_tlb(k: Kernel, cpu: number, mm: number): void {
  if ((k.schemeHas & HAS_SHOOT) === 0) return;
  const outer = k.hook;
  k.hook = SCHEME_HOOK_IDS.shoot_lazy_tlb;
  k.scheme.shoot_lazy_tlb!(k, cpu, mm);
  k.hook = outer;
}

export function scheme_lazy_kick(k: Kernel, cpu: number, mm: number): void {
  if ((k.schemeHas & HAS_KICK) === 0) return;
  const outer = k.hook;
  k.hook = SCHEME_HOOK_IDS.lazy_kick;
  k.scheme.lazy_kick!(k, cpu, mm);
  k.hook = outer;
}

export function scheme_context_switch_to_user(k: Kernel, cpu: number, lazyMm: number): void {
  const outer = k.hook;
  k.hook = SCHEME_HOOK_IDS.context_switch_to_user;
  k.scheme.context_switch_to_user!(k, cpu, lazyMm);
  k.hook = outer;
}

export function scheme_finish_task_switch(k: Kernel, cpu: number): void {
  const outer = k.hook;
  k.hook = SCHEME_HOOK_IDS.finish_task_switch;
  k.scheme.finish_task_switch!(k, cpu);
  k.hook = outer;
}
