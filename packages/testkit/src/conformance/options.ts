/**
 * Options of the conformance suite. Defaults are sized so the whole suite runs in a few
 * seconds on the reference arch; raise `seeds` in CI or when hunting a rare failure.
 */
import type { PreemptModel, ProfileName, Scheme, SchemeOptions, WorkloadSpec } from '@lazytlb/core';
import { SCHEMES } from '@lazytlb/core';

export interface ConformanceOptions {
  /** Option sets to run the dynamic checks with (each becomes its own describe block). Default [{}]. */
  readonly archOptions?: readonly unknown[];
  /** Seeds per CPU count for the clean-run check (default 300). */
  readonly seeds?: number;
  /** CPU counts of the clean-run, determinism and replay checks (default [2, 4], capped by maxCpus). */
  readonly cpuCounts?: readonly number[];
  /** Seeds per scheme for determinism and the Math.random check (default 8). */
  readonly determinismSeeds?: number;
  /** Recorded runs per scheme replayed from their artifacts (default 3). */
  readonly replaySeeds?: number;
  /** Schemes of the determinism, Math.random, serialization and replay checks (default all three). */
  readonly schemes?: readonly Scheme[];
  /**
   * Schemes whose runs must all end 'ok' (default ['refcount']: every arch must be safe with
   * the mainline default; shootdown/none verdicts are results, not conformance). Under
   * refcount and shootdown a clean run also records no hazard; under none hazards are allowed
   * (its premise is a dangling pointer) but no violation, e.g. no I14.
   */
  readonly cleanSchemes?: readonly Scheme[];
  /**
   * Options per scheme for every cell of that scheme, e.g. { shootdown: { mask: 'online' } } for
   * an arch that keeps no mm_cpumask for user mms (arm64). Default: each scheme's defaults.
   */
  readonly schemeOptions?: Partial<Readonly<Record<Scheme, SchemeOptions>>>;
  /** Preemption model of every cell (default: core's, 'full'). */
  readonly preempt?: PreemptModel;
  /** Workload of the dynamic checks (default 'default'). */
  readonly workload?: WorkloadSpec | ProfileName;
  /** Unknown option keys must be rejected (a typo must not silently fall back to a default). Default true. */
  readonly strictOptions?: boolean;
  /** More option values the schema must reject, e.g. [{ mode: 'bogus' }]. */
  readonly invalidOptions?: readonly unknown[];
  /**
   * Seeds of the `hotplug` profile (a CPU taken offline and back, twice per run) that must
   * run clean under each clean scheme with the largest CPU count; 0 skips it (default 100).
   */
  readonly hotplugSeeds?: number;
  /**
   * Seeds per scheme of the optional-hook check (cpu_idle_deep, use_temporary_mm,
   * suspend_resume, tlbbatch_flush called with well-formed arguments, never throwing); default 40.
   */
  readonly hookSeeds?: number;
  /** Per-test timeout in ms, passed to `it` (default 60000). */
  readonly timeout?: number;
}

export interface ResolvedConformanceOptions {
  readonly archOptions: readonly unknown[];
  readonly seeds: number;
  readonly cpuCounts: readonly number[];
  readonly determinismSeeds: number;
  readonly replaySeeds: number;
  readonly schemes: readonly Scheme[];
  readonly cleanSchemes: readonly Scheme[];
  readonly schemeOptions: Partial<Readonly<Record<Scheme, SchemeOptions>>>;
  readonly preempt: PreemptModel | undefined;
  readonly workload: WorkloadSpec | ProfileName;
  readonly strictOptions: boolean;
  readonly invalidOptions: readonly unknown[];
  readonly hotplugSeeds: number;
  readonly hookSeeds: number;
  readonly timeout: number;
}

export function resolveConformanceOptions(o: ConformanceOptions, maxCpus: number): ResolvedConformanceOptions {
  const wanted = o.cpuCounts ?? [2, 4];
  const fit = wanted.filter((c) => c >= 1 && c <= maxCpus);
  return {
    archOptions: o.archOptions ?? [{}],
    seeds: o.seeds ?? 300,
    cpuCounts: fit.length > 0 ? fit : [Math.min(2, maxCpus)],
    determinismSeeds: o.determinismSeeds ?? 8,
    replaySeeds: o.replaySeeds ?? 3,
    schemes: o.schemes ?? SCHEMES,
    cleanSchemes: o.cleanSchemes ?? ['refcount'],
    schemeOptions: o.schemeOptions ?? {},
    preempt: o.preempt,
    workload: o.workload ?? 'default',
    strictOptions: o.strictOptions ?? true,
    invalidOptions: o.invalidOptions ?? [],
    hotplugSeeds: o.hotplugSeeds ?? 100,
    hookSeeds: o.hookSeeds ?? 40,
    timeout: o.timeout ?? 60_000,
  };
}
