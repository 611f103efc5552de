/**
 * Every arch must be safe with the mainline default, MMU_LAZY_TLB_REFCOUNT=y
 * (kernel-reference §5.1 column A is "Safe" on every platform): over many seeds of the
 * default workload, each run ends 'ok' — no invariant violation, no plugin error, no
 * deadlock, no exhausted step budget. A failure is reported with its replayed LKML trace
 * and its artifact.
 *
 * Hazards: under a scheme that promises no lazy pointer outlives its mm (`refcount`,
 * `shootdown`) a clean run also records no hazard and no use-site finding (I3 is a violation
 * there anyway; this guards the promise itself). Under a scheme whose premise is a dangling
 * pointer (`none`: SCHEME_DANGLING_PREMISE) hazards and kernel-WARN sites are allowed — what
 * must not happen is a violation, e.g. I14, a use of a freed mm.
 *
 * The default workload drives today's lazy exits and flush users (deep idle, text_poke,
 * mremap, khugepaged, kswapd reclaim, a suspend/resume kworker, io_uring, membarrier,
 * kthread_use_mm workers): the first runs are traced and each activity the workload enables
 * must show up in them, so a clean verdict covers the plugin's code on those paths.
 */
import { SCHEME_DANGLING_PREMISE, findingIds, resolveWorkload, type RunResult, type Scheme, type WorkloadParams } from '@lazytlb/core';
import { type CellSpec, cellLabel, makeSim, reportRun, seedsOf } from './cell.js';
import type { OptionalRunHook } from './hook-contracts.js';

/** Runs traced (from the first seed) to see which activities the clean runs exercised. */
export const TRACED_CLEAN_RUNS = 20;

/**
 * Activities of the profile workloads: the parameter that turns each on, the trace event that
 * shows it, and the optional arch hook it calls (if any).
 */
export const WORKLOAD_ACTIVITIES: readonly {
  readonly name: string;
  readonly on: (p: WorkloadParams) => boolean;
  readonly fn: string;
  readonly hook?: OptionalRunHook;
}[] = [
  { name: 'deep idle (cpuidle_enter_state)', on: (p) => p.deepIdles > 0, fn: 'cpuidle_enter_state', hook: 'cpu_idle_deep' },
  { name: 'text_poke (use_temporary_mm)', on: (p) => p.ops.textPoke > 0, fn: 'text_poke', hook: 'use_temporary_mm' },
  { name: 'mremap (flush_tlb_range)', on: (p) => p.ops.mremap > 0, fn: 'mremap' },
  { name: 'khugepaged collapse', on: (p) => p.khugepagedScans > 0, fn: 'collapse_huge_page' },
  { name: 'kswapd reclaim (arch_tlbbatch_flush)', on: (p) => p.reclaims > 0, fn: 'try_to_unmap', hook: 'tlbbatch_flush' },
  { name: 'suspend/resume', on: (p) => p.suspends > 0, fn: 'suspend_devices_and_enter', hook: 'suspend_resume' },
  { name: 'io_uring_setup', on: (p) => p.ioUring > 0, fn: 'io_uring_setup' },
  { name: 'membarrier registration', on: (p) => p.ops.membarrier > 0, fn: 'membarrier' },
  { name: 'kthread_use_mm', on: (p) => p.useMmWorkers > 0, fn: 'kthread_use_mm' },
];

/**
 * Why a run is not clean under `scheme`, or null: it did not end ok, or (under a scheme that
 * promises no dangling lazy pointer) it recorded a hazard or a use-site finding.
 */
export function whyNotClean(r: Pick<RunResult, 'outcome' | 'violation' | 'hazards' | 'useSites' | 'siteIds'>, scheme: Scheme): string | null {
  if (r.outcome !== 'ok') return r.violation !== null ? `${r.outcome} ${r.violation.invariant}` : r.outcome;
  if (SCHEME_DANGLING_PREMISE[scheme]) return null;
  if (r.hazards !== 0) return 'ok but with hazard I3 (a lazy pointer outlived its mm under a scheme that promises it cannot)';
  if (r.useSites !== 0) return `ok but use site(s) ${findingIds(r).useSites.join(', ')} fired`;
  return null;
}

export function checkCleanRuns(cell: CellSpec, nSeeds: number): void {
  const sim = makeSim(cell);
  const dangling = SCHEME_DANGLING_PREMISE[cell.scheme];
  const seeds = seedsOf(sim, nSeeds);
  const traced = Math.min(TRACED_CLEAN_RUNS, nSeeds);
  const seen = new Set<string>();
  let bad = 0;
  let first: string | null = null;
  const kinds = new Map<string, number>();
  seeds.forEach((s, i) => {
    const r = sim.run(s, i < traced ? { trace: true } : {});
    if (r.trace !== null) for (const e of r.trace) seen.add(e.fn);
    const why = whyNotClean(r, cell.scheme);
    if (why === null) return;
    bad++;
    kinds.set(why, (kinds.get(why) ?? 0) + 1);
    first ??= reportRun(cell, sim, s, r, i);
  });
  if (bad > 0) {
    const summary = [...kinds].map(([k, n]) => `${n}x ${k}`).join(', ');
    throw new Error(`${bad} of ${nSeeds} runs did not end ok${dangling ? '' : ' without hazards'} (${summary}). First:\n${first}`);
  }
  const params = resolveWorkload(cell.workload).params;
  const missed = WORKLOAD_ACTIVITIES.filter((a) => a.on(params) && !seen.has(a.fn));
  if (missed.length > 0 && traced >= TRACED_CLEAN_RUNS) {
    throw new Error(
      `${cellLabel(cell)}: the workload enables ${missed.map((a) => a.name).join(', ')}, but none of the first ${traced} clean runs did it ` +
        `(no ${missed.map((a) => a.fn).join(' / ')} event): the clean-run check would not cover the plugin on those paths`,
    );
  }
}
