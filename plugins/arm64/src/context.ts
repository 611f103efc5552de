/**
 * arm64 MMU context and TLB maintenance:
 *
 * - arch/arm64/mm/context.c: the ASID allocator with generations. `asid_generation` is a
 *   multiple of NUM_USER_ASIDS; `mm->context.id` is `generation | asid`; per CPU
 *   `active_asids` (zeroed at a rollover) and `reserved_asids` (what a CPU was running at the
 *   last rollover); `asid_map`; `tlb_flush_pending` (every CPU after a rollover). Functions:
 *   check_and_switch_context (fast path: same generation and a non-zero active_asids cmpxchg;
 *   slow path under cpu_asid_lock: new_context, the pending local_flush_tlb_all; an ABI v2
 *   sequence: generation check | cmpxchg or locked slow path | TTBR write), new_context
 *   (keep a reserved ASID, re-use the old number, else find_next_zero_bit from cur_idx, else
 *   bump the generation and flush_context), flush_context, check_update_reserved_asid.
 *   There is no destroy_context: an mm's ASID stays in asid_map until the next rollover.
 *   check_and_switch_context writes TTBR0 (cpu_switch_mm) only without SW PAN.
 * - arch/arm64/include/asm/mmu_context.h: switch_mm (`if (prev != next) __switch_mm(next)`, a
 *   pointer compare, then update_saved_ttbr0(tsk, next)), __switch_mm (init_mm:
 *   cpu_set_reserved_ttbr0, the ASID is left alone), enter_lazy_tlb (only
 *   update_saved_ttbr0(tsk, &init_mm): with hardware PAN the TTBR0 keeps the old mm's pgd),
 *   init_new_context (context.id = 0), cpu_uninstall_idmap (reserved TTBR0, local TLB flush,
 *   then cpu_switch_mm(current->active_mm) unless init_mm or SW PAN).
 * - arch/arm64/include/asm/tlbflush.h: flush_tlb_mm = dsb(ishst); TLBI ASIDE1IS, ASID(mm);
 *   dsb(ish): a broadcast invalidation in the inner-shareable domain, completed by the DSB
 *   before the caller goes on. No IPIs, and mm_cpumask is not read (arm64 never sets a user
 *   mm's bit since 38d96287504a "arm64: mm: kill mm_cpumask usage").
 * - arch/arm64/kernel/suspend.c: cpu_suspend() of a context-losing PSCI idle state powers the
 *   CPU down; its resume runs __cpu_suspend_exit() -> cpu_uninstall_idmap().
 * - arch/arm64/include/asm/efi.h, drivers/firmware/efi/arm-runtime.c: an EFI runtime call
 *   switches to efi_mm (efi_virtmap_load -> efi_set_pgd(&efi_mm) -> __switch_mm) and back to
 *   current->active_mm (efi_virtmap_unload -> efi_set_pgd(current->active_mm)). efi_mm is a
 *   real mm for the ASID allocator (init_new_context at efi_virtmap_init): the model gives it
 *   an extra context slot, `efiMm`, which is never an mm id of the core.
 *
 * The hardware view (what I1/I2 read) is kept apart from the kernel's bookkeeping: `ttbr0`
 * (the pgd the CPU translates user addresses with: the TTBR0_EL1 register with hardware PAN;
 * with SW PAN the current task's saved thread_info.ttbr0, which is what TTBR0_EL1 holds in
 * user mode and during uaccess, the kernel otherwise running on reserved_pg_dir), `tlbCpus[mm]`
 * (CPUs whose TLB may hold entries of mm: set when a CPU loads mm, cleared by that CPU's
 * local_flush_tlb_all) and `flushedGen[mm]` (the unmap generation up to which a broadcast TLBI
 * made every CPU's entries of mm clean). A CPU in a context-losing idle state (`down`) has no
 * TTBR0 until it resumes.
 */
import { INIT_MM, NO_MM, costs, type ArchKernel } from '@lazytlb/core';
import type { Arm64Options } from './options.js';

/** check_and_switch_context() steps after the first (ArchHooks.resume pcs of switch_mm_irqs_off). */
export const CS_CMPXCHG = 1; // the fast path's atomic64_cmpxchg_relaxed on active_asids
export const CS_SLOW = 2; // the cpu_asid_lock critical section (new_context, pending local flush)
export const CS_TTBR = 3; // cpu_switch_mm(): the TTBR0 / ASID write (hardware PAN only)

export class Arm64Mmu {
  readonly asidBits: number;
  /** NUM_USER_ASIDS = ASID_FIRST_VERSION = 1 << asid_bits. */
  readonly numAsids: number;
  /** system_uses_ttbr0_pan(). */
  readonly swPan: boolean;
  /** Deep idle entries use a context-losing (powerdown) PSCI state. */
  readonly powerdown: boolean;

  // kernel bookkeeping (arch/arm64/mm/context.c). The scalars are one-element typed arrays so
  // that reset() can declare them (ArchPlugin.declaresState) with the rest of the per-run state.
  /** [0]: asid_generation, a multiple of NUM_USER_ASIDS (f64, like context.id = generation | asid). */
  readonly asidGeneration = new Float64Array(1);
  /** [0]: cur_idx, where new_context()'s find_next_zero_bit() starts. */
  readonly curIdx = new Int32Array(1);
  /** [0]: tlb_flush_pending, the CPUs owing a local_flush_tlb_all() since the last rollover (flush_context). */
  readonly tlbFlushPending = new Int32Array(1);
  asidMap = new Uint8Array(0);
  activeAsids = new Float64Array(0);
  reservedAsids = new Float64Array(0);
  /** mm->context.id (generation | asid), per mm (and efi_mm at index efiMm). */
  ctxId = new Float64Array(0);
  /** The context slot of efi_mm (one past the core's mm ids). */
  efiMm = 0;

  // hardware
  /** TTBR0 as used for user addresses (see the file comment): the mm whose pgd, INIT_MM = reserved_pg_dir. */
  ttbr0 = new Int32Array(0);
  /** The ASID the CPU runs with (TTBR1_EL1.ASID, TCR_EL1.A1 = 1). */
  hwAsid = new Int32Array(0);
  /** Per (cpu, asid number): the mm whose entries the CPU's TLB may hold under that ASID, or NO_MM. */
  asidOwner = new Int32Array(0);
  /** Per mm: CPUs whose TLB may hold entries of the mm. */
  tlbCpus = new Int32Array(0);
  /** Per mm: unmap generation up to which every CPU's entries of the mm are clean (TLBI ASIDE1IS). */
  flushedGen = new Int32Array(0);
  /** Per CPU: 1 while powered down in a context-losing idle state (cpu_suspend not yet resumed). */
  down = new Uint8Array(0);
  /**
   * Per CPU, check_and_switch_context() in progress (an ABI v2 sequence, IRQs off: one per CPU):
   * the asid it read (then the one it installs) and old_active_asid, the cmpxchg's expected value.
   */
  swAsid = new Float64Array(0);
  swOld = new Float64Array(0);

  constructor(opts: Arm64Options) {
    this.asidBits = opts.asidBits;
    this.numAsids = 1 << opts.asidBits;
    this.swPan = opts.swPan;
    this.powerdown = opts.deepIdle === 'powerdown';
  }

  /** Boot (asids_init + every CPU on init_mm with the reserved TTBR0). Grow-only arrays. */
  reset(k: ArchKernel): void {
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
      this.down = new Uint8Array(n);
      this.swAsid = new Float64Array(n);
      this.swOld = new Float64Array(n);
    }
    if (this.ctxId.length < k.mmCapacity + 1) {
      this.ctxId = new Float64Array(k.mmCapacity + 1);
      this.tlbCpus = new Int32Array(k.mmCapacity + 1);
      this.flushedGen = new Int32Array(k.mmCapacity + 1);
    }
    this.efiMm = k.mmCapacity;
    this.asidGeneration[0] = this.numAsids; // ASID_FIRST_VERSION
    this.curIdx[0] = 1;
    this.tlbFlushPending[0] = 0;
    this.asidMap.fill(0);
    this.activeAsids.fill(0);
    this.reservedAsids.fill(0);
    this.ctxId.fill(0); // efi_mm too: efi_virtmap_init -> init_new_context(NULL, &efi_mm)
    this.ttbr0.fill(INIT_MM);
    this.hwAsid.fill(0);
    this.asidOwner.fill(NO_MM);
    this.tlbCpus.fill(0);
    this.flushedGen.fill(0);
    this.down.fill(0);
    this.swAsid.fill(0);
    this.swOld.fill(0);
    // All of the per-run state (ArchPlugin.declaresState; efiMm and the options are constants of the run).
    k.declareState(
      this.asidGeneration,
      this.curIdx,
      this.tlbFlushPending,
      this.asidMap,
      this.activeAsids,
      this.reservedAsids,
      this.ctxId,
      this.ttbr0,
      this.hwAsid,
      this.asidOwner,
      this.tlbCpus,
      this.flushedGen,
      this.down,
      this.swAsid,
      this.swOld,
    );
  }

  /** An mm's name for traces (efi_mm is not a core mm). */
  name(k: ArchKernel, mm: number): string {
    return mm === this.efiMm ? 'efi_mm' : k.mmName(mm);
  }

  /** init_new_context(): atomic64_set(&mm->context.id, 0). */
  initNewContext(mm: number): void {
    this.ctxId[mm] = 0;
    this.tlbCpus[mm] = 0;
    this.flushedGen[mm] = 0;
  }

  /** asid_gen_match(): !((asid ^ atomic64_read(&asid_generation)) >> asid_bits). */
  sameGeneration(asid: number): boolean {
    return Math.floor(asid / this.numAsids) * this.numAsids === this.asidGeneration[0];
  }

  /** flush_context(): new generation; keep every CPU's active (else reserved) ASID; queue a local flush everywhere. */
  private flushContext(k: ArchKernel, cpu: number): void {
    this.asidMap.fill(0);
    for (let i = 0; i < k.ncpu; i++) {
      let asid = this.activeAsids[i]!;
      this.activeAsids[i] = 0; // atomic64_xchg_relaxed(&per_cpu(active_asids, i), 0)
      if (asid === 0) asid = this.reservedAsids[i]!;
      this.asidMap[asid % this.numAsids] = 1;
      this.reservedAsids[i] = asid;
    }
    this.tlbFlushPending[0] = k.ncpu >= 32 ? -1 : (1 << k.ncpu) - 1; // cpumask_setall(&tlb_flush_pending)
    if (k.tracer !== null)
      k.tracer.ev(cpu, 'flush_context', `ASID rollover: generation ${this.asidGeneration[0]! / this.numAsids}, tlb_flush_pending = all CPUs`);
  }

  /** check_update_reserved_asid(): a CPU still running `asid` from the last generation keeps it. */
  private checkUpdateReservedAsid(k: ArchKernel, asid: number, newasid: number): boolean {
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
  private newContext(k: ArchKernel, cpu: number, mm: number): number {
    let asid = this.ctxId[mm]!;
    let generation = this.asidGeneration[0]!;
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
    asid = this.findNextZeroBit(this.curIdx[0]!);
    if (asid === this.numAsids) {
      // out of ASIDs: bump the global generation
      this.asidGeneration[0]! += this.numAsids;
      generation = this.asidGeneration[0]!;
      this.flushContext(k, cpu);
      asid = this.findNextZeroBit(1); // more ASIDs than CPUs: always succeeds
      if (asid === this.numAsids) throw new Error('new_context: no free ASID after a rollover');
    }
    this.asidMap[asid] = 1;
    this.curIdx[0] = asid;
    return asid + generation;
  }

  /** local_flush_tlb_all() on `cpu` (TLBI VMALLE1): its TLB holds nothing any more. */
  localFlushTlbAll(k: ArchKernel, cpu: number): void {
    const bit = 1 << cpu;
    for (let mm = 0; mm < k.nmm; mm++) this.tlbCpus[mm]! &= ~bit;
    this.tlbCpus[this.efiMm]! &= ~bit;
    this.asidOwner.fill(NO_MM, cpu * this.numAsids, (cpu + 1) * this.numAsids);
    k.cost[costs.C_TLB_FLUSH_LOCAL]! += 1;
    if (k.tracer !== null) k.tracer.ev(cpu, 'local_flush_tlb_all', 'TLBI VMALLE1');
  }

  /**
   * check_and_switch_context(mm) (arch/arm64/mm/context.c @ Kingxukai/linux 0291023e7330), the
   * first step: `asid = atomic64_read(&mm->context.id)`, `old_active_asid =
   * atomic64_read(this_cpu_ptr(&active_asids))`, `asid_gen_match(asid)` (a read of
   * asid_generation): the ASID generation check. Returns the pc of the next step: CS_CMPXCHG
   * (fast path) or CS_SLOW (cpu_asid_lock). `site`: the use site that reads mm->context.id here
   * (I14 if mm is freed). CnP's cpu_set_reserved_ttbr0() at the top is not modelled.
   *
   * The steps, in code order (each an access other CPUs observe or race with):
   *   [begin]      read context.id, active_asids[cpu], asid_generation (the generation check)
   *   [CS_CMPXCHG] atomic64_cmpxchg_relaxed(&active_asids[cpu], old_active_asid, asid): fails
   *                when a rollover on another CPU (flush_context's atomic64_xchg_relaxed) zeroed
   *                it since the check, and then the slow path runs ("Racing with a concurrent
   *                rollover means that either: we get a zero back from the cmpxchg and end up
   *                waiting on the lock ..., or we get a valid ASID back from the cmpxchg, which
   *                means the relaxed xchg in flush_context will treat us as reserved")
   *   [CS_SLOW]    raw_spin_lock_irqsave(&cpu_asid_lock) ... unlock: the re-read of context.id,
   *                new_context() (maybe the rollover: asid_generation bump, flush_context),
   *                atomic64_set(&mm->context.id), the tlb_flush_pending test-and-clear with its
   *                local_flush_tlb_all(), atomic64_set(&active_asids[cpu]): one step. The lock
   *                serialises it against every other slow path (and rollover); the lock-free
   *                fast paths of other CPUs can only observe its intermediate states as "go to
   *                the slow path": the generation is bumped before any active_asids is zeroed,
   *                and a new-generation context.id is only written after every active_asids
   *                was zeroed, so a fast path that reads any of them mid-section either fails its
   *                generation check or its cmpxchg (sequentially consistent model), exactly as
   *                if it had run after the section; one that completed before it is reserved
   *   [CS_TTBR]    arm64_apply_bp_hardening(); cpu_switch_mm(mm->pgd, mm) unless SW PAN:
   *                TTBR0 = pgd, TTBR1.ASID = ASID(mm) (context.id re-read), the point from which
   *                the CPU may cache mm's translations under that ASID
   * With SW PAN there is no CS_TTBR step: the sequence ends with the cmpxchg or the slow path
   * (and switch_mm's update_saved_ttbr0, which the caller fuses with it: a store to the task's
   * own thread_info).
   */
  checkAndSwitchBegin(k: ArchKernel, cpu: number, mm: number, site: string): number {
    if (mm !== this.efiMm) k.useMm(cpu, mm, site);
    const asid = this.ctxId[mm]!;
    const old = this.activeAsids[cpu]!;
    this.swAsid[cpu] = asid;
    this.swOld[cpu] = old;
    // if (old_active_asid && asid_gen_match(asid) && atomic64_cmpxchg_relaxed(...)) goto switch_mm_fastpath
    if (old !== 0 && this.sameGeneration(asid)) {
      if (k.tracer !== null)
        k.tracer.ev(
          cpu,
          'check_and_switch_context',
          `${this.name(k, mm)}: context.id ${asid} is of generation ${this.asidGeneration[0]! / this.numAsids}, active_asids ${old}: fast path`,
        );
      return CS_CMPXCHG;
    }
    if (k.tracer !== null) {
      k.tracer.ev(
        cpu,
        'check_and_switch_context',
        `${this.name(k, mm)}: ${old === 0 ? 'active_asids is 0' : `context.id ${asid} is not of generation ${this.asidGeneration[0]! / this.numAsids}`}: slow path`,
      );
    }
    return CS_SLOW;
  }

  /** One later step of check_and_switch_context(mm) (see checkAndSwitchBegin); returns the next pc, 0 when done. */
  checkAndSwitchStep(k: ArchKernel, cpu: number, mm: number, pc: number): number {
    switch (pc) {
      case CS_CMPXCHG: {
        const asid = this.swAsid[cpu]!;
        if (this.activeAsids[cpu] === this.swOld[cpu]) {
          this.activeAsids[cpu] = asid;
          if (k.tracer !== null)
            k.tracer.ev(cpu, 'check_and_switch_context', `${this.name(k, mm)}: fast path: cmpxchg(active_asids, ${this.swOld[cpu]}, ${asid})`);
          return this.swPan ? 0 : CS_TTBR;
        }
        // A rollover zeroed active_asids since the check (flush_context's xchg): the lock.
        if (k.tracer !== null)
          k.tracer.ev(
            cpu,
            'check_and_switch_context',
            `${this.name(k, mm)}: cmpxchg(active_asids, ${this.swOld[cpu]}, ${asid}) failed (active_asids is ${this.activeAsids[cpu]}: a rollover): slow path`,
          );
        return CS_SLOW;
      }
      case CS_SLOW: {
        // raw_spin_lock_irqsave(&cpu_asid_lock)
        let asid = this.ctxId[mm]!;
        if (!this.sameGeneration(asid)) {
          asid = this.newContext(k, cpu, mm);
          this.ctxId[mm] = asid;
        }
        const bit = 1 << cpu;
        if ((this.tlbFlushPending[0]! & bit) !== 0) {
          this.tlbFlushPending[0]! &= ~bit;
          this.localFlushTlbAll(k, cpu);
        }
        this.activeAsids[cpu] = asid;
        this.swAsid[cpu] = asid;
        if (k.tracer !== null) k.tracer.ev(cpu, 'check_and_switch_context', `${this.name(k, mm)}: cpu_asid_lock: context.id ${asid}, active_asids = ${asid}`);
        // raw_spin_unlock_irqrestore(&cpu_asid_lock)
        return this.swPan ? 0 : CS_TTBR;
      }
      case CS_TTBR:
        // switch_mm_fastpath: arm64_apply_bp_hardening(); cpu_switch_mm(mm->pgd, mm): ASID(mm) re-read
        this.cpuSwitchMm(k, cpu, mm, this.ctxId[mm]! % this.numAsids);
        return 0;
      default:
        throw new Error(`arm64 check_and_switch_context: no step ${pc}`);
    }
  }

  /**
   * check_and_switch_context(mm) run to completion in this step (efi_set_pgd in an EFI runtime
   * call, which the core runs as one step; the model's own switches inside one step).
   */
  checkAndSwitchContext(k: ArchKernel, cpu: number, mm: number, site: string): void {
    for (let pc = this.checkAndSwitchBegin(k, cpu, mm, site); pc > 0; pc = this.checkAndSwitchStep(k, cpu, mm, pc));
  }

  /**
   * Would check_and_switch_context(next) (and, with hardware PAN, its TTBR0 write) change
   * anything on `cpu` now? No only when next's context.id is of the current generation,
   * active_asids already holds it (the fast path's cmpxchg stores the same value) and, without
   * SW PAN, TTBR0 already holds next's pgd under next's ASID.
   */
  switchWouldChange(cpu: number, next: number): boolean {
    const ctx = this.ctxId[next]!;
    if (!this.sameGeneration(ctx) || this.activeAsids[cpu] !== ctx) return true;
    return !this.swPan && (this.ttbr0[cpu] !== next || this.hwAsid[cpu] !== ctx % this.numAsids);
  }

  /**
   * cpu_do_switch_mm(): TTBR0 = mm->pgd, ASID = ASID(mm) (TTBR1). The TLB may now cache mm's
   * entries under that ASID. With SW PAN this is what uaccess_ttbr0_enable / the return to
   * user installs from thread_info.ttbr0.
   */
  cpuSwitchMm(k: ArchKernel, cpu: number, mm: number, asid: number): void {
    const slot = cpu * this.numAsids + asid;
    const owner = this.asidOwner[slot]!;
    if (owner !== NO_MM && owner !== mm && (this.tlbCpus[owner]! & (1 << cpu)) !== 0) {
      // Checked here, on the hardware, because only the switch makes the stale entries usable.
      k.violate(
        'I13',
        cpu,
        `ASID ${asid} of ${this.name(k, mm)} loaded on CPU${cpu} while its TLB may still hold ${this.name(k, owner)}'s entries under ASID ${asid} (no local_flush_tlb_all since the rollover)`,
      );
    }
    this.asidOwner[slot] = mm;
    this.ttbr0[cpu] = mm;
    this.hwAsid[cpu] = asid;
    this.tlbCpus[mm]! |= 1 << cpu;
    if (k.tracer !== null)
      k.tracer.ev(
        cpu,
        'cpu_switch_mm',
        `TTBR0 = ${this.name(k, mm)}->pgd, ASID ${asid} (context.id generation ${Math.floor(this.ctxId[mm]! / this.numAsids)})`,
      );
  }

  /**
   * update_saved_ttbr0(tsk, mm) for the task about to run on `cpu` (SW PAN only: a no-op
   * otherwise): thread_info.ttbr0 = reserved_pg_dir for init_mm, else mm->pgd | ASID(mm) << 48
   * (whatever mm->context.id holds).
   */
  updateSavedTtbr0(k: ArchKernel, cpu: number, mm: number): void {
    if (!this.swPan) return;
    if (mm === INIT_MM) this.setReservedTtbr0(k, cpu);
    else this.cpuSwitchMm(k, cpu, mm, this.ctxId[mm]! % this.numAsids);
  }

  /** cpu_set_reserved_ttbr0(): TTBR0 = reserved_pg_dir; active_asids and the ASID are left alone. */
  setReservedTtbr0(k: ArchKernel, cpu: number): void {
    this.ttbr0[cpu] = INIT_MM;
    if (k.tracer !== null) k.tracer.ev(cpu, 'cpu_set_reserved_ttbr0', 'TTBR0 = reserved_pg_dir');
  }

  /** __switch_mm(next): reserved TTBR0 for init_mm, else check_and_switch_context(next). */
  switchMm(k: ArchKernel, cpu: number, next: number, site: string): void {
    if (next === INIT_MM) this.setReservedTtbr0(k, cpu);
    else this.checkAndSwitchContext(k, cpu, next, site);
  }

  /**
   * cpu_suspend() into a context-losing PSCI state (psci_cpu_suspend_enter): the CPU powers
   * down; its registers (TTBR0 included) are lost until cpu_resume. Its TLB is kept in the
   * model (the resume flushes it).
   */
  powerDown(k: ArchKernel, cpu: number): void {
    this.down[cpu] = 1;
    this.ttbr0[cpu] = INIT_MM;
    if (k.tracer !== null) k.tracer.ev(cpu, 'cpu_suspend', 'PSCI CPU_SUSPEND (powerdown): the CPU is off, TTBR0 lost, until its next step');
  }

  /**
   * The resume of a powered-down CPU: cpu_resume -> __cpu_suspend_exit() -> cpu_uninstall_idmap()
   * with `mm` = current->active_mm (the idle task's, read before the step that woke the CPU
   * changes it): reserved TTBR0, local_flush_tlb_all, and, unless mm is init_mm or SW PAN is in
   * use, cpu_switch_mm(mm->pgd, mm): a read of mm (pgd, context.id) and a TTBR0 load with
   * whatever ASID mm->context.id holds (no generation check). `site`: 'cpu_uninstall_idmap'.
   */
  resume(k: ArchKernel, cpu: number, mm: number, site: string): void {
    this.down[cpu] = 0;
    if (k.tracer !== null) k.tracer.ev(cpu, '__cpu_suspend_exit', `resume: cpu_uninstall_idmap(), current->active_mm = ${k.mmName(mm)}`);
    this.setReservedTtbr0(k, cpu);
    this.localFlushTlbAll(k, cpu);
    if (mm !== INIT_MM && mm !== NO_MM && !this.swPan) {
      k.useMm(cpu, mm, site);
      this.cpuSwitchMm(k, cpu, mm, this.ctxId[mm]! % this.numAsids);
    }
  }

  /** flush_tlb_mm(): dsb(ishst); TLBI ASIDE1IS, ASID(mm); dsb(ish). Every CPU, no IPIs, done when it returns. */
  flushTlbMm(k: ArchKernel, cpu: number, mm: number): void {
    this.flushedGen[mm] = k.mmUnmapGen[mm]!;
    k.cost[costs.C_TLB_FLUSH_REMOTE]! += 1;
    if (k.tracer !== null) k.tracer.ev(cpu, 'flush_tlb_mm', `TLBI ASIDE1IS ASID ${this.ctxId[mm]! % this.numAsids} (${k.mmName(mm)}): broadcast, no IPIs`);
  }

  /** TLB + walk caches of `cpu` may hold entries of `mm` from before unmap generation `gen`. */
  tlbMayHold(cpu: number, mm: number, gen: number): boolean {
    return mm !== INIT_MM && (this.tlbCpus[mm]! & (1 << cpu)) !== 0 && this.flushedGen[mm]! < gen;
  }
}
