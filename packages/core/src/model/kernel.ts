/**
 * The simulated machine: CPUs, runqueues, tasks, mms and pending IPIs, as typed arrays
 * (struct-of-arrays) so a step allocates nothing. Generic kernel paths live in the files
 * beside this one and operate on a Kernel; arch plugins receive it in every hook.
 *
 * Field names follow the kernel: `cpuCurr` is rq->curr, `cpuPrevMm` is rq->prev_mm,
 * `taskActiveMm` is task->active_mm, `mmCpumask` is mm_cpumask(mm) (a 32-bit word), ...
 */
import type { ArchHooks } from '../abi/plugin.js';
import type { SchemeHooks } from '../scheme/abi.js';
import type { SchemeKernel } from '../scheme/scheme-kernel.js';
import {
  C_EVENT_BASE,
  C_EXITED_MM_STEPS,
  C_REMOTE_LINE_READS,
  C_SCHEME_ATOMICS,
  C_SMP_MB,
  EC_ATOMICS,
  EC_BARRIERS,
  EC_IPIS,
  EC_LINE_TRANSFERS,
  EC_REMOTE_READS,
  EVENT_CATEGORIES,
  C_HYPERCALLS,
  C_IPI_SENT_ARCH,
  C_LAZY_PINNED_MM_STEPS,
  C_STEPS,
  C_IPI_SENT_FLUSH,
  C_IPI_SENT_SHOOTDOWN,
  C_MM_COUNT_ATOMICS,
  C_MM_COUNT_LINE_TRANSFERS,
  COST_COUNT,
} from '../cost/counters.js';
import { INVARIANTS, type InvariantId, type Violation } from '../invariants/catalog.js';
import type { Tracer } from '../trace/tracer.js';
import { MAX_USE_SITES, type UseSiteDoc, type UseSiteKind } from '../findings/sites.js';
import { Sfc32 } from '../prng/sfc32.js';
import {
  HOLD_ACTIVE_MM,
  INIT_MM,
  MM_FREED,
  MM_LIVE,
  NO_MM,
  NO_TASK,
  PREEMPT_FULL,
  REASON_FLUSH,
  REASON_SHOOTDOWN,
  TASK_IDLE,
  TASK_KTHREAD,
} from '../machine/constants.js';
import { ModelError } from '../machine/model-error.js';
import { MmSlab } from './slab.js';
import {
  MAX_SCHEME_SHARED,
  type MemoryModel,
  SH_ARCH_BASE,
  SH_RQ_CURR,
  SH_SCHEME_BASE,
  SH_TASK_MM,
  type SharedArray,
  StoreBuffers,
} from '../machine/store-buffer.js';

export { ModelError };

/** The __mmdrop path's frame id (frames.ts P_MMDROP is this; defined here because frames.ts imports this module). */
export const P_MMDROP_PATH = 7;

/** Kernel-path nesting depth per CPU (e.g. munmap -> ... ; exit -> mmput -> __mmput -> mmdrop -> __mmdrop). */
export const FRAME_DEPTH = 8;
/** Pending IPIs per CPU. smp_call_function queues are lists in the kernel; the model bounds them. */
export const IPI_QUEUE = 32;

/** cpumask_weight() of a 32-bit cpumask word (mm_cpumask is one in the model). */
export function cpumaskWeight(mask: number): number {
  let x = mask - ((mask >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Hazards: findings that are recorded while the run goes on (model-spec §0). Bit i of Kernel.hazardMask. */
export const HAZARD_IDS = ['I3'] as const;
export type HazardId = (typeof HAZARD_IDS)[number];
/** Most hazard records kept per run (more are counted in Kernel.hazardOverflow). */
export const HAZARD_RECORDS = 32;

export class Kernel implements SchemeKernel {
  // ---- dimensions ---------------------------------------------------------------------
  ncpu = 0;
  cpuCapacity = 0;
  taskCapacity = 0;
  mmCapacity = 0;
  /** CONFIG_MMU_LAZY_TLB_SHOOTDOWN=y: the scheme's Kconfig (SchemePlugin.kconfig); arch code reads it (powerpc's combined final flush). */
  shootdown = false;
  arch!: ArchHooks;
  /** The cell's lazy-mm scheme (a scheme plugin's hooks; model/scheme-calls.ts wraps every call). */
  scheme!: SchemeHooks;
  /** Which optional hooks the scheme has (model/scheme-calls.ts HAS_*). */
  schemeHas = 0;
  /** The scheme's name (plugin errors). */
  schemeName = '';
  /** The scheme with its non-default options, e.g. "shootdown:mask=online" (traces, tests). */
  schemeLabel = '';
  /** The scheme has no rq->prev_mm (SchemePlugin.restructures.noPrevMm). */
  noPrevMm = false;
  /** Enabled core mutations (MUT_* bits of mutations/catalog.ts); 0 = the mainline model. */
  mutations = 0;
  /**
   * The scheme lets lazy pointers dangle by premise (`none`): a lazy pointer naming a freed mm
   * (I3) is then a hazard, recorded while the run goes on; otherwise a violation.
   */
  danglingPremise = false;
  /** The cell's preemption model (PREEMPT_NONE .. PREEMPT_RT): which preemption points are live. */
  preemptLevel = PREEMPT_FULL;
  /**
   * The run's PRNG for choices made inside a step (e.g. Hyper-V falling back to IPIs for a
   * share of its flushes, where a preempted task is balanced to): seeded from the run seed, so
   * a run stays a pure function of (cell, seed). Arch plugins draw from it with k.chance().
   */
  readonly rng = new Sfc32();
  /** The mm_struct slab cache (SLUB object reuse: addresses of freed mms come back). */
  readonly slab = new MmSlab();
  /** The cell's memory model; under `tso` plain stores to declared shared state go through per-CPU store buffers. */
  memory: MemoryModel = 'sc';
  /** The store buffers (machine/store-buffer.ts): empty and bypassed under `sc`. */
  readonly sb = new StoreBuffers();
  /** Non-null only while tracing; every trace call site checks it first. */
  tracer: Tracer | null = null;

  // ---- run progress -------------------------------------------------------------------
  /** Index of the step being executed. */
  step = 0;
  /** CPU executing the current step. */
  cpu = 0;
  /** The current step runs in interrupt context (IPI handler, wakeup, tick). */
  inIrq = false;
  violation: Violation | null = null;
  /**
   * CPUs whose enabled actors may have changed since the explorer last looked (bit c = CPU c;
   * -1 = all). The stepping CPU marks itself; cross-CPU effects (IPIs, acks, enqueues,
   * wakeups, budgets running out) mark their target.
   */
  dirtyCpus = -1;
  /** While an IPI function runs: the CPU that sent it (equal to the running CPU when run locally). */
  ipiSender = -1;
  /**
   * The current step changed the stepping CPU's mm state (an arch hook ran, or an
   * active_mm changed): only then can the per-CPU checks (I1 root, I3, I9, I12, I13) have
   * become false, so only then are they re-evaluated.
   */
  mmStateTouched = false;
  /** Which arch hook is running (for attributing exceptions to the plugin); 0 = none. */
  hook = 0;
  /**
   * Who is calling the arch's switch_mm_irqs_off right now (SWITCH_* in machine/constants.ts):
   * context_switch, exec_mmap's activate_mm, kthread_use_mm, ... An arch that compares its
   * `prev` argument names the use site by it.
   */
  switchCaller = 0;

  // ---- findings (use sites of dangling pointers, hazards) ----------------------------------
  /** Declared use sites of this cell (core + arch), in bit order; set by the simulator. */
  sites: readonly UseSiteDoc[] = [];
  private siteIndex = new Map<string, number>();
  /** Bit i: use site i fired in this run. */
  siteMask = 0;
  /** First firing of each site in this run: step, CPU, the stale mm, the mm it met. */
  siteStep = new Int32Array(MAX_USE_SITES);
  siteCpu = new Int32Array(MAX_USE_SITES);
  siteMm = new Int32Array(MAX_USE_SITES);
  siteOther = new Int32Array(MAX_USE_SITES);
  /** Bit i: hazard HAZARD_IDS[i] was recorded in this run. */
  hazardMask = 0;
  /** Hazard records (I3: a lazy pointer left naming a freed mm): step, CPU, mm, holder (HOLD_*), task, step it stopped dangling (-1: still). */
  hzStep = new Int32Array(HAZARD_RECORDS);
  hzCpu = new Int32Array(HAZARD_RECORDS);
  hzMm = new Int32Array(HAZARD_RECORDS);
  hzHolder = new Int32Array(HAZARD_RECORDS);
  hzTask = new Int32Array(HAZARD_RECORDS);
  hzUntil = new Int32Array(HAZARD_RECORDS);
  hzLen = 0;
  /** Hazard records that did not fit. */
  hazardOverflow = 0;
  /** Records whose pointer still dangles (checked after every step that touched mm state while non-zero). */
  danglingOpen = 0;

  // ---- per CPU ------------------------------------------------------------------------
  /** `current`: the task running on the CPU (it changes at switch_to, after switch_mm). */
  cpuCurr = new Int32Array(0);
  /**
   * rq->curr as its CPU sees it: __schedule() stores `next` before context_switch() (so before
   * switch_mm); membarrier reads it remotely, from rqCurrMem (memory; the same array under sc).
   */
  rqCurr = new Int32Array(0);
  rqCurrMem: SharedArray = this.rqCurr;
  cpuPrevMm = new Int32Array(0); // rq->prev_mm
  /** The lazy reference held in a local variable between steps (finish_task_switch's `mm`, kthread_use_mm's `active_mm`, ...). */
  cpuLocalMm = new Int32Array(0);
  cpuIrqsOff = new Uint8Array(0);
  cpuOnline = new Uint8Array(0);
  /** cpu_active_mask: the scheduler may place tasks here (cleared first when a CPU goes down). */
  cpuActive = new Uint8Array(0);
  /** Offline, but its idle task still has to run idle_task_exit() (after take_cpu_down). */
  cpuDying = new Uint8Array(0);
  /** The control task sleeping in cpu_down() until this CPU is dead (-1: none). */
  cpuDownWaiter = new Int32Array(0);
  cpuPreempted = new Uint8Array(0); // vCPU preempted by the hypervisor
  cpuNeedResched = new Uint8Array(0);
  /**
   * The top kernel path is at a live preemption point (Kernel.preemptPoint: cond_resched() in
   * exit_mmap / munmap / dup_mmap, might_sleep() in exit and __mmput, the kernel-execve-preempt
   * window under PREEMPT_RT): a tick may preempt it and the task is switched out with its frames.
   */
  cpuPreemptPoint = new Uint8Array(0);
  /** Outstanding acknowledgements of IPIs this CPU sent with wait=1 (smp_call_function_many). */
  cpuWait = new Int32Array(0);
  /**
   * The CPU is still queueing the IPIs of one smp_call_function_many_cond() (Kernel.beginIpiBatch):
   * it goes on stepping although some it sent with wait=1 are not acknowledged yet.
   */
  cpuIpiBatch = new Uint8Array(0);
  /**
   * exec_mmap() without ARCH_WANT_IRQS_OFF_ACTIVATE_MM: tsk->mm is the new mm but activate_mm()
   * has not run yet, with IRQs on (fs/exec.c). Arch coherence checks (I13) skip this window: the
   * kernel allows it; what it exposes is judged by the consequences (I1, I2, I7, I14).
   */
  cpuActivatePending = new Uint8Array(0);
  /**
   * The CPU ran user code of its task's mm while its own store that made it run that mm (rq->curr
   * or task->mm) was still in its store buffer, with no full barrier since (I10: membarrier).
   */
  cpuUnfencedUser = new Uint8Array(0);
  /**
   * The CPU's next step is take_cpu_down() under stop_machine(): it cannot run while another CPU
   * is inside an IRQs-off region that takes several steps (multi_cpu_stop() waits for every CPU
   * to enter the stopper, which an IRQs-off CPU does only at its end).
   */
  cpuStopMachine = new Uint8Array(0);
  /**
   * preempt_count() beyond the IRQ state: spinlocks the CPU's current context holds (and
   * preempt_disable()), where the model tracks them: khugepaged_mm_lock around
   * collect_mm_slot()'s mmdrop, finish_task_switch()'s preempt-off tail. A final mmdrop records
   * it in its __mmdrop frame (register b), so scheme code knows __mmdrop's calling context.
   */
  cpuPreemptCount = new Uint8Array(0);
  cpuSp = new Int32Array(0);
  /** Number of kernel-path calls so far (lets the stepper see that a step entered a callee). */
  calls = 0;
  frPath = new Int32Array(0);
  frPc = new Int32Array(0);
  frA = new Int32Array(0);
  frB = new Int32Array(0);
  frC = new Int32Array(0);
  rq = new Int32Array(0);
  rqHead = new Int32Array(0);
  rqLen = new Int32Array(0);
  /** Blocked, switched-out tasks whose wakeup is delivered by this CPU's interrupt (ttwu onto it). */
  wakeQ = new Int32Array(0);
  wakeHead = new Int32Array(0);
  wakeLen = new Int32Array(0);
  ipiFn = new Int32Array(0);
  ipiMm = new Int32Array(0);
  ipiArg = new Int32Array(0);
  ipiFrom = new Int32Array(0);
  ipiWaitReason = new Int32Array(0); // bit 8: wait; low bits: reason
  ipiHead = new Int32Array(0);
  ipiLen = new Int32Array(0);

  // ---- per task -----------------------------------------------------------------------
  ntasks = 0;
  /** task->mm as the task's CPU sees it (written with setTaskMm; other CPUs read taskMmMem). */
  taskMm = new Int32Array(0);
  /** task->mm in memory, what other CPUs read (membarrier's rq->curr->mm): the same array under sc. */
  taskMmMem: SharedArray = this.taskMm;
  taskActiveMm = new Int32Array(0);
  taskKind = new Uint8Array(0);
  taskState = new Uint8Array(0);
  /** CPU the task runs on, is queued on, or will be enqueued on when switched out / woken. */
  taskCpu = new Int32Array(0);
  /** The task is rq->curr somewhere (task->on_cpu). */
  taskOnCpu = new Uint8Array(0);
  taskPc = new Int32Array(0);
  taskEnd = new Int32Array(0);
  /** io_uring-style worker: the mm its ring pinned with mmgrab() (ctx->mm_account). */
  taskIoMm = new Int32Array(0);
  /** Worker is between kthread_use_mm and kthread_unuse_mm (its mmget_not_zero succeeded). */
  taskUsingMm = new Uint8Array(0);
  /**
   * Kernel path frames saved when the task was switched out inside them (preemption, a sleep
   * in wait_for_completion): taskSavedSp frames at t * FRAME_DEPTH (0 = none).
   */
  taskSavedSp = new Int32Array(0);
  taskSavedPath = new Int32Array(0);
  taskSavedPc = new Int32Array(0);
  taskSavedA = new Int32Array(0);
  taskSavedB = new Int32Array(0);
  taskSavedC = new Int32Array(0);
  /** io_uring: the io_ring_exit_work kworker of the ring this task owns (queued at its exit), or NO_TASK. */
  taskRingExit = new Int32Array(0);
  /**
   * Where the task was last switched out (finish_task_switch's smp_store_release(&prev->on_cpu, 0)):
   * the CPU (-1: never) and how many stores it had buffered then. Whoever runs the task next has
   * observed that release (try_to_wake_up's smp_cond_load_acquire(&p->on_cpu, !VAL)), so under tso
   * those earlier stores are visible by then.
   */
  taskReleaseCpu = new Int32Array(0);
  taskReleaseMark = new Float64Array(0);

  // ---- per mm -------------------------------------------------------------------------
  /** mm ids allocated so far in this run (ids are never reused; addresses are). */
  nmm = 0;
  mmUsers = new Int32Array(0); // mm_users
  mmCount = new Int32Array(0); // mm_count
  mmStage = new Uint8Array(0);
  /** Slab address of the struct mm_struct: reused after free_mm (ABA). */
  mmAddr = new Int32Array(0);
  mmCpumask = new Int32Array(0); // mm_cpumask(mm), bit c = CPU c
  /**
   * Tasks holding a real mmgrab() reference by their state: an io_uring ring's pin
   * (taskIoMm) and a worker inside kthread_use_mm (taskUsingMm). Updated where that state
   * changes, not in mmgrab/mmdrop, so I4 catches a grab or drop that is missing or doubled.
   */
  mmGrabHolders = new Int32Array(0);
  /** The one mm_count reference that mm_users > 0 stands for, until __mmput's mmdrop. */
  mmUsersRef = new Uint8Array(0);
  /** CPU whose cache holds mm->mm_count's line (for the cache-line transfer counter). */
  mmLineOwner = new Int32Array(0);
  /** Unmap generation: bumped whenever PTEs or page tables of the mm are torn down (for I2). */
  mmUnmapGen = new Int32Array(0);
  /** The newest unmap generation whose pages or tables have been freed (a translation older than it points at freed memory). */
  mmFreedGen = new Int32Array(0);
  /** The same for freed page-table pages only (what a CPU's paging-structure caches may point into). */
  mmFreedTablesGen = new Int32Array(0);
  mmHasVmas = new Uint8Array(0);
  /** mms with mm_users == 0 that are not freed yet (change through adjustPinned). */
  zombies = 0;
  /** Of those, mms that had lazy holders at their last mmput (REFCOUNT=y pins them). */
  lazyPinned = 0;
  /** Step since which zombies / lazyPinned hold their current values (for the mm·steps integrals). */
  private pinnedSince = 0;
  mmLazyPinned = new Uint8Array(0);
  /**
   * Page-table locks held across a flush on this mm (reclaim's ptep_clear_flush under the PTE
   * lock, khugepaged's collapse under mmap_write_lock): while non-zero, a zap of the same mm
   * (munmap, exit_mmap's unmap_vmas) waits (Kernel.cpuPtWait).
   */
  mmPtBusy = new Uint8Array(0);
  /** The mm whose page-table lock this CPU's task waits for (its task actor is off meanwhile), or NO_MM. */
  cpuPtWait = new Int32Array(0);
  /** khugepaged's mm_slot holds an mmgrab() of the mm (__khugepaged_enter .. __khugepaged_exit / collect_mm_slot). */
  mmSlotHeld = new Uint8Array(0);
  /** The mm khugepaged is working on right now (khugepaged_scan.mm_slot), or NO_MM. */
  khugepagedScan = NO_MM;
  /** A task sleeping in __khugepaged_exit()'s mmap_write_lock() until khugepaged lets go of its mm, or NO_TASK. */
  khugepagedWaiter = NO_TASK;
  /** mm->membarrier_state (MEMBARRIER_STATE_* bits; 0 = never registered). */
  mmMembarrierState = new Int32Array(0);
  /** rq->membarrier_state per CPU (updated by membarrier_switch_mm and the register IPI). */
  cpuMembarrierState = new Int32Array(0);

  // ---- workload -----------------------------------------------------------------------
  prog = new Int32Array(0);
  progLen = 0;
  tickBudget = 0;
  /**
   * Deep-idle entries left in this run: an idle CPU with nothing to run may enter a deep
   * C-state (cpuidle_enter_state -> the arch's cpu_idle_deep hook) while this is non-zero.
   */
  idleBudget = 0;
  /** vCPU preemptions left in this run. */
  vcpuBudget = 0;
  /**
   * Steps at which the next vCPU preemptions become possible (ascending, drawn over the run's
   * estimated length), so that preemptions are spread over the run rather than spent in its
   * first steps; the hypervisor may preempt once k.step >= vcpuNextAt.
   */
  vcpuAt = new Int32Array(64);
  /** How long each of those preemptions lasts, in model steps. */
  vcpuFor = new Int32Array(64);
  vcpuNextAt = 0;
  private vcpuIdx = 0;
  /** Per CPU: the step from which a preempted vCPU may be resumed (its time slice is over). */
  cpuResumeAt = new Int32Array(0);
  /** Number of preempted vCPUs (while non-zero the run loop watches their clocks). */
  vcpusPreempted = 0;

  /**
   * Set the run's vCPU preemptions: the steps from which each may happen (ascending) and how long
   * each lasts. Under an explorer that enumerates choices (exhaustive search and its replays) the
   * times are not used: the hypervisor may preempt at any step while preemptions are left, and
   * resume at any later step, both schedule decisions the search enumerates. That keeps absolute
   * time (the step count) out of the state, which state hashing needs; it over-approximates a
   * profile's drawn times (an explicit workload's are "any time" already).
   */
  setVcpuPreemptions(count: number, at: ArrayLike<number> | null, lasts: ArrayLike<number> | null): void {
    const timeless = this.chooser !== null;
    this.vcpuBudget = count;
    this.vcpuIdx = 0;
    for (let i = 0; i < count; i++) {
      this.vcpuAt[i] = at === null || timeless ? 0 : at[i]!;
      this.vcpuFor[i] = lasts === null || timeless ? 0 : lasts[i]!;
    }
    this.vcpuNextAt = count > 0 ? this.vcpuAt[0]! : 0x7fffffff;
    this.vcpusPreempted = 0;
  }

  /** The hypervisor preempts `cpu`: one preemption used; the vCPU is out until its slice ends. */
  consumeVcpuPreemption(cpu: number): void {
    const lasts = this.vcpuFor[this.vcpuIdx]!;
    this.vcpuBudget--;
    this.vcpuIdx++;
    this.vcpuNextAt = this.vcpuBudget > 0 ? this.vcpuAt[this.vcpuIdx]! : 0x7fffffff;
    // Timeless under exhaustive search (setVcpuPreemptions): resumable from the next step, with no step count stored.
    this.cpuResumeAt[cpu] = this.chooser !== null ? 0 : this.step + 1 + lasts;
    this.cpuPreempted[cpu] = 1;
    this.vcpusPreempted++;
    this.dirtyCpus = -1; // every CPU's hypervisor actor changes
  }

  /** The hypervisor resumes `cpu`. */
  resumeVcpu(cpu: number): void {
    this.cpuPreempted[cpu] = 0;
    this.vcpusPreempted--;
  }

  /** Called after each step while vCPUs are preempted: a vCPU whose slice just ended may be resumed. */
  tickVcpuClocks(): void {
    for (let c = 0; c < this.ncpu; c++) {
      if (this.cpuPreempted[c] !== 0 && this.cpuResumeAt[c] === this.step) this.dirtyCpus |= 1 << c;
    }
  }

  // ---- accounting ---------------------------------------------------------------------
  /**
   * The lazy-mm event the CPU taking this step runs code of (EVENT_* of cost/counters.ts), or
   * -1: counted atomics, line transfers, remote reads, IPIs and barriers are also added to that
   * event's counters. Set per frame by the stepper, cleared at every step.
   */
  costEvent = -1;

  /**
   * The cost-counter base of the lazy-mm event the code running on `cpu` belongs to, or -1:
   * costEvent when the step set it (a context switch), else the nearest event frame on the
   * CPU's kernel-path stack (eventOf); never for a remote IPI handler or other interrupt work.
   * Computed only when something is counted, so a step that counts nothing pays nothing.
   */
  private eventBase(cpu: number): number {
    // costEvent and dispatchFrame are stamped with the step that set them (no reset per step).
    let e = this.eventStep === this.step ? this.costEvent : -1;
    if (e < 0) {
      if (this.dispatchStep !== this.step) return -1;
      if (this.inIrq && this.ipiSender !== cpu) return -1;
      e = this.eventOf(cpu);
      if (e < 0) return -1;
    }
    return C_EVENT_BASE + e * EVENT_CATEGORIES;
  }

  /** The frame index the stepper dispatched (in step dispatchStep): where eventOf starts looking. */
  dispatchFrame = -1;
  dispatchStep = -1;
  /** The step costEvent was set in. */
  eventStep = -1;

  /** Book what is counted in the rest of this step under lazy-mm event `e` (EVENT_*, -1: look at the frames). */
  setCostEvent(e: number): void {
    this.costEvent = e;
    this.eventStep = this.step;
  }

  /** Installed by the simulator: the EVENT_* of `cpu`'s nearest event frame, or -1. */
  eventOf: (cpu: number) => number = () => -1;
  cost = new Float64Array(COST_COUNT);
  /** mms whose mm_count or holders changed during the current step (checked for I4). */
  touched = new Int32Array(64);
  touchedLen = 0;

  /** Size the arrays (grows only, so a worker reuses them across runs). */
  ensureCapacity(ncpu: number, tasks: number, mms: number, progWords: number): void {
    if (ncpu > this.cpuCapacity) this.allocCpus(ncpu);
    this.ncpu = ncpu;
    if (tasks > this.taskCapacity) this.allocTasks(tasks, this.cpuCapacity);
    if (mms > this.mmCapacity) this.allocMms(mms);
    if (progWords > this.prog.length) this.prog = new Int32Array(progWords);
    this.slab.ensureCapacity(ncpu, this.mmCapacity);
    this.sb.ensureCpus(this.cpuCapacity);
  }

  /** Declare the cell's use sites (core + arch): their order is their bit in siteMask. */
  setSites(sites: readonly UseSiteDoc[], patched: readonly string[] = []): void {
    if (sites.length > MAX_USE_SITES) throw new ModelError(`${sites.length} use sites declared; at most ${MAX_USE_SITES}`);
    this.sites = sites;
    this.siteIndex = new Map(sites.map((s, i) => [s.id, i]));
    this.sitePatchedMask = 0;
    for (const id of patched) {
      const i = this.siteIndex.get(id);
      if (i === undefined) throw new ModelError(`patched use site "${id}" is not a declared site (${sites.map((x) => x.id).join(', ')})`);
      this.sitePatchedMask |= 1 << i;
    }
  }

  /**
   * Use sites the scheme's kernel changes remove (SchemePlugin.patchedSites): the sanitised
   * code no longer reads, compares or WARNs on the lazy pointer there. Bit i = sites[i].
   */
  sitePatchedMask = 0;

  /** Is `site` removed by the scheme's kernel changes? */
  sitePatched(site: string): boolean {
    return this.sitePatchedMask !== 0 && (this.sitePatchedMask & (1 << this.siteBit(site))) !== 0;
  }

  private allocCpus(n: number): void {
    this.cpuCapacity = n;
    this.cpuCurr = new Int32Array(n);
    this.rqCurr = new Int32Array(n);
    this.cpuPrevMm = new Int32Array(n);
    this.cpuLocalMm = new Int32Array(n);
    this.cpuIrqsOff = new Uint8Array(n);
    this.cpuOnline = new Uint8Array(n);
    this.cpuActive = new Uint8Array(n);
    this.cpuDying = new Uint8Array(n);
    this.cpuDownWaiter = new Int32Array(n);
    this.cpuPreempted = new Uint8Array(n);
    this.cpuNeedResched = new Uint8Array(n);
    this.cpuPreemptPoint = new Uint8Array(n);
    this.cpuWait = new Int32Array(n);
    this.cpuIpiBatch = new Uint8Array(n);
    this.cpuActivatePending = new Uint8Array(n);
    this.cpuUnfencedUser = new Uint8Array(n);
    this.cpuStopMachine = new Uint8Array(n);
    this.cpuPreemptCount = new Uint8Array(n);
    this.cpuResumeAt = new Int32Array(n);
    this.cpuMembarrierState = new Int32Array(n);
    this.cpuPtWait = new Int32Array(n);
    this.cpuSp = new Int32Array(n);
    this.frPath = new Int32Array(n * FRAME_DEPTH);
    this.frPc = new Int32Array(n * FRAME_DEPTH);
    this.frA = new Int32Array(n * FRAME_DEPTH);
    this.frB = new Int32Array(n * FRAME_DEPTH);
    this.frC = new Int32Array(n * FRAME_DEPTH);
    this.rqHead = new Int32Array(n);
    this.rqLen = new Int32Array(n);
    this.wakeHead = new Int32Array(n);
    this.wakeLen = new Int32Array(n);
    this.ipiFn = new Int32Array(n * IPI_QUEUE);
    this.ipiMm = new Int32Array(n * IPI_QUEUE);
    this.ipiArg = new Int32Array(n * IPI_QUEUE);
    this.ipiFrom = new Int32Array(n * IPI_QUEUE);
    this.ipiWaitReason = new Int32Array(n * IPI_QUEUE);
    this.ipiHead = new Int32Array(n);
    this.ipiLen = new Int32Array(n);
    this.taskCapacity = 0; // runqueues are sized by CPUs x tasks: reallocate them
  }

  private allocTasks(n: number, ncpu: number): void {
    this.taskCapacity = n;
    this.taskMm = new Int32Array(n);
    this.taskActiveMm = new Int32Array(n);
    this.taskKind = new Uint8Array(n);
    this.taskState = new Uint8Array(n);
    this.taskCpu = new Int32Array(n);
    this.taskOnCpu = new Uint8Array(n);
    this.taskPc = new Int32Array(n);
    this.taskEnd = new Int32Array(n);
    this.taskIoMm = new Int32Array(n);
    this.taskUsingMm = new Uint8Array(n);
    this.taskSavedSp = new Int32Array(n);
    this.taskSavedPath = new Int32Array(n * FRAME_DEPTH);
    this.taskSavedPc = new Int32Array(n * FRAME_DEPTH);
    this.taskSavedA = new Int32Array(n * FRAME_DEPTH);
    this.taskSavedB = new Int32Array(n * FRAME_DEPTH);
    this.taskSavedC = new Int32Array(n * FRAME_DEPTH);
    this.taskRingExit = new Int32Array(n);
    this.taskReleaseCpu = new Int32Array(n);
    this.taskReleaseMark = new Float64Array(n);
    this.rq = new Int32Array(ncpu * n);
    this.wakeQ = new Int32Array(ncpu * n);
  }

  private allocMms(n: number): void {
    this.mmCapacity = n;
    this.mmUsers = new Int32Array(n);
    this.mmCount = new Int32Array(n);
    this.mmStage = new Uint8Array(n);
    this.mmAddr = new Int32Array(n);
    this.mmCpumask = new Int32Array(n);
    this.mmGrabHolders = new Int32Array(n);
    this.mmUsersRef = new Uint8Array(n);
    this.mmLineOwner = new Int32Array(n);
    this.mmUnmapGen = new Int32Array(n);
    this.mmFreedGen = new Int32Array(n);
    this.mmFreedTablesGen = new Int32Array(n);
    this.mmHasVmas = new Uint8Array(n);
    this.mmLazyPinned = new Uint8Array(n);
    this.mmMembarrierState = new Int32Array(n);
    this.mmSlotHeld = new Uint8Array(n);
    this.mmPtBusy = new Uint8Array(n);
  }

  /** Clear all run state (arrays keep their capacity). */
  /**
   * Per-run state of the arch and scheme plugins, declared by their reset() (declareState):
   * hashed with the kernel's for exhaustive search with state hashing (model/state-hash.ts).
   */
  readonly declaredState: ArrayBufferView[] = [];

  /** A plugin's reset() declares the typed arrays that hold its per-run state (all of it: see ArchPlugin.declaresState). */
  declareState(...views: ArrayBufferView[]): void {
    for (const v of views) this.declaredState.push(v);
  }

  /**
   * Zero every typed array of the kernel, the store buffers, the slab and the plugins' declared
   * state, as on a fresh simulator, before resetState(). resetState() sets the live part of each
   * array (CPUs 0..ncpu, init_mm, the queue heads and lengths); what lies past it (stack frames
   * popped, queue slots dequeued, tasks and mms of an earlier, longer run) is never read, but it
   * is hashed and snapshotted: without this an exhaustive search's fingerprints would depend on
   * which executions the simulator ran before (found by the sweep's shard/resume determinism
   * test). Simulator.begin() calls it when the explorer enumerates in-step choices (exhaustive
   * search and its replays); random and PCT runs do not pay for it.
   */
  scrub(): void {
    const zero = (v: unknown): void => {
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) new Uint8Array(v.buffer, v.byteOffset, v.byteLength).fill(0);
    };
    for (const v of Object.values(this)) zero(v);
    for (const v of Object.values(this.sb)) zero(v);
    if (this.sb.tso) for (const v of this.sb.mem) zero(v);
    for (const v of this.slab.stateArrays()) zero(v);
    zero(this.slab.statePartialFlags());
    for (const v of this.declaredState) zero(v);
  }

  resetState(): void {
    const n = this.ncpu;
    this.declaredState.length = 0;
    this.step = 0;
    this.eventStep = -1; // stamps of an earlier run's steps must not match this run's
    this.dispatchStep = -1;
    this.cpu = 0;
    this.inIrq = false;
    this.violation = null;
    this.hook = 0;
    this.cpuPrevMm.fill(NO_MM, 0, n);
    this.cpuLocalMm.fill(NO_MM, 0, n);
    this.cpuIrqsOff.fill(0, 0, n);
    this.cpuOnline.fill(1, 0, n);
    this.cpuActive.fill(1, 0, n);
    this.cpuDying.fill(0, 0, n);
    this.cpuDownWaiter.fill(-1, 0, n);
    this.cpuPreempted.fill(0, 0, n);
    this.cpuNeedResched.fill(0, 0, n);
    this.cpuPreemptPoint.fill(0, 0, n);
    this.cpuWait.fill(0, 0, n);
    this.cpuIpiBatch.fill(0, 0, n);
    this.cpuActivatePending.fill(0, 0, n);
    this.cpuUnfencedUser.fill(0, 0, n);
    this.cpuStopMachine.fill(0, 0, n);
    this.cpuPreemptCount.fill(0, 0, n);
    this.cpuSp.fill(0, 0, n);
    this.rqHead.fill(0, 0, n);
    this.rqLen.fill(0, 0, n);
    this.wakeHead.fill(0, 0, n);
    this.wakeLen.fill(0, 0, n);
    this.ipiHead.fill(0, 0, n);
    this.ipiLen.fill(0, 0, n);
    this.ntasks = 0;
    this.taskSavedSp.fill(0);
    this.taskRingExit.fill(NO_TASK);
    this.taskReleaseCpu.fill(-1);
    this.cpuMembarrierState.fill(0, 0, n);
    this.cpuPtWait.fill(NO_MM, 0, n);
    this.sb.tso = this.memory === 'tso';
    this.sb.reset();
    this.rqCurrMem = this.sb.declare(SH_RQ_CURR, 'rq->curr', this.rqCurr);
    this.taskMmMem = this.sb.declare(SH_TASK_MM, 'task->mm', this.taskMm);
    this.nmm = 0;
    this.slab.reset();
    this.siteMask = 0;
    this.hazardMask = 0;
    this.hzLen = 0;
    this.hazardOverflow = 0;
    this.danglingOpen = 0;
    this.switchCaller = 0;
    this.idleBudget = 0;
    this.khugepagedScan = NO_MM;
    this.khugepagedWaiter = NO_TASK;
    this.zombies = 0;
    this.lazyPinned = 0;
    this.pinnedSince = 0;
    this.cost.fill(0);
    this.touchedLen = 0;
    this.dirtyCpus = -1;
    // init_mm: static, users/count never reach zero, address 0.
    this.nmm = 1;
    this.mmUsers[INIT_MM] = 1;
    this.mmCount[INIT_MM] = 1;
    this.mmStage[INIT_MM] = 1;
    this.mmAddr[INIT_MM] = 0;
    this.mmCpumask[INIT_MM] = 0;
    this.mmGrabHolders[INIT_MM] = 0;
    this.mmUsersRef[INIT_MM] = 1;
    this.mmLineOwner[INIT_MM] = 0;
    this.mmUnmapGen[INIT_MM] = 0;
    this.mmFreedGen[INIT_MM] = 0;
    this.mmFreedTablesGen[INIT_MM] = 0;
    this.mmHasVmas[INIT_MM] = 0;
    this.mmMembarrierState[INIT_MM] = 0;
    this.mmSlotHeld[INIT_MM] = 0;
    this.mmPtBusy[INIT_MM] = 0;
  }

  // ---- memory model --------------------------------------------------------------------

  /**
   * Declare arch state other CPUs read (ABI v2 `sharedState`, slot = its index there), with
   * the array its owner writes: returns the array other CPUs must read (the same one under sc).
   * Called from the arch's reset hook, after it has sized its arrays.
   */
  declareShared(slot: number, name: string, view: SharedArray): SharedArray {
    return this.sb.declare(SH_ARCH_BASE + slot, name, view);
  }

  /** A plain store by `cpu` to declared arch state `slot` at index `i` (buffered under tso). */
  storeShared(cpu: number, slot: number, i: number, v: number): void {
    this.sb.store(cpu, SH_ARCH_BASE + slot, i, v);
  }

  /** Is `cpu`'s store to declared arch state `slot` at `i` still in its store buffer (tso)? For diagnostics (I8). */
  sharedPending(cpu: number, slot: number, i: number): boolean {
    return this.sb.busy !== 0 && this.sb.len[cpu] !== 0 && this.sb.pending(cpu, SH_ARCH_BASE + slot, i);
  }

  /** Declare scheme state other CPUs read (SchemePlugin.sharedState, slot = its index there); returns the array they read. */
  declareSchemeShared(slot: number, name: string, view: SharedArray): SharedArray {
    if (!Number.isInteger(slot) || slot < 0 || slot >= MAX_SCHEME_SHARED) {
      throw new RangeError(`declareSchemeShared(${slot}, ${name}): a scheme's slots are 0..${MAX_SCHEME_SHARED - 1} (its sharedState order)`);
    }
    return this.sb.declare(SH_SCHEME_BASE + slot, name, view);
  }

  /** A plain store by `cpu` to declared scheme state `slot` at index `i` (buffered under tso). */
  storeSchemeShared(cpu: number, slot: number, i: number, v: number): void {
    this.sb.store(cpu, SH_SCHEME_BASE + slot, i, v);
  }

  /** task->mm = mm by the task's CPU (exec_mmap, exit_mm, kthread_use_mm / kthread_unuse_mm). */
  setTaskMm(cpu: number, t: number, mm: number): void {
    this.sb.store(cpu, SH_TASK_MM, t, mm);
    this.cpuUnfencedUser[cpu] = 0;
  }

  /**
   * A full barrier on `cpu`: smp_mb() (MFENCE or a locked op on x86), a locked RMW (atomic_inc,
   * cmpxchg, a spin_lock), or a serializing instruction (a CR3 write, IRET, a VM exit). Under
   * tso its store buffer drains; under sc it does nothing.
   */
  smpMb(cpu: number): void {
    if (this.sb.busy !== 0 && this.sb.len[cpu] !== 0) this.sb.drainAll(cpu);
    this.cpuUnfencedUser[cpu] = 0;
  }

  // ---- small helpers used by paths and plugins ------------------------------------------

  /** The task running on `cpu` is a lazy user of an mm (mm == NULL: kthread, idle, or exiting task). */
  isLazy(cpu: number): boolean {
    return this.taskMm[this.cpuCurr[cpu]!] === NO_MM;
  }

  /** H_curr(cpu): the mm the CPU's current task holds lazily, or NO_MM. */
  lazyMm(cpu: number): number {
    const t = this.cpuCurr[cpu]!;
    return this.taskMm[t] === NO_MM ? this.taskActiveMm[t]! : NO_MM;
  }

  /**
   * Change the exited / lazily pinned mm counts. The mm·steps cost counters are integrals of
   * these counts over steps (the value after each step, summed); they are accumulated here,
   * when a count changes, instead of on every step.
   */
  adjustPinned(dZombies: number, dLazy: number): void {
    const held = this.step - this.pinnedSince;
    this.cost[C_EXITED_MM_STEPS]! += this.zombies * held;
    this.cost[C_LAZY_PINNED_MM_STEPS]! += this.lazyPinned * held;
    this.pinnedSince = this.step;
    this.zombies += dZombies;
    this.lazyPinned += dLazy;
  }

  /** Close the run's accounting (called once when the run ends). */
  finishAccounting(): void {
    this.adjustPinned(0, 0);
    this.cost[C_STEPS] = this.step;
  }

  /** Record that `mm`'s count or holders changed in this step (I4 is re-checked for it). */
  touch(mm: number): void {
    if (mm > INIT_MM && this.touchedLen < 64) this.touched[this.touchedLen++] = mm;
  }

  setActiveMm(task: number, mm: number): void {
    this.mmStateTouched = true;
    this.touch(this.taskActiveMm[task]!);
    this.taskActiveMm[task] = mm;
    this.touch(mm);
  }

  setLocalMm(cpu: number, mm: number): void {
    this.touch(this.cpuLocalMm[cpu]!);
    this.cpuLocalMm[cpu] = mm;
    this.touch(mm);
  }

  /**
   * A read of `mm`'s fields by `cpu` at use site `site` (a declared UseSiteDoc id). Reading a
   * freed mm_struct is a use after free (I14, dereference). Returns true when the mm was freed.
   */
  useMm(cpu: number, mm: number, site: string): boolean {
    if (mm <= INIT_MM || this.mmStage[mm] !== MM_FREED) return false;
    if (this.violation !== null) return true; // the run already ends at an earlier finding of this step
    const i = this.siteBit(site);
    if ((this.sitePatchedMask & (1 << i)) !== 0) return false; // the sanitised code does not read it
    this.noteSite(i, cpu, mm, NO_MM);
    this.violateAt('I14', cpu, `use after free: ${site} reads ${this.mmName(mm)} after free_mm`, site, 'dereference');
    return true;
  }

  /**
   * Pointer equality as the kernel sees it: two mm pointers are equal when their addresses
   * are. A freed mm keeps its old address in the model, so a stale pointer equals the live mm
   * SLUB handed the same address to (ABA).
   */
  ptrEq(a: number, b: number): boolean {
    return a === b || (a > INIT_MM && b > INIT_MM && this.mmAddr[a] === this.mmAddr[b]);
  }

  /**
   * A compare at `site` was decided by a stale pointer (`stale`, freed, at the address `live`
   * now has) and that changed what the kernel does (`effect`, the site's consequence rule): I14.
   */
  staleCompare(cpu: number, site: string, stale: number, live: number, effect: string): void {
    if (this.violation !== null) return; // the run already ends at an earlier finding of this step
    const i = this.siteBit(site);
    if ((this.sitePatchedMask & (1 << i)) !== 0) return; // the sanitised code makes no such compare
    this.noteSite(i, cpu, stale, live);
    this.violateAt(
      'I14',
      cpu,
      `stale compare in ${site}: freed ${this.mmName(stale)} equals live ${this.mmName(live)} by address reuse; ${effect}`,
      site,
      'stale-compare',
    );
  }

  /**
   * A kernel WARN at `site` fired because `task`'s current->active_mm (a lazy pointer) names
   * `mm`, an mm being freed (the I3 class: a hazard under a scheme whose premise is a dangling
   * pointer, else a violation). The message is built only when it is reported.
   */
  lazyWarn(cpu: number, site: string, mm: number, task: number): void {
    if (this.violation !== null) return;
    const i = this.siteBit(site);
    if ((this.sitePatchedMask & (1 << i)) !== 0) return; // the scheme removes this WARN
    this.noteSite(i, cpu, mm, NO_MM);
    if (this.danglingPremise) {
      // The run goes on: the scheme is "mainline with this WARN removed". The I3 hazard itself
      // is recorded where the pointer starts to dangle (free_mm).
      if (this.tracer !== null) this.tracer.ev(cpu, 'WARN_ON_ONCE', `${this.lazyWarnMessage(mm, task)} (${site}; not fatal under this scheme)`);
      return;
    }
    this.violateAt('I3', cpu, `WARN in ${site}: ${this.lazyWarnMessage(mm, task)}`, site, 'warn');
  }

  private lazyWarnMessage(mm: number, task: number): string {
    return `${this.mmName(mm)} == current->active_mm of ${this.taskName(task)}`;
  }

  /**
   * I3: `cpu` holds a lazy pointer (`holder`: HOLD_*) to `mm`, which was just freed. Under a
   * dangling-premise scheme a hazard is recorded (where, and how long it dangles) and the run
   * goes on; otherwise it is a violation.
   */
  danglingPointer(cpu: number, mm: number, holder: number, task: number): void {
    if (!this.danglingPremise) {
      this.violate('I3', cpu, this.danglingMessage(cpu, mm, holder, task));
      return;
    }
    this.hazardMask |= 1;
    if (this.tracer !== null) this.tracer.ev(cpu, 'hazard', `I3: ${this.danglingMessage(cpu, mm, holder, task)}`);
    if (this.hzLen >= this.hzStep.length) {
      this.hazardOverflow++;
      return;
    }
    const r = this.hzLen++;
    this.hzStep[r] = this.step;
    this.hzCpu[r] = cpu;
    this.hzMm[r] = mm;
    this.hzHolder[r] = holder;
    this.hzTask[r] = task;
    this.hzUntil[r] = -1;
    this.danglingOpen++;
  }

  /** The I3 message for a lazy pointer of `cpu` (holder HOLD_*) to the freed `mm`. */
  danglingMessage(cpu: number, mm: number, holder: number, task: number): string {
    const what = holder === HOLD_ACTIVE_MM ? `${this.taskName(task)} still has it as active_mm (lazy, no reference)` : 'rq->prev_mm names it';
    return `free_mm(${this.mmName(mm)}) while CPU${cpu}'s ${what}`;
  }

  /** After a step: close the hazard records of CPUs that no longer hold their dangling pointer. */
  closeDangling(): void {
    for (let r = 0; r < this.hzLen; r++) {
      if (this.hzUntil[r] !== -1) continue;
      const c = this.hzCpu[r]!;
      const mm = this.hzMm[r]!;
      if (this.lazyMm(c) === mm || this.cpuPrevMm[c] === mm) continue;
      this.hzUntil[r] = this.step;
      this.danglingOpen--;
    }
  }

  private siteBit(site: string): number {
    const i = this.siteIndex.get(site);
    if (i === undefined) {
      // The plugin's contract, not the model's: reported as the plugin error of the hook that named it.
      throw new Error(
        `use site "${site}" is not declared (declared: ${this.sites.map((s) => s.id).join(', ')}); arch and scheme plugins declare theirs in useSites`,
      );
    }
    return i;
  }

  private noteSite(i: number, cpu: number, mm: number, other: number): void {
    const bit = 1 << i;
    if ((this.siteMask & bit) !== 0) return;
    this.siteMask |= bit;
    this.siteStep[i] = this.step;
    this.siteCpu[i] = cpu;
    this.siteMm[i] = mm;
    this.siteOther[i] = other;
  }

  /**
   * The kernel path running on `cpu` stops at a preemption point of `level` (PREEMPT_NONE: a
   * cond_resched(); PREEMPT_VOLUNTARY: a might_sleep(); PREEMPT_FULL: preempt_count() == 0
   * with IRQs on; PREEMPT_RT: inside a spinlock_t section). Live when the cell's preemption
   * model is at least `level`: a tick may then switch the task out with its path (sched.ts
   * preemptInPath). The next step of the path clears it.
   */
  preemptPoint(cpu: number, level: number): void {
    if (level <= this.preemptLevel) this.cpuPreemptPoint[cpu] = 1;
  }

  /**
   * A zap of `mm`'s page tables by `cpu` (munmap, exit_mmap's unmap_vmas) must take the
   * page-table lock: true if it may go on now; false if another CPU holds it across a flush
   * (reclaim, khugepaged), in which case the task waits (its actor is off until the holder
   * lets go) and the path step runs again.
   */
  takePtLock(cpu: number, mm: number): boolean {
    if (this.mmPtBusy[mm] === 0) {
      this.cpuPtWait[cpu] = NO_MM;
      return true;
    }
    this.cpuPtWait[cpu] = mm;
    if (this.tracer !== null) this.tracer.ev(cpu, 'spin_lock', `${this.mmName(mm)}'s page-table lock is held across a flush: wait`);
    return false;
  }

  /** Hold / release `mm`'s page-table lock across a flush (reclaim, khugepaged). */
  holdPtLock(mm: number): void {
    this.mmPtBusy[mm]! += 1;
  }

  releasePtLock(mm: number): void {
    if (--this.mmPtBusy[mm]! === 0) this.dirtyCpus = -1; // waiters may go on
  }

  /** Some CPU other than `cpu` is inside a multi-step IRQs-off region (an ABI v2 switch sequence). */
  otherIrqsOff(cpu: number): boolean {
    for (let c = 0; c < this.ncpu; c++) if (c !== cpu && this.cpuIrqsOff[c] !== 0) return true;
    return false;
  }

  /** A CPU enters a multi-step IRQs-off region: a stop_machine() waiting on another CPU must now wait for it. */
  irqsOff(cpu: number): void {
    this.setIrqsOff(cpu, 1);
  }

  /** A CPU's multi-step IRQs-off region ended: a stop_machine() waiting for it may go on. */
  irqsOn(cpu: number): void {
    this.setIrqsOff(cpu, 0);
  }

  /** Either way, a CPU waiting in stop_machine() for IRQs-off regions must look again. */
  private setIrqsOff(cpu: number, off: number): void {
    this.cpuIrqsOff[cpu] = off;
    for (let c = 0; c < this.ncpu; c++) if (this.cpuStopMachine[c] !== 0) this.dirtyCpus |= 1 << c;
  }

  /**
   * Set by the simulator for a run whose explorer enumerates the choices made inside steps
   * (Explorer.chooseInStep: an exhaustive search); null: they are drawn from k.rng, as in random and
   * PCT runs.
   */
  chooser: ((n: number) => number) | null = null;

  /**
   * An n-way choice made inside a step (which CPU the load balancer queues a preempted task
   * on, ...): drawn from the run's in-step PRNG, or, when the run's explorer enumerates
   * choices, the explorer's (every outcome 0..n-1 is then explored). With the PRNG it draws
   * even when n is 1, so that runs draw what they always drew.
   */
  choose(n: number): number {
    if (this.chooser === null) return this.rng.int(n);
    return n <= 1 ? 0 : this.chooser(n);
  }

  /**
   * True when the run's explorer enumerates the choices made inside steps (an exhaustive
   * search: choose() and chance() are explored, not drawn). A plugin whose behaviour depends on
   * elapsed time models it as a choice when this is true.
   */
  choicesExplored(): boolean {
    return this.chooser !== null;
  }

  /**
   * True with probability `p` from the run's in-step PRNG (k.rng); p <= 0 and p >= 1 draw
   * nothing. When the explorer enumerates choices, 0 < p < 1 is a 2-way choice (false, true).
   */
  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    if (this.chooser !== null) return this.chooser(2) === 1;
    return this.rng.nextU32() / 4294967296 < p;
  }

  /** An atomic RMW on mm->mm_count by `cpu`: counts the atomic and a line transfer if another CPU owned the line. */
  countAtomic(cpu: number, mm: number): void {
    this.smpMb(cpu); // a `lock`-prefixed RMW drains the store buffer (x86-TSO)
    this.cost[C_MM_COUNT_ATOMICS]! += 1;
    const e = this.eventBase(cpu);
    if (e >= 0) this.cost[e + EC_ATOMICS]! += 1;
    if (this.mmLineOwner[mm] !== cpu) {
      this.cost[C_MM_COUNT_LINE_TRANSFERS]! += 1;
      if (e >= 0) this.cost[e + EC_LINE_TRANSFERS]! += 1;
      this.mmLineOwner[mm] = cpu;
    }
  }

  /**
   * Invariants whose oracle is switched off for this cell (SimulatorOptions.disabledInvariants),
   * by id: a violation of one of them is not reported and the run goes on. For measuring what a
   * bug does past the oracle that would catch it first (e.g. an IRQs-on window's consequence
   * beyond the intermediate-state I13 check).
   */
  disabled: ReadonlySet<string> = new Set();

  /** Report a violation; the run stops after the current step. The first one wins. */
  violate(invariant: InvariantId, cpu: number, message: string): void {
    if (this.violation !== null || this.disabled.has(invariant)) return;
    this.violation = { invariant, name: INVARIANTS[invariant].name, cpu, step: this.step, message };
    if (this.tracer !== null) this.tracer.violation(cpu, invariant, message);
  }

  private violateAt(invariant: InvariantId, cpu: number, message: string, site: string, siteKind: UseSiteKind): void {
    if (this.violation !== null || this.disabled.has(invariant)) return;
    this.violation = { invariant, name: INVARIANTS[invariant].name, cpu, step: this.step, message, site, siteKind };
    if (this.tracer !== null) this.tracer.violation(cpu, invariant, message);
  }

  // ---- IPIs ---------------------------------------------------------------------------

  /**
   * Queue IPI function `fn(mm, arg)` on `target` (smp_call_function_single / _many). With
   * `wait`, `from` does not proceed until the target has run it (cpuWait). The target runs
   * it as an interrupt step whenever its IRQs are on and it is not a preempted vCPU.
   */
  sendIpi(from: number, target: number, fn: number, mm: number, arg: number, wait: boolean, reason: number): void {
    // smp_call_function_many() only targets cpu_online_mask: an offline CPU gets nothing.
    if (this.cpuOnline[target] === 0) return;
    // llist_add() of the csd is a cmpxchg (a locked RMW), and the x2APIC ICR write that sends
    // the IPI is preceded by weak_wrmsr_fence() (MFENCE; the WRMSR itself does not serialize):
    // everything the sender stored before is visible before the target can run the function.
    this.smpMb(from);
    const len = this.ipiLen[target]!;
    if (len >= IPI_QUEUE) throw new ModelError(`IPI queue of CPU${target} overflowed (${IPI_QUEUE} pending)`);
    const slot = target * IPI_QUEUE + ((this.ipiHead[target]! + len) % IPI_QUEUE);
    this.ipiFn[slot] = fn;
    this.ipiMm[slot] = mm;
    this.ipiArg[slot] = arg;
    this.ipiFrom[slot] = from;
    this.ipiWaitReason[slot] = (wait ? 256 : 0) | reason;
    this.ipiLen[target] = len + 1;
    this.dirtyCpus |= 1 << target;
    if (wait) this.cpuWait[from]! += 1;
    this.cost[reason === REASON_FLUSH ? C_IPI_SENT_FLUSH : reason === REASON_SHOOTDOWN ? C_IPI_SENT_SHOOTDOWN : C_IPI_SENT_ARCH]! += 1;
    const e = this.eventBase(from);
    if (e >= 0) this.cost[e + EC_IPIS]! += 1;
    if (this.tracer !== null) this.tracer.ipiSend(from, target, fn, mm);
  }

  /**
   * smp_call_function_many_cond() queues a csd on every target before it waits for any: between
   * beginIpiBatch and endIpiBatch the sender's task steps go on (an arch sequence queues one
   * target per step) although the IPIs it sent with wait=1 are not acknowledged yet.
   */
  beginIpiBatch(cpu: number): void {
    this.cpuIpiBatch[cpu] = 1;
  }

  endIpiBatch(cpu: number): void {
    this.cpuIpiBatch[cpu] = 0;
  }

  /**
   * on_each_cpu_mask(mask, fn, info, wait) from `from`: the local CPU (if in the mask) runs
   * fn right away with IRQs off; every other online CPU in the mask gets an IPI.
   */
  onEachCpuMask(from: number, mask: number, fn: number, mm: number, arg: number, wait: boolean, reason: number): void {
    for (let c = 0; c < this.ncpu; c++) {
      if ((mask & (1 << c)) === 0 || c === from || this.cpuOnline[c] === 0) continue;
      this.sendIpi(from, c, fn, mm, arg, wait, reason);
    }
    if ((mask & (1 << from)) !== 0) this.runIpiFn(from, fn, mm, arg, from);
  }

  /**
   * mmgrab_lazy_tlb(mm) / mmdrop_lazy_tlb(mm) for arch code that moves a lazy CPU itself (powerpc
   * exit_lazy_flush_tlb: `mmgrab_lazy_tlb(&init_mm); current->active_mm = &init_mm; ...
   * mmdrop_lazy_tlb(mm)`). They follow the scheme (REFCOUNT=y: mm_count atomics; else smp_mb).
   * Installed by the simulator.
   */
  mmgrabLazyTlb: (cpu: number, mm: number) => void = () => {
    throw new ModelError('mmgrabLazyTlb not installed');
  };
  mmdropLazyTlb: (cpu: number, mm: number) => void = () => {
    throw new ModelError('mmdropLazyTlb not installed');
  };

  // ---- what a scheme plugin may do (SchemeKernel) ----------------------------------------

  /** atomic_add(n, &mm->mm_count) (model/refs.ts incCount; n = 1: atomic_inc). Installed by the simulator. */
  schemeMmgrab: (cpu: number, mm: number, what: string, n?: number) => void = () => {
    throw new ModelError('schemeMmgrab not installed');
  };
  /** atomic_sub_and_test(n, &mm->mm_count), __mmdrop on reaching 0 (model/refs.ts decCount). Installed by the simulator. */
  schemeMmdrop: (cpu: number, mm: number, what: string, n?: number) => void = () => {
    throw new ModelError('schemeMmdrop not installed');
  };
  /** I7: every CPU lazy on `mm` is in `mask` (model/invariant-checks.ts checkMaskCoverage). Installed by the simulator. */
  checkMaskCoverage: (cpu: number, mm: number, mask: number) => void = () => {
    throw new ModelError('checkMaskCoverage not installed');
  };
  /** The arch's shoot_lazies_mask(mm) (mm_cpumask in mainline), called as the arch's hook. Installed by the simulator. */
  shootLaziesMask: (mm: number) => number = () => {
    throw new ModelError('shootLaziesMask not installed');
  };
  /** on_each_cpu_mask(mask, do_shoot_lazy_tlb, mm, wait=1) (kernel/fork.c cleanup_lazy_tlbs). Installed by the simulator. */
  shootLazies: (cpu: number, mask: number, mm: number) => void = () => {
    throw new ModelError('shootLazies not installed');
  };
  /**
   * The arch switched lazy `cpu` away from `mm` to init_mm by itself (x86 leave_mm and
   * flush_tlb_func's lazy branch, Xen's drop_mm_ref_this_cpu): the scheme's lazy_kick hook,
   * if it has one (Andy's series routes these through unlazy_mm_irqs_off()). Installed by the simulator.
   */
  lazyKick: (cpu: number, mm: number) => void = () => {
    throw new ModelError('lazyKick not installed');
  };
  /** on_each_cpu_mask(mask, do_check_lazy_tlb, mm, wait=1): WARN on a CPU still lazy on `mm`. Installed by the simulator. */
  checkLazies: (cpu: number, mask: number, mm: number) => void = () => {
    throw new ModelError('checkLazies not installed');
  };

  /** Number of lazy references the CPUs hold on `mm` (H_curr + H_prev + H_local, kernel-reference §1.6). */
  lazyHolders(mm: number): number {
    let n = 0;
    for (let c = 0; c < this.ncpu; c++) {
      const t = this.cpuCurr[c]!;
      if (this.taskMm[t] === NO_MM && this.taskActiveMm[t] === mm) n++;
      if (this.cpuPrevMm[c] === mm) n++;
      if (this.cpuLocalMm[c] === mm) n++;
    }
    return n;
  }

  /**
   * preemptible() as lockdep_assert_preemption_enabled() sees it for the code `cpu` runs now:
   * task context, IRQs on, and no spinlock held by it or by the caller of the __mmdrop it is in.
   */
  preemptible(cpu: number): boolean {
    if (this.inIrq || this.cpuIrqsOff[cpu] !== 0 || this.cpuPreemptCount[cpu] !== 0) return false;
    const base = cpu * FRAME_DEPTH;
    for (let i = this.cpuSp[cpu]! - 1; i >= 0; i--) if (this.frPath[base + i] === P_MMDROP_PATH && this.frB[base + i] !== 0) return false;
    return true;
  }

  /** I15: a check in the scheme's own kernel code failed (a WARN_ON, a lockdep assertion); `site` names the function. */
  schemeViolation(cpu: number, site: string, message: string): void {
    this.violate('I15', cpu, `${site}: ${message}`);
  }

  /** cpu_online_mask as a word. */
  onlineMask(): number {
    let m = 0;
    for (let c = 0; c < this.ncpu; c++) if (this.cpuOnline[c] !== 0) m |= 1 << c;
    return m;
  }

  /** smp_mb() in a lazy-mm helper (mmdrop_lazy_tlb under REFCOUNT=n): counted, and a full barrier. */
  lazyMb(cpu: number): void {
    this.cost[C_SMP_MB]! += 1;
    const e = this.eventBase(cpu);
    if (e >= 0) this.cost[e + EC_BARRIERS]! += 1;
    this.smpMb(cpu);
  }

  /** A scan read another CPU's per-CPU cache line. */
  countRemoteRead(cpu: number): void {
    this.cost[C_REMOTE_LINE_READS]! += 1;
    const e = this.eventBase(cpu);
    if (e >= 0) this.cost[e + EC_REMOTE_READS]! += 1;
  }

  /** A scheme's atomic RMW on a line other than mm_count: counted, and a full barrier. */
  countSchemeAtomic(cpu: number): void {
    this.cost[C_SCHEME_ATOMICS]! += 1;
    const e = this.eventBase(cpu);
    if (e >= 0) this.cost[e + EC_ATOMICS]! += 1;
    this.smpMb(cpu);
  }

  /**
   * Continue arch code after this step, once `cpu` is done waiting for the IPIs it sent with
   * wait=1: the core calls the arch's `arch_continue(k, cpu, fn, mm, arg)` as the CPU's next
   * task step, before the kernel path that called the hook goes on. For arch paths that
   * wait in the middle (powerpc radix__tlb_flush: exit_flush_lazy_tlbs, then __flush_all_mm).
   * Not from interrupt context.
   */
  archContinue(cpu: number, fn: number, mm: number, arg: number): void {
    if (this.inIrq) throw new Error('archContinue() called from interrupt context (handle_ipi)');
    if (this.arch.arch_continue === undefined) throw new Error('archContinue() needs the arch_continue hook');
    this.pushArch(cpu, fn, mm, arg);
  }

  /** Installed by the simulator (pushes a P_ARCH frame). */
  pushArch: (cpu: number, fn: number, mm: number, arg: number) => void = () => {
    throw new ModelError('pushArch not installed');
  };

  /** Installed by the simulator: runs an IPI function on `cpu` (core function or arch handle_ipi). */
  runIpiFn: (cpu: number, fn: number, mm: number, arg: number, from: number) => void = () => {
    throw new ModelError('runIpiFn not installed');
  };

  /**
   * clear_tasks_mm_cpumask(cpu) (kernel/cpu.c), for arch __cpu_disable() code (powerpc
   * cleanup_cpu_mmu_context, arm): clear `cpu` from mm_cpumask of every mm a live task
   * still uses (find_lock_task_mm). mms without users keep their bits.
   */
  clearTasksMmCpumask(cpu: number): void {
    const bit = ~(1 << cpu);
    for (let mm = 1; mm < this.nmm; mm++) {
      if (this.mmUsers[mm]! > 0 && this.mmStage[mm] === MM_LIVE) this.mmCpumask[mm]! &= bit;
    }
  }

  /** The first active CPU after `cpu` (cyclically), where work meant for an inactive CPU goes (balance_push). */
  activeCpu(cpu: number): number {
    if (this.cpuActive[cpu] !== 0) return cpu;
    for (let i = 1; i < this.ncpu; i++) {
      const c = (cpu + i) % this.ncpu;
      if (this.cpuActive[c] !== 0) return c;
    }
    throw new ModelError('no active CPU left');
  }

  /** Installed by the simulator: handle every IPI queued on `cpu` now (flush_smp_call_function_queue). */
  flushIpiQueue: (cpu: number) => void = () => {
    throw new ModelError('flushIpiQueue not installed');
  };

  countHypercall(): void {
    this.cost[C_HYPERCALLS]! += 1;
  }

  // ---- naming (traces and messages only) ------------------------------------------------

  mmName(mm: number): string {
    if (mm === NO_MM) return 'NULL';
    if (mm === INIT_MM) return 'init_mm';
    return `M${mm}@${this.mmAddr[mm]}`;
  }

  taskName(t: number): string {
    if (t === NO_TASK) return 'none';
    const kind = this.taskKind[t];
    if (kind === TASK_IDLE) return `swapper/${t}`;
    if (kind === TASK_KTHREAD) return `K${t}`;
    return `T${t}`;
  }

  /** The frame base index of the top kernel-path frame on `cpu` (requires cpuSp[cpu] > 0). */
  top(cpu: number): number {
    return cpu * FRAME_DEPTH + this.cpuSp[cpu]! - 1;
  }
}
