/**
 * The oracles. Per-step checks look only at what a step can change: the acting CPU's own
 * state (every change to a CPU's mm state happens in a step of that CPU) and the mms whose
 * mm_count or holders changed (Kernel.touched). Events that affect every CPU at once
 * (mm_free_pgd, destroy_context, free_mm, freeing unmapped pages) scan all CPUs.
 */
import { arch_check, arch_hw_root, arch_tlb_may_hold } from './arch-calls.js';
import {
  HOLD_ACTIVE_MM,
  HOLD_PREV_MM,
  INIT_MM,
  MM_CTX_DESTROYED,
  MM_FREED,
  MM_PGD_FREED,
  MM_STAGE_NAMES,
  NO_MM,
  TS_DEAD,
  TS_RUNNING,
} from '../machine/constants.js';
import { P_LAZY_GRAB_STORE } from './frames.js';
import { FRAME_DEPTH, type Kernel } from './kernel.js';
import { MUT_MMGRAB_LAZY_NONATOMIC } from '../mutations/catalog.js';
import { scheme_lazy_refs } from './scheme-calls.js';

/** I1 for one CPU: its MMU root must not belong to an mm whose pgd or context was freed. */
export function checkHwRoot(k: Kernel, cpu: number): void {
  const root = arch_hw_root(k, cpu);
  if (root > INIT_MM && k.mmStage[root]! >= MM_PGD_FREED) {
    const what = k.mmStage[root]! >= MM_CTX_DESTROYED ? 'context' : 'pgd';
    k.violate('I1', cpu, `CPU${cpu}'s MMU root is ${k.mmName(root)}'s ${what}, which is ${MM_STAGE_NAMES[k.mmStage[root]!]}`);
  }
}

/** I1 for all CPUs (after mm_free_pgd / destroy_context of `mm`). */
export function checkHwRootsAll(k: Kernel): void {
  for (let c = 0; c < k.ncpu; c++) checkHwRoot(k, c);
}

/**
 * I2 at free time: pages / tables of `mm` unmapped at generation `gen` are being freed now. The
 * arch says which CPUs could still use a translation to them (a CPU in the middle of a switch
 * or lazy can only walk paging structures speculatively; whether it flushes before it runs
 * user code is checked where it does: checkTlbUse).
 */
export function checkStaleTlb(k: Kernel, mm: number, gen: number, what: string, tables: boolean): void {
  if (gen > k.mmFreedGen[mm]!) k.mmFreedGen[mm] = gen;
  if (tables && gen > k.mmFreedTablesGen[mm]!) k.mmFreedTablesGen[mm] = gen;
  for (let c = 0; c < k.ncpu; c++) {
    if (arch_tlb_may_hold(k, c, mm, gen)) {
      k.violate('I2', c, `${what} of ${k.mmName(mm)} freed while CPU${c} may still hold translations to them (no flush reached it)`);
      return;
    }
  }
}

/**
 * I2 at use: `cpu` is about to access `mm`'s user memory (a user task's code, a kthread inside
 * kthread_use_mm): it must not hold a translation older than the newest freed unmap generation
 * (its TLB was not flushed after pages it maps were freed, e.g. an ASID/PCID reused or a
 * switch that read tlb_gen before a flusher bumped it).
 */
export function checkTlbUse(k: Kernel, cpu: number, mm: number, task: number): void {
  const gen = k.mmFreedGen[mm]!;
  if (gen === 0 || !arch_tlb_may_hold(k, cpu, mm, gen)) return;
  const who = k.taskMm[task] === NO_MM || k.taskUsingMm[task] !== 0 ? `${k.taskName(task)} (kthread_use_mm)` : `${k.taskName(task)}'s user code`;
  k.violate('I2', cpu, `${who} on CPU${cpu} uses a translation of ${k.mmName(mm)} to memory freed before (no flush reached this CPU after the free)`);
}

/**
 * I2 at the end of a multi-step switch (ABI v2): the CPU was not judged at a free while it was in
 * the middle of its switch (its IRQs were off: an RCU table free waits for it); now it runs on
 * its new MMU root and may walk paging structures speculatively, so it must not cache any of that
 * mm's page tables freed before (a switch that loaded CR3 without the flush it needed).
 */
export function checkSwitchEnd(k: Kernel, cpu: number): void {
  const mm = arch_hw_root(k, cpu);
  if (mm <= INIT_MM) return;
  const gen = k.mmFreedTablesGen[mm]!;
  if (gen === 0 || !arch_tlb_may_hold(k, cpu, mm, gen)) return;
  k.violate(
    'I2',
    cpu,
    `CPU${cpu} ends its switch to ${k.mmName(mm)} caching page tables of it freed before (no flush reached it): a speculative walk reaches freed memory`,
  );
}

/**
 * I3 at free_mm(mm): no lazy pointer anywhere may name it (a lazy task's active_mm, or
 * rq->prev_mm). Under a scheme whose premise is a dangling pointer each one is recorded as a
 * hazard and the run goes on; otherwise the first is a violation. A kernel path's local
 * (finish_task_switch's `mm`, kthread_use_mm's `active_mm`, ...) is not a lazy reference
 * under REFCOUNT=n: its only uses, the compares of the arch's switch_mm and mmdrop_lazy_tlb's
 * smp_mb(), come in the same step or are checked at their use sites (I14).
 */
export function checkLazyPointers(k: Kernel, mm: number): void {
  for (let c = 0; c < k.ncpu; c++) {
    const t = k.cpuCurr[c]!;
    if (k.taskActiveMm[t] === mm) {
      k.danglingPointer(c, mm, HOLD_ACTIVE_MM, t);
    } else if (k.cpuPrevMm[c] === mm) {
      k.danglingPointer(c, mm, HOLD_PREV_MM, t);
    } else {
      continue;
    }
    if (k.violation !== null) return;
  }
}

/** I7 at the final mmdrop under SHOOTDOWN: every CPU lazy on `mm` must be in the mask cleanup_lazy_tlbs IPIs. */
export function checkMaskCoverage(k: Kernel, cpu: number, mm: number, mask: number): void {
  for (let c = 0; c < k.ncpu; c++) {
    // An offline CPU counts too: its idle task's active_mm (H_dead) is the same kind of lazy pointer.
    if (k.lazyMm(c) === mm && (mask & (1 << c)) === 0) {
      const off = k.cpuOnline[c] === 0 ? ' (offline)' : '';
      k.violate('I7', cpu, `cleanup_lazy_tlbs(${k.mmName(mm)}): CPU${c}${off} is lazy on it but not in mm_cpumask (0x${(mask >>> 0).toString(16)})`);
      return;
    }
  }
}

/**
 * I4: mm_count == [users ref] + mmgrab holders + the references the scheme's state holds
 * (lazy_refs: REFCOUNT=y the lazy holders), for every mm touched this step.
 */
export function checkRefcounts(k: Kernel, cpu: number): void {
  const nonatomicGrab = (k.mutations & MUT_MMGRAB_LAZY_NONATOMIC) !== 0;
  outer: for (let i = 0; i < k.touchedLen; i++) {
    const mm = k.touched[i]!;
    if (k.mmStage[mm] === MM_FREED) continue;
    for (let j = 0; j < i; j++) if (k.touched[j] === mm) continue outer;
    let lazy = scheme_lazy_refs(k, mm);
    // (mutation mmgrab-lazy-nonatomic) a switched-to kthread is lazy before its grab's store lands
    if (nonatomicGrab) lazy -= pendingLazyGrabs(k, mm);
    const expected = k.mmUsersRef[mm]! + k.mmGrabHolders[mm]! + lazy;
    if (k.mmCount[mm] !== expected) {
      k.violate(
        'I4',
        cpu,
        `mm_count of ${k.mmName(mm)} is ${k.mmCount[mm]} but its holders account for ${expected} (users ref ${k.mmUsersRef[mm]}, mmgrab ${k.mmGrabHolders[mm]}, lazy ${lazy})`,
      );
      break;
    }
  }
  k.touchedLen = 0;
}

/** (mutation mmgrab-lazy-nonatomic) context_switch() lazy grabs of `mm` read but not yet stored back (P_LAZY_GRAB_STORE frames). */
function pendingLazyGrabs(k: Kernel, mm: number): number {
  let n = 0;
  for (let c = 0; c < k.ncpu; c++) {
    const base = c * FRAME_DEPTH;
    for (let i = 0; i < k.cpuSp[c]!; i++) if (k.frPath[base + i] === P_LAZY_GRAB_STORE && k.frA[base + i] === mm) n++;
  }
  return n;
}

/** Checks on the CPU that just stepped: I9, I12, I3 (its own pointers), I1 and the arch's I13. */
export function checkCpu(k: Kernel, cpu: number): void {
  const t = k.cpuCurr[cpu]!;
  const mm = k.taskMm[t]!;
  const active = k.taskActiveMm[t]!;
  // I9: between steps IRQs are on (unless a path holds them off), so mm and active_mm must agree.
  if (mm !== NO_MM && active !== mm && k.cpuIrqsOff[cpu] === 0) {
    k.violate('I9', cpu, `${k.taskName(t)} has mm=${k.mmName(mm)} but active_mm=${k.mmName(active)} with IRQs on`);
  }
  // I12: a running task always has an active_mm; rq->prev_mm only inside the IRQs-off switch.
  if (active === NO_MM && k.taskState[t] !== TS_DEAD) {
    k.violate('I12', cpu, `${k.taskName(t)} runs with active_mm == NULL`);
  }
  if (k.cpuPrevMm[cpu] !== NO_MM && k.cpuIrqsOff[cpu] === 0) {
    k.violate('I12', cpu, `rq->prev_mm=${k.mmName(k.cpuPrevMm[cpu]!)} visible with IRQs on`);
  }
  // I3: the CPU's own lazy pointer (under a dangling-premise scheme free_mm recorded the hazard).
  if (mm === NO_MM && active > INIT_MM && !k.danglingPremise && k.mmStage[active] === MM_FREED) {
    k.violate('I3', cpu, `${k.taskName(t)} runs lazily on freed ${k.mmName(active)}`);
  }
  checkHwRoot(k, cpu);
  arch_check(k, cpu);
}

/** I12 after a switch: a task that is no longer running and has mm == NULL holds no active_mm. */
export function checkSwitchedOut(k: Kernel, cpu: number, prev: number): void {
  if (k.taskMm[prev] === NO_MM && k.taskActiveMm[prev] !== NO_MM && k.taskState[prev] !== TS_RUNNING) {
    k.violate('I12', cpu, `${k.taskName(prev)} switched out still holding active_mm=${k.mmName(k.taskActiveMm[prev]!)}`);
  }
}

/**
 * I6 at quiescence: an mm that is not freed must still have a holder (a lazy CPU, an
 * mmgrab, or users). Under REFCOUNT=y a CPU that stayed in kernel threads legitimately pins
 * its lazy mm; that is a holder, not a leak.
 */
export function checkQuiescent(k: Kernel): void {
  for (let mm = 1; mm < k.nmm; mm++) {
    const stage = k.mmStage[mm]!;
    if (stage === MM_FREED) continue;
    // Real holders only: a dead task holds nothing, whatever counters say.
    let grabs = k.mmSlotHeld[mm]!; // khugepaged's mm_slot keeps an mmgrab until it collects the slot
    for (let t = 0; t < k.ntasks; t++) {
      if (k.taskState[t] === TS_DEAD || k.taskIoMm[t] !== mm) continue;
      grabs += 1 + k.taskUsingMm[t]!;
    }
    // Lazy users, and references the scheme's own state holds (e.g. one handed to rq->drop_mm).
    const holders = k.mmUsers[mm]! + grabs + k.lazyHolders(mm) + scheme_lazy_refs(k, mm);
    if (holders === 0) {
      k.violate('I6', 0, `at quiescence ${k.mmName(mm)} (${MM_STAGE_NAMES[stage]}, mm_count=${k.mmCount[mm]}) has no holder left but was never freed`);
      return;
    }
  }
}
