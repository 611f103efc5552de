/**
 * The arch plugin ABI, versions 1 and 2.
 *
 * Version 2 adds, for interleavings at memory-access granularity and the TSO memory model:
 * - hooks that take several steps are written as resumable sequences: switch_mm_irqs_off,
 *   flush_tlb_mm_range and tlbbatch_flush may return the pc of their next step (a positive
 *   integer below 65536); the core runs each later step through {@link ArchHooks.resume} as
 *   the CPU's next task step (IRQs stay off through a switch), like its own kernel paths;
 * - the plugin declares the state other CPUs read ({@link ArchPlugin.sharedState}) and writes
 *   it with k.storeShared, so that under `tso` those stores go through the store buffer;
 * - the memory models it supports ({@link ArchPlugin.memoryModels}).
 * A v1 plugin keeps loading and runs as before under `sc` (its hooks return nothing: each is
 * one step); under `tso` it is refused (its state is undeclared).
 *
 * An arch plugin is a separately published package whose default export is an
 * {@link ArchPlugin} descriptor. The core validates the descriptor once when it is loaded
 * ({@link validateArchPlugin}), calls {@link ArchPlugin.setup} once per worker and option set,
 * and then calls the returned {@link ArchHooks} unwrapped on the hot path: no per-call
 * validation, no allocation expected. Hooks receive the {@link ArchKernel} (the simulated
 * machine: typed arrays plus the few actions an arch may take, such as sending IPIs).
 *
 * Hook names follow the kernel functions they model (arch/x86/mm/tlb.c,
 * arch/powerpc/mm/book3s64/radix_tlb.c, ...). `cpu` is always the CPU executing the hook.
 */
import type { ZodType } from 'zod';
import type { UseSiteDoc } from '../findings/sites.js';
import type { ArchKernel } from './arch-kernel.js';
import type { MemoryModel } from '../machine/store-buffer.js';

/** The newest arch ABI this core implements. */
export const ABI_VERSION = 2 as const;
/** Every arch ABI this core loads. */
export const SUPPORTED_ABIS = [1, 2] as const;
export type ArchAbi = (typeof SUPPORTED_ABIS)[number];

/** The hooks that may be written as resumable sequences (ABI v2). */
export type SequenceHook = 'switch_mm_irqs_off' | 'flush_tlb_mm_range' | 'tlbbatch_flush';

/**
 * A hook that is a resumable sequence returns the pc of its next step (1..65535), or nothing
 * (or 0) when it is done. ABI v1 hooks always return nothing.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: the ABI: a hook written as `(...) => void` (returns nothing) must be a valid NextPc hook
export type NextPc = number | void;

/**
 * Arch state that other CPUs read (ABI v2): the core buffers the owner's plain stores to it
 * under `tso`. Declared in {@link ArchPlugin.sharedState}; the plugin registers the array that
 * holds it with k.declareShared(index in sharedState, id, array) in its reset hook and reads
 * another CPU's value from the array that returns.
 */
export interface SharedStateDoc {
  /** The kernel's name, e.g. "cpu_tlbstate.loaded_mm". */
  readonly id: string;
  /** Who owns (is the only one to plain-store) an element: each CPU its own, or the task's CPU. */
  readonly scope: 'cpu';
  /** Who reads it remotely and why the ordering matters. */
  readonly description: string;
}

export interface ArchCapabilities {
  /**
   * The arch runs as a guest whose vCPUs the hypervisor may preempt and resume (KVM,
   * Hyper-V, Xen). The explorer then gets a hypervisor actor per CPU, and the core calls
   * {@link ArchHooks.vcpu_preempt} / {@link ArchHooks.vcpu_resume}.
   */
  readonly vcpuPreemption: boolean;
  /**
   * CONFIG_ARCH_WANT_IRQS_OFF_ACTIVATE_MM: exec_mmap() keeps IRQs off over activate_mm().
   * Without it the IRQs-off block of exec_mmap is split at local_irq_enable() (fs/exec.c).
   */
  readonly irqsOffActivateMm: boolean;
  /** Largest CPU count the plugin models (at most 32, the width of the core's mm_cpumask). */
  readonly maxCpus: number;
}

/** Documentation of one arch invariant reported under I13. */
export interface ArchInvariantDoc {
  readonly id: 'I13';
  readonly name: string;
  readonly description: string;
}

/**
 * Where a mutation's bug lived: the cell(s) `lazytlb mutants` sweeps to kill it. The same
 * cell without the mutation must be clean (the false-alarm check).
 */
export interface MutationCell {
  /** Arch plugin name, e.g. "powerpc". */
  readonly arch: string;
  /** Arch options (defaults filled by the plugin). */
  readonly options?: Readonly<Record<string, unknown>>;
  readonly scheme: 'refcount' | 'shootdown' | 'none';
  /** Scheme options (e.g. { mask: 'online' } for shootdown); default: the scheme's defaults. */
  readonly schemeOptions?: Readonly<Record<string, unknown>>;
  /** Preemption model (default: "full"); e.g. "rt" for a window that sits under task_lock(). */
  readonly preempt?: 'none' | 'voluntary' | 'full' | 'rt';
  /** Memory model (default: "sc"); "tso" for a bug that needs a store to pass a later load. */
  readonly memory?: MemoryModel;
  /** Workload profile (default: "default"). */
  readonly workload?: string;
  /** CPU count (default: 4). */
  readonly cpus?: number;
}

/**
 * A named mutation: a switch that restores a real, since-fixed kernel code path
 * (model-spec §9, kernel-reference §7). Core mutations act on the generic paths; an arch
 * plugin declares its own in {@link ArchPlugin.mutations} and sees the enabled ones in
 * {@link ArchSetupEnv.mutations}.
 */
export interface MutationDoc {
  /** Lowercase id, unique across core and all plugins, e.g. "x86-lazy-skip-freed-tables". */
  readonly id: string;
  /** One line: what the buggy code did. */
  readonly title: string;
  /**
   * The kernel commit that fixed it: "<12-hex id> <subject>". For a `synthetic` mutation (no
   * kernel ever had the bug) the commit whose code it breaks.
   */
  readonly fixedBy: string;
  /**
   * Set when the mutation is not a since-fixed kernel bug but a counterfactual (e.g. an anchor
   * model's injected bug): why it is in the catalogue. Reports then say "synthetic", not "fixed by".
   */
  readonly synthetic?: string;
  /** The invariant the mutation should break first. */
  readonly breaks: string;
  /**
   * Where the bug bites (the cells `lazytlb mutants` sweeps). Empty only with `noVictim`: the
   * model has no cell where the restored code can be shown to break.
   */
  readonly cells: readonly MutationCell[];
  /**
   * Why no modelled cell can kill the mutation faithfully (say what the model lacks); set
   * exactly when `cells` is empty. A mutation is never killed by tuning the model.
   */
  readonly noVictim?: string;
  /** The mechanism in a few sentences, citing the kernel functions. */
  readonly description: string;
}

/** Given to {@link ArchPlugin.setup}: facts about the worker, fixed for its lifetime. */
export interface ArchSetupEnv {
  readonly coreVersion: string;
  /** The ABI the core runs the plugin with (the plugin's own). */
  readonly abi: ArchAbi;
  /** The cell's memory model (always "sc" for a v1 plugin). */
  readonly memory: MemoryModel;
  /**
   * Ids of this plugin's own mutations enabled for the cell (a subset of
   * {@link ArchPlugin.mutations}); empty for the unmutated model.
   */
  readonly mutations: readonly string[];
}

/**
 * The hot hooks. Every function is called with the executing CPU; mm and task arguments
 * are the core's ids (INIT_MM = 0 is init_mm, NO_MM = -1 is NULL).
 */
export interface ArchHooks {
  /** Start of a run: reset all per-CPU and per-mm arch state. Sized by k.ncpu / k.mmCapacity. */
  reset(k: ArchKernel): void;
  /** init_new_context(): a new mm is being set up (mm_init, kernel/fork.c). */
  init_new_context(k: ArchKernel, cpu: number, mm: number): void;
  /** destroy_context(): called from __mmdrop after mm_free_pgd. */
  destroy_context(k: ArchKernel, cpu: number, mm: number): void;
  /**
   * switch_mm_irqs_off(prev, next, tsk), IRQs off. `prev` is the core's idea of the
   * previous mm (prev->active_mm); an arch is free to ignore it (x86 uses loaded_mm).
   */
  switch_mm_irqs_off(k: ArchKernel, cpu: number, prev: number, next: number, task: number): NextPc;
  /** enter_lazy_tlb(mm, tsk): the CPU keeps `mm` loaded for a kernel thread. */
  enter_lazy_tlb(k: ArchKernel, cpu: number, mm: number, task: number): void;
  /**
   * flush_tlb_mm_range() (and flush_tlb_mm() with FLUSH_MM): the page tables of `mm` changed
   * and `k.mmUnmapGen[mm]` was bumped. Flush locally and plan the remote part: IPIs through
   * k.sendIpi / k.onEachCpuMask (wait = true makes the core wait for them), hypercall flushes
   * by changing the target's TLB state directly and counting k.countHypercall().
   */
  flush_tlb_mm_range(k: ArchKernel, cpu: number, mm: number, flags: number): NextPc;
  /** An arch IPI function (fn >= IPI_ARCH_BASE) runs on `cpu` with IRQs off. */
  handle_ipi(k: ArchKernel, cpu: number, fn: number, mm: number, arg: number): void;
  /** arch_exit_mmap(): start of exit_mmap (Xen PV: xen_exit_mmap; ppc radix: clear prtb0). */
  arch_exit_mmap(k: ArchKernel, cpu: number, mm: number): void;
  /** The mask cleanup_lazy_tlbs() IPIs (mm_cpumask(mm) in mainline). */
  shoot_lazies_mask(k: ArchKernel, mm: number): number;
  /** Hardware view for I1: the mm whose page tables / context this CPU's MMU root belongs to (INIT_MM for none). */
  hw_root(k: ArchKernel, cpu: number): number;
  /**
   * Hardware view for I2: may `cpu` still hold translations or paging-structure entries of
   * `mm` that were valid before unmap generation `gen` (see Kernel.mmUnmapGen)?
   */
  tlb_may_hold(k: ArchKernel, cpu: number, mm: number, gen: number): boolean;
  /** I13: check the arch's own invariants for `cpu` after it stepped; report with k.violate('I13', ...). */
  check(k: ArchKernel, cpu: number): void;
  /** The hypervisor preempts vCPU `cpu` (KVM: steal_time.preempted = KVM_VCPU_PREEMPTED). */
  vcpu_preempt?(k: ArchKernel, cpu: number): void;
  /** The hypervisor resumes vCPU `cpu` (KVM: record_steal_time, flush on entry). Runs no guest code. */
  vcpu_resume?(k: ArchKernel, cpu: number): void;
  /**
   * Continuation of arch code that waits in the middle (requested with k.archContinue(cpu,
   * fn, mm, arg) from a hook running in task context): called as the CPU's next task step
   * once its wait=1 IPIs are all handled, before the calling kernel path goes on.
   */
  arch_continue?(k: ArchKernel, cpu: number, fn: number, mm: number, arg: number): void;
  /**
   * __cpu_disable()'s mm part, on the dying CPU inside take_cpu_down() (stop_machine, IRQs
   * off), before it is marked offline. powerpc: cleanup_cpu_mmu_context() ->
   * clear_tasks_mm_cpumask(cpu) (k.clearTasksMmCpumask). Optional: x86 clears nothing.
   */
  cpu_disable?(k: ArchKernel, cpu: number): void;
  /**
   * Secondary CPU bring-up (x86 cpu_init -> initialize_tlbstate_and_flush, powerpc
   * start_secondary), after the core has set the idle task's active_mm to init_mm, taken
   * mmgrab_lazy_tlb(&init_mm) and called enter_lazy_tlb(&init_mm). Optional.
   */
  cpu_up?(k: ArchKernel, cpu: number): void;
  /**
   * cpuidle_enter_state() of a deep C-state by `cpu`'s idle task, IRQs off (x86: leave_mm() for
   * CPUIDLE_FLAG_TLB_FLUSHED states; arm64: cpu_suspend() and its resume path,
   * cpu_uninstall_idmap()). Optional: an arch whose idle leaves the MMU alone has none.
   */
  cpu_idle_deep?(k: ArchKernel, cpu: number): void;
  /**
   * text_poke() / an EFI runtime call by `task` on `cpu`, IRQs off: switch to the arch's
   * temporary mm and back (x86 use_temporary_mm/unuse_temporary_mm; powerpc radix
   * start_using_temp_mm/stop_using_temp_mm; arm64 efi_virtmap_load/unload). Optional.
   */
  use_temporary_mm?(k: ArchKernel, cpu: number, task: number): void;
  /**
   * A suspend/resume cycle by `task` (a kworker) on `cpu`: the arch's save/restore of
   * processor state (x86 fix_processor_context: load_mm_ldt(current->active_mm)). Optional.
   */
  suspend_resume?(k: ArchKernel, cpu: number, task: number): void;
  /**
   * try_to_unmap_flush() -> arch_tlbbatch_flush() after reclaim unmapped a page of `mm` (the
   * batch's cpumask is mm_cpumask(mm); no page tables freed). Optional: without it the core
   * calls flush_tlb_mm_range(mm, 0).
   */
  tlbbatch_flush?(k: ArchKernel, cpu: number, mm: number): NextPc;
  /**
   * ABI v2: the next step of a sequence hook that returned `pc`, with the hook's arguments
   * (switch_mm_irqs_off: prev, next, task; flush_tlb_mm_range: mm, flags, 0; tlbbatch_flush:
   * mm, 0, 0). Returns the pc of the step after, or nothing when the hook is done. Called in
   * the same step when the caller cannot wait (interrupt context, switches to init_mm).
   */
  resume?(k: ArchKernel, cpu: number, hook: SequenceHook, pc: number, a: number, b: number, c: number): NextPc;
  /** Arch per-CPU state for traces, e.g. "loaded_mm=M2 lazy". Only called while tracing. */
  describe_cpu(k: ArchKernel, cpu: number): string;
  /** Name of an arch IPI function for traces, e.g. "flush_tlb_func". */
  ipi_name(fn: number): string;
}

/** The descriptor a plugin package exports. */
export interface ArchPlugin<O = unknown> {
  /** ABI version this plugin implements (1 or 2). */
  readonly abi: ArchAbi;
  /** Short arch name, e.g. "x86-native". Lowercase letters, digits and dashes. */
  readonly name: string;
  /** The plugin package's own version (semver). Recorded in every artifact. */
  readonly version: string;
  /** Semver range of @lazytlb/core versions the plugin supports. */
  readonly coreVersions: string;
  readonly description: string;
  /** zod schema of the plugin's options; it must accept `{}` and fill defaults. */
  readonly options: ZodType<O>;
  readonly capabilities: ArchCapabilities;
  /**
   * Capabilities that depend on the options (e.g. an option modelling what selecting
   * ARCH_WANT_IRQS_OFF_ACTIVATE_MM would do). Optional: without it `capabilities` holds for
   * every option set. The result must not exceed `capabilities.maxCpus`.
   */
  capabilitiesFor?(options: O): ArchCapabilities;
  /** Arch invariants this plugin reports as I13. */
  readonly invariants: readonly ArchInvariantDoc[];
  /** Historical arch bugs this plugin can restore (enabled per cell; see {@link ArchSetupEnv.mutations}). */
  readonly mutations?: readonly MutationDoc[];
  /**
   * The arch's use sites of a possibly dangling lazy mm pointer (kernel-reference §12.2):
   * every id a hook passes to k.useMm / k.staleCompare / k.lazyWarn must be declared here
   * (or be a core site, CORE_USE_SITES). Results count findings per site.
   */
  readonly useSites?: readonly UseSiteDoc[];
  /** ABI v2: the state other CPUs read, in declaration order (the slot k.declareShared takes). */
  readonly sharedState?: readonly SharedStateDoc[];
  /**
   * ABI v2: the memory models the plugin's arch has in this model (default ["sc"]). An arch
   * whose real model is weaker than TSO (powerpc, arm64) says so in {@link memoryModelNote}.
   */
  readonly memoryModels?: readonly MemoryModel[];
  /** Why a memory model is not offered (shown when a cell asks for it). */
  readonly memoryModelNote?: string;
  /**
   * `true`: all of the plugin's per-run state is in typed arrays its reset() declares with
   * `k.declareState(...)`, and its hooks do not read the step count. Exhaustive search hashes
   * states (a state reached twice is explored once) only for cells whose plugins say so; for
   * the others it searches without hashing.
   */
  readonly declaresState?: boolean;
  /** Called once per worker and option set; returns the hot hooks. */
  setup(options: O, env: ArchSetupEnv): ArchHooks;
}

/** Helper for plugin authors: identity function that gives the descriptor its type. */
export function defineArchPlugin<O>(plugin: ArchPlugin<O>): ArchPlugin<O> {
  return plugin;
}
