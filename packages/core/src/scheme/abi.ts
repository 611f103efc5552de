/**
 * The lazy-mm scheme plugin ABI, version 1.
 *
 * A scheme decides what keeps a lazily used mm (a kernel thread's `active_mm`, `rq->prev_mm`)
 * alive: mainline's CONFIG_MMU_LAZY_TLB_REFCOUNT (mm_count references), its SHOOTDOWN
 * alternative (IPI the lazy users away in __mmdrop), nothing at all (the seed thread's x86
 * question), or a proposal that never merged (hazard pointers, Andy Lutomirski's per-CPU
 * lazy_mm scan, ...). A scheme plugin describes one the way an arch plugin describes an
 * arch: a descriptor ({@link SchemePlugin}: name, version, zod options, the Kconfig it stands
 * for, what it claims) and hot hooks ({@link SchemeHooks}) that the core calls at the generic
 * points of the kernel's lazy-mm code (include/linux/sched/mm.h, kernel/fork.c,
 * kernel/sched/core.c, kernel/exit.c, fs/exec.c, kernel/kthread.c, kernel/cpu.c):
 *
 * | hook | kernel point |
 * |---|---|
 * | mmgrab_lazy_tlb(site) | context_switch (user -> kernel), exit_mm, kthread_unuse_mm, sched_force_init_mm / cpu_up (init_mm), arch code |
 * | mmdrop_lazy_tlb(site) | finish_task_switch's mmdrop_lazy_tlb_sched(rq->prev_mm), exec_mmap, kthread_use_mm, sched_force_init_mm, finish_cpu, arch code |
 * | mmput | __mmput after exit_mmap, before its mmdrop (a sequence) |
 * | cleanup_lazy_tlbs | __mmdrop before mm_free_pgd (a sequence) |
 * | shoot_lazy_tlb | do_shoot_lazy_tlb switched a CPU from the mm to init_mm |
 * | lazy_kick | the arch switched a lazy CPU to init_mm by itself (x86 leave_mm) |
 * | lazy_refs | I4: how many mm_count references the scheme's own state holds on an mm |
 *
 * Hooks that scan or wait are written as resumable sequences, as arch ABI v2's: they return
 * the pc of their next step (1..65535) and the core calls {@link SchemeHooks.resume} as the
 * CPU's next task step, after any IPI it sent with wait=1 is handled, so other CPUs interleave
 * between a scan's reads. State that other CPUs read (a hazard-pointer slot, rq->lazy_mm) is
 * declared in {@link SchemePlugin.sharedState} and written with k.storeSchemeShared, so under
 * `tso` those stores go through the store buffer.
 */
import type { ZodType } from 'zod';
import type { UseSiteDoc } from '../findings/sites.js';
import type { InvariantId } from '../invariants/catalog.js';
import type { MemoryModel } from '../machine/store-buffer.js';
import type { NextPc, SharedStateDoc } from '../abi/plugin.js';
import type { SchemeKernel } from './scheme-kernel.js';

/** The newest scheme ABI this core implements. */
export const SCHEME_ABI_VERSION = 1 as const;
export const SUPPORTED_SCHEME_ABIS = [1] as const;
export type SchemeAbi = (typeof SUPPORTED_SCHEME_ABIS)[number];

/**
 * Who calls mmgrab_lazy_tlb / mmdrop_lazy_tlb (the `site` argument): a scheme that treats the
 * call sites differently (e.g. one that keeps its pointer in rq->lazy_mm, which only the
 * scheduler's sites move) reads it; the mainline schemes ignore it.
 */
export const LAZY_CONTEXT_SWITCH = 1; // context_switch(), user -> kernel: mmgrab_lazy_tlb(prev->active_mm)
export const LAZY_FINISH_TASK_SWITCH = 2; // finish_task_switch(): mmdrop_lazy_tlb_sched(rq->prev_mm), IRQs on
export const LAZY_EXIT_MM = 3; // exit_mm(): mmgrab_lazy_tlb(mm) before current->mm = NULL
export const LAZY_EXEC_MMAP = 4; // exec_mmap(): mmdrop_lazy_tlb(active_mm) of a kernel thread's old lazy mm
export const LAZY_KTHREAD_USE_MM = 5; // kthread_use_mm(): mmdrop_lazy_tlb(active_mm)
export const LAZY_KTHREAD_UNUSE_MM = 6; // kthread_unuse_mm(): mmgrab_lazy_tlb(mm), the thread stays lazy on it
export const LAZY_SCHED_FORCE_INIT_MM = 7; // sched_force_init_mm(): mmgrab_lazy_tlb(&init_mm); ...; mmdrop_lazy_tlb(mm)
export const LAZY_FINISH_CPU = 8; // finish_cpu() on the control CPU (before 21641bd9a7a7 and in its mutation)
export const LAZY_CPU_UP = 9; // secondary bring-up (x86 cpu_init, ppc start_secondary): mmgrab_lazy_tlb(&init_mm)
export const LAZY_ARCH = 10; // arch code that moves a lazy CPU itself (powerpc exit_lazy_flush_tlb)
export const LAZY_IDLE_TASK_EXIT = 11; // idle_task_exit()'s mmdrop on the dying CPU (before bf2c59fce407; a core mutation)
export const LAZY_SITE_NAMES = [
  '',
  'context_switch',
  'finish_task_switch',
  'exit_mm',
  'exec_mmap',
  'kthread_use_mm',
  'kthread_unuse_mm',
  'sched_force_init_mm',
  'finish_cpu',
  'cpu_up',
  'arch',
  'idle_task_exit',
] as const;

/** The scheme hooks that may be written as resumable sequences. */
export type SchemeSequenceHook = 'mmput' | 'cleanup_lazy_tlbs';

/** A barrier the lazy-mm helpers provide that other kernel code relies on (kernel-reference §12.3). */
export interface SchemeBarrierDoc {
  /** e.g. "mmdrop_lazy_tlb-smp_mb". */
  readonly id: string;
  /** Who relies on it, e.g. "membarrier: the full barrier after the rq->curr store, before user code (I10)". */
  readonly reliedOnBy: string;
  /** Whether this scheme provides it, and how (or, when not, what replaces it and where). */
  readonly provided: boolean;
  readonly how: string;
}

/**
 * Something the scheme assumes of an arch (e.g. "the arch's final exit flush evicts every lazy
 * CPU"). Never a reason to refuse a cell: the sweep checks it, and a failed claim shows up as
 * the invariant named here.
 */
export interface SchemeArchClaim {
  readonly id: string;
  readonly description: string;
  /** The oracle that reports a failed claim. */
  readonly checkedBy: InvariantId;
}

export interface SchemeClaims {
  /**
   * Dangling lazy pointers are part of the scheme's premise: a lazy pointer naming a freed mm
   * (I3) is then a hazard (recorded, the run goes on); only its uses (I14) end a run.
   */
  readonly danglingPremise: boolean;
  readonly barriers: readonly SchemeBarrierDoc[];
  readonly arch: readonly SchemeArchClaim[];
}

/** A check in the scheme's own code (a WARN_ON, a lockdep assertion) reported as I15. */
export interface SchemeInvariantDoc {
  readonly id: 'I15';
  /** The kernel function that checks, e.g. "hazptr_scan". */
  readonly site: string;
  readonly description: string;
}

/** The Kconfig a scheme stands for. REFCOUNT=y with SHOOTDOWN=y is structurally impossible (arch/Kconfig). */
export interface SchemeKconfig {
  readonly MMU_LAZY_TLB_REFCOUNT: boolean;
  readonly MMU_LAZY_TLB_SHOOTDOWN: boolean;
  /** Symbols a proposal adds, e.g. "MMU_LAZY_TLB_IMPLICIT_SHOOTDOWN=y". */
  readonly other?: readonly string[];
}

/** Given to {@link SchemePlugin.setup}. */
export interface SchemeSetupEnv {
  readonly coreVersion: string;
  readonly abi: SchemeAbi;
  readonly memory: MemoryModel;
  /** The arch plugin the cell runs, and its options (a scheme fix may apply to some backends only). */
  readonly arch: string;
  readonly archOptions: unknown;
}

/**
 * The hot hooks. `cpu` is always the CPU executing the hook; mm ids are the core's (INIT_MM = 0,
 * NO_MM = -1). Hooks must not allocate per call and must be deterministic: randomness only
 * through k.chance, state only in what reset() clears.
 */
export interface SchemeHooks {
  /** Start of a run: reset all scheme state (sized by k.ncpu / k.mmCapacity); declare shared state here. */
  reset(k: SchemeKernel): void;
  /** mmgrab_lazy_tlb(mm) from `site` (LAZY_*), IRQs as the caller has them. Not a sequence. */
  mmgrab_lazy_tlb(k: SchemeKernel, cpu: number, mm: number, site: number): void;
  /** mmdrop_lazy_tlb(mm) / mmdrop_lazy_tlb_sched(mm) (site LAZY_FINISH_TASK_SWITCH). Not a sequence. */
  mmdrop_lazy_tlb(k: SchemeKernel, cpu: number, mm: number, site: number): void;
  /** I4: mm_count references the scheme's state holds on `mm` right now (REFCOUNT: the lazy holders). */
  lazy_refs(k: SchemeKernel, mm: number): number;
  /**
   * __mmput(), after exit_mmap() and before its mmdrop(): the last user is gone (Andy's
   * mm_unlazy_mm_count()). Optional; a scheme without it costs no step here.
   */
  mmput?(k: SchemeKernel, cpu: number, mm: number): NextPc;
  /** __mmdrop(): cleanup_lazy_tlbs(mm) before mm_free_pgd(). Optional. */
  cleanup_lazy_tlbs?(k: SchemeKernel, cpu: number, mm: number): NextPc;
  /** do_shoot_lazy_tlb() switched `cpu` from `mm` to init_mm (IRQs off). Optional. */
  shoot_lazy_tlb?(k: SchemeKernel, cpu: number, mm: number): void;
  /** The arch switched lazy `cpu` from `mm` to init_mm by itself (x86 leave_mm, flush_tlb_func) and said so with k.lazyKick. Optional. */
  lazy_kick?(k: SchemeKernel, cpu: number, mm: number): void;
  /**
   * context_switch(), kernel -> user, after switch_mm_irqs_off() (IRQs off): where mainline
   * hands the lazy mm to finish_task_switch through rq->prev_mm. Optional (Andy's series
   * release-clears rq->lazy_mm here).
   */
  context_switch_to_user?(k: SchemeKernel, cpu: number, lazyMm: number): void;
  /**
   * finish_task_switch() of every context switch (Andy's mmdrop_lazy(rq)), preempt-off. Optional.
   * It runs at the end of the switch's (IRQs-off) step, not in a step of its own: a __mmdrop it
   * starts runs as the CPU's next steps.
   */
  finish_task_switch?(k: SchemeKernel, cpu: number): void;
  /** The next step of a sequence hook that returned `pc`. Returns the pc after, or nothing when done. */
  resume?(k: SchemeKernel, cpu: number, hook: SchemeSequenceHook, pc: number, mm: number): NextPc;
  /** Scheme per-CPU state, e.g. "hazptr=M2", for state dumps (testkit scenarios' error messages). Optional. */
  describe_cpu?(k: SchemeKernel, cpu: number): string;
}

/** The descriptor a scheme package exports (default export). */
export interface SchemePlugin<O = unknown> {
  readonly abi: SchemeAbi;
  readonly kind: 'scheme';
  /** Short name, e.g. "hazptr". Lowercase letters, digits and dashes. */
  readonly name: string;
  readonly version: string;
  /** Semver range of @lazytlb/core versions the plugin supports. */
  readonly coreVersions: string;
  readonly description: string;
  /**
   * Where the design comes from: merged mainline code, a posted proposal read from its
   * patches, or a reconstruction from a summary (no code found): shown wherever it appears.
   */
  readonly provenance: 'mainline' | 'proposal' | 'reconstructed';
  /** The patches or code it follows, e.g. "kernel/fork.c@<commit>" or a lore message id. */
  readonly source: string;
  /** zod schema of the options; it must accept `{}` and fill defaults. */
  readonly options: ZodType<O>;
  readonly kconfig: SchemeKconfig;
  /** Kconfig-level impossibilities of an option set (refused before a sweep); null when fine. */
  structuralRefusal?(options: O): string | null;
  readonly claims: SchemeClaims;
  /**
   * Code the scheme restructures beyond the hooks. `noPrevMm`: there is no rq->prev_mm: a
   * kernel -> user switch hands nothing to finish_task_switch (no mmdrop_lazy_tlb_sched); the
   * scheme does its part in context_switch_to_user / finish_task_switch instead (Andy's 2022
   * series removes rq->prev_mm).
   */
  readonly restructures?: { readonly noPrevMm?: boolean };
  /**
   * `true`: all of the scheme's per-run state is in typed arrays its reset() declares with
   * `k.declareState(...)` (none for a stateless scheme), and its hooks do not read the step
   * count (see ArchPlugin.declaresState: exhaustive search hashes states only then).
   */
  readonly declaresState?: boolean;
  /**
   * Use sites (core, arch or scheme UseSiteDoc ids) that the scheme's kernel changes remove for
   * an option set: the sanitised code no longer dereferences, compares or WARNs on the lazy
   * pointer there, so they are not reported (e.g. fix_processor_context using loaded_mm).
   * An id the cell does not declare is ignored.
   */
  patchedSites?(options: O): readonly string[];
  /** The checks of the scheme's own kernel code it reports as I15 (k.schemeViolation). */
  readonly invariants?: readonly SchemeInvariantDoc[];
  /** State other CPUs read, in declaration order (the slot k.declareSchemeShared takes). */
  readonly sharedState?: readonly SharedStateDoc[];
  /** Use sites of a possibly dangling pointer the scheme's hooks report (k.useMm / k.staleCompare). */
  readonly useSites?: readonly UseSiteDoc[];
  /** Called once per worker and option set; returns the hot hooks. */
  setup(options: O, env: SchemeSetupEnv): SchemeHooks;
}

/** Helper for plugin authors: identity function that gives the descriptor its type. */
export function defineSchemePlugin<O>(plugin: SchemePlugin<O>): SchemePlugin<O> {
  return plugin;
}
