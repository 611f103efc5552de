/**
 * The powerpc per-CPU and per-mm arch state (kernel-reference §1.4), as typed arrays owned by
 * the plugin. One instance per setup(); reset() sizes it for the run (grow only).
 *
 * Per CPU:   SPRN_PID (radix) / the paca's user context id (hash), the mm that id was loaded
 *            for (switch_mmu_context), whether the CPU's process-table cache may hold a
 *            valid entry for that PID, the trim clock (mm_cpumask_trim_clock), and the
 *            locals of a switch_mm_irqs_off() in progress (its caller, a pending
 *            inc_mm_active_cpus).
 * Per mm:    mm->context.id, mm->context.active_cpus, mm->context.copros.
 * Per id:    which mm owns the PID / context id (NO_MM when free: ida_free in
 *            destroy_contexts), process_tb[id].prtb0 != 0 (radix).
 * Per (CPU, id): the TLB, tagged by PID / VSID (see tlb.ts).
 */
import { INIT_MM, NO_MM, type ArchKernel } from '@lazytlb/core';
import { KERNEL_CONTEXT } from './constants.js';

export class PpcState {
  ncpu = 0;
  /** Number of context ids modelled (ids 1..idCap-1; 0 is the kernel's). */
  idCap = 0;

  // ---- per CPU ----------------------------------------------------------------------------
  /** SPRN_PID (radix) / paca->mm_ctx_id (hash): the context id the MMU uses for user addresses. */
  cpuId = new Int32Array(0);
  /** The mm switch_mmu_context() loaded cpuId for (stays when prev == next skips the load). */
  cpuIdMm = new Int32Array(0);
  /** Radix: the CPU's process-table cache may hold process_tb[cpuId] (cleared by RIC=2 flushes of that PID). */
  cpuPrtbCached = new Uint8Array(0);
  /** mm_cpumask_trim_clock (per-CPU counter of tick_and_test_trim_clock). */
  cpuTrimClock = new Int32Array(0);
  /**
   * switch_mm_irqs_off() in progress (ABI v2 sequence, switch-mm.ts): whether one is (1 from
   * its first step to its last), its caller (core SWITCH_*, names the `prev == next` compare
   * site), and the mm whose mm_cpumask bit this CPU has set but whose inc_mm_active_cpus() has
   * not run yet (NO_MM: none). IRQs are off through the sequence, so a CPU has at most one.
   */
  cpuSwBusy = new Uint8Array(0);
  cpuSwCaller = new Int32Array(0);
  cpuIncPending = new Int32Array(0);

  // ---- per mm -----------------------------------------------------------------------------
  /** mm->context.id (MMU_NO_CONTEXT = 0 after destroy_context). */
  mmId = new Int32Array(0);
  /** The id the mm had while it lived (kept after destroy_context for the TLB model and messages). */
  mmIdEver = new Int32Array(0);
  /** mm->context.active_cpus. */
  mmActiveCpus = new Int32Array(0);
  /** mm->context.copros. */
  mmCopros = new Int32Array(0);
  /**
   * Scratch per mm (hotplug: which masks had the dying CPU before clear_tasks_mm_cpumask):
   * written and read within one cpu_disable step, so not state (not declared to exhaustive search).
   */
  scratchMm = new Uint8Array(0);

  // ---- per id -----------------------------------------------------------------------------
  /** Owner of a PID / context id; NO_MM when free. */
  idOwner = new Int32Array(0);
  /** Radix process_tb[id].prtb0 != 0 (the MMU can walk the owner's radix tree). */
  idPrtbValid = new Uint8Array(0);

  // ---- TLB (per CPU x id) -----------------------------------------------------------------
  /** Whose translations the CPU's TLB may hold under this PID / context id (NO_MM: none). */
  tlbMm = new Int32Array(0);
  /** Unmap generation of tlbMm at which those entries were last known clean. */
  tlbClean = new Int32Array(0);

  reset(k: ArchKernel): void {
    const ncpu = k.ncpu;
    const idCap = k.mmCapacity + 2;
    if (ncpu > this.cpuId.length) {
      this.cpuId = new Int32Array(ncpu);
      this.cpuIdMm = new Int32Array(ncpu);
      this.cpuPrtbCached = new Uint8Array(ncpu);
      this.cpuTrimClock = new Int32Array(ncpu);
      this.cpuSwBusy = new Uint8Array(ncpu);
      this.cpuSwCaller = new Int32Array(ncpu);
      this.cpuIncPending = new Int32Array(ncpu);
    }
    if (k.mmCapacity > this.mmId.length) {
      this.mmId = new Int32Array(k.mmCapacity);
      this.mmIdEver = new Int32Array(k.mmCapacity);
      this.mmActiveCpus = new Int32Array(k.mmCapacity);
      this.mmCopros = new Int32Array(k.mmCapacity);
      this.scratchMm = new Uint8Array(k.mmCapacity);
    }
    if (idCap > this.idOwner.length) {
      this.idOwner = new Int32Array(idCap);
      this.idPrtbValid = new Uint8Array(idCap);
    }
    if (ncpu * idCap > this.tlbMm.length || idCap !== this.idCap) {
      this.tlbMm = new Int32Array(Math.max(ncpu * idCap, this.tlbMm.length));
      this.tlbClean = new Int32Array(this.tlbMm.length);
    }
    this.ncpu = ncpu;
    this.idCap = idCap;
    this.cpuId.fill(KERNEL_CONTEXT);
    this.cpuIdMm.fill(INIT_MM);
    this.cpuPrtbCached.fill(0);
    this.cpuTrimClock.fill(0);
    this.cpuSwBusy.fill(0);
    this.cpuSwCaller.fill(0);
    this.cpuIncPending.fill(NO_MM);
    this.mmId.fill(0);
    this.mmIdEver.fill(0);
    this.mmActiveCpus.fill(0);
    this.mmCopros.fill(0);
    this.idOwner.fill(NO_MM);
    this.idOwner[KERNEL_CONTEXT] = INIT_MM;
    this.idPrtbValid.fill(0);
    this.tlbMm.fill(NO_MM);
    this.tlbClean.fill(0);
    // "Account mm_cpumask and active_cpus in init_mm" (T13-2, 2023): every CPU's bit is set in
    // mm_cpumask(&init_mm) at boot (setup_arch / start_secondary), with active_cpus counted.
    k.mmCpumask[INIT_MM] = ncpu >= 32 ? -1 : (1 << ncpu) - 1;
    this.mmActiveCpus[INIT_MM] = ncpu;
    // All of the per-run state (ArchPlugin.declaresState): every array above but scratchMm;
    // ncpu and idCap are constants of the run.
    k.declareState(
      this.cpuId,
      this.cpuIdMm,
      this.cpuPrtbCached,
      this.cpuTrimClock,
      this.cpuSwBusy,
      this.cpuSwCaller,
      this.cpuIncPending,
      this.mmId,
      this.mmIdEver,
      this.mmActiveCpus,
      this.mmCopros,
      this.idOwner,
      this.idPrtbValid,
      this.tlbMm,
      this.tlbClean,
    );
  }

  /** Index of the TLB slot of (cpu, id). */
  slot(cpu: number, id: number): number {
    return cpu * this.idCap + id;
  }
}
