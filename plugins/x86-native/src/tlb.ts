/**
 * x86 lazy TLB / ASID / flush machinery, modelled on arch/x86/mm/tlb.c (the v6.16+ logic read
 * at CachyOS/linux 0ebd1b8055ed: on-demand INVLPGB global ASIDs, use_temporary_mm, the
 * flush_tlb_range freed_tables fix; with the v4.20–v6.13 mm_cpumask policy as an option) and
 * arch/x86/include/asm/tlbflush.h.
 *
 * Guest-visible state (what the kernel's code reads and writes):
 *   per CPU  cpu_tlbstate.{loaded_mm, loaded_mm_asid, next_asid, ctxs[TLB_NR_DYN_ASIDS]{ctx_id, tlb_gen},
 *            last_user_mm_spec} and cpu_tlbstate_shared.is_lazy;
 *   per mm   mm->context.{ctx_id, tlb_gen, next_trim_cpumask, global_asid, asid_transition} and
 *            mm_cpumask (core-owned array);
 *   global   poking_mm's ctx_id / tlb_gen (text_poke's temporary mm).
 *
 * Hardware state (what the oracles read; the kernel cannot see it):
 *   CR3 (cr3Mm: the mm whose pgd is loaded; it differs from loaded_mm while a switch is in
 *   progress: loaded_mm is LOADED_MM_SWITCHING or still prev), and per ASID slot the mm whose
 *   translations / paging-structure entries it may hold and the core unmap generation
 *   (`k.mmUnmapGen`) it is clean up to. Native code keeps the two in lock-step (a flush
 *   updates both); hypervisor flushes (KVM flush-on-entry, Hyper-V / Xen hypercalls) and
 *   INVLPGB broadcasts change only the hardware side, exactly as the real hardware does.
 *
 * Granularity (ABI v2): switch_mm_irqs_off and flush_tlb_mm_range are resumable sequences whose
 * steps are the accesses other CPUs can observe or race with (see switchStep / flushStep), in
 * the order of the cell's release (options.ts releaseLogic). Other CPUs read loaded_mm,
 * loaded_mm_asid and is_lazy from memory (the *Mem arrays; under tso the owner's stores reach
 * them when its store buffer drains); the owner reads its own view. tlb_gen is only changed by
 * locked RMWs (inc_mm_tlb_gen), mm_cpumask by atomics: neither is ever buffered.
 *
 * Everything is exported so that @lazytlb/arch-x86-paravirt composes it: the pv-op
 * `flush_tlb_multi` is replaceable ({@link X86PvOps}).
 */
import {
  FLUSH_FREED_TABLES,
  FLUSH_MM,
  INIT_MM,
  IPI_ARCH_BASE,
  NO_MM,
  NO_TASK,
  REASON_FLUSH,
  constants,
  costs,
  cpumaskWeight,
  type ArchHooks,
  type ArchKernel,
  type SharedArray,
  type SharedStateDoc,
} from '@lazytlb/core';
import type { X86MutationFlags } from './mutations.js';
import { cpumaskPolicy, releaseLogic, type X86NativeOptions, type X86ReleaseLogic } from './options.js';
import { SITE_CLEAR_PREV, SITE_FIX_PROCESSOR_CONTEXT, SITE_FLUSH_CLEAR, SITE_INITIALIZE_TLBSTATE, SITE_SWITCH_LDT } from './sites.js';

const { FLUSH_RANGE, SWITCH_ACTIVATE_MM } = constants;
const { C_I8_UNFENCED_READS, C_IBPB, C_IBPB_CHECKS, C_IBPB_SKIPPED_REUSE, C_TLB_FLUSH_LOCAL, C_TLB_FLUSH_REMOTE } = costs;

/** TLB_NR_DYN_ASIDS (arch/x86/include/asm/tlbflush.h). */
export const TLB_NR_DYN_ASIDS = 6;
/** loaded_mm_asid value standing for "the mm's global ASID" (INVLPGB, is_global_asid()). */
export const GLOBAL_ASID = TLB_NR_DYN_ASIDS;
/** init_mm.context.ctx_id (INIT_MM_CONTEXT); new mms get atomic64_inc_return(&last_mm_ctx_id). */
export const INIT_MM_CTX_ID = 1;
/** poking_mm's ctx_id: poking_init() allocates it at boot, before any user mm. */
export const POKING_MM_CTX_ID = 2;
/**
 * loaded_mm while text_poke runs on the poking mm (use_temporary_mm .. unuse_temporary_mm).
 * Only ever seen inside one step (IRQs off): not an mm of the core.
 */
export const POKING_MM = -2;
/** TLB_GENERATION_INVALID: a flush_tlb_info without a generation (arch_tlbbatch_flush). */
export const TLB_GENERATION_INVALID = 0;
/** LOADED_MM_SWITCHING ((struct mm_struct *)1): loaded_mm while switch_mm_irqs_off is changing CR3. */
export const LOADED_MM_SWITCHING = -3;

/** The x86 state other CPUs read (ArchPlugin.sharedState, ABI v2), in slot order. */
export const X86_SHARED_STATE: readonly SharedStateDoc[] = [
  {
    id: 'cpu_tlbstate.loaded_mm',
    scope: 'cpu',
    description:
      'read remotely by should_flush_tlb() (IPI filter, v6.14+), finish_asid_transition() and mm_active_cpus_exceeds() (INVLPGB), ' +
      "Xen's xen_drop_mm_ref(); LOADED_MM_SWITCHING while CR3 changes",
  },
  {
    id: 'cpu_tlbstate_shared.is_lazy',
    scope: 'cpu',
    description: "read remotely by should_flush_tlb() / tlb_is_not_lazy() and Hyper-V's flush hypercall filter",
  },
  { id: 'cpu_tlbstate.loaded_mm_asid', scope: 'cpu', description: 'read remotely by finish_asid_transition() (INVLPGB)' },
];
const SH_LOADED_MM = 0;
const SH_IS_LAZY = 1;
const SH_LOADED_ASID = 2;

/** switch_mm_irqs_off() steps (ArchHooks.resume pcs). */
const SW_B = 1; // cond_mitigation(); then the release's first shared access (SWITCHING store or the mask update)
const SW_MASK = 2; // v6.15+: mm_cpumask test-and-set, or (v6.18) smp_mb()
const SW_TLBGEN = 3; // atomic64_read(&next->context.tlb_gen); choose_new_asid()
const SW_SWITCHING = 4; // up to v6.14: loaded_mm = LOADED_MM_SWITCHING after choose_new_asid()
const SW_CR3 = 5; // load_new_mm_cr3() (serializing); loaded_mm = next; loaded_mm_asid
const SW_LAZY_MB = 6; // prev == next, was lazy: smp_mb(); tlb_gen compare
/** flush_tlb_mm_range() steps. */
const FL_DISPATCH = 1; // mm_cpumask read: broadcast / flush_tlb_multi / local; the local should_flush_tlb
const FL_CONSIDER = 2; // consider_global_asid(), after flush_tlb_multi() has returned (its IPIs acknowledged)
const FL_TARGET = 16; // + cpu: should_flush_tlb(cpu) read by the sender, and the csd enqueue

/** IPI function: flush_tlb_func(info). */
export const X86_IPI_FLUSH_TLB_FUNC = IPI_ARCH_BASE;
/** First IPI function number free for composing plugins (x86-paravirt's Xen drop_mm_ref_this_cpu). */
export const X86_IPI_NEXT = IPI_ARCH_BASE + 1;
/** arch_continue function: consider_global_asid(mm), after flush_tlb_multi() has returned. */
export const X86_CONT_CONSIDER_GLOBAL_ASID = 1;

/** struct flush_tlb_info, the parts that matter for lazy mms (mm NO_MM: a NULL info->mm). */
export interface FlushTlbInfo {
  mm: number;
  newTlbGen: number;
  freedTables: boolean;
  trimCpumask: boolean;
}

/** flush_tlb_info travels as the IPI's 32-bit arg: new_tlb_gen << 2 | trim_cpumask << 1 | freed_tables. */
export function encodeFlushInfo(info: FlushTlbInfo): number {
  return (info.newTlbGen << 2) | (info.trimCpumask ? 2 : 0) | (info.freedTables ? 1 : 0);
}
export function decodeFlushInfo(mm: number, arg: number): FlushTlbInfo {
  return { mm, newTlbGen: arg >>> 2, freedTables: (arg & 1) !== 0, trimCpumask: (arg & 2) !== 0 };
}

/** The replaceable paravirt operations. */
export interface X86PvOps {
  /**
   * pv_ops.mmu.flush_tlb_multi(cpumask, info): flush the CPUs of `cpumask` (mm_cpumask(mm),
   * possibly including the sending CPU, which runs flush_tlb_func locally when native).
   * Default: {@link X86Tlb.nativeFlushTlbMulti}.
   */
  flushTlbMulti?: (x: X86Tlb, k: ArchKernel, cpu: number, cpumask: number, info: FlushTlbInfo) => void;
  /** X86_FEATURE_PCID (Xen PV guests run without it: every CR3 load flushes, ASID 0 only). Default true. */
  pcid?: boolean;
}

export class X86Tlb {
  readonly opts: X86NativeOptions;
  /** What the cell's release does (options.ts). */
  readonly rel: X86ReleaseLogic;
  /** The mm_cpumask policy in effect (the option, else the release's). */
  readonly cpumask: 'lazy-trim' | 'clear-on-switch';
  /** Mutation x86-switching-window: should_flush_tlb() without fea4e317f9e7's SWITCHING check. */
  readonly noSwitchingCheck: boolean;
  /** Mutation x86-switch-no-smp-mb: no 83b0177a6c48 `else smp_mb()`. */
  readonly noMbWhenBitSet: boolean;
  /** flush_tlb_multi is native_flush_tlb_multi (its per-target steps are modelled); a pv op runs as one step. */
  private readonly nativeMulti: boolean;
  readonly pcid: boolean;
  /** Mutation x86-lazy-skip-freed-tables: flush_tlb_range() passes freed_tables = false (before 3ef938c35035). */
  readonly flushRangeNoFreedTables: boolean;
  /** INVLPGB with global ASIDs handed out by consider_global_asid() (mainline). */
  readonly onDemandGlobalAsid: boolean;
  private readonly flushTlbMultiOp: (x: X86Tlb, k: ArchKernel, cpu: number, cpumask: number, info: FlushTlbInfo) => void;

  // ---- per CPU (cpu_tlbstate / cpu_tlbstate_shared) ---------------------------------------
  /** The owner's view of loaded_mm / loaded_mm_asid / is_lazy; other CPUs read the *Mem arrays (X86_SHARED_STATE). */
  loadedMm = new Int32Array(0);
  loadedAsid = new Int32Array(0);
  isLazy = new Uint8Array(0);
  loadedMmMem: SharedArray = this.loadedMm;
  loadedAsidMem: SharedArray = this.loadedAsid;
  isLazyMem: SharedArray = this.isLazy;
  /** Hardware: the mm whose page tables CR3 points at (POKING_MM inside text_poke). */
  cr3Mm = new Int32Array(0);
  // switch_mm_irqs_off() in progress (its locals, per CPU: IRQs are off, so one at a time)
  swBusy = new Uint8Array(0);
  swNext = new Int32Array(0);
  swPrev = new Int32Array(0);
  swTask = new Int32Array(0);
  swAsid = new Int32Array(0);
  swFlush = new Uint8Array(0);
  swGen = new Float64Array(0);
  // flush_tlb_mm_range() in progress (its locals, per CPU; preemption is off, IPIs may come)
  flMask = new Int32Array(0);
  flGen = new Float64Array(0);
  flFreed = new Uint8Array(0);
  flTrim = new Uint8Array(0);
  nextAsid = new Int32Array(0);
  /** ctxs[cpu * TLB_NR_DYN_ASIDS + asid].ctx_id / .tlb_gen (guest bookkeeping). */
  ctxId = new Float64Array(0);
  ctxTlbGen = new Float64Array(0);
  /**
   * cpu_tlbstate.last_user_mm_spec: the last user mm cond_mitigation() saw on this CPU, by
   * identity (its address is k.mmAddr[id], kept after free_mm). NO_MM: LAST_USER_MM_INIT (a
   * NULL pointer with the IBPB bit). Never a reference: it outlives the mm freely.
   */
  lastUserMm = new Int32Array(0);
  /** Hardware: mm whose entries ASID slot may hold (NO_MM: empty or poking_mm), and the unmap generation it is clean up to. */
  slotMm = new Int32Array(0);
  slotClean = new Int32Array(0);

  // ---- per mm (mm->context) ------------------------------------------------------------
  // The scalars are one-element typed arrays so that reset() can declare them with the rest of
  // the per-run state (ArchPlugin.declaresState).
  /** [0]: last_mm_ctx_id, the never-reused ctx_id counter (f64, like ctx_id). */
  readonly lastCtxId = new Float64Array(1);
  mmCtxId = new Float64Array(0);
  mmTlbGen = new Float64Array(0);
  mmNextTrim = new Float64Array(0);
  /** mm->context.global_asid != 0 (the model does not number global ASIDs: a loaded one is GLOBAL_ASID). */
  mmGlobalAsid = new Uint8Array(0);
  /** mm->context.asid_transition. */
  mmAsidTransition = new Uint8Array(0);
  /** Hardware: unmap generation up to which every CPU's entries under the mm's global ASID are clean (INVLPGB broadcasts). */
  mmGlobalClean = new Int32Array(0);
  /** [0]: poking_mm->context.tlb_gen (text_poke flushes it after every poke). */
  readonly pokingTlbGen = new Float64Array(1);
  /**
   * Oracle bookkeeping, per CPU: the mm whose page tables the kernel path running there frees
   * after its last flush_tlb_mm_range() (FLUSH_FREED_TABLES), else NO_MM. A path's flush and its
   * free (the I2 check) run on the same CPU with no flush in between, so when the core checks
   * I2 on CPU k.cpu this says whether the pages being freed include page tables.
   */
  tablesFreeOn = new Int32Array(0);
  private readonly sendInfo: FlushTlbInfo = { mm: 0, newTlbGen: 0, freedTables: false, trimCpumask: false };
  private readonly recvInfo: FlushTlbInfo = { mm: 0, newTlbGen: 0, freedTables: false, trimCpumask: false };
  /** choose_new_asid()'s need_flush (returned through a field: the hot path allocates nothing). */
  private nsNeedFlush = false;

  constructor(opts: X86NativeOptions, pv: X86PvOps = {}, mutations: X86MutationFlags = {}) {
    this.opts = opts;
    this.rel = releaseLogic(opts.release);
    this.cpumask = cpumaskPolicy(opts);
    this.noSwitchingCheck = mutations.noSwitchingCheck ?? false;
    this.noMbWhenBitSet = mutations.noMbWhenBitSet ?? false;
    this.nativeMulti = pv.flushTlbMulti === undefined;
    this.pcid = pv.pcid ?? true;
    this.flushRangeNoFreedTables = (mutations.flushRangeNoFreedTables ?? false) || !this.rel.flushRangeFreedTables;
    this.onDemandGlobalAsid = opts.invlpgb && opts.globalAsid === 'on-demand';
    this.flushTlbMultiOp = pv.flushTlbMulti ?? ((x, k, cpu, mask, info) => x.nativeFlushTlbMulti(k, cpu, mask, info));
  }

  // ---- run setup ------------------------------------------------------------------------

  reset(k: ArchKernel): void {
    const n = k.ncpu;
    if (this.loadedMm.length < n) {
      this.loadedMm = new Int32Array(n);
      this.loadedAsid = new Int32Array(n);
      this.isLazy = new Uint8Array(n);
      this.cr3Mm = new Int32Array(n);
      this.swBusy = new Uint8Array(n);
      this.swNext = new Int32Array(n);
      this.swPrev = new Int32Array(n);
      this.swTask = new Int32Array(n);
      this.swAsid = new Int32Array(n);
      this.swFlush = new Uint8Array(n);
      this.swGen = new Float64Array(n);
      this.flMask = new Int32Array(n);
      this.flGen = new Float64Array(n);
      this.flFreed = new Uint8Array(n);
      this.flTrim = new Uint8Array(n);
      this.nextAsid = new Int32Array(n);
      this.lastUserMm = new Int32Array(n);
      this.tablesFreeOn = new Int32Array(n);
      this.ctxId = new Float64Array(n * TLB_NR_DYN_ASIDS);
      this.ctxTlbGen = new Float64Array(n * TLB_NR_DYN_ASIDS);
      this.slotMm = new Int32Array(n * TLB_NR_DYN_ASIDS);
      this.slotClean = new Int32Array(n * TLB_NR_DYN_ASIDS);
    }
    const m = k.mmCapacity;
    if (this.mmCtxId.length < m) {
      this.mmCtxId = new Float64Array(m);
      this.mmTlbGen = new Float64Array(m);
      this.mmNextTrim = new Float64Array(m);
      this.mmGlobalAsid = new Uint8Array(m);
      this.mmAsidTransition = new Uint8Array(m);
      this.mmGlobalClean = new Int32Array(m);
    }
    this.tablesFreeOn.fill(NO_MM);
    this.mmCtxId.fill(0);
    this.mmTlbGen.fill(0);
    this.mmNextTrim.fill(0);
    this.mmGlobalAsid.fill(0);
    this.mmAsidTransition.fill(0);
    this.mmGlobalClean.fill(0);
    this.mmCtxId[INIT_MM] = INIT_MM_CTX_ID;
    this.lastCtxId[0] = POKING_MM_CTX_ID; // init_mm = 1, poking_mm = 2 (poking_init), then user mms
    this.pokingTlbGen[0] = 0;
    // Boot: every CPU runs on init_mm in ASID 0 (x86 initialize_tlbstate_and_flush).
    this.loadedMm.fill(INIT_MM);
    this.cr3Mm.fill(INIT_MM);
    this.loadedAsid.fill(0);
    this.isLazy.fill(0);
    this.swBusy.fill(0);
    this.nextAsid.fill(1);
    this.lastUserMm.fill(NO_MM);
    this.ctxId.fill(0);
    this.ctxTlbGen.fill(0);
    this.slotMm.fill(NO_MM);
    this.slotClean.fill(0);
    for (let c = 0; c < n; c++) {
      const s = c * TLB_NR_DYN_ASIDS;
      this.ctxId[s] = INIT_MM_CTX_ID;
      this.slotMm[s] = INIT_MM;
    }
    this.loadedMmMem = k.declareShared(SH_LOADED_MM, X86_SHARED_STATE[SH_LOADED_MM]!.id, this.loadedMm);
    this.isLazyMem = k.declareShared(SH_IS_LAZY, X86_SHARED_STATE[SH_IS_LAZY]!.id, this.isLazy);
    this.loadedAsidMem = k.declareShared(SH_LOADED_ASID, X86_SHARED_STATE[SH_LOADED_ASID]!.id, this.loadedAsid);
    // All of the per-run state (ArchPlugin.declaresState): the owner's views of the three shared
    // slots (under tso the core hashes their memory copies, the *Mem arrays, itself), the
    // switch/flush locals, the ASID slots, mm->context, the two counters and the oracle's
    // tablesFreeOn. Not state: the options, sendInfo/recvInfo and nsNeedFlush (scratch within one
    // call). mmNextTrim is step-relative and is only written when choices are not explored (then
    // should_trim_cpumask() is a choice and it stays 0: see shouldTrimCpumask).
    k.declareState(
      this.loadedMm,
      this.loadedAsid,
      this.isLazy,
      this.cr3Mm,
      this.swBusy,
      this.swNext,
      this.swPrev,
      this.swTask,
      this.swAsid,
      this.swFlush,
      this.swGen,
      this.flMask,
      this.flGen,
      this.flFreed,
      this.flTrim,
      this.nextAsid,
      this.lastUserMm,
      this.tablesFreeOn,
      this.ctxId,
      this.ctxTlbGen,
      this.slotMm,
      this.slotClean,
      this.mmCtxId,
      this.mmTlbGen,
      this.mmNextTrim,
      this.mmGlobalAsid,
      this.mmAsidTransition,
      this.mmGlobalClean,
      this.lastCtxId,
      this.pokingTlbGen,
    );
  }

  /** this_cpu_write(cpu_tlbstate.loaded_mm / loaded_mm_asid) and cpu_tlbstate_shared.is_lazy: plain stores other CPUs read. */
  setLoadedMm(k: ArchKernel, cpu: number, mm: number): void {
    k.storeShared(cpu, SH_LOADED_MM, cpu, mm);
  }
  setLoadedAsid(k: ArchKernel, cpu: number, asid: number): void {
    k.storeShared(cpu, SH_LOADED_ASID, cpu, asid);
  }
  setLazy(k: ArchKernel, cpu: number, lazy: number): void {
    k.storeShared(cpu, SH_IS_LAZY, cpu, lazy);
  }

  /**
   * init_new_context(): ctx_id from a never-reused counter, tlb_gen = 0, next_trim_cpumask =
   * jiffies + HZ (jiffies = k.step; when choices are explored the trim interval is a choice and
   * next_trim_cpumask is not kept: see shouldTrimCpumask).
   */
  initNewContext(k: ArchKernel, mm: number): void {
    this.mmCtxId[mm] = ++this.lastCtxId[0]!;
    this.mmTlbGen[mm] = 0;
    this.mmNextTrim[mm] = k.choicesExplored() ? 0 : k.step + this.opts.trimIntervalSteps;
    // globalAsid 'every-mm' (hypothetical): a global ASID from the start, no transition. The
    // kernel hands them out on demand (consider_global_asid, below).
    this.mmGlobalAsid[mm] = this.opts.invlpgb && this.opts.globalAsid === 'every-mm' ? 1 : 0;
    this.mmAsidTransition[mm] = 0;
    this.mmGlobalClean[mm] = k.mmUnmapGen[mm]!;
  }

  /** destroy_context(): mm_free_global_asid(); ctx_id is never reused, so ASID slots need no cleanup. */
  destroyContext(_k: ArchKernel, mm: number): void {
    this.mmGlobalAsid[mm] = 0;
    this.mmAsidTransition[mm] = 0;
  }

  // ---- switch side ------------------------------------------------------------------------

  /**
   * choose_new_asid(next, next_tlb_gen): the ASID; need_flush in this.nsNeedFlush. Without
   * PCID: ASID 0 and a flush; a global ASID is always up to date; else the slot whose ctx_id
   * matches (flush iff behind), else round-robin next_asid.
   */
  chooseNewAsid(cpu: number, next: number, nextTlbGen: number): number {
    if (this.pcid && this.mmGlobalAsid[next] !== 0) {
      this.nsNeedFlush = false;
      return GLOBAL_ASID;
    }
    return this.chooseDynAsid(cpu, this.mmCtxId[next]!, nextTlbGen);
  }

  /** choose_new_asid()'s dynamic part, for any context (a core mm or poking_mm). */
  chooseDynAsid(cpu: number, ctxId: number, tlbGen: number): number {
    if (!this.pcid) {
      this.nsNeedFlush = true;
      return 0;
    }
    const base = cpu * TLB_NR_DYN_ASIDS;
    for (let asid = 0; asid < TLB_NR_DYN_ASIDS; asid++) {
      if (this.ctxId[base + asid] !== ctxId) continue;
      this.nsNeedFlush = this.ctxTlbGen[base + asid]! < tlbGen;
      return asid;
    }
    // We don't currently own an ASID slot on this CPU. Allocate a slot.
    let asid = this.nextAsid[cpu]!;
    this.nextAsid[cpu] = asid + 1;
    if (asid >= TLB_NR_DYN_ASIDS) {
      asid = 0;
      this.nextAsid[cpu] = 1;
    }
    this.nsNeedFlush = true;
    return asid;
  }

  /**
   * cond_mitigation(tsk) (arch/x86/mm/tlb.c), called on the `prev != next` path only. Models the
   * IBPB-on-every-switch-to-another-user-mm modes (spectre_v2_user=ibpb / always-on: IBPB iff
   * `(last_user_mm_spec & ~LAST_USER_MM_SPEC_MASK) != next->mm`). The conditional mode also
   * needs a TIF_SPEC_IB task flag the model does not have. Kernel threads (`!next->mm`) and
   * NULL tsk (leave_mm, flush_tlb_func, x86 activate_mm) return before reading or writing it.
   * Counters only: IBPBs issued, and IBPBs skipped because SLUB gave next->mm the address of
   * the last user mm (a different, freed mm: the reuse hole the kernel's comment accepts).
   */
  condMitigation(k: ArchKernel, cpu: number, task: number): void {
    if (task < 0) return;
    const next = k.taskMm[task]!;
    if (next === NO_MM) return;
    k.cost[C_IBPB_CHECKS]! += 1;
    const last = this.lastUserMm[cpu]!;
    if (last !== next) {
      // `(last_user_mm_spec & ~LAST_USER_MM_SPEC_MASK) != next->mm` compares addresses (k.ptrEq).
      if (k.ptrEq(last, next)) {
        k.cost[C_IBPB_SKIPPED_REUSE]! += 1;
        if (k.tracer !== null) {
          k.tracer.ev(cpu, 'cond_mitigation', `last_user_mm_spec ${k.mmName(last)} (freed) has ${k.mmName(next)}'s address: IBPB skipped`);
        }
      } else {
        k.cost[C_IBPB]! += 1;
      }
    }
    this.lastUserMm[cpu] = next;
  }

  /**
   * switch_mm_irqs_off(unused, next, tsk), run to completion in this step (interrupt context:
   * flush_tlb_func's switch to init_mm; leave_mm from idle and text_poke; the mm_needs_global_asid
   * reload). Keyed on cpu_tlbstate.loaded_mm, never on the core's `prev` (x86 ignores the
   * argument since 3d28ebceaffa). `task`: tsk (NO_TASK for NULL).
   */
  switchMmIrqsOff(k: ArchKernel, cpu: number, next: number, task: number): void {
    for (let pc = this.switchBegin(k, cpu, next, task); pc > 0; pc = this.switchStep(k, cpu, pc));
  }

  /**
   * The first step of switch_mm_irqs_off(): read loaded_mm / loaded_mm_asid / is_lazy (own),
   * `if (was_lazy) is_lazy = false` (a store should_flush_tlb reads). Returns the pc of the next
   * step (0: done). The steps follow the release's order (kernel-reference §12.1; options.ts):
   *   v6.13   [is_lazy] | cond_mitigation, clear prev bit + set next bit (atomics) | tlb_gen | SWITCHING | CR3, loaded_mm
   *   v6.14   [is_lazy] | cond_mitigation, set next bit if clear                    | tlb_gen | SWITCHING | CR3, loaded_mm
   *   v6.15   [is_lazy] | cond_mitigation, SWITCHING | set next bit if clear        | tlb_gen | CR3, loaded_mm
   *   v6.18   [is_lazy] | cond_mitigation, SWITCHING | set next bit if clear, else smp_mb() | tlb_gen | CR3, loaded_mm
   *   prev == next, was lazy: [is_lazy] | smp_mb(), tlb_gen, compare | [CR3 with flush]
   * Local-only work (cond_mitigation, choose_new_asid, the ctxs[] bookkeeping, switch_ldt) is
   * fused with the access before it: no other CPU can observe it.
   */
  switchBegin(k: ArchKernel, cpu: number, next: number, task: number): number {
    const prev = this.loadedMm[cpu]!;
    const prevAsid = this.loadedAsid[cpu]!;
    const wasLazy = this.isLazy[cpu] !== 0;
    this.swNext[cpu] = next;
    this.swPrev[cpu] = prev;
    this.swTask[cpu] = task;
    if (wasLazy) this.setLazy(k, cpu, 0);
    if (prev === next) {
      if (this.mmGlobalAsid[next] !== 0 && prevAsid !== GLOBAL_ASID && this.pcid) {
        // mm_needs_global_asid(next, prev_asid): the mm is transitioning to a global ASID.
        const gen = this.mmTlbGen[next]!;
        this.swGen[cpu] = gen;
        this.swAsid[cpu] = this.chooseNewAsid(cpu, next, gen);
        this.swFlush[cpu] = this.nsNeedFlush ? 1 : 0;
        if (k.tracer !== null)
          k.tracer.ev(cpu, 'switch_mm_irqs_off', `${k.mmName(next)} has a global ASID: reload with it${wasLazy ? ' (no longer lazy)' : ''}`);
        return this.busy(cpu, SW_CR3);
      }
      if (prevAsid === GLOBAL_ASID) return 0; // broadcast INVLPGB keeps it up to date
      if (!wasLazy) return 0; // thread -> thread of the same process
      return this.busy(cpu, SW_LAZY_MB);
    }
    if (wasLazy) return this.busy(cpu, SW_B);
    this.swBusy[cpu] = 1;
    return this.switchStep(k, cpu, SW_B);
  }

  private busy(cpu: number, pc: number): number {
    this.swBusy[cpu] = 1;
    return pc;
  }

  /** One later step of switch_mm_irqs_off() (see switchBegin); returns the next pc, 0 when done. */
  switchStep(k: ArchKernel, cpu: number, pc: number): number {
    const next = this.swNext[cpu]!;
    switch (pc) {
      case SW_B:
        this.condMitigation(k, cpu, this.swTask[cpu]!);
        if (this.rel.switchingFirst) {
          // "Indicate that CR3 is about to change" (be88a1dd6112: before the mask and tlb_gen).
          this.setLoadedMm(k, cpu, LOADED_MM_SWITCHING);
          if (k.tracer !== null) k.tracer.ev(cpu, 'switch_mm_irqs_off', `loaded_mm = LOADED_MM_SWITCHING (next ${k.mmName(next)})`);
          return SW_MASK;
        }
        return this.switchStep(k, cpu, SW_MASK);
      case SW_MASK: {
        // "Start receiving IPIs and then read tlb_gen"
        const bit = 1 << cpu;
        let what: string;
        if (this.cpumask === 'clear-on-switch') {
          // v4.20-v6.13: stop remote flushes for prev (an atomic clear), start them for next.
          this.clearPrevCpumask(k, cpu, this.swPrev[cpu]!);
          if (next !== INIT_MM) {
            k.mmCpumask[next]! |= bit;
            k.smpMb(cpu); // cpumask_set_cpu: lock bts
          }
          what = 'cpumask_clear_cpu(prev), cpumask_set_cpu(next)';
        } else if (next !== INIT_MM && (k.mmCpumask[next]! & bit) === 0) {
          k.mmCpumask[next]! |= bit;
          k.smpMb(cpu); // cpumask_set_cpu: lock bts, a full barrier
          what = 'cpumask_set_cpu (a full barrier)';
        } else if (this.rel.mbWhenBitSet && !this.noMbWhenBitSet) {
          k.smpMb(cpu); // 83b0177a6c48: else smp_mb()
          what = next === INIT_MM ? 'init_mm has none: smp_mb()' : 'bit already set: smp_mb()';
        } else {
          what = next === INIT_MM ? 'init_mm has none: no barrier' : 'bit already set: no barrier';
        }
        if (k.tracer !== null) k.tracer.ev(cpu, 'switch_mm_irqs_off', `mm_cpumask(${k.mmName(next)}): ${what}`);
        return SW_TLBGEN;
      }
      case SW_TLBGEN: {
        // I8 diagnostic: tlb_gen read while this CPU's LOADED_MM_SWITCHING / is_lazy store, which
        // should_flush_tlb() reads, is still buffered (83b0177a6c48's missing smp_mb()).
        if (k.sharedPending(cpu, SH_LOADED_MM, cpu) || k.sharedPending(cpu, SH_IS_LAZY, cpu)) k.cost[C_I8_UNFENCED_READS]! += 1;
        const gen = this.mmTlbGen[next]!; // atomic64_read(&next->context.tlb_gen)
        this.swGen[cpu] = gen;
        this.swAsid[cpu] = this.chooseNewAsid(cpu, next, gen);
        this.swFlush[cpu] = this.nsNeedFlush ? 1 : 0;
        if (k.tracer !== null) {
          k.tracer.ev(
            cpu,
            'switch_mm_irqs_off',
            `next_tlb_gen = ${gen} (read tlb_gen of ${k.mmName(next)}); choose_new_asid: ASID ${this.swAsid[cpu]}${this.nsNeedFlush ? ', need_flush' : ', no flush'}`,
          );
        }
        return this.rel.switchingFirst ? SW_CR3 : SW_SWITCHING;
      }
      case SW_SWITCHING:
        // up to v6.14: "Let nmi_uaccess_okay() know that we're changing CR3", after choose_new_asid.
        this.setLoadedMm(k, cpu, LOADED_MM_SWITCHING);
        if (k.tracer !== null) k.tracer.ev(cpu, 'switch_mm_irqs_off', `loaded_mm = LOADED_MM_SWITCHING (next ${k.mmName(next)})`);
        return SW_CR3;
      case SW_LAZY_MB: {
        // Was lazy: may have missed flushes. smp_mb() pairs with inc_mm_tlb_gen in flushers.
        k.smpMb(cpu);
        const gen = this.mmTlbGen[next]!;
        const prevAsid = this.loadedAsid[cpu]!;
        if (this.ctxTlbGen[cpu * TLB_NR_DYN_ASIDS + prevAsid] === gen) {
          this.swBusy[cpu] = 0;
          return 0;
        }
        this.swGen[cpu] = gen;
        this.swAsid[cpu] = prevAsid;
        this.swFlush[cpu] = 1;
        if (k.tracer !== null) k.tracer.ev(cpu, 'switch_mm_irqs_off', `was lazy on ${k.mmName(next)}: tlb_gen behind, flush ASID ${prevAsid}`);
        return SW_CR3;
      }
      case SW_CR3:
        this.reloadTlb(k, cpu);
        this.swBusy[cpu] = 0;
        return 0;
      default:
        throw new Error(`switch_mm_irqs_off: no step ${pc}`);
    }
  }

  /**
   * reload_tlb: load_new_mm_cr3(next->pgd, asid, need_flush) (a CR3 write: serializing, so the
   * store buffer drains), then loaded_mm = next and loaded_mm_asid (plain stores), switch_ldt.
   */
  private reloadTlb(k: ArchKernel, cpu: number): void {
    const next = this.swNext[cpu]!;
    const prev = this.swPrev[cpu]!;
    const asid = this.swAsid[cpu]!;
    if (asid !== GLOBAL_ASID) {
      const s = cpu * TLB_NR_DYN_ASIDS + asid;
      if (this.swFlush[cpu] !== 0) {
        this.ctxId[s] = this.mmCtxId[next]!;
        this.ctxTlbGen[s] = this.swGen[cpu]!;
        // The CR3 write with the flush bit empties the slot; it now holds next's entries only.
        this.slotMm[s] = next;
        this.slotClean[s] = k.mmUnmapGen[next]!;
      } else if (this.slotMm[s] !== next) {
        // ctx_id matched but the hardware slot belongs to another mm: impossible natively.
        this.slotMm[s] = next;
        this.slotClean[s] = -1;
      }
    }
    k.smpMb(cpu); // MOV to CR3 is serializing
    this.cr3Mm[cpu] = next;
    this.setLoadedMm(k, cpu, next);
    this.setLoadedAsid(k, cpu, asid);
    if (k.tracer !== null && this.swBusy[cpu] !== 0) {
      k.tracer.ev(
        cpu,
        'switch_mm_irqs_off',
        `load_new_mm_cr3(${k.mmName(next)}, ASID ${asid === GLOBAL_ASID ? 'global' : asid}${this.swFlush[cpu] !== 0 ? ', flush' : ''}); loaded_mm = ${k.mmName(next)}`,
      );
    }
    // if (next != prev) { cr4_update_pce_mm(next); switch_ldt(prev, next); }: prev->context.ldt
    if (prev !== next && prev > INIT_MM) k.useMm(cpu, prev, SITE_SWITCH_LDT);
  }

  /** v4.20-v6.13 (cpumask clear-on-switch): the prev != next path stops remote flushes for prev (a write into prev). */
  private clearPrevCpumask(k: ArchKernel, cpu: number, prev: number): void {
    if (this.cpumask !== 'clear-on-switch' || prev <= INIT_MM) return;
    k.useMm(cpu, prev, SITE_CLEAR_PREV);
    k.mmCpumask[prev]! &= ~(1 << cpu);
    k.smpMb(cpu); // cpumask_clear_cpu: lock btr
  }

  /** enter_lazy_tlb(): ignores its mm argument; no CR3 or cpumask change; is_lazy = true (a plain store). */
  enterLazyTlb(k: ArchKernel, cpu: number): void {
    if (this.loadedMm[cpu] === INIT_MM) return;
    this.setLazy(k, cpu, 1);
  }

  /** leave_mm(): a lazy CPU switches to init_mm (switch_mm(NULL, &init_mm, NULL); core active_mm unchanged). */
  leaveMm(k: ArchKernel, cpu: number): void {
    const loaded = this.loadedMm[cpu]!;
    if (loaded === INIT_MM) return;
    if (this.isLazy[cpu] === 0 && k.tracer !== null) k.tracer.ev(cpu, 'WARN_ON', `leave_mm: CPU${cpu} is not lazy on ${k.mmName(loaded)}`);
    if (k.tracer !== null) k.tracer.ev(cpu, 'leave_mm', `loaded_mm ${k.mmName(loaded)} -> init_mm`);
    this.switchMmIrqsOff(k, cpu, INIT_MM, NO_TASK);
    k.lazyKick(cpu, loaded); // a scheme may route the kick through the scheduler (Andy's unlazy_mm_irqs_off)
  }

  /**
   * Secondary CPU bring-up (cpu_init -> initialize_tlbstate_and_flush(), arch/x86/mm/tlb.c):
   * write_cr3(build_cr3(loaded_mm->pgd, 0)) with a flush, loaded_mm_asid = 0, next_asid = 1,
   * ctxs[0] = { loaded_mm's ctx_id, init_mm's tlb_gen }, ctxs[1..] ctx_id = 0 (any later use of
   * those slots flushes), last_user_mm_spec = LAST_USER_MM_INIT. The core has already done
   * mmgrab_lazy_tlb(&init_mm), idle->active_mm = &init_mm and enter_lazy_tlb(&init_mm). An
   * offlined CPU left for init_mm (sched_force_init_mm), so loaded_mm is init_mm here; the model
   * forces it (and is_lazy off) so a CPU that went down on a user mm comes back clean too.
   */
  cpuUp(k: ArchKernel, cpu: number): void {
    const base = cpu * TLB_NR_DYN_ASIDS;
    for (let a = 0; a < TLB_NR_DYN_ASIDS; a++) {
      this.ctxId[base + a] = 0;
      this.ctxTlbGen[base + a] = 0;
    }
    this.ctxId[base] = INIT_MM_CTX_ID;
    this.ctxTlbGen[base] = this.mmTlbGen[INIT_MM]!;
    // The CR3 write flushes ASID 0; the other slots keep whatever the hardware had, unusable
    // now that their ctx_id is 0 (tlb_may_hold looks at inactive slots only through ctx_id).
    this.slotMm[base] = INIT_MM;
    this.slotClean[base] = k.mmUnmapGen[INIT_MM]!;
    // Stores by the AP itself (start_secondary); its bring-up is full of serializing instructions.
    this.cr3Mm[cpu] = INIT_MM;
    this.setLoadedMm(k, cpu, INIT_MM);
    this.setLoadedAsid(k, cpu, 0);
    this.nextAsid[cpu] = 1;
    this.setLazy(k, cpu, 0);
    this.swBusy[cpu] = 0;
    k.smpMb(cpu);
    this.lastUserMm[cpu] = NO_MM;
    if (k.tracer !== null) k.tracer.ev(cpu, 'initialize_tlbstate_and_flush', `CPU${cpu}: loaded_mm = init_mm, ASID 0, ctxs[] reset`);
  }

  // ---- lazy exits and other users of the MMU state ------------------------------------------

  /**
   * cpuidle_enter_state() of a deep C-state (drivers/cpuidle/cpuidle.c): `if (target_state->flags
   * & CPUIDLE_FLAG_TLB_FLUSHED) leave_mm();` (intel_idle C3 and deeper, ACPI _CST C3+; never
   * acpi_idle / AMD's default idle: option idleTlbFlushed). The state itself loses the TLB
   * (that is what the flag says), so every ASID slot of the CPU is clean afterwards.
   */
  cpuIdleDeep(k: ArchKernel, cpu: number): void {
    if (!this.opts.idleTlbFlushed) return;
    this.leaveMm(k, cpu);
    this.hwFlushAll(k, cpu);
  }

  /**
   * text_poke() (and, from v6.16, EFI runtime calls: efi_enter_mm/efi_leave_mm):
   * use_temporary_mm(poking_mm) ... unuse_temporary_mm(prev_mm), IRQs off throughout, so the
   * model runs it as one step and nothing in the middle is observable by another CPU:
   *   if (is_lazy) leave_mm();  prev_mm = loaded_mm;  switch_mm_irqs_off(NULL, poking_mm, current);
   *   ... poke ...
   *   cpumask_clear_cpu(cpu, mm_cpumask(poking_mm));  switch_mm_irqs_off(NULL, prev_mm, current);
   *   flush_tlb_mm_range(poking_mm, ...)  (its mask is empty by now: only inc_mm_tlb_gen)
   * What remains visible: a lazy CPU is on init_mm and no longer lazy; poking_mm owns a dynamic
   * ASID slot on this CPU (possibly evicting another mm's), and a user task's return to its own
   * mm goes through choose_new_asid and cond_mitigation again.
   */
  useTemporaryMm(k: ArchKernel, cpu: number, task: number): void {
    if (this.isLazy[cpu] !== 0) this.leaveMm(k, cpu);
    const prevMm = this.loadedMm[cpu]!;
    // switch_mm_irqs_off(NULL, poking_mm, current): the prev != next path (leave_mm() above already
    // cleared is_lazy; the kernel writes it only when it was set)
    this.condMitigation(k, cpu, task);
    this.clearPrevCpumask(k, cpu, prevMm);
    const asid = this.chooseDynAsid(cpu, POKING_MM_CTX_ID, this.pokingTlbGen[0]!);
    const s = cpu * TLB_NR_DYN_ASIDS + asid;
    if (this.nsNeedFlush) {
      this.ctxId[s] = POKING_MM_CTX_ID;
      this.ctxTlbGen[s] = this.pokingTlbGen[0]!;
      this.slotMm[s] = NO_MM; // poking_mm's entries only: nothing of a core mm
      this.slotClean[s] = 0;
    }
    k.smpMb(cpu); // the CR3 write
    this.cr3Mm[cpu] = POKING_MM;
    this.setLoadedMm(k, cpu, POKING_MM);
    this.setLoadedAsid(k, cpu, asid);
    if (prevMm > INIT_MM) k.useMm(cpu, prevMm, SITE_SWITCH_LDT);
    if (k.tracer !== null) k.tracer.ev(cpu, 'use_temporary_mm', `poking_mm in ASID ${asid}, back to ${k.mmName(prevMm)}`);
    // unuse_temporary_mm(prev_mm): poking_mm's bit is cleared (private to the plugin), then back.
    this.switchMmIrqsOff(k, cpu, prevMm, task);
    this.pokingTlbGen[0]!++;
  }

  /**
   * A suspend/resume cycle on `cpu` by `task`: restore_processor_state() ->
   * __restore_processor_state() -> fix_processor_context(): load_TR_desc();
   * load_mm_ldt(current->active_mm); initialize_tlbstate_and_flush(). The CPU was powered down
   * (S3), so its TLB is empty when it resumes.
   */
  suspendResume(k: ArchKernel, cpu: number, task: number): void {
    const active = k.taskActiveMm[task]!;
    if (k.tracer !== null) k.tracer.ev(cpu, 'fix_processor_context', `load_mm_ldt(${k.mmName(active)}) (current->active_mm)`);
    if (active !== NO_MM) k.useMm(cpu, active, SITE_FIX_PROCESSOR_CONTEXT);
    const base = cpu * TLB_NR_DYN_ASIDS;
    for (let a = 0; a < TLB_NR_DYN_ASIDS; a++) this.slotMm[base + a] = NO_MM; // power lost: nothing cached
    this.initializeTlbstateAndFlush(k, cpu);
  }

  /**
   * initialize_tlbstate_and_flush() on a CPU that keeps its loaded_mm (resume): CR3 =
   * loaded_mm->pgd in ASID 0 with a flush, loaded_mm_asid = 0 (even for an mm with a global
   * ASID: mm_needs_global_asid() reloads it at the next switch_mm_irqs_off / flush_tlb_func),
   * next_asid = 1, ctxs[0] = { mm's ctx_id, init_mm's tlb_gen }, ctxs[1..].ctx_id = 0,
   * last_user_mm_spec = LAST_USER_MM_INIT. is_lazy is not touched.
   */
  initializeTlbstateAndFlush(k: ArchKernel, cpu: number): void {
    const mm = this.loadedMm[cpu]!;
    k.useMm(cpu, mm, SITE_INITIALIZE_TLBSTATE);
    const base = cpu * TLB_NR_DYN_ASIDS;
    for (let a = 1; a < TLB_NR_DYN_ASIDS; a++) this.ctxId[base + a] = 0;
    this.ctxId[base] = this.mmCtxId[mm]!;
    this.ctxTlbGen[base] = this.mmTlbGen[INIT_MM]!;
    this.slotMm[base] = mm;
    this.slotClean[base] = k.mmUnmapGen[mm]!;
    k.smpMb(cpu); // the CR3 write
    this.setLoadedAsid(k, cpu, 0);
    this.nextAsid[cpu] = 1;
    this.lastUserMm[cpu] = NO_MM;
    if (k.tracer !== null) k.tracer.ev(cpu, 'initialize_tlbstate_and_flush', `CR3 = ${k.mmName(mm)} in ASID 0 (flushed), ctxs[] reset`);
  }

  // ---- flush side ---------------------------------------------------------------------------

  /**
   * should_trim_cpumask(): at most once per simulated second (trimIntervalSteps steps) per mm:
   * `time_after(jiffies, READ_ONCE(mm->context.next_trim_cpumask))`, jiffies = k.step.
   *
   * When an exhaustive search explores the in-step choices (k.choicesExplored()), it is a 2-way
   * choice instead and next_trim_cpumask is not kept: the real time between two flushes of an mm
   * is unbounded (a task may sleep, a CPU may idle for any number of jiffies), so either answer
   * is possible at any flush. This over-approximates the kernel's timing (it also allows a trim
   * at two flushes less than HZ apart, which jiffies forbid); in exchange the search's states do
   * not depend on the step count.
   */
  shouldTrimCpumask(k: ArchKernel, mm: number): boolean {
    if (this.cpumask !== 'lazy-trim') return false; // added together with lazy clearing (v6.14)
    if (k.choicesExplored()) return k.choose(2) === 1;
    if (k.step > this.mmNextTrim[mm]!) {
      this.mmNextTrim[mm] = k.step + this.opts.trimIntervalSteps;
      return true;
    }
    return false;
  }

  /**
   * should_flush_tlb(cpu, info) (tlb_is_not_lazy() in v6.13), evaluated by the sender `from` for
   * each CPU of the mask: another CPU's loaded_mm and is_lazy come from memory (its buffered
   * stores are not visible yet), the sender's own from its view. v6.15+ (fea4e317f9e7) reads
   * loaded_mm, smp_rmb(), is_lazy, and IPIs a CPU that is switching.
   */
  shouldFlushTlb(from: number, cpu: number, info: FlushTlbInfo): boolean {
    const lazyArr = cpu === from ? this.isLazy : this.isLazyMem;
    const loaded = (cpu === from ? this.loadedMm : this.loadedMmMem)[cpu]!;
    if (lazyArr[cpu] !== 0) return false; // lazy: will flush at next switch
    if (!this.rel.loadedMmFilter) return true; // v6.13 tlb_is_not_lazy()
    if (info.mm === NO_MM) return true; // no mm: kernel memory flush (arch_tlbbatch_flush)
    if (loaded === LOADED_MM_SWITCHING && this.rel.flushSeesSwitching && !this.noSwitchingCheck) return true; // "Assume the worst and flush"
    if (loaded === info.mm) return true;
    if (info.trimCpumask) return true; // in the mask but not loaded: IPI so it clears its bit
    return false;
  }

  /**
   * flush_tlb_mm_range(mm, ..., freed_tables), run to completion (interrupt context; paravirt
   * callers that need it in one step).
   */
  flushTlbMmRange(k: ArchKernel, cpu: number, mm: number, freedTables: boolean): void {
    for (let pc = this.flushBegin(k, cpu, mm, freedTables); pc > 0; pc = this.flushStep(k, cpu, mm, pc)) {
      if (pc === FL_CONSIDER) {
        // consider_global_asid(mm) once flush_tlb_multi() has returned (its IPIs acknowledged)
        k.archContinue(cpu, X86_CONT_CONSIDER_GLOBAL_ASID, mm, 0);
        return;
      }
    }
  }

  /**
   * The first step of flush_tlb_mm_range(): inc_mm_tlb_gen(mm), a locked RMW ("also a barrier
   * that synchronizes with switch_mm()"). Returns the next pc. The steps:
   *   inc_mm_tlb_gen | read mm_cpumask: broadcast_tlb_flush (INVLPGB), or flush_tlb_multi, or the
   *   local flush_tlb_func | native, no tables freed: one step per other CPU of the mask
   *   (should_flush_tlb reads its loaded_mm / is_lazy, then its csd is queued), the last also
   *   running the local flush_tlb_func | (waiting for the IPIs) consider_global_asid.
   * A pv flush_tlb_multi (KVM, Hyper-V, Xen) and on_each_cpu_mask (tables freed, ASID
   * transition: no per-CPU reads) queue their IPIs in one step.
   */
  flushBegin(k: ArchKernel, cpu: number, mm: number, freedTables: boolean): number {
    const gen = ++this.mmTlbGen[mm]!;
    k.smpMb(cpu); // atomic64_inc_return: lock xadd
    this.flGen[cpu] = gen;
    this.flFreed[cpu] = freedTables ? 1 : 0;
    this.flTrim[cpu] = 0;
    return FL_DISPATCH;
  }

  /** The flush_tlb_info of the flush in progress on `cpu` (one scratch object: the hot path allocates nothing). */
  private flushInfo(cpu: number, mm: number): FlushTlbInfo {
    const info = this.sendInfo;
    info.mm = mm;
    info.newTlbGen = this.flGen[cpu]!;
    info.freedTables = this.flFreed[cpu] !== 0;
    info.trimCpumask = this.flTrim[cpu] !== 0;
    return info;
  }

  /** The next CPU of `mask` after `after`, other than `self`, or -1. */
  private nextTarget(k: ArchKernel, mask: number, self: number, after: number): number {
    for (let c = after + 1; c < k.ncpu; c++) if (c !== self && (mask & (1 << c)) !== 0 && k.cpuOnline[c] !== 0) return c;
    return -1;
  }

  /** One later step of flush_tlb_mm_range(mm) (see flushBegin); returns the next pc, 0 when done. */
  flushStep(k: ArchKernel, cpu: number, mm: number, pc: number): number {
    if (pc === FL_DISPATCH) {
      const mask = k.mmCpumask[mm]!;
      if (this.mmGlobalAsid[mm] !== 0) {
        this.broadcastTlbFlush(k, cpu, this.flushInfo(cpu, mm));
        return 0;
      }
      if ((mask & ~(1 << cpu)) !== 0) {
        const trim = this.shouldTrimCpumask(k, mm);
        this.flTrim[cpu] = trim ? 1 : 0;
        if (trim && k.tracer !== null) k.tracer.ev(cpu, 'should_trim_cpumask', `${k.mmName(mm)}: trim`);
        const info = this.flushInfo(cpu, mm);
        if (!this.nativeMulti || info.freedTables || this.mmAsidTransition[mm] !== 0) {
          this.flushTlbMultiOp(this, k, cpu, mask, info);
          return this.onDemandGlobalAsid ? FL_CONSIDER : 0;
        }
        // on_each_cpu_cond_mask(should_flush_tlb, ...): the local condition first, then each
        // other CPU of the mask snapshot (cfd->cpumask) in turn; the IPIs are waited for after.
        this.flMask[cpu] = (mask & (1 << cpu)) !== 0 && this.shouldFlushTlb(cpu, cpu, info) ? mask : mask & ~(1 << cpu);
        k.beginIpiBatch(cpu);
        const first = this.nextTarget(k, mask, cpu, -1);
        return first < 0 ? this.flushLocalAndWait(k, cpu, mm) : FL_TARGET + first;
      }
      if (this.loadedMm[cpu] === mm) {
        k.onEachCpuMask(cpu, 1 << cpu, X86_IPI_FLUSH_TLB_FUNC, mm, encodeFlushInfo(this.flushInfo(cpu, mm)), false, REASON_FLUSH);
      }
      return 0;
    }
    if (pc === FL_CONSIDER) {
      this.considerGlobalAsid(k, cpu, mm);
      return 0;
    }
    const target = pc - FL_TARGET;
    const info = this.flushInfo(cpu, mm);
    if (this.shouldFlushTlb(cpu, target, info)) {
      k.sendIpi(cpu, target, X86_IPI_FLUSH_TLB_FUNC, mm, encodeFlushInfo(info), true, REASON_FLUSH);
    } else if (k.tracer !== null) {
      k.tracer.ev(
        cpu,
        'should_flush_tlb',
        `CPU${target}: no (loaded_mm ${this.describeLoaded(k, this.loadedMmMem[target]!)}${this.isLazyMem[target] !== 0 ? ', lazy' : ''})`,
      );
    }
    const next = this.nextTarget(k, this.flMask[cpu]!, cpu, target);
    return next < 0 ? this.flushLocalAndWait(k, cpu, mm) : FL_TARGET + next;
  }

  /** smp_call_function_many_cond(): run_local (IRQs off), then wait for the queued IPIs. */
  private flushLocalAndWait(k: ArchKernel, cpu: number, mm: number): number {
    k.endIpiBatch(cpu);
    if ((this.flMask[cpu]! & (1 << cpu)) !== 0) {
      k.onEachCpuMask(cpu, 1 << cpu, X86_IPI_FLUSH_TLB_FUNC, mm, encodeFlushInfo(this.flushInfo(cpu, mm)), false, REASON_FLUSH);
    }
    return this.onDemandGlobalAsid ? FL_CONSIDER : 0;
  }

  private describeLoaded(k: ArchKernel, mm: number): string {
    return mm === LOADED_MM_SWITCHING ? 'LOADED_MM_SWITCHING' : mm === POKING_MM ? 'poking_mm' : k.mmName(mm);
  }

  /**
   * broadcast_tlb_flush(): INVLPGB for the mm's global PCID on every CPU (no IPIs; lazy CPUs
   * keep CR3 on the mm; freed_tables is not consulted), finish_asid_transition(), TLBSYNC.
   */
  broadcastTlbFlush(k: ArchKernel, cpu: number, info: FlushTlbInfo): void {
    this.mmGlobalClean[info.mm] = k.mmUnmapGen[info.mm]!;
    k.cost[C_TLB_FLUSH_REMOTE]! += 1;
    if (k.tracer !== null) k.tracer.ev(cpu, 'broadcast_tlb_flush', `INVLPGB ${k.mmName(info.mm)} (global ASID): no IPIs`);
    this.finishAsidTransition(k, cpu, info);
  }

  /**
   * finish_asid_transition(info): while asid_transition is set, any CPU in mm_cpumask that has
   * the mm loaded on another ASID gets the whole mask IPI'd (flush_tlb_multi, which during the
   * transition skips no CPU); once none does, the transition is over.
   */
  finishAsidTransition(k: ArchKernel, cpu: number, info: FlushTlbInfo): void {
    const mm = info.mm;
    if (this.mmAsidTransition[mm] === 0) return;
    const mask = k.mmCpumask[mm]!;
    for (let c = 0; c < k.ncpu; c++) {
      if ((mask & (1 << c)) === 0 || (c === cpu ? this.loadedMm : this.loadedMmMem)[c] !== mm) continue;
      if ((c === cpu ? this.loadedAsid : this.loadedAsidMem)[c] !== GLOBAL_ASID) {
        if (k.tracer !== null) k.tracer.ev(cpu, 'finish_asid_transition', `CPU${c} still runs ${k.mmName(mm)} on a dynamic ASID: flush_tlb_multi(mm_cpumask)`);
        this.flushTlbMultiOp(this, k, cpu, mask, info);
        return;
      }
    }
    this.mmAsidTransition[mm] = 0;
    if (k.tracer !== null) k.tracer.ev(cpu, 'finish_asid_transition', `${k.mmName(mm)}: every CPU running it is on the global ASID`);
  }

  /**
   * mm_active_cpus_exceeds(mm, threshold): more than `threshold` CPUs of mm_cpumask have the
   * mm loaded and are not lazy (after the cheap cpumask_weight() pre-check).
   */
  mmActiveCpusExceeds(k: ArchKernel, mm: number, threshold: number): boolean {
    const mask = k.mmCpumask[mm]!;
    if (cpumaskWeight(mask) <= threshold) return false;
    let count = 0;
    for (let c = 0; c < k.ncpu; c++) {
      const own = c === k.cpu; // the CPU reads its own newest stores
      if ((mask & (1 << c)) === 0 || (own ? this.loadedMm : this.loadedMmMem)[c] !== mm || (own ? this.isLazy : this.isLazyMem)[c] !== 0) continue;
      if (++count > threshold) return true;
    }
    return false;
  }

  /**
   * consider_global_asid(mm), after flush_tlb_multi() in flush_tlb_mm_range(): only when
   * `(current->pid & 0x1f) == (jiffies & 0x1f)` (pid = the model's task id, jiffies = k.step,
   * as for should_trim_cpumask) and mm_active_cpus_exceeds(mm, 3); then use_global_asid(mm):
   * mm_assign_global_asid() sets asid_transition and the global ASID (a fresh one: its TLB
   * entries are clean).
   *
   * When an exhaustive search explores the in-step choices (k.choicesExplored()), the 1-in-32
   * jiffies gate is a 2-way choice (assign a global ASID now, or not), taken after the
   * deterministic conditions so that it only branches when an assignment would happen: jiffies
   * at a given flush can be anything, so both outcomes are possible.
   */
  considerGlobalAsid(k: ArchKernel, cpu: number, mm: number): void {
    if (!this.onDemandGlobalAsid) return;
    if (k.choicesExplored()) {
      if (!this.mmActiveCpusExceeds(k, mm, 3) || this.mmGlobalAsid[mm] !== 0 || k.choose(2) !== 1) return;
      this.useGlobalAsid(k, cpu, mm);
      return;
    }
    const pid = k.cpuCurr[cpu]!;
    if ((pid & 0x1f) !== (k.step & 0x1f)) return;
    if (!this.mmActiveCpusExceeds(k, mm, 3)) return;
    if (this.mmGlobalAsid[mm] !== 0) return; // use_global_asid: already using broadcast invalidation
    this.useGlobalAsid(k, cpu, mm);
  }

  /** use_global_asid(mm) for an mm without one: mm_assign_global_asid(), asid_transition. */
  private useGlobalAsid(k: ArchKernel, cpu: number, mm: number): void {
    this.mmGlobalAsid[mm] = 1;
    this.mmAsidTransition[mm] = 1;
    this.mmGlobalClean[mm] = k.mmUnmapGen[mm]!;
    if (k.tracer !== null) k.tracer.ev(cpu, 'use_global_asid', `${k.mmName(mm)} gets a global ASID (asid_transition)`);
  }

  /**
   * native_flush_tlb_multi(): all of the mask (on_each_cpu_mask, wait) when tables were freed or
   * the mm is in its ASID transition, else on_each_cpu_cond_mask(should_flush_tlb), evaluated
   * by the sender at send time for every CPU of the mask, the sender included.
   */
  nativeFlushTlbMulti(k: ArchKernel, cpu: number, cpumask: number, info: FlushTlbInfo): void {
    let mask = cpumask;
    if (!info.freedTables && !(info.mm > INIT_MM && this.mmAsidTransition[info.mm] !== 0)) {
      mask = 0;
      for (let c = 0; c < k.ncpu; c++) if ((cpumask & (1 << c)) !== 0 && this.shouldFlushTlb(cpu, c, info)) mask |= 1 << c;
    }
    k.onEachCpuMask(cpu, mask, X86_IPI_FLUSH_TLB_FUNC, info.mm, encodeFlushInfo(info), true, REASON_FLUSH);
  }

  /** flush_tlb_func(info), IRQs off (IPI or local). */
  flushTlbFunc(k: ArchKernel, cpu: number, f: FlushTlbInfo): void {
    const loaded = this.loadedMm[cpu]!;
    if (f.mm !== NO_MM && f.mm !== loaded) {
      if (this.cpumask === 'lazy-trim') {
        // The CPU was left in the mm_cpumask of the target mm. Clear it.
        k.useMm(cpu, f.mm, SITE_FLUSH_CLEAR);
        if ((k.mmCpumask[f.mm]! & (1 << cpu)) !== 0 && k.tracer !== null) {
          k.tracer.ev(cpu, 'cpumask_clear_cpu', `CPU${cpu} leaves mm_cpumask(${k.mmName(f.mm)}) (loaded_mm ${k.mmName(loaded)})`);
        }
        k.mmCpumask[f.mm]! &= ~(1 << cpu);
        k.smpMb(cpu); // cpumask_clear_cpu: lock btr
      }
      return;
    }
    if (loaded === INIT_MM) return;
    let asid = this.loadedAsid[cpu]!;
    if (this.mmGlobalAsid[loaded] !== 0 && asid !== GLOBAL_ASID && this.pcid) {
      // mm_needs_global_asid(loaded_mm, loaded_mm_asid): reload with the global ASID. This
      // clears is_lazy, so a lazy CPU is not sent to init_mm below (it returns as global).
      this.switchMmIrqsOff(k, cpu, loaded, NO_TASK);
      asid = this.loadedAsid[cpu]!;
    }
    if (asid === GLOBAL_ASID) return;
    const remote = k.ipiSender >= 0 && k.ipiSender !== cpu;
    if (this.isLazy[cpu] !== 0) {
      // Lazy: switching to init_mm is barely slower than flushing the paging-structure cache.
      if (k.tracer !== null) k.tracer.ev(cpu, 'leave_mm', `flush_tlb_func: lazy on ${k.mmName(loaded)} -> switch_mm_irqs_off(init_mm)`);
      this.switchMmIrqsOff(k, cpu, INIT_MM, NO_TASK);
      k.cost[remote ? C_TLB_FLUSH_REMOTE : C_TLB_FLUSH_LOCAL]! += 1;
      k.lazyKick(cpu, loaded);
      return;
    }
    const s = cpu * TLB_NR_DYN_ASIDS + asid;
    const local = this.ctxTlbGen[s]!;
    if (f.newTlbGen !== TLB_GENERATION_INVALID && f.newTlbGen <= local) return; // already caught up
    const mmGen = this.mmTlbGen[loaded]!;
    if (mmGen === local) return;
    // Partial or full flush: either way every unmap up to mm_tlb_gen is now flushed here.
    this.ctxTlbGen[s] = mmGen;
    this.slotClean[s] = k.mmUnmapGen[loaded]!;
    k.cost[remote ? C_TLB_FLUSH_REMOTE : C_TLB_FLUSH_LOCAL]! += 1;
  }

  /**
   * try_to_unmap_flush() for a page of `mm`: arch_tlbbatch_add_pending() (inc_mm_tlb_gen(mm),
   * batch->cpumask |= mm_cpumask(mm), unmapped_pages = true), then arch_tlbbatch_flush(): with
   * INVLPGB invlpgb_flush_all_nonglobals() (every CPU's non-global entries, all PCIDs; no IPIs,
   * no guest bookkeeping); else flush_tlb_multi(batch mask, info{mm = NULL, freed_tables = 0,
   * TLB_GENERATION_INVALID}) when another CPU is in the mask (should_flush_tlb skips lazy CPUs,
   * the sender included), else the local flush_tlb_func if this CPU is in the mask.
   */
  tlbbatchFlush(k: ArchKernel, cpu: number, mm: number): void {
    this.tablesFreeOn[cpu] = NO_MM; // reclaim frees a page, no page table
    ++this.mmTlbGen[mm]!;
    k.smpMb(cpu); // inc_mm_tlb_gen: lock xadd
    const mask = k.mmCpumask[mm]!;
    if (this.opts.invlpgb) {
      for (let c = 0; c < k.ncpu; c++) this.hwFlushAll(k, c);
      for (let m = 1; m < k.nmm; m++) if (this.mmGlobalAsid[m] !== 0) this.mmGlobalClean[m] = k.mmUnmapGen[m]!;
      k.cost[C_TLB_FLUSH_REMOTE]! += 1;
      if (k.tracer !== null) k.tracer.ev(cpu, 'arch_tlbbatch_flush', 'invlpgb_flush_all_nonglobals(): no IPIs');
      return;
    }
    const info = this.sendInfo;
    info.mm = NO_MM;
    info.newTlbGen = TLB_GENERATION_INVALID;
    info.freedTables = false;
    info.trimCpumask = false;
    if ((mask & ~(1 << cpu)) !== 0) {
      this.flushTlbMultiOp(this, k, cpu, mask, info);
    } else if ((mask & (1 << cpu)) !== 0) {
      k.onEachCpuMask(cpu, 1 << cpu, X86_IPI_FLUSH_TLB_FUNC, NO_MM, encodeFlushInfo(info), false, REASON_FLUSH);
    }
  }

  // ---- hardware-only flushes (hypervisors, INVLPGB) ---------------------------------------------

  /** Every non-global entry of CPU `cpu` (KVM flush on entry, Xen MMUEXT_TLB_FLUSH_MULTI, invlpgb_flush_all_nonglobals). */
  hwFlushAll(k: ArchKernel, cpu: number): void {
    const base = cpu * TLB_NR_DYN_ASIDS;
    for (let a = 0; a < TLB_NR_DYN_ASIDS; a++) {
      const m = this.slotMm[base + a]!;
      if (m >= 0) this.slotClean[base + a] = k.mmUnmapGen[m]!;
    }
  }

  /** The hypervisor flushes vCPU `cpu`'s entries of address space `mm` (Hyper-V HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE). */
  hwFlushMm(k: ArchKernel, cpu: number, mm: number): void {
    const base = cpu * TLB_NR_DYN_ASIDS;
    for (let a = 0; a < TLB_NR_DYN_ASIDS; a++) if (this.slotMm[base + a] === mm) this.slotClean[base + a] = k.mmUnmapGen[mm]!;
  }

  // ---- oracles ----------------------------------------------------------------------------------

  /**
   * May `cpu` still USE translations or paging-structure entries of `mm` from before unmap
   * generation `gen`? Only through the ASID it has loaded: an inactive slot that is behind is
   * flushed when loaded again (choose_new_asid compares tlb_gen), so its staleness is not
   * usable unless the guest's tlb_gen says it is up to date while the hardware is not (and
   * never for an mm with a global ASID: choose_new_asid no longer returns its dynamic slots). A
   * lazy CPU runs no user code, so stale user-page entries are harmless to it (it catches up
   * at its next switch); stale paging-structure entries are not (speculative walks into a
   * freed table page, kernel-reference §7.8), so for a lazy CPU only table frees count.
   */
  tlbMayHold(k: ArchKernel, cpu: number, mm: number, gen: number): boolean {
    if (mm === INIT_MM) return false;
    // A CPU in the middle of switch_mm_irqs_off (IRQs off, kernel code only) uses no user entry,
    // and x86 frees page tables through RCU (MMU_GATHER_RCU_TABLE_FREE: tlb_remove_table ->
    // call_rcu, or tlb_remove_table_sync_one's IPI), which cannot complete while it has IRQs off:
    // it is not judged at the free; whether it flushes before it next uses the mm is (checkTlbUse).
    if (this.swBusy[cpu] !== 0) return false;
    const loaded = this.cr3Mm[cpu] === mm;
    const tablesOnly = loaded && this.isLazy[cpu] !== 0;
    if (tablesOnly && this.tablesFreeOn[k.cpu] !== mm) return false;
    const global = this.mmGlobalAsid[mm] !== 0;
    if (global && loaded && this.loadedAsid[cpu] === GLOBAL_ASID) return this.mmGlobalClean[mm]! < gen;
    const base = cpu * TLB_NR_DYN_ASIDS;
    for (let a = 0; a < TLB_NR_DYN_ASIDS; a++) {
      const s = base + a;
      if (this.slotMm[s] !== mm || this.slotClean[s]! >= gen) continue;
      if (loaded && this.loadedAsid[cpu] === a) return true;
      // Inactive: usable only if loading it would not flush (guest thinks it is up to date).
      if (!global && this.ctxId[s] === this.mmCtxId[mm] && this.ctxTlbGen[s]! >= this.mmTlbGen[mm]!) return true;
    }
    return false;
  }

  /** I13 (kernel-reference §4) for `cpu`. */
  check(k: ArchKernel, cpu: number): void {
    const loaded = this.loadedMm[cpu]!;
    if (this.isLazy[cpu] !== 0 && loaded === INIT_MM) {
      k.violate('I13', cpu, `x86: is_lazy on CPU${cpu} with loaded_mm == init_mm`);
      return;
    }
    // Between switches only: mid-switch, v6.13 has cleared prev's bit while loaded_mm still names prev.
    if (loaded > INIT_MM && this.swBusy[cpu] === 0 && (k.mmCpumask[loaded]! & (1 << cpu)) === 0) {
      k.violate('I13', cpu, `x86 I7: CPU${cpu} has loaded_mm ${k.mmName(loaded)} but is not in its mm_cpumask`);
      return;
    }
    if (k.cpuIrqsOff[cpu] !== 0 || k.cpuActivatePending[cpu] !== 0) return;
    const t = k.cpuCurr[cpu]!;
    const mm = k.taskMm[t]!;
    if (mm !== NO_MM) {
      if (loaded !== mm) k.violate('I13', cpu, `x86: ${k.taskName(t)} has mm ${k.mmName(mm)} but loaded_mm is ${k.mmName(loaded)}`);
      else if (this.isLazy[cpu] !== 0) k.violate('I13', cpu, `x86: ${k.taskName(t)} runs its own mm ${k.mmName(mm)} with is_lazy set`);
      return;
    }
    const active = k.taskActiveMm[t]!;
    if (active !== NO_MM && loaded !== active && loaded !== INIT_MM) {
      k.violate('I13', cpu, `x86: loaded_mm ${k.mmName(loaded)} differs from ${k.taskName(t)}'s active_mm ${k.mmName(active)} and is not init_mm`);
    }
  }

  describeCpu(k: ArchKernel, cpu: number): string {
    const a = this.loadedAsid[cpu]!;
    const loaded = this.loadedMm[cpu]!;
    const cr3 = this.cr3Mm[cpu]!;
    const sb = k.sb.len[cpu]! > 0 ? ` [store buffer: ${k.sb.describe(cpu)}]` : '';
    return `loaded_mm=${this.describeLoaded(k, loaded)}${cr3 !== loaded ? ` cr3=${this.describeLoaded(k, cr3)}` : ''} asid=${a === GLOBAL_ASID ? 'global' : a}${this.isLazy[cpu] !== 0 ? ' lazy' : ''}${sb}`;
  }

  // ---- hooks --------------------------------------------------------------------------------------

  /** The ArchHooks of native x86 (a paravirt plugin spreads and overrides some of them). */
  hooks(): ArchHooks {
    return {
      reset: (k) => this.reset(k),
      init_new_context: (k, _cpu, mm) => this.initNewContext(k, mm),
      destroy_context: (k, _cpu, mm) => this.destroyContext(k, mm),
      // x86 activate_mm(prev, next) is switch_mm_irqs_off(prev, next, NULL): no task, no cond_mitigation.
      switch_mm_irqs_off: (k, cpu, _prev, next, task) => this.switchBegin(k, cpu, next, k.switchCaller === SWITCH_ACTIVATE_MM ? NO_TASK : task),
      resume: (k, cpu, hook, pc, a) =>
        hook === 'switch_mm_irqs_off' ? this.switchStep(k, cpu, pc) : hook === 'flush_tlb_mm_range' ? this.flushStep(k, cpu, a, pc) : 0,
      enter_lazy_tlb: (k, cpu) => this.enterLazyTlb(k, cpu),
      flush_tlb_mm_range: (k, cpu, mm, flags) => {
        this.tablesFreeOn[cpu] = (flags & FLUSH_FREED_TABLES) !== 0 ? mm : NO_MM;
        // flush_tlb_range() (mremap, khugepaged): freed_tables = true since 3ef938c35035 (the
        // mutation restores false); flush_tlb_mm() is flush_tlb_mm_range(mm, 0, TLB_FLUSH_ALL,
        // 0, true); the mmu_gather flushes pass tlb->freed_tables.
        const freed = (flags & FLUSH_RANGE) !== 0 ? !this.flushRangeNoFreedTables : (flags & (FLUSH_FREED_TABLES | FLUSH_MM)) !== 0;
        return this.flushBegin(k, cpu, mm, freed);
      },
      handle_ipi: (k, cpu, fn, mm, arg) => {
        if (fn === X86_IPI_FLUSH_TLB_FUNC) {
          const info = this.recvInfo;
          info.mm = mm;
          info.newTlbGen = arg >>> 2;
          info.freedTables = (arg & 1) !== 0;
          info.trimCpumask = (arg & 2) !== 0;
          this.flushTlbFunc(k, cpu, info);
        }
      },
      arch_continue: (k, cpu, fn, mm) => {
        if (fn === X86_CONT_CONSIDER_GLOBAL_ASID) this.considerGlobalAsid(k, cpu, mm);
      },
      arch_exit_mmap: (k, cpu, mm) => {
        if (!this.opts.exitFlushSkipsEmptyMm && k.mmHasVmas[mm] === 0) {
          // Hypothetical hardening: an mm with no VMA left gets no final flush from exit_mmap,
          // so x86 flushes it here (flush_tlb_mm: freed_tables), kicking lazy CPUs to init_mm.
          if (k.tracer !== null) k.tracer.ev(cpu, 'arch_exit_mmap', `${k.mmName(mm)} has no VMA: flush_tlb_mm`);
          this.flushTlbMmRange(k, cpu, mm, true);
        }
      },
      shoot_lazies_mask: (k, mm) => k.mmCpumask[mm]!,
      // x86 __cpu_disable() leaves mm_cpumask alone (no cpu_disable hook); bring-up resets cpu_tlbstate.
      cpu_up: (k, cpu) => this.cpuUp(k, cpu),
      cpu_idle_deep: (k, cpu) => this.cpuIdleDeep(k, cpu),
      use_temporary_mm: (k, cpu, task) => this.useTemporaryMm(k, cpu, task),
      suspend_resume: (k, cpu, task) => this.suspendResume(k, cpu, task),
      tlbbatch_flush: (k, cpu, mm) => this.tlbbatchFlush(k, cpu, mm),
      hw_root: (_k, cpu) => this.cr3Mm[cpu]!,
      tlb_may_hold: (k, cpu, mm, gen) => this.tlbMayHold(k, cpu, mm, gen),
      check: (k, cpu) => this.check(k, cpu),
      describe_cpu: (k, cpu) => this.describeCpu(k, cpu),
      ipi_name: (fn) => (fn === X86_IPI_FLUSH_TLB_FUNC ? 'flush_tlb_func' : `ipi${fn}`),
    };
  }
}

/**
 * Build x86 hooks with replaceable pv-ops: `{ tlb, hooks }` (tlb exposes the state and the
 * native functions). `mutations`: the enabled x86 mutations, read once (see mutations.ts).
 */
export function createX86Hooks(options: X86NativeOptions, pv: X86PvOps = {}, mutations: X86MutationFlags = {}): { tlb: X86Tlb; hooks: ArchHooks } {
  const tlb = new X86Tlb(options, pv, mutations);
  return { tlb, hooks: tlb.hooks() };
}
