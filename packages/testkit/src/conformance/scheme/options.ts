/**
 * Options of the scheme conformance suite. Defaults are sized so the suite takes a second or
 * two per scheme on the reference arch; raise the seed counts in CI or when hunting a rare
 * plugin error.
 */
import { referenceArch, type ArchPlugin, type PreemptModel, type ProfileName, type SchemePlugin, type WorkloadSpec } from '@lazytlb/core';
import type { TestRunner } from '../runner.js';
import type { SchemeConformanceArch } from './cell.js';
import { listedOptionSets } from './descriptor.js';

export interface SchemeConformanceOptions {
  /**
   * The test runner's describe / it / expect (vitest's and jest's fit). Default: the running
   * vitest's, else the global ones (jest, vitest with globals).
   */
  readonly runner?: TestRunner;
  /**
   * Option sets of the scheme for the dynamic checks (each becomes its own describe block).
   * Default: `{}` and, for every option whose values can be listed (an enum, a boolean, a
   * literal), each other value on its own (e.g. shootdown: `{}`, `{ mask: 'online' }`).
   */
  readonly schemeOptions?: readonly unknown[];
  /**
   * More arches to run the scheme on (an arch plugin, or `{ plugin, archOptions }`), each at
   * every CPU count and every memory model it offers: the no-plugin-error, hook-call,
   * determinism, sequence and shared-state checks run on them too, and an arch that offers
   * `tso` runs the I4 accounting check under tso (the reference arch offers only `sc`).
   * The reference arch is always run.
   */
  readonly arches?: readonly (ArchPlugin<any> | SchemeConformanceArch)[];
  /** Seeds per cell of the no-plugin-error check (default 200). */
  readonly seeds?: number;
  /** CPU counts (default [2, 4], capped by each arch's maxCpus). */
  readonly cpuCounts?: readonly number[];
  /** Seeds per cell and workload of the I4 accounting check (default 200). */
  readonly accountingSeeds?: number;
  /** Seeds per cell of the sequence-hook check, on the exit-heavy profile (default 200). */
  readonly sequenceSeeds?: number;
  /** Seeds per cell and workload of the probed hook-call, shared-state and barrier checks (default 40). */
  readonly hookSeeds?: number;
  /** Seeds per cell of the determinism and Math.random checks (default 8). */
  readonly determinismSeeds?: number;
  /** Recorded runs replayed from their artifacts (default 3). */
  readonly replaySeeds?: number;
  /** Workload of the no-plugin-error check and, with exit-heavy, of the others (default 'default'). */
  readonly workload?: WorkloadSpec | ProfileName;
  /** Preemption model of every cell (default: core's, 'full'). */
  readonly preempt?: PreemptModel;
  /** Unknown option keys must be refused (a typo must not silently fall back to a default). Default true. */
  readonly strictOptions?: boolean;
  /** More option values the schema must refuse, e.g. [{ mode: 'bogus' }]. */
  readonly invalidOptions?: readonly unknown[];
  /**
   * Where the per-cell outcome counts of the no-plugin-error check go (violations are findings
   * for sweeps, not conformance failures, but worth a look). Default console.log; null: nowhere.
   */
  readonly log?: ((line: string) => void) | null;
  /** Per-test timeout in ms, passed to `it` (default 60000). */
  readonly timeout?: number;
}

export interface ResolvedSchemeConformanceOptions {
  readonly schemeOptions: readonly unknown[];
  /** The reference arch first, then options.arches. */
  readonly arches: readonly SchemeConformanceArch[];
  readonly seeds: number;
  readonly cpuCounts: readonly number[];
  readonly accountingSeeds: number;
  readonly sequenceSeeds: number;
  readonly hookSeeds: number;
  readonly determinismSeeds: number;
  readonly replaySeeds: number;
  readonly workload: WorkloadSpec | ProfileName;
  readonly preempt: PreemptModel | undefined;
  readonly strictOptions: boolean;
  readonly invalidOptions: readonly unknown[];
  readonly log: ((line: string) => void) | null;
  readonly timeout: number;
}

export const REFERENCE: SchemeConformanceArch = { plugin: referenceArch };

export function resolveSchemeConformanceOptions(plugin: SchemePlugin<any>, o: SchemeConformanceOptions): ResolvedSchemeConformanceOptions {
  const extra = (o.arches ?? []).map(
    (a): SchemeConformanceArch =>
      'plugin' in a && typeof (a as SchemeConformanceArch).plugin === 'object' ? (a as SchemeConformanceArch) : { plugin: a as ArchPlugin<any> },
  );
  return {
    schemeOptions: o.schemeOptions ?? listedOptionSets(plugin),
    arches: [REFERENCE, ...extra],
    seeds: o.seeds ?? 200,
    cpuCounts: o.cpuCounts ?? [2, 4],
    accountingSeeds: o.accountingSeeds ?? 200,
    sequenceSeeds: o.sequenceSeeds ?? 200,
    hookSeeds: o.hookSeeds ?? 40,
    determinismSeeds: o.determinismSeeds ?? 8,
    replaySeeds: o.replaySeeds ?? 3,
    workload: o.workload ?? 'default',
    preempt: o.preempt,
    strictOptions: o.strictOptions ?? true,
    invalidOptions: o.invalidOptions ?? [],
    log: o.log === undefined ? (line) => console.log(line) : o.log,
    timeout: o.timeout ?? 60_000,
  };
}
