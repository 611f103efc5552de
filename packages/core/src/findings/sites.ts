/**
 * Use sites of a possibly dangling lazy mm pointer (I14 freed-mm-use, and the kernel WARN that
 * watches for it), kernel-reference §12.2. A site is a kernel function that reads a field of
 * an mm it reached through a lazy pointer (a *dereference*: a use after free if the mm_struct
 * is freed), compares such a pointer with another mm (a *stale compare*: wrong only when the
 * freed address was reused by another mm, ABA, and only when the outcome changes what the
 * kernel does, which each site's consequence rule decides), or WARNs on it.
 *
 * Every site a run can report is declared: the core's here, an arch's in
 * ArchPlugin.useSites. Findings are counted per site (kernel function) in sweep results.
 */

export type UseSiteKind = 'dereference' | 'stale-compare' | 'warn';

export interface UseSiteDoc {
  /** The kernel function (as results and reports name it), e.g. "membarrier_switch_mm". */
  readonly id: string;
  readonly kind: UseSiteKind;
  /** Where it is in the kernel and which version was read: "kernel/sched/sched.h @<commit or tree>". */
  readonly source: string;
  /** What it reads or compares. */
  readonly reads: string;
  /** When a stale pointer there changes what the kernel does (the rule the model checks). */
  readonly consequence: string;
}

/** Most sites a cell may declare (core + arch): a run records them in a 32-bit mask. */
export const MAX_USE_SITES = 32;

/**
 * The core's sites. The first two are the §12.2 uses in generic code; the rest are the
 * dereferences every generic path makes of the mm it works on, which mainline never makes on
 * a freed mm (they fire only when a mutation or a scheme breaks the lifetime rules).
 */
export const CORE_USE_SITES: readonly UseSiteDoc[] = [
  {
    id: 'membarrier_switch_mm',
    kind: 'stale-compare',
    source: 'kernel/sched/sched.h, called from context_switch() (kernel/sched/core.c) for every switch to a user task',
    reads: 'prev_mm == next_mm, prev_mm = prev->active_mm (a lazy pointer when prev is a kernel thread)',
    consequence:
      'equal by address reuse (ABA) skips WRITE_ONCE(rq->membarrier_state, next_mm->membarrier_state): a change only ' +
      "if next_mm's membarrier_state differs from rq->membarrier_state (then membarrier's expedited IPIs misjudge this CPU)",
  },
  {
    id: '__mmdrop',
    kind: 'warn',
    source: 'kernel/fork.c __mmdrop(): WARN_ON_ONCE(mm == current->active_mm) after cleanup_lazy_tlbs()',
    reads: 'mm == current->active_mm for the mm being freed',
    consequence:
      'a kernel WARN (a panic with panic_on_warn): the CPU freeing the mm still names it as its lazy mm. Under REFCOUNT=n ' +
      'without shoot-lazies it fires whenever the exiting task drops the last reference while lazy on its own mm; ' +
      '`none` is "mainline with this WARN removed", so there it is a hazard, elsewhere a violation (I3)',
  },
  ...[
    ['exit_mm', "mmgrab_lazy_tlb(mm); enter_lazy_tlb(mm, current) on the exiting task's own mm"],
    ['mmput', 'atomic_dec_and_test(&mm->mm_users)'],
    ['mmget', 'atomic_inc(&mm->mm_users) (CLONE_VM)'],
    ['mmget_not_zero', 'atomic_inc_not_zero(&mm->mm_users) (kthread_use_mm users, khugepaged)'],
    ['mmgrab', 'atomic_inc(&mm->mm_count)'],
    ['mmdrop', 'atomic_dec_and_test(&mm->mm_count)'],
    ['mmgrab_lazy_tlb', 'atomic_inc(&mm->mm_count) under MMU_LAZY_TLB_REFCOUNT=y'],
    ['mmdrop_lazy_tlb', 'atomic_dec_and_test(&mm->mm_count) under MMU_LAZY_TLB_REFCOUNT=y (only smp_mb() otherwise)'],
    ['switch_mm_irqs_off', 'next->pgd / context of the mm being switched to'],
    ['khugepaged', 'hpage_collapse_test_exit(mm): mm->mm_users, then the page tables of mm'],
  ].map(
    ([id, reads]): UseSiteDoc => ({
      id: id!,
      kind: 'dereference',
      source: 'generic mm / scheduler paths (kernel/fork.c, kernel/exit.c, kernel/sched/core.c, mm/khugepaged.c)',
      reads: reads!,
      consequence: 'a read of a freed mm_struct: a use after free whatever the slab did with it',
    }),
  ),
];
