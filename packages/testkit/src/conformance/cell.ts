/**
 * Cells of the configuration space the suite runs (arch + options, scheme, CPUs, workload),
 * their per-run seeds (derived exactly as a sweep derives them: runSeed(hash(cell id), i)),
 * and a readable report of a failed run: its outcome, its LKML-style trace (replayed from the
 * artifact with tracing on) and the artifact itself, so the failure can be replayed.
 */
import {
  Simulator,
  formatScheme,
  formatTraceColumns,
  hashString128,
  makeArtifact,
  replayArtifact,
  resolveSchemeOptions,
  runSeed,
  seedToHex,
  type Artifact,
  type ArchPlugin,
  type PreemptModel,
  type ProfileName,
  type ReplayResult,
  type RunResult,
  type RunSeed,
  type Scheme,
  type SchemeOptions,
  type WorkloadSpec,
} from '@lazytlb/core';

export interface CellSpec {
  readonly plugin: ArchPlugin<unknown>;
  readonly archOptions: unknown;
  readonly scheme: Scheme;
  /** The scheme's options (e.g. { mask: 'online' } for shootdown); default: the scheme's defaults. */
  readonly schemeOptions?: SchemeOptions;
  /** Preemption model of the simulated kernel (default: core's, 'full'). */
  readonly preempt?: PreemptModel;
  readonly cpus: number;
  readonly workload: WorkloadSpec | ProfileName;
}

export function makeSim(c: CellSpec): Simulator {
  return new Simulator({
    plugin: c.plugin,
    archOptions: c.archOptions,
    scheme: c.scheme,
    cpus: c.cpus,
    workload: c.workload,
    strategy: { kind: 'random' },
    ...(c.schemeOptions !== undefined ? { schemeOptions: c.schemeOptions } : {}),
    ...(c.preempt !== undefined ? { preempt: c.preempt } : {}),
  });
}

/** The scheme as the CLI writes it: "shootdown:mask=online" (defaults dropped). */
export function schemeLabel(c: Pick<CellSpec, 'scheme' | 'schemeOptions'>): string {
  return formatScheme(c.scheme, resolveSchemeOptions(c.scheme, c.schemeOptions));
}

export function seedsOf(sim: Simulator, n: number, offset = 0): RunSeed[] {
  const cell = hashString128(sim.cellId);
  return Array.from({ length: n }, (_, i) => runSeed(cell, offset + i));
}

export function cellLabel(c: CellSpec): string {
  const wl = typeof c.workload === 'string' ? c.workload : JSON.stringify(c.workload);
  return `${c.plugin.name} ${JSON.stringify(c.archOptions ?? {})} ${schemeLabel(c)}${c.preempt !== undefined ? ` preempt=${c.preempt}` : ''} ${c.cpus} CPUs ${wl}`;
}

/** How a run ended, in one line. */
export function runOutcomeLine(r: RunResult): string {
  if (r.violation !== null) return `violation of ${r.violation.invariant} on CPU${r.violation.cpu} at step ${r.violation.step}: ${r.violation.message}`;
  if (r.pluginError !== null) return `plugin error in hook ${r.pluginError.hook}: ${r.pluginError.message}`;
  return `${r.outcome} after ${r.steps} steps`;
}

/** The last `max` lines of a long trace (the end is where a failure shows). */
function tail(text: string, max: number): string {
  const lines = text.split('\n');
  if (lines.length <= max + 2) return text;
  return [...lines.slice(0, 2), `      … ${lines.length - max - 2} earlier lines omitted …`, ...lines.slice(-max)].join('\n');
}

/** How a run report replays the run and tells the reader to: see reportRunWith. */
export interface RunReportReplay {
  /** Replays the run's artifact with tracing on. */
  readonly replay: (artifact: Artifact) => ReplayResult;
  /** The replay call the report names for the artifact, e.g. "replayArtifact". */
  readonly how: string;
  readonly cpus: number;
  /** At most this many trace lines (the last ones) are shown. */
  readonly traceLines: number;
}

/**
 * A report of run `runIndex` of the cell `label`: its outcome, the trace replayed from its
 * artifact and the artifact (just the outcome when the run kept no decisions, or when the
 * replay fails, with the reason).
 */
export function reportRunWith(label: string, sim: Simulator, seed: RunSeed, r: RunResult, runIndex: number, how: RunReportReplay): string {
  const head = `${label}: run ${runIndex} (seed ${seedToHex(seed)}) ended ${r.outcome}: ${runOutcomeLine(r)}`;
  if (r.decisions === null) return head;
  try {
    const artifact = makeArtifact(sim, seed, r, runIndex);
    const replay = how.replay(artifact);
    const trace =
      replay.result.trace !== null
        ? tail(formatTraceColumns(replay.result.trace, { ncpu: how.cpus, width: how.cpus <= 2 ? 56 : 40 }), how.traceLines)
        : '(no trace)';
    return `${head}\n\ntrace (replayed from the artifact):\n${trace}\n\nartifact (replay with ${how.how}):\n${JSON.stringify(artifact)}`;
  } catch (e) {
    return `${head}\n(replaying it for a trace failed: ${e instanceof Error ? e.message : String(e)})`;
  }
}

/** A report of a run that did not end as required: outcome, replayed trace and artifact. */
export function reportRun(c: CellSpec, sim: Simulator, seed: RunSeed, r: RunResult, runIndex: number): string {
  return reportRunWith(cellLabel(c), sim, seed, r, runIndex, {
    replay: (artifact) => replayArtifact(artifact, c.plugin, { trace: true }),
    how: 'replayArtifact',
    cpus: c.cpus,
    traceLines: 80,
  });
}
