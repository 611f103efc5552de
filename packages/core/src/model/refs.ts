/**
 * mm reference counting (include/linux/sched/mm.h, kernel/fork.c): mm_users via
 * mmget/mmput, mm_count via mmgrab/mmdrop, and the lazy-TLB helpers whose meaning depends
 * on the scheme (mmgrab_lazy_tlb / mmdrop_lazy_tlb / mmdrop_lazy_tlb_sched).
 */
import { scheme_mmdrop_lazy_tlb, scheme_mmgrab_lazy_tlb } from './scheme-calls.js';
import { INIT_MM, MM_FREED } from '../machine/constants.js';
import { call, P_MMDROP, P_MMPUT } from './frames.js';
import type { Kernel } from './kernel.js';

/**
 * init_mm's mm_count: mainline really does atomic_inc / atomic_dec on it (mmgrab_lazy_tlb of a
 * CPU lazy on init_mm, sched_force_init_mm, cpu_up), so the atomics and cache-line transfers
 * are counted; its value is not tracked (it never reaches zero, and its lazy holders are not
 * part of I4).
 */
function initMmAtomic(k: Kernel, cpu: number): void {
  k.countAtomic(cpu, INIT_MM);
}

/**
 * atomic_inc(&mm->mm_count) (atomic_add(n, ...) for a batch: one atomic). Grabbing an mm whose
 * count already reached zero is a resurrection (I11).
 */
export function incCount(k: Kernel, cpu: number, mm: number, what: string, n = 1): void {
  if (mm === INIT_MM) {
    initMmAtomic(k, cpu);
    return;
  }
  k.useMm(cpu, mm, what);
  if (k.mmCount[mm]! <= 0 && k.mmStage[mm] !== MM_FREED) {
    k.violate('I11', cpu, `${what} on ${k.mmName(mm)} after its mm_count reached 0`);
  }
  k.mmCount[mm]! += n;
  k.countAtomic(cpu, mm);
  k.touch(mm);
}

/**
 * atomic_dec_and_test(&mm->mm_count) (atomic_sub of a batch of n: one atomic); on reaching 0
 * calls __mmdrop (pushed as the next steps of `cpu`).
 */
export function decCount(k: Kernel, cpu: number, mm: number, what: string, n = 1): void {
  if (mm === INIT_MM) {
    initMmAtomic(k, cpu);
    return;
  }
  k.useMm(cpu, mm, what);
  const left = k.mmCount[mm]! - n;
  k.mmCount[mm] = left;
  k.countAtomic(cpu, mm);
  k.touch(mm);
  if (left < 0) {
    k.violate('I5', cpu, `${what}: mm_count of ${k.mmName(mm)} went negative (${left})`);
  } else if (left === 0) {
    if (k.inIrq) {
      // __mmdrop frees memory and (SHOOTDOWN) sends IPIs with wait=1: never from hardirq.
      k.violate('I5', cpu, `${what}: final mmdrop of ${k.mmName(mm)} from interrupt context`);
      return;
    }
    if (k.cpuOnline[cpu] === 0) {
      // __mmdrop frees memory and may use RCU: not on a CPU RCU no longer watches (bf2c59fce407)
      k.violate('I5', cpu, `${what}: final mmdrop of ${k.mmName(mm)} on offline CPU${cpu}`);
      return;
    }
    if (k.tracer !== null) k.tracer.ev(cpu, '__mmdrop', `${k.mmName(mm)} mm_count 1->0`);
    call(k, cpu, P_MMDROP, mm, k.cpuPreemptCount[cpu]!, 0); // b: the caller holds a spinlock (preemption off)
  }
}

/** mmgrab(): a real (non-lazy) mm_count reference. */
export function mmgrab(k: Kernel, cpu: number, mm: number): void {
  incCount(k, cpu, mm, 'mmgrab');
}

/** mmdrop() of a real reference taken with mmgrab(). */
export function mmdrop(k: Kernel, cpu: number, mm: number): void {
  decCount(k, cpu, mm, 'mmdrop');
}

/** __mmput's mmdrop(mm): the mm_count reference that mm_users > 0 collectively held. */
export function mmdropUsersRef(k: Kernel, cpu: number, mm: number): void {
  k.mmUsersRef[mm] = 0;
  if (k.mmCount[mm]! - 1 > k.mmGrabHolders[mm]!) {
    // The scheme's lazy references (REFCOUNT's lazy holders, converted references) still hold
    // it: the struct, pgd and context stay allocated until they go. (With I4 holding, the
    // count above the users ref and the mmgrab holders is exactly the scheme's lazy_refs.)
    k.mmLazyPinned[mm] = 1;
    k.adjustPinned(0, 1);
  }
  decCount(k, cpu, mm, 'mmdrop');
}

/**
 * mmgrab_lazy_tlb() from `site` (LAZY_*): the scheme's (REFCOUNT=y: mmgrab(), init_mm
 * included; otherwise nothing, or what a proposal does).
 */
export function mmgrab_lazy_tlb(k: Kernel, cpu: number, mm: number, site: number): void {
  scheme_mmgrab_lazy_tlb(k, cpu, mm, site);
}

/**
 * mmdrop_lazy_tlb() / mmdrop_lazy_tlb_sched() (site LAZY_FINISH_TASK_SWITCH; identical on
 * !PREEMPT_RT): the scheme's (REFCOUNT=y: mmdrop(); otherwise smp_mb(), which membarrier relies
 * on: include/linux/sched/mm.h).
 */
export function mmdrop_lazy_tlb(k: Kernel, cpu: number, mm: number, site: number): void {
  scheme_mmdrop_lazy_tlb(k, cpu, mm, site);
}

/** mmget(): CLONE_VM and the like; the caller already holds a users reference. */
export function mmget(k: Kernel, cpu: number, mm: number): void {
  k.useMm(cpu, mm, 'mmget');
  if (k.mmUsers[mm]! <= 0) k.violate('I11', cpu, `mmget on ${k.mmName(mm)} after mm_users reached 0`);
  k.mmUsers[mm]! += 1;
  k.smpMb(cpu); // atomic_inc: a locked RMW
}

/** mmget_not_zero(): fails once mm_users is 0 (kthread_use_mm users such as io_uring). */
export function mmget_not_zero(k: Kernel, cpu: number, mm: number): boolean {
  k.useMm(cpu, mm, 'mmget_not_zero');
  k.smpMb(cpu); // atomic_inc_not_zero: a cmpxchg loop (locked RMW)
  if (k.mmUsers[mm]! <= 0) return false;
  k.mmUsers[mm]! += 1;
  return true;
}

/** mmput(): pushes the mmput path (atomic_dec_and_test(&mm->mm_users) is its first step). */
export function mmput(k: Kernel, cpu: number, mm: number): void {
  call(k, cpu, P_MMPUT, mm, 0, 0);
}

/**
 * (mutation mmgrab-lazy-nonatomic) The load half of a non-atomic lazy grab: runs the scheme's
 * mmgrab_lazy_tlb(mm) from `site`, but its mm_count grab of `mm` (REFCOUNT=y: mmgrab) only reads
 * the count. Returns the value read, which lazyGrabStore() writes back + 1 at a later step; or
 * -1 when the scheme took no mm_count reference on `mm` there (nothing to store: shootdown, init_mm).
 */
export function lazyGrabLoad(k: Kernel, cpu: number, mm: number, site: number): number {
  const atomic = k.schemeMmgrab;
  let loaded = -1;
  k.schemeMmgrab = (c, m, what, n = 1) => {
    if (m !== mm || m === INIT_MM || n !== 1 || loaded >= 0) {
      atomic(c, m, what, n);
      return;
    }
    k.useMm(c, m, what);
    if (k.mmCount[m]! <= 0 && k.mmStage[m] !== MM_FREED) {
      k.violate('I11', c, `${what} on ${k.mmName(m)} after its mm_count reached 0`);
    }
    loaded = Math.max(0, k.mmCount[m]!);
  };
  try {
    mmgrab_lazy_tlb(k, cpu, mm, site);
  } finally {
    k.schemeMmgrab = atomic;
  }
  if (loaded >= 0 && k.tracer !== null) k.tracer.ev(cpu, 'mmgrab_lazy_tlb', `tmp = ${k.mmName(mm)}->mm_count (${loaded}) (mutation: non-atomic)`);
  return loaded;
}

/** (mutation mmgrab-lazy-nonatomic) The store half: mm->mm_count = tmp + 1, losing any update since the load. */
export function lazyGrabStore(k: Kernel, cpu: number, mm: number, loaded: number): void {
  k.useMm(cpu, mm, 'mmgrab_lazy_tlb');
  if (k.tracer !== null) {
    const lost = k.mmCount[mm]! !== loaded ? ` (lost: it was ${k.mmCount[mm]} by now)` : '';
    k.tracer.ev(cpu, 'mmgrab_lazy_tlb', `${k.mmName(mm)}->mm_count = tmp + 1 = ${loaded + 1}${lost}`);
  }
  k.mmCount[mm] = loaded + 1;
  k.countAtomic(cpu, mm); // the cache-line transfer of the store (the load took none)
  k.touch(mm);
}
