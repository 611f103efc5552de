/**
 * Cells of the scheme conformance suite: a scheme plugin (with its options) on an arch (the
 * reference arch, or one the author names in `arches`), a memory model, a CPU count and a
 * workload. Per-run seeds are derived as a sweep derives them (runSeed(hash(cell id), i)),
 * and a failed run is reported with its outcome, its LKML-style trace (replayed from the
 * artifact, with the scheme plugin) and the artifact itself.
 */
import {
  Simulator,
  formatScheme,
  replayArtifact,
  resolveSchemeOptions,
  type ArchPlugin,
  type InvariantId,
  type MemoryModel,
  type PreemptModel,
  type ProfileName,
  type RunResult,
  type RunSeed,
  type SchemePlugin,
  type WorkloadSpec,
} from '@lazytlb/core';
import { reportRunWith } from '../cell.js';

/** An arch the scheme runs on, with the arch's options (default: its defaults). */
export interface SchemeConformanceArch {
  readonly plugin: ArchPlugin<any>;
  readonly archOptions?: unknown;
}

export interface SchemeCellSpec {
  readonly scheme: SchemePlugin<any>;
  /** The scheme's options as given (validated when the cell is made). */
  readonly schemeOptions?: unknown;
  readonly arch: SchemeConformanceArch;
  /** Default 'sc'. */
  readonly memory?: MemoryModel;
  readonly preempt?: PreemptModel;
  readonly cpus: number;
  readonly workload: WorkloadSpec | ProfileName;
  /** Oracles switched off (runs go on past their findings). */
  readonly disabledInvariants?: readonly InvariantId[];
}

/** A Simulator of the cell; `scheme` replaces the cell's scheme plugin (a probed copy of it). */
export function makeSchemeSim(c: SchemeCellSpec, scheme: SchemePlugin<any> = c.scheme): Simulator {
  return new Simulator({
    plugin: c.arch.plugin,
    archOptions: c.arch.archOptions,
    scheme: scheme.name,
    schemePlugin: scheme,
    cpus: c.cpus,
    workload: c.workload,
    strategy: { kind: 'random' },
    ...(c.schemeOptions !== undefined ? { schemeOptions: c.schemeOptions } : {}),
    ...(c.memory !== undefined ? { memory: c.memory } : {}),
    ...(c.preempt !== undefined ? { preempt: c.preempt } : {}),
    ...(c.disabledInvariants !== undefined ? { disabledInvariants: c.disabledInvariants } : {}),
  });
}

/** The scheme as the CLI writes it, "name:key=value" (defaults dropped). */
export function schemeOptionsLabel(scheme: SchemePlugin<any>, options: unknown): string {
  try {
    return formatScheme(scheme.name, resolveSchemeOptions(scheme as SchemePlugin<unknown>, options));
  } catch {
    return `${String(scheme.name)} ${JSON.stringify(options ?? {})}`;
  }
}

/** The arch as test names write it: its name, and its options when given. */
export function archLabel(a: SchemeConformanceArch): string {
  const opts = a.archOptions === undefined || JSON.stringify(a.archOptions) === '{}' ? '' : ` ${JSON.stringify(a.archOptions)}`;
  return `${String(a.plugin.name)}${opts}`;
}

export function workloadLabel(w: WorkloadSpec | ProfileName): string {
  return typeof w === 'string' ? w : JSON.stringify(w);
}

export function schemeCellLabel(c: SchemeCellSpec): string {
  return `${schemeOptionsLabel(c.scheme, c.schemeOptions)} on ${archLabel(c.arch)} ${c.memory ?? 'sc'}${c.preempt !== undefined ? ` preempt=${c.preempt}` : ''}, ${c.cpus} CPUs, ${workloadLabel(c.workload)}`;
}

/** A report of a run: outcome, the trace replayed from its artifact, and the artifact. */
export function reportSchemeRun(c: SchemeCellSpec, sim: Simulator, seed: RunSeed, r: RunResult, runIndex: number): string {
  return reportRunWith(schemeCellLabel(c), sim, seed, r, runIndex, {
    replay: (artifact) => replayArtifact(artifact, c.arch.plugin, { trace: true, scheme: sim.schemePlugin }),
    how: 'replayArtifact(artifact, arch, { scheme })',
    cpus: c.cpus,
    traceLines: 60,
  });
}

/** A thrown value as one line (with the first stack frame, which names the hook's file). */
export function thrownLine(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const at = (e.stack ?? '').split('\n').find((l) => l.trim().startsWith('at '));
  return `${e.name}: ${e.message}${at !== undefined ? ` (${at.trim()})` : ''}`;
}

/** The CPU counts of `wanted` an arch models (at least one: the smallest it can). */
export function cpuCountsFor(arch: SchemeConformanceArch, wanted: readonly number[]): number[] {
  const max = arch.plugin.capabilities?.maxCpus ?? 2;
  const fit = wanted.filter((c) => c >= 1 && c <= max);
  return fit.length > 0 ? fit : [Math.min(2, max)];
}

/** The memory models an arch offers (ABI v2 memoryModels; v1: sc only). */
export function memoryModelsOf(arch: SchemeConformanceArch): readonly MemoryModel[] {
  return (arch.plugin as { memoryModels?: readonly MemoryModel[] }).memoryModels ?? ['sc'];
}
