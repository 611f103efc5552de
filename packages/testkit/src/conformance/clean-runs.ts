/**
 * Every arch must be safe with the mainline default, MMU_LAZY_TLB_REFCOUNT=y
 * (kernel-reference §5.1 column A is "Safe" on every platform): over many seeds of the
 * default workload, each run ends 'ok' — no invariant violation, no plugin error, no
 * deadlock, no exhausted step budget. A failure is reported with its replayed LKML trace
 * and its artifact.
 */
import { type CellSpec, makeSim, reportRun, seedsOf } from './cell.js';

export function checkCleanRuns(cell: CellSpec, nSeeds: number): void {
  const sim = makeSim(cell);
  const seeds = seedsOf(sim, nSeeds);
  let bad = 0;
  let first: string | null = null;
  const kinds = new Map<string, number>();
  seeds.forEach((s, i) => {
    const r = sim.run(s);
    if (r.outcome === 'ok') return;
    bad++;
    const kind = r.violation !== null ? `${r.outcome} ${r.violation.invariant}` : r.outcome;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    first ??= reportRun(cell, sim, s, r, i);
  });
  if (bad > 0) {
    const summary = [...kinds].map(([k, n]) => `${n}x ${k}`).join(', ');
    throw new Error(`${bad} of ${nSeeds} runs did not end ok (${summary}). First:\n${first}`);
  }
}
