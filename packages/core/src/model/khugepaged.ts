/**
 * khugepaged (mm/khugepaged.c) as a flush_tlb_range() user that frees page tables, and as a
 * kernel thread that may do an mm's final mmdrop():
 *
 * - every process it will scan has an mm_slot holding mmgrab(mm) (__khugepaged_enter);
 * - khugepaged_scan_mm_slot() on an mm whose mm_users is 0 (hpage_collapse_test_exit) only
 *   collects the slot (collect_mm_slot -> mmdrop);
 * - otherwise collapse_huge_page(): pmdp_collapse_flush() clears the PMD and flushes with
 *   flush_tlb_range() (the arch decides its freed_tables: x86 passes true since 3ef938c35035),
 *   then the old PTE table page is freed; mmap_read_unlock(); and if the mm died meanwhile the
 *   slot is collected (collect_mm_slot -> mmdrop, possibly the final one);
 * - __mmput() -> __khugepaged_exit(): drops the slot itself unless khugepaged is working on
 *   this mm, in which case it waits in mmap_write_lock() until khugepaged lets go.
 *
 * Registers of P_KHUGEPAGED: a = mm, b = unmap generation of the collapse.
 */
import { checkStaleTlb } from './invariant-checks.js';
import { arch_flush_tlb_mm_range } from './arch-calls.js';
import { FLUSH_FREED_TABLES, FLUSH_RANGE, NO_MM, NO_TASK } from '../machine/constants.js';
import { ret } from './frames.js';
import type { Kernel } from './kernel.js';
import { mmdrop } from './refs.js';
import { enqueue } from './sched.js';

export function stepKhugepaged(k: Kernel, cpu: number, f: number): void {
  const mm = k.frA[f]!;
  switch (k.frPc[f]) {
    case 0: {
      if (k.mmSlotHeld[mm] === 0) {
        ret(k, cpu); // __khugepaged_exit already freed the slot
        return;
      }
      k.useMm(cpu, mm, 'khugepaged');
      if (k.mmUsers[mm] === 0) {
        // hpage_collapse_test_exit(): the mm is dying; collect_mm_slot() -> mmdrop(mm)
        ret(k, cpu);
        collect_mm_slot(k, cpu, mm);
        return;
      }
      if (k.mmHasVmas[mm] === 0) {
        ret(k, cpu); // nothing mapped: nothing to collapse
        return;
      }
      // collapse_huge_page(): mmap_write_lock (a munmap or exit_mmap zap of this mm waits); pmdp_collapse_flush() -> flush_tlb_range()
      k.khugepagedScan = mm;
      k.holdPtLock(mm);
      k.frB[f] = ++k.mmUnmapGen[mm]!;
      k.frPc[f] = 1;
      if (k.tracer !== null) k.tracer.ev(cpu, 'collapse_huge_page', `${k.mmName(mm)}: pmdp_collapse_flush -> flush_tlb_range`);
      arch_flush_tlb_mm_range(k, cpu, mm, FLUSH_RANGE | FLUSH_FREED_TABLES);
      return;
    }
    case 1: {
      // pte_free() of the collapsed PTE table; mmap_read_unlock(mm): exit_mmap may go on now
      if (k.tracer !== null) k.tracer.ev(cpu, 'collapse_huge_page', `free the old PTE table of ${k.mmName(mm)}`);
      checkStaleTlb(k, mm, k.frB[f]!, 'PTE table (khugepaged collapse)', true);
      k.khugepagedScan = NO_MM;
      k.releasePtLock(mm);
      const w = k.khugepagedWaiter;
      if (w !== NO_TASK) {
        k.khugepagedWaiter = NO_TASK;
        enqueue(k, k.taskCpu[w]!, w);
      }
      k.frPc[f] = 2;
      return;
    }
    default:
      // if (hpage_collapse_test_exit(mm)) collect_mm_slot()
      ret(k, cpu);
      if (k.mmUsers[mm] === 0 && k.mmSlotHeld[mm] !== 0) collect_mm_slot(k, cpu, mm);
  }
}

/**
 * __khugepaged_enter(mm) when a workload is set up: the mm gets an mm_slot, which holds an
 * mmgrab() (a setup step: no atomic is counted).
 */
export function __khugepaged_enter(k: Kernel, mm: number): void {
  k.mmSlotHeld[mm] = 1;
  k.mmCount[mm]! += 1;
  k.mmGrabHolders[mm]! += 1;
}

/** collect_mm_slot(): khugepaged frees the slot of a dying mm (mmdrop, possibly the final one). */
function collect_mm_slot(k: Kernel, cpu: number, mm: number): void {
  // khugepaged_scan_mm_slot() holds khugepaged_mm_lock (a spinlock: preemption off) across
  // collect_mm_slot() -> mmdrop(): a final mmdrop runs __mmdrop in atomic context.
  k.cpuPreemptCount[cpu]! += 1;
  dropSlot(k, cpu, mm, 'collect_mm_slot', '');
  k.cpuPreemptCount[cpu]! -= 1;
}

/** Free `mm`'s slot and mmdrop() its reference (`fn`, `what`: the trace event and its text before the mmdrop). */
function dropSlot(k: Kernel, cpu: number, mm: number, fn: string, what: string): void {
  k.mmSlotHeld[mm] = 0;
  k.mmGrabHolders[mm]! -= 1;
  if (k.tracer !== null) k.tracer.ev(cpu, fn, `${what}mmdrop(${k.mmName(mm)})`);
  mmdrop(k, cpu, mm);
}

/**
 * __khugepaged_exit(mm) at the start of __mmput(). Returns false when the task must sleep in
 * mmap_write_lock() until khugepaged is done with the mm (the caller parks it; khugepaged
 * wakes it); the slot then stays for khugepaged to collect.
 */
export function khugepaged_exit(k: Kernel, cpu: number, mm: number): boolean {
  if (k.mmSlotHeld[mm] === 0) return true;
  if (k.khugepagedScan !== mm) {
    dropSlot(k, cpu, mm, 'khugepaged_exit', 'free the mm_slot: '); // never the last mmdrop: __mmput still holds mm_users' reference
    return true;
  }
  if (k.tracer !== null) k.tracer.ev(cpu, 'khugepaged_exit', `khugepaged is collapsing ${k.mmName(mm)}: mmap_write_lock() sleeps`);
  k.khugepagedWaiter = k.cpuCurr[cpu]!;
  return false;
}
