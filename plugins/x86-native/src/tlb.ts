/**
 * x86 lazy TLB / ASID / flush machinery, modelled on arch/x86/mm/tlb.c (≈v6.15, with the
 * v4.19–v6.13 mm_cpumask policy as an option) and arch/x86/include/asm/tlbflush.h.
 *
 * Guest-visible state (what the kernel's code reads and writes):
 *   per CPU  cpu_tlbstate.{loaded_mm, loaded_mm_asid, next_asid, ctxs[TLB_NR_DYN_ASIDS]{ctx_id, tlb_gen}}
 *            and cpu_tlbstate_shared.is_lazy;
 *   per mm   mm->context.{ctx_id, tlb_gen, next_trim_cpumask, global_asid} and mm_cpumask (core-owned array).
 *
 * Hardware state (what the oracles read; the kernel cannot see it):
 *   CR3 (== loaded_mm: memory is sequentially consistent in v1, so LOADED_MM_SWITCHING is
 *   never observable between steps and is not modelled), and per ASID slot the mm whose
 *   translations / paging-structure entries it may hold and the core unmap generation
 *   (`k.mmUnmapGen`) it is clean up to. Native code keeps the two in lock-step (a flush
 *   updates both); hypervisor flushes (KVM flush-on-entry, Hyper-V / Xen hypercalls) change
 *   only the hardware side, exactly as the real hypervisor does.
 *
 * Everything is exported so that @lazytlb/arch-x86-paravirt composes it: the pv-op
 * `flush_tlb_multi` is replaceable ({@link X86PvOps}).
 */
import {
  FLUSH_FREED_TABLES, FLUSH_MM, INIT_MM, IPI_ARCH_BASE, NO_MM, REASON_FLUSH, costs,
  type ArchHooks, type Kernel,
} from '@lazytlb/core';
import type { X86MutationFlags } from './mutations.js';
import type { X86NativeOptions } from './options.js';

/** TLB_NR_DYN_ASIDS (arch/x86/include/asm/tlbflush.h). */
export const TLB_NR_DYN_ASIDS = 6;
/** loaded_mm_asid value standing for "the mm's global ASID" (INVLPGB, is_global_asid()). */
export const GLOBAL_ASID = TLB_NR_DYN_ASIDS;
/** init_mm.context.ctx_id (INIT_MM_CONTEXT); new mms get atomic64_inc_return(&last_mm_ctx_id). */
export const INIT_MM_CTX_ID = 1;

/** IPI function: flush_tlb_func(info). */
export const X86_IPI_FLUSH_TLB_FUNC = IPI_ARCH_BASE;
/** First IPI function number free for composing plugins (x86-paravirt's Xen drop_mm_ref_this_cpu). */
export const X86_IPI_NEXT = IPI_ARCH_BASE + 1;

/** struct flush_tlb_info, the parts that matter for lazy mms. */
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
  flushTlbMulti?: (x: X86Tlb, k: Kernel, cpu: number, cpumask: number, info: FlushTlbInfo) => void;
  /** X86_FEATURE_PCID (Xen PV guests run without it: every CR3 load flushes, ASID 0 only). Default true. */
  pcid?: boolean;
}

export class X86Tlb {
  readonly opts: X86NativeOptions;
  readonly pcid: boolean;
  /** Mutation x86-lazy-skip-freed-tables: native_flush_tlb_multi ignores freed_tables (pre-2ff6ddf19c0e). */
  readonly lazySkipFreedTables: boolean;
  private readonly flushTlbMultiOp: (x: X86Tlb, k: Kernel, cpu: number, cpumask: number, info: FlushTlbInfo) => void;

  // ---- per CPU (cpu_tlbstate / cpu_tlbstate_shared) ---------------------------------------
  loadedMm = new Int32Array(0);
  loadedAsid = new Int32Array(0);
  isLazy = new Uint8Array(0);
  nextAsid = new Int32Array(0);
  /** ctxs[cpu * TLB_NR_DYN_ASIDS + asid].ctx_id / .tlb_gen (guest bookkeeping). */
  ctxId = new Float64Array(0);
  ctxTlbGen = new Float64Array(0);
  /** Hardware: mm whose entries ASID slot may hold (NO_MM: empty), and the unmap generation it is clean up to. */
  slotMm = new Int32Array(0);
  slotClean = new Int32Array(0);

  // ---- per mm (mm->context) ------------------------------------------------------------
  lastCtxId = INIT_MM_CTX_ID;
  mmCtxId = new Float64Array(0);
  mmTlbGen = new Float64Array(0);
  mmNextTrim = new Float64Array(0);
  mmGlobalAsid = new Uint8Array(0);
  /** Hardware: unmap generation up to which every CPU's entries under the mm's global ASID are clean (INVLPGB broadcasts). */
  mmGlobalClean = new Int32Array(0);
  /** Oracle bookkeeping: did the unmap of generation g free page tables? bit at mm * genStride + g. */
  private tablesFreed = new Uint8Array(0);
  private readonly sendInfo: FlushTlbInfo = { mm: 0, newTlbGen: 0, freedTables: false, trimCpumask: false };
  private readonly recvInfo: FlushTlbInfo = { mm: 0, newTlbGen: 0, freedTables: false, trimCpumask: false };
  private genStride = 64;

  constructor(opts: X86NativeOptions, pv: X86PvOps = {}, mutations: X86MutationFlags = {}) {
    this.opts = opts;
    this.pcid = pv.pcid ?? true;
    this.lazySkipFreedTables = mutations.lazySkipFreedTables ?? false;
    this.flushTlbMultiOp = pv.flushTlbMulti ?? ((x, k, cpu, mask, info) => x.nativeFlushTlbMulti(k, cpu, mask, info));
  }

  // ---- run setup ------------------------------------------------------------------------

  reset(k: Kernel): void {
    const n = k.ncpu;
    if (this.loadedMm.length < n) {
      this.loadedMm = new Int32Array(n);
      this.loadedAsid = new Int32Array(n);
      this.isLazy = new Uint8Array(n);
      this.nextAsid = new Int32Array(n);
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
      this.mmGlobalClean = new Int32Array(m);
      this.tablesFreed = new Uint8Array(m * this.genStride);
    }
    this.tablesFreed.fill(0);
    this.mmCtxId.fill(0);
    this.mmTlbGen.fill(0);
    this.mmNextTrim.fill(0);
    this.mmGlobalAsid.fill(0);
    this.mmGlobalClean.fill(0);
    this.mmCtxId[INIT_MM] = INIT_MM_CTX_ID;
    this.lastCtxId = INIT_MM_CTX_ID;
    // Boot: every CPU runs on init_mm in ASID 0 (x86 initialize_tlbstate_and_flush).
    this.loadedMm.fill(INIT_MM);
    this.loadedAsid.fill(0);
    this.isLazy.fill(0);
    this.nextAsid.fill(1);
    this.ctxId.fill(0);
    this.ctxTlbGen.fill(0);
    this.slotMm.fill(NO_MM);
    this.slotClean.fill(0);
    for (let c = 0; c < n; c++) {
      const s = c * TLB_NR_DYN_ASIDS;
      this.ctxId[s] = INIT_MM_CTX_ID;
      this.slotMm[s] = INIT_MM;
    }
  }

  /** init_new_context(): ctx_id from a never-reused counter, tlb_gen = 0, next_trim_cpumask = jiffies + HZ. */
  initNewContext(k: Kernel, mm: number): void {
    this.mmCtxId[mm] = ++this.lastCtxId;
    this.mmTlbGen[mm] = 0;
    this.mmNextTrim[mm] = k.step + this.opts.trimIntervalSteps;
    // INVLPGB: the kernel hands out global ASIDs on demand (consider_global_asid, for mms
    // active on several CPUs); the model gives one to every user mm from the start.
    this.mmGlobalAsid[mm] = this.opts.invlpgb ? 1 : 0;
    this.mmGlobalClean[mm] = k.mmUnmapGen[mm]!;
  }

  /** destroy_context(): mm_free_global_asid(); ctx_id is never reused, so ASID slots need no cleanup. */
  destroyContext(_k: Kernel, mm: number): void {
    this.mmGlobalAsid[mm] = 0;
  }

  // ---- switch side ------------------------------------------------------------------------

  /** choose_new_asid(next, next_tlb_gen) -> [asid, need_flush]. */
  chooseNewAsid(cpu: number, next: number, nextTlbGen: number): [number, boolean] {
    if (!this.pcid) return [0, true];
    if (this.mmGlobalAsid[next] !== 0) return [GLOBAL_ASID, false]; // global ASIDs are always up to date
    const base = cpu * TLB_NR_DYN_ASIDS;
    const id = this.mmCtxId[next]!;
    for (let asid = 0; asid < TLB_NR_DYN_ASIDS; asid++) {
      if (this.ctxId[base + asid] !== id) continue;
      return [asid, this.ctxTlbGen[base + asid]! < nextTlbGen];
    }
    // We don't currently own an ASID slot on this CPU. Allocate a slot.
    let asid = this.nextAsid[cpu]!;
    this.nextAsid[cpu] = asid + 1;
    if (asid >= TLB_NR_DYN_ASIDS) {
      asid = 0;
      this.nextAsid[cpu] = 1;
    }
    return [asid, true];
  }

  /**
   * switch_mm_irqs_off(unused, next, tsk): keyed on cpu_tlbstate.loaded_mm, never on the
   * core's `prev` (x86 ignores the argument since 3d28ebceaffa).
   */
  switchMmIrqsOff(k: Kernel, cpu: number, next: number): void {
    const prev = this.loadedMm[cpu]!;
    const prevAsid = this.loadedAsid[cpu]!;
    const wasLazy = this.isLazy[cpu] !== 0;
    if (wasLazy) this.isLazy[cpu] = 0;
    let asid: number;
    let needFlush: boolean;
    let nextTlbGen: number;
    if (prev === next) {
      if (prevAsid === GLOBAL_ASID) return; // broadcast INVLPGB keeps it up to date
      if (!wasLazy) return; // thread -> thread of the same process
      // Was lazy: may have missed flushes (smp_mb(); pairs with inc_mm_tlb_gen).
      nextTlbGen = this.mmTlbGen[next]!;
      if (this.ctxTlbGen[cpu * TLB_NR_DYN_ASIDS + prevAsid] === nextTlbGen) return;
      asid = prevAsid;
      needFlush = true;
      if (k.tracer !== null) k.tracer.ev(cpu, 'switch_mm_irqs_off', `was lazy on ${k.mmName(next)}: tlb_gen behind, flush ASID ${asid}`);
    } else {
      // cond_mitigation(tsk) (IBPB on mm pointers) is not modelled.
      const bit = 1 << cpu;
      if (this.opts.cpumask === 'clear-on-switch' && prev !== INIT_MM) {
        // v4.19-v6.13: stop remote flushes for prev.
        k.deref(cpu, prev, 'cpumask_clear_cpu(cpu, mm_cpumask(prev))');
        k.mmCpumask[prev]! &= ~bit;
      }
      if (next !== INIT_MM && (k.mmCpumask[next]! & bit) === 0) k.mmCpumask[next]! |= bit; // start receiving IPIs, then read tlb_gen
      nextTlbGen = this.mmTlbGen[next]!;
      [asid, needFlush] = this.chooseNewAsid(cpu, next, nextTlbGen);
    }
    // reload_tlb: load_new_mm_cr3(next->pgd, asid, need_flush)
    if (asid !== GLOBAL_ASID) {
      const s = cpu * TLB_NR_DYN_ASIDS + asid;
      if (needFlush) {
        this.ctxId[s] = this.mmCtxId[next]!;
        this.ctxTlbGen[s] = nextTlbGen;
        // The CR3 write with the flush bit empties the slot; it now holds next's entries only.
        this.slotMm[s] = next;
        this.slotClean[s] = k.mmUnmapGen[next]!;
      } else if (this.slotMm[s] !== next) {
        // ctx_id matched but the hardware slot belongs to another mm: impossible natively.
        this.slotMm[s] = next;
        this.slotClean[s] = -1;
      }
    }
    this.loadedMm[cpu] = next;
    this.loadedAsid[cpu] = asid;
  }

  /** enter_lazy_tlb(): ignores its mm argument; no CR3 or cpumask change. */
  enterLazyTlb(cpu: number): void {
    if (this.loadedMm[cpu] === INIT_MM) return;
    this.isLazy[cpu] = 1;
  }

  /** leave_mm(): a lazy CPU switches to init_mm (core active_mm unchanged). */
  leaveMm(k: Kernel, cpu: number): void {
    const loaded = this.loadedMm[cpu]!;
    if (loaded === INIT_MM) return;
    if (this.isLazy[cpu] === 0 && k.tracer !== null) k.tracer.ev(cpu, 'WARN_ON', `leave_mm: CPU${cpu} is not lazy on ${k.mmName(loaded)}`);
    if (k.tracer !== null) k.tracer.ev(cpu, 'leave_mm', `loaded_mm ${k.mmName(loaded)} -> init_mm`);
    this.switchMmIrqsOff(k, cpu, INIT_MM);
  }

  /**
   * Secondary CPU bring-up (cpu_init -> initialize_tlbstate_and_flush(), arch/x86/mm/tlb.c):
   * write_cr3(build_cr3(loaded_mm->pgd, 0)) with a flush, loaded_mm_asid = 0, next_asid = 1,
   * ctxs[0] = { loaded_mm's ctx_id, its tlb_gen }, ctxs[1..] ctx_id = 0 (any later use of those
   * slots flushes). The core has already done mmgrab_lazy_tlb(&init_mm), idle->active_mm =
   * &init_mm and enter_lazy_tlb(&init_mm) (the kernel calls enter_lazy_tlb right after this
   * function; with loaded_mm == init_mm it is a no-op, so the order does not matter). An
   * offlined CPU left for init_mm in idle_task_exit(), so loaded_mm is init_mm here; the model
   * forces it (and is_lazy off) so a CPU that went down on a user mm comes back clean too.
   */
  cpuUp(k: Kernel, cpu: number): void {
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
    this.loadedMm[cpu] = INIT_MM;
    this.loadedAsid[cpu] = 0;
    this.nextAsid[cpu] = 1;
    this.isLazy[cpu] = 0;
    if (k.tracer !== null) k.tracer.ev(cpu, 'initialize_tlbstate_and_flush', `CPU${cpu}: loaded_mm = init_mm, ASID 0, ctxs[] reset`);
  }

  // ---- flush side ---------------------------------------------------------------------------

  /** should_trim_cpumask(): at most once per simulated second (trimIntervalSteps steps) per mm. */
  shouldTrimCpumask(k: Kernel, mm: number): boolean {
    if (this.opts.cpumask !== 'lazy-trim') return false; // added together with lazy clearing (v6.14)
    if (k.step > this.mmNextTrim[mm]!) {
      this.mmNextTrim[mm] = k.step + this.opts.trimIntervalSteps;
      return true;
    }
    return false;
  }

  /** should_flush_tlb(cpu, info), evaluated by the sender at send time. */
  shouldFlushTlb(cpu: number, info: FlushTlbInfo): boolean {
    if (this.isLazy[cpu] !== 0) return false; // lazy: will flush at next switch
    if (this.loadedMm[cpu] === info.mm) return true;
    if (info.trimCpumask) return true; // in the mask but not loaded: IPI so it clears its bit
    return false;
  }

  /**
   * flush_tlb_mm_range(mm, ..., freed_tables): inc_mm_tlb_gen, then a broadcast (global
   * ASID), flush_tlb_multi (other CPUs in mm_cpumask), or the local flush_tlb_func.
   */
  flushTlbMmRange(k: Kernel, cpu: number, mm: number, freedTables: boolean): void {
    const newTlbGen = ++this.mmTlbGen[mm]!;
    // One scratch flush_tlb_info per direction (the hot path allocates nothing): a flush never
    // starts another flush before it has been handed to onEachCpuMask.
    const info = this.sendInfo;
    info.mm = mm;
    info.newTlbGen = newTlbGen;
    info.freedTables = freedTables;
    info.trimCpumask = false;
    const mask = k.mmCpumask[mm]!;
    if (this.mmGlobalAsid[mm] !== 0) {
      // broadcast_tlb_flush(): INVLPGB + TLBSYNC. No IPIs; lazy CPUs keep CR3 on the mm.
      this.mmGlobalClean[mm] = k.mmUnmapGen[mm]!;
      k.cost[costs.C_TLB_FLUSH_REMOTE]! += 1;
      if (k.tracer !== null) k.tracer.ev(cpu, 'broadcast_tlb_flush', `INVLPGB ${k.mmName(mm)} (global ASID): no IPIs`);
    } else if ((mask & ~(1 << cpu)) !== 0) {
      info.trimCpumask = this.shouldTrimCpumask(k, mm);
      if (info.trimCpumask && k.tracer !== null) k.tracer.ev(cpu, 'should_trim_cpumask', `${k.mmName(mm)}: trim`);
      this.flushTlbMultiOp(this, k, cpu, mask, info);
    } else if (this.loadedMm[cpu] === mm) {
      k.onEachCpuMask(cpu, 1 << cpu, X86_IPI_FLUSH_TLB_FUNC, mm, encodeFlushInfo(info), false, REASON_FLUSH);
    }
  }

  /**
   * native_flush_tlb_multi(): all of the mask when tables were freed, else
   * on_each_cpu_cond_mask(should_flush_tlb). Mutation x86-lazy-skip-freed-tables restores the
   * ac0315896970-era code that filtered every flush through should_flush_tlb (lazy CPUs skipped
   * even when page tables are freed; fixed by 2ff6ddf19c0e).
   */
  nativeFlushTlbMulti(k: Kernel, cpu: number, cpumask: number, info: FlushTlbInfo): void {
    let mask = cpumask;
    if (!info.freedTables) {
      mask = 0;
      for (let c = 0; c < k.ncpu; c++) if ((cpumask & (1 << c)) !== 0 && this.shouldFlushTlb(c, info)) mask |= 1 << c;
    } else if (this.lazySkipFreedTables) {
      // 2018: flush_tlb_mm_range() flushed the local CPU itself (flush_tlb_func_local: a lazy
      // CPU leaves for init_mm) and flush_tlb_others() IPI'd only the remote CPUs that were
      // not lazy (tlb_is_not_lazy), whatever the flush freed.
      mask = cpumask & (1 << cpu);
      for (let c = 0; c < k.ncpu; c++) if (c !== cpu && (cpumask & (1 << c)) !== 0 && this.shouldFlushTlb(c, info)) mask |= 1 << c;
    }
    k.onEachCpuMask(cpu, mask, X86_IPI_FLUSH_TLB_FUNC, info.mm, encodeFlushInfo(info), true, REASON_FLUSH);
  }

  /** flush_tlb_func(info), IRQs off (IPI or local). */
  flushTlbFunc(k: Kernel, cpu: number, f: FlushTlbInfo): void {
    const loaded = this.loadedMm[cpu]!;
    if (f.mm !== loaded) {
      if (this.opts.cpumask === 'lazy-trim') {
        // The CPU was left in the mm_cpumask of the target mm. Clear it.
        k.deref(cpu, f.mm, 'cpumask_clear_cpu(cpu, mm_cpumask(f->mm))');
        if ((k.mmCpumask[f.mm]! & (1 << cpu)) !== 0 && k.tracer !== null) {
          k.tracer.ev(cpu, 'cpumask_clear_cpu', `CPU${cpu} leaves mm_cpumask(${k.mmName(f.mm)}) (loaded_mm ${k.mmName(loaded)})`);
        }
        k.mmCpumask[f.mm]! &= ~(1 << cpu);
      }
      return;
    }
    if (loaded === INIT_MM) return;
    const asid = this.loadedAsid[cpu]!;
    if (asid === GLOBAL_ASID) return;
    const remote = k.ipiSender >= 0 && k.ipiSender !== cpu;
    if (this.isLazy[cpu] !== 0) {
      // Lazy: switching to init_mm is barely slower than flushing the paging-structure cache.
      if (k.tracer !== null) k.tracer.ev(cpu, 'leave_mm', `flush_tlb_func: lazy on ${k.mmName(loaded)} -> switch_mm_irqs_off(init_mm)`);
      this.switchMmIrqsOff(k, cpu, INIT_MM);
      k.cost[remote ? costs.C_TLB_FLUSH_REMOTE : costs.C_TLB_FLUSH_LOCAL]! += 1;
      return;
    }
    const s = cpu * TLB_NR_DYN_ASIDS + asid;
    const local = this.ctxTlbGen[s]!;
    if (f.newTlbGen <= local) return; // already caught up
    const mmGen = this.mmTlbGen[loaded]!;
    if (mmGen === local) return;
    // Partial or full flush: either way every unmap up to mm_tlb_gen is now flushed here.
    this.ctxTlbGen[s] = mmGen;
    this.slotClean[s] = k.mmUnmapGen[loaded]!;
    k.cost[remote ? costs.C_TLB_FLUSH_REMOTE : costs.C_TLB_FLUSH_LOCAL]! += 1;
  }

  // ---- hardware-only flushes (hypervisors) -----------------------------------------------------

  /** The hypervisor flushes every non-global entry of vCPU `cpu` (KVM flush on entry, Xen MMUEXT_TLB_FLUSH_MULTI). */
  hwFlushAll(k: Kernel, cpu: number): void {
    const base = cpu * TLB_NR_DYN_ASIDS;
    for (let a = 0; a < TLB_NR_DYN_ASIDS; a++) {
      const m = this.slotMm[base + a]!;
      if (m !== NO_MM) this.slotClean[base + a] = k.mmUnmapGen[m]!;
    }
  }

  /** The hypervisor flushes vCPU `cpu`'s entries of address space `mm` (Hyper-V HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE). */
  hwFlushMm(k: Kernel, cpu: number, mm: number): void {
    const base = cpu * TLB_NR_DYN_ASIDS;
    for (let a = 0; a < TLB_NR_DYN_ASIDS; a++) if (this.slotMm[base + a] === mm) this.slotClean[base + a] = k.mmUnmapGen[mm]!;
  }

  // ---- oracles ----------------------------------------------------------------------------------

  markTablesFreed(mm: number, gen: number): void {
    if (gen >= this.genStride) {
      let stride = this.genStride;
      while (gen >= stride) stride *= 2;
      const cap = this.tablesFreed.length / this.genStride;
      const next = new Uint8Array(cap * stride);
      for (let m = 0; m < cap; m++) next.set(this.tablesFreed.subarray(m * this.genStride, (m + 1) * this.genStride), m * stride);
      this.tablesFreed = next;
      this.genStride = stride;
    }
    this.tablesFreed[mm * this.genStride + gen] = 1;
  }

  tablesFreedAt(mm: number, gen: number): boolean {
    return gen < this.genStride && this.tablesFreed[mm * this.genStride + gen] === 1;
  }

  /**
   * May `cpu` still USE translations or paging-structure entries of `mm` from before unmap
   * generation `gen`? Only through the ASID it has loaded: an inactive slot that is behind is
   * flushed when loaded again (choose_new_asid compares tlb_gen), so its staleness is not
   * usable unless the guest's tlb_gen says it is up to date while the hardware is not. A
   * lazy CPU runs no user code, so stale user-page entries are harmless to it (it catches up
   * at its next switch); stale paging-structure entries are not (speculative walks into a
   * freed table page, kernel-reference §7.8), so for a lazy CPU only table frees count.
   */
  tlbMayHold(k: Kernel, cpu: number, mm: number, gen: number): boolean {
    if (mm === INIT_MM) return false;
    const loaded = this.loadedMm[cpu] === mm;
    const tablesOnly = loaded && this.isLazy[cpu] !== 0;
    if (tablesOnly && !this.tablesFreedAt(mm, gen)) return false;
    if (this.mmGlobalAsid[mm] !== 0 && loaded && this.loadedAsid[cpu] === GLOBAL_ASID) return this.mmGlobalClean[mm]! < gen;
    const base = cpu * TLB_NR_DYN_ASIDS;
    for (let a = 0; a < TLB_NR_DYN_ASIDS; a++) {
      const s = base + a;
      if (this.slotMm[s] !== mm || this.slotClean[s]! >= gen) continue;
      if (loaded && this.loadedAsid[cpu] === a) return true;
      // Inactive: usable only if loading it would not flush (guest thinks it is up to date).
      if (this.ctxId[s] === this.mmCtxId[mm] && this.ctxTlbGen[s]! >= this.mmTlbGen[mm]!) return true;
    }
    return false;
  }

  /** I13 (kernel-reference §4) for `cpu`. */
  check(k: Kernel, cpu: number): void {
    const loaded = this.loadedMm[cpu]!;
    if (this.isLazy[cpu] !== 0 && loaded === INIT_MM) {
      k.violate('I13', cpu, `x86: is_lazy on CPU${cpu} with loaded_mm == init_mm`);
      return;
    }
    if (loaded !== INIT_MM && (k.mmCpumask[loaded]! & (1 << cpu)) === 0) {
      k.violate('I13', cpu, `x86 I7: CPU${cpu} has loaded_mm ${k.mmName(loaded)} but is not in its mm_cpumask`);
      return;
    }
    if (k.cpuIrqsOff[cpu] !== 0) return;
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

  describeCpu(k: Kernel, cpu: number): string {
    const a = this.loadedAsid[cpu]!;
    return `loaded_mm=${k.mmName(this.loadedMm[cpu]!)} asid=${a === GLOBAL_ASID ? 'global' : a}${this.isLazy[cpu] !== 0 ? ' lazy' : ''}`;
  }

  // ---- hooks --------------------------------------------------------------------------------------

  /** The ArchHooks of native x86 (a paravirt plugin spreads and overrides some of them). */
  hooks(): ArchHooks {
    return {
      reset: (k) => this.reset(k),
      init_new_context: (k, _cpu, mm) => this.initNewContext(k, mm),
      destroy_context: (k, _cpu, mm) => this.destroyContext(k, mm),
      switch_mm_irqs_off: (k, cpu, _prev, next) => this.switchMmIrqsOff(k, cpu, next),
      enter_lazy_tlb: (_k, cpu) => this.enterLazyTlb(cpu),
      flush_tlb_mm_range: (k, cpu, mm, flags) => {
        if ((flags & FLUSH_FREED_TABLES) !== 0) this.markTablesFreed(mm, k.mmUnmapGen[mm]!);
        // flush_tlb_mm() is flush_tlb_mm_range(mm, 0, TLB_FLUSH_ALL, 0, true): freed_tables = true.
        this.flushTlbMmRange(k, cpu, mm, (flags & (FLUSH_FREED_TABLES | FLUSH_MM)) !== 0);
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
      hw_root: (_k, cpu) => this.loadedMm[cpu]!,
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
