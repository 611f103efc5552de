/**
 * What an arch plugin sees of the simulated machine (arch ABI v2): the state it may read, the
 * few kernel actions it may take, and helpers, by their kernel names. The core's Kernel
 * implements it; hooks receive it instead of the Kernel class, so the model can be refactored
 * without breaking the ABI (docs/writing-an-arch-plugin.md lists the same members).
 *
 * Arrays are indexed by CPU, task or mm id (INIT_MM = 0 is init_mm, NO_MM = -1 is NULL). A
 * plugin writes only what the ABI says it may: mm_cpumask bits (mmCpumask, atomically: follow
 * each change with smpMb(cpu) under tso), its own state, and the actions below.
 */
import type { ArchHooks } from './plugin.js';
import type { UseSiteDoc } from '../findings/sites.js';
import type { InvariantId, Violation } from '../invariants/catalog.js';
import type { Sfc32 } from '../prng/sfc32.js';
import type { SharedArray, StoreBuffers, MemoryModel } from '../machine/store-buffer.js';
import type { Tracer } from '../trace/tracer.js';

export interface ArchKernel {
  // ---- the cell -------------------------------------------------------------------------
  readonly ncpu: number;
  readonly mmCapacity: number;
  /** CONFIG_MMU_LAZY_TLB_SHOOTDOWN=y in this cell. */
  readonly shootdown: boolean;
  /** The cell's memory model. */
  readonly memory: MemoryModel;
  /** Declared use sites of the cell (core + arch). */
  readonly sites: readonly UseSiteDoc[];
  /** The arch's own hooks as the core calls them (to call a hook of the same plugin, e.g. describe_cpu). */
  readonly arch: ArchHooks;

  // ---- run progress (read) ---------------------------------------------------------------
  /** The step being taken (also the model's jiffies). */
  readonly step: number;
  /** The CPU taking the step. */
  readonly cpu: number;
  /** The step runs in interrupt context (an IPI handler). */
  readonly inIrq: boolean;
  /** While an IPI function runs: the CPU that sent it. */
  readonly ipiSender: number;
  /** Who calls switch_mm_irqs_off now (SWITCH_*). */
  readonly switchCaller: number;
  /** The violation that ends the run, if one was reported in this step. */
  readonly violation: Violation | null;
  /** Non-null only while tracing: check it before building a trace text. */
  readonly tracer: Tracer | null;
  /** The run's in-step PRNG (draw with chance()). */
  readonly rng: Sfc32;
  /** Cost counters (COST_NAMES): an arch adds its TLB flushes and hypercalls. */
  readonly cost: Float64Array;

  // ---- per CPU (read) --------------------------------------------------------------------
  /** `current`. */
  readonly cpuCurr: Int32Array;
  readonly cpuOnline: Uint8Array;
  readonly cpuIrqsOff: Uint8Array;
  readonly cpuPreempted: Uint8Array;
  /** Outstanding acknowledgements of IPIs the CPU sent with wait=1. */
  readonly cpuWait: Int32Array;
  /** IPIs queued on the CPU. */
  readonly ipiLen: Int32Array;
  /** The lazy reference a kernel path holds in a local between steps. */
  readonly cpuLocalMm: Int32Array;
  /** exec_mmap's IRQs-on window before activate_mm() (!ARCH_WANT_IRQS_OFF_ACTIVATE_MM). */
  readonly cpuActivatePending: Uint8Array;
  /** The store buffers (tso): read-only use (describe a CPU's pending stores in traces). */
  readonly sb: StoreBuffers;

  // ---- per task (read) -------------------------------------------------------------------
  /** task->mm as the task's CPU sees it. */
  readonly taskMm: Int32Array;
  readonly taskActiveMm: Int32Array;

  // ---- per mm ----------------------------------------------------------------------------
  /** mm ids allocated so far in the run. */
  readonly nmm: number;
  readonly mmUsers: Int32Array;
  readonly mmStage: Uint8Array;
  /** Slab address of the struct mm_struct (reused after free: compare pointers with ptrEq). */
  readonly mmAddr: Int32Array;
  /** mm_cpumask(mm), bit c = CPU c: the arch sets and clears bits (atomics). */
  readonly mmCpumask: Int32Array;
  /** Unmap generation: bumped by the core whenever PTEs or page tables of the mm go (I2). */
  readonly mmUnmapGen: Int32Array;
  readonly mmHasVmas: Uint8Array;

  // ---- memory model ----------------------------------------------------------------------
  declareShared(slot: number, name: string, view: SharedArray): SharedArray;
  storeShared(cpu: number, slot: number, i: number, v: number): void;
  /** Is this CPU's store to declared state still buffered (tso)? For the I8 diagnostic (cost `i8_unfenced_reads`). */
  sharedPending(cpu: number, slot: number, i: number): boolean;
  smpMb(cpu: number): void;

  // ---- actions ---------------------------------------------------------------------------
  sendIpi(from: number, target: number, fn: number, mm: number, arg: number, wait: boolean, reason: number): void;
  onEachCpuMask(from: number, mask: number, fn: number, mm: number, arg: number, wait: boolean, reason: number): void;
  beginIpiBatch(cpu: number): void;
  endIpiBatch(cpu: number): void;
  archContinue(cpu: number, fn: number, mm: number, arg: number): void;
  mmgrabLazyTlb(cpu: number, mm: number): void;
  mmdropLazyTlb(cpu: number, mm: number): void;
  setActiveMm(task: number, mm: number): void;
  setLocalMm(cpu: number, mm: number): void;
  clearTasksMmCpumask(cpu: number): void;
  /**
   * The arch switched lazy `cpu` away from `mm` to init_mm by itself (x86 leave_mm,
   * flush_tlb_func's lazy branch, Xen's drop_mm_ref_this_cpu): call it right after, so a scheme
   * that routes such kicks through the scheduler (Andy's unlazy_mm_irqs_off()) can. A no-op
   * under the mainline schemes.
   */
  lazyKick(cpu: number, mm: number): void;
  countHypercall(): void;

  // ---- findings --------------------------------------------------------------------------
  violate(invariant: InvariantId, cpu: number, message: string): void;
  useMm(cpu: number, mm: number, site: string): boolean;
  ptrEq(a: number, b: number): boolean;
  staleCompare(cpu: number, site: string, stale: number, live: number, effect: string): void;
  lazyWarn(cpu: number, site: string, mm: number, task: number): void;

  // ---- helpers ---------------------------------------------------------------------------
  /** The task running on `cpu` has no mm of its own (kthread, idle, exiting task). */
  isLazy(cpu: number): boolean;
  /** H_curr(cpu): the mm the CPU's task holds lazily, or NO_MM. */
  lazyMm(cpu: number): number;
  /** True with probability p (drawn from the run's in-step PRNG; a 2-way choice when an exhaustive search enumerates choices). */
  chance(p: number): boolean;
  /** An n-way choice (0..n-1): drawn from the run's in-step PRNG, or enumerated by an exhaustive search. */
  choose(n: number): number;
  /**
   * True when an exhaustive search enumerates the choices made inside steps (choose() and
   * chance() are then explored, not drawn). A plugin whose behaviour depends on elapsed time
   * (the step count as jiffies) models it as a choice when this is true, so that its states do
   * not depend on the step count (ArchPlugin.declaresState).
   */
  choicesExplored(): boolean;
  /** In reset(): the typed arrays that hold the plugin's per-run state (hashed by exhaustive search; see ArchPlugin.declaresState). */
  declareState(...views: ArrayBufferView[]): void;
  mmName(mm: number): string;
  taskName(t: number): string;
}
