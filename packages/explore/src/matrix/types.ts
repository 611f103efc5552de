/**
 * The configuration space a sweep covers: a matrix (what the user writes, in a file or as
 * flags) expands into cells (one arch + options, scheme, preemption model, memory model, CPU
 * count, workload, strategy each).
 */
import type { InvariantId, MemoryModel, PreemptModel, StrategySpec, WorkloadSpec } from '@lazytlb/core';

/** An arch as the user names it: a bundled plugin, an installed package or a path, plus its options. */
export interface ArchSpec {
  /** Bundled plugin name (`x86-native`, `x86-paravirt`, `powerpc`, `reference`), package name, or the name of a --plugin PATH plugin. */
  readonly name: string;
  readonly options: Readonly<Record<string, unknown>>;
}

/**
 * A scheme as the user names it: a bare name (its default options), or a name with options
 * (`shootdown:mask=online`, `{ name: shootdown, options: { mask: online } }`). The name is a
 * bundled scheme (core's refcount, shootdown, none, and the scheme packages shipped with the
 * CLI), a `--plugin PATH` scheme plugin's or an installed `@lazytlb/scheme-NAME`'s
 * (plugins/schemes.ts). Matrix input keeps only the options that differ from the scheme's
 * defaults (core's resolveSchemeOptions against the plugin's schema), so
 * `shootdown:mask=cpumask` is the bare `shootdown`.
 */
export type SchemeSpec = string | { readonly name: string; readonly options: Readonly<Record<string, unknown>> };

export function schemeName(s: SchemeSpec): string {
  return typeof s === 'string' ? s : s.name;
}

/** The options of a scheme entry (non-default only; undefined when none). */
export function schemeOptionsOf(s: SchemeSpec): Readonly<Record<string, unknown>> | undefined {
  return typeof s === 'string' || Object.keys(s.options).length === 0 ? undefined : s.options;
}

export interface MatrixSpec {
  readonly arches: readonly ArchSpec[];
  readonly schemes: readonly SchemeSpec[];
  /**
   * Preemption models of the simulated kernel (CONFIG_PREEMPT_*), one cell dimension value
   * each. Absent: `['full']` (the default; a `full` cell records no preempt, so its id is
   * that of a cell of a sweep without this axis).
   */
  readonly preempts?: readonly PreemptModel[];
  /**
   * Memory models (core's MEMORY_MODELS: `sc`, or `tso` with per-CPU store buffers), one cell
   * dimension value each. Absent: `['sc']` (the default; an `sc` cell records no memory, so its
   * id is that of a cell of a sweep without this axis). Every arch of the matrix must offer
   * every model listed (core's memoryModelRefusal).
   */
  readonly memories?: readonly MemoryModel[];
  readonly cpus: readonly number[];
  readonly workloads: readonly WorkloadSpec[];
  readonly strategies: readonly StrategySpec[];
  /** Runs per cell (upper bound when a time budget is set). */
  readonly runs: number;
  /** Wall-clock budget for the whole sweep, in ms (optional). */
  readonly timeBudgetMs?: number;
  /** Base seed: part of every cell id, so a different seed gives different runs. */
  readonly seed: string;
  /** Step budget per run (default: core's). */
  readonly stepBudget?: number;
  /**
   * Mutation sets, one cell dimension value each (innermost axis): `[]` is the unmutated
   * model, `['a', 'b']` enables mutations a and b together. Absent: `[[]]` (unmutated only).
   */
  readonly mutations?: readonly (readonly string[])[];
}

/** One cell of the matrix, in expansion order. */
export interface CellSpec {
  readonly index: number;
  readonly arch: ArchSpec;
  /** Scheme name: a bundled scheme or a scheme plugin's (resolved by name, as arches are). */
  readonly scheme: string;
  /** Scheme options that differ from the scheme's defaults; absent when none do (cell key unchanged). */
  readonly schemeOptions?: Readonly<Record<string, unknown>>;
  /** Preemption model; absent for the default `full` (cell key unchanged). */
  readonly preempt?: PreemptModel;
  /** Memory model; absent for the default `sc` (cell key unchanged). */
  readonly memory?: MemoryModel;
  readonly cpus: number;
  readonly workload: WorkloadSpec;
  readonly strategy: StrategySpec;
  readonly stepBudget?: number;
  /** Enabled mutations, sorted and de-duplicated; absent for the unmutated model (its cell key is unchanged). */
  readonly mutations?: readonly string[];
  /**
   * Oracles switched off (core's SimulatorOptions.disabledInvariants; recorded in the cell id
   * and artifacts). Only `lazytlb mutants` sets it, to measure a bug past the oracle that
   * would stop it first.
   */
  readonly disabledInvariants?: readonly InvariantId[];
}

/** "powerpc:mmu=radix": an arch spec as the --arch flag and reports write it (options sorted by name). */
export function formatArchSpec(spec: ArchSpec): string {
  const opts = Object.entries(spec.options)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return opts.length > 0 ? `${spec.name}:${opts.join(',')}` : spec.name;
}
