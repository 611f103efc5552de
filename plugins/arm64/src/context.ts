/**
 * arm64 MMU context and TLB maintenance:
 *
 * - arch/arm64/mm/context.c: the ASID allocator with generations. `asid_generation` is a
 *   multiple of NUM_USER_ASIDS; `mm->context.id` is `generation | asid`; per CPU
 *   `active_asids` (zeroed at a rollover) and `reserved_asids` (what a CPU was running at the
 *   last rollover); `asid_map`; `tlb_flush_pending` (every CPU after a rollover). Functions:
 *   check_and_switch_context (fast path: same generation and a non-zero active_asids xchg;
 *   slow path under cpu_asid_lock: new_context, the pending local_flush_tlb_all), new_context
 *   (keep a reserved ASID, re-use the old number, else find_next_zero_bit from cur_idx, else
 *   bump the generation and flush_context), flush_context, check_update_reserved_asid.
 *   There is no destroy_context: an mm's ASID stays in asid_map until the next rollover.
 * - arch/arm64/include/asm/mmu_context.h: switch_mm (`if (prev != next) __switch_mm(next)`, a
 *   pointer compare), __switch_mm (init_mm: cpu_set_reserved_ttbr0, the ASID is left alone),
 *   enter_lazy_tlb (only update_saved_ttbr0 for SW PAN: the hardware TTBR0 keeps the old mm's
 *   pgd), init_new_context (context.id = 0).
 * - arch/arm64/include/asm/tlbflush.h: flush_tlb_mm = dsb(ishst); TLBI ASIDE1IS, ASID(mm);
 *   dsb(ish): a broadcast invalidation in the inner-shareable domain, completed by the DSB
 *   before the caller goes on. No IPIs, and mm_cpumask is not read (arm64 never sets a user
 *   mm's bit: its switch_mm does not touch mm_cpumask).
 * - arch/arm64/kernel/smp.c: __cpu_disable -> clear_tasks_mm_cpumask(cpu); the secondary's
 *   bring-up sets the reserved TTBR0 and flushes its local TLB.
 *
 * The hardware view (what I1/I2 read) is kept apart from the kernel's bookkeeping: `ttbr0`
 * (the pgd in TTBR0_EL1), `tlbCpus[mm]` (CPUs whose TLB may hold entries of mm: set when a
 * CPU loads mm, cleared by that CPU's local_flush_tlb_all) and `flushedGen[mm]` (the unmap
 * generation up to which a broadcast TLBI made every CPU's entries of mm clean).
 */
import { INIT_MM, NO_MM, costs, type Kernel } from '@lazytlb/core';
import type { Arm64Options } from './options.js';

export class Arm64Mmu {
  readonly asidBits: number;
  /** NUM_USER_ASIDS = ASID_FIRST_VERSION = 1 << asid_bits. */
  readonly numAsids: number;

  // kernel bookkeeping (arch/arm64/mm/context.c)
  asidGeneration = 0;
  curIdx = 1;
  tlbFlushPending = 0;
  asidMap = new Uint8Array(0);
  activeAsids = new Float64Array(0);
  reservedAsids = new Float64Array(0);
  /** mm->context.id (generation | asid), per mm. */
  ctxId = new Float64Array(0);

  // hardware
  /** TTBR0_EL1: the mm whose pgd is loaded (INIT_MM = reserved_pg_dir). */
  ttbr0 = new Int32Array(0);
  /** The ASID the CPU runs with (TTBR1_EL1.ASID, TCR_EL1.A1 = 1). */
  hwAsid = new Int32Array(0);
  /** Per (cpu, asid number): the mm whose entries the CPU's TLB may hold under that ASID, or NO_MM. */
  asidOwner = new Int32Array(0);
  /** Per mm: CPUs whose TLB may hold entries of the mm. */
  tlbCpus = new Int32Array(0);
  /** Per mm: unmap generation up to which every CPU's entries of the mm are clean (TLBI ASIDE1IS). */
  flushedGen = new Int32Array(0);

  constructor(opts: Arm64Options) {
    this.asidBits = opts.asidBits;
    this.numAsids = 1 << opts.asidBits;
  }

  /** Boot (asids_init + every CPU on init_mm with the reserved TTBR0). Grow-only arrays. */
  reset(k: Kernel): void {
    const n = k.ncpu;
    if (this.numAsids - 1 <= n) {
      throw new Error(`asidBits=${this.asidBits}: ${this.numAsids} ASIDs for ${n} CPUs; asids_init needs NUM_USER_ASIDS - 1 > num_possible_cpus()`);
    }
    if (this.ttbr0.length < n || this.asidMap.length !== this.numAsids || this.asidOwner.length < n * this.numAsids) {
      this.ttbr0 = new Int32Array(n);
      this.hwAsid = new Int32Array(n);
      this.activeAsids = new Float64Array(n);
      this.reservedAsids = new Float64Array(n);
      this.asidMap = new Uint8Array(this.numAsids);
      this.asidOwner = new Int32Array(n * this.numAsids);
    }
    if (this.ctxId.length < k.mmCapacity) {
      this.ctxId = new Float64Array(k.mmCapacity);
      this.tlbCpus = new Int32Array(k.mmCapacity);
      this.flushedGen = new Int32Array(k.mmCapacity);
    }
    this.asidGeneration = this.numAsids; // ASID_FIRST_VERSION
    this.curIdx = 1;
    this.tlbFlushPending = 0;
    this.asidMap.fill(0);
    this.activeAsids.fill(0);
    this.reservedAsids.fill(0);
    this.ctxId.fill(0);
    this.ttbr0.fill(INIT_MM);
    this.hwAsid.fill(0);
    this.asidOwner.fill(NO_MM);
    this.tlbCpus.fill(0);
    this.flushedGen.fill(0);
  }

  /** init_new_context(): atomic64_set(&mm->context.id, 0). */
  initNewContext(mm: number): void {
    this.ctxId[mm] = 0;
    this.tlbCpus[mm] = 0;
    this.flushedGen[mm] = 0;
  }

  private sameGeneration(asid: number): boolean {
    // !((asid ^ atomic64_read(&asid_generation)) >> asid_bits)
    return Math.floor(asid / this.numAsids) * this.numAsids === this.asidGeneration;
  }

  /** flush_context(): new generation; keep every CPU's active (else reserved) ASID; queue a local flush everywhere. */
  private flushContext(k: Kernel, cpu: number): void {
    this.asidMap.fill(0);
    for (let i = 0; i < k.ncpu; i++) {
      let asid = this.activeAsids[i]!;
      this.activeAsids[i] = 0; // atomic64_xchg_relaxed(&per_cpu(active_asids, i), 0)
      if (asid === 0) asid = this.reservedAsids[i]!;
      this.asidMap[asid % this.numAsids] = 1;
      this.reservedAsids[i] = asid;
    }
    this.tlbFlushPending = k.ncpu >= 32 ? -1 : (1 << k.ncpu) - 1; // cpumask_setall(&tlb_flush_pending)
    if (k.tracer !== null) k.tracer.ev(cpu, 'flush_context', `ASID rollover: generation ${this.asidGeneration / this.numAsids}, tlb_flush_pending = all CPUs`);
  }

  /** check_update_reserved_asid(): a CPU still running `asid` from the last generation keeps it. */
  private checkUpdateReservedAsid(k: Kernel, asid: number, newasid: number): boolean {
    let hit = false;
    for (let c = 0; c < k.ncpu; c++) {
      if (this.reservedAsids[c] === asid) {
        hit = true;
        this.reservedAsids[c] = newasid;
      }
    }
    return hit;
  }

  private findNextZeroBit(from: number): number {
    for (let a = from; a < this.numAsids; a++) if (this.asidMap[a] === 0) return a;
    return this.numAsids;
  }

  /** new_context(). */
  private newContext(k: Kernel, cpu: number, mm: number): number {
    let asid = this.ctxId[mm]!;
    let generation = this.asidGeneration;
    if (asid !== 0) {
      const newasid = generation + (asid % this.numAsids);
      // If our current ASID was active during a rollover, we can continue to use it.
      if (this.checkUpdateReservedAsid(k, asid, newasid)) return newasid;
      // We had a valid ASID in a previous life, so try to re-use it if possible.
      const a = asid % this.numAsids;
      if (this.asidMap[a] === 0) {
        this.asidMap[a] = 1;
        return newasid;
      }
    }
    asid = this.findNextZeroBit(this.curIdx);
    if (asid === this.numAsids) {
      // out of ASIDs: bump the global generation
      this.asidGeneration += this.numAsids;
      generation = this.asidGeneration;
      this.flushContext(k, cpu);
      asid = this.findNextZeroBit(1); // more ASIDs than CPUs: always succeeds
      if (asid === this.numAsids) throw new Error('new_context: no free ASID after a rollover');
    }
    this.asidMap[asid] = 1;
    this.curIdx = asid;
    return asid + generation;
  }

  /** local_flush_tlb_all() on `cpu` (TLBI VMALLE1): its TLB holds nothing any more. */
  localFlushTlbAll(k: Kernel, cpu: number): void {
    const bit = 1 << cpu;
    for (let mm = 0; mm < k.nmm; mm++) this.tlbCpus[mm]! &= ~bit;
    this.asidOwner.fill(NO_MM, cpu * this.numAsids, (cpu + 1) * this.numAsids);
    k.cost[costs.C_TLB_FLUSH_LOCAL]! += 1;
    if (k.tracer !== null) k.tracer.ev(cpu, 'local_flush_tlb_all', 'TLBI VMALLE1');
  }

  /** check_and_switch_context(mm) + cpu_switch_mm(mm->pgd, mm). */
  checkAndSwitchContext(k: Kernel, cpu: number, mm: number): void {
    k.deref(cpu, mm, 'check_and_switch_context: mm->context.id');
    let asid = this.ctxId[mm]!;
    const fast = this.sameGeneration(asid) && this.activeAsids[cpu] !== 0;
    // atomic64_xchg_relaxed(&per_cpu(active_asids, cpu), asid): stores even when it returns 0
    if (this.sameGeneration(asid)) this.activeAsids[cpu] = asid;
    if (!fast) {
      // raw_spin_lock_irqsave(&cpu_asid_lock)
      asid = this.ctxId[mm]!;
      if (!this.sameGeneration(asid)) {
        asid = this.newContext(k, cpu, mm);
        this.ctxId[mm] = asid;
      }
      const bit = 1 << cpu;
      if ((this.tlbFlushPending & bit) !== 0) {
        this.tlbFlushPending &= ~bit;
        this.localFlushTlbAll(k, cpu);
      }
      this.activeAsids[cpu] = asid;
    }
    this.cpuSwitchMm(k, cpu, mm, asid % this.numAsids);
  }

  /** cpu_do_switch_mm(): TTBR0 = mm->pgd, ASID = ASID(mm). The TLB may now cache mm's entries under that ASID. */
  private cpuSwitchMm(k: Kernel, cpu: number, mm: number, asid: number): void {
    const slot = cpu * this.numAsids + asid;
    const owner = this.asidOwner[slot]!;
    if (owner !== NO_MM && owner !== mm && (this.tlbCpus[owner]! & (1 << cpu)) !== 0) {
      // Checked here, on the hardware, because only the switch makes the stale entries usable.
      k.violate('I13', cpu, `ASID ${asid} of ${k.mmName(mm)} loaded on CPU${cpu} while its TLB may still hold ${k.mmName(owner)}'s entries under ASID ${asid} (no local_flush_tlb_all since the rollover)`);
    }
    this.asidOwner[slot] = mm;
    this.ttbr0[cpu] = mm;
    this.hwAsid[cpu] = asid;
    this.tlbCpus[mm]! |= 1 << cpu;
    if (k.tracer !== null) k.tracer.ev(cpu, 'cpu_switch_mm', `TTBR0 = ${k.mmName(mm)}->pgd, ASID ${asid} (context.id generation ${Math.floor(this.ctxId[mm]! / this.numAsids)})`);
  }

  /** cpu_set_reserved_ttbr0(): TTBR0 = reserved_pg_dir; active_asids and the ASID are left alone. */
  setReservedTtbr0(k: Kernel, cpu: number): void {
    this.ttbr0[cpu] = INIT_MM;
    if (k.tracer !== null) k.tracer.ev(cpu, 'cpu_set_reserved_ttbr0', 'TTBR0 = reserved_pg_dir');
  }

  /** flush_tlb_mm(): dsb(ishst); TLBI ASIDE1IS, ASID(mm); dsb(ish). Every CPU, no IPIs, done when it returns. */
  flushTlbMm(k: Kernel, cpu: number, mm: number): void {
    this.flushedGen[mm] = k.mmUnmapGen[mm]!;
    k.cost[costs.C_TLB_FLUSH_REMOTE]! += 1;
    if (k.tracer !== null) k.tracer.ev(cpu, 'flush_tlb_mm', `TLBI ASIDE1IS ASID ${this.ctxId[mm]! % this.numAsids} (${k.mmName(mm)}): broadcast, no IPIs`);
  }

  /** TLB + walk caches of `cpu` may hold entries of `mm` from before unmap generation `gen`. */
  tlbMayHold(cpu: number, mm: number, gen: number): boolean {
    return mm !== INIT_MM && (this.tlbCpus[mm]! & (1 << cpu)) !== 0 && this.flushedGen[mm]! < gen;
  }
}
