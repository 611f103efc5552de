// The anchor Promela model's protocol (../shared/anchors/lazytlb.pml) as an explicit lazytlb workload:
// shared by scripts/spin-compare.mjs and scripts/bench-exhaustive.mjs.

/**
 * The anchor's protocol as an explicit lazytlb workload for `ncpu` CPUs (the reference arch):
 * - CPU0: A (user, mm M, the last thread to exit: exit_mm -> mmput) and then C0 (user, mm N):
 *   A's CPU switches straight to another mm, as the Promela cpu0 leaves M for init_mm;
 * - CPU i >= 1: B<i> (user, mm M) exits (exit_mm: mmgrab_lazy_tlb(M) before mmput under refcount),
 *   K<i> (a kernel thread: lazy on M, `rounds` kwork ops: the idle rounds), then C<i> (user, mm N:
 *   the switch to a user task of another mm, finish_task_switch -> mmdrop_lazy_tlb(M)).
 * Every task's program ends with exit (lazytlb tasks end), so the N tasks exit too.
 */
export function anchorWorkload(ncpu, rounds) {
  const tasks = [
    { name: 'A', kind: 'user', cpu: 0, mm: 'M', program: ['exit'] },
    { name: 'C0', kind: 'user', cpu: 0, mm: 'N', program: ['exit'] },
  ];
  for (let i = 1; i < ncpu; i++) {
    tasks.push({ name: `B${i}`, kind: 'user', cpu: i, mm: 'M', program: ['exit'] });
    tasks.push({ name: `K${i}`, kind: 'kthread', cpu: i, program: Array(rounds).fill('kwork') });
    tasks.push({ name: `C${i}`, kind: 'user', cpu: i, mm: 'N', program: ['exit'] });
  }
  return { tasks };
}
