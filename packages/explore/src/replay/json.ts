/**
 * `lazytlb replay --format json`: the replayed run as JSON (configuration, outcome, findings,
 * events). Hazards show as events with fn `hazard`, non-fatal kernel WARNs as `WARN_ON_ONCE`,
 * violations (I14 included) with `violation`; `findings` lists core's records of the hazards
 * and use sites (Simulator.findings()).
 */
import type { Artifact, Outcome, RunFinding, TraceEvent } from '@lazytlb/core';

export interface ReplayJson {
  readonly schema: 'lazytlb.replay/2';
  /** The replay ended exactly as recorded; null: a run from its seed (`lazytlb replay --cell --seed`) with nothing recorded to compare with. */
  readonly reproduced: boolean | null;
  readonly cell: Artifact['cell'];
  readonly seed: string;
  /** The behaviour fingerprints the artifact recorded (core, arch, scheme plugin). */
  readonly fingerprints: Artifact['fingerprints'];
  /** How the replaying model differs from the recording one (replayed with --allow-model-mismatch); empty when it does not. */
  readonly modelMismatch: readonly string[];
  readonly toolVersion: string;
  /** What the artifact recorded; null when nothing was (reproduced null). */
  readonly recorded: Outcome | null;
  /** What the replay produced. */
  readonly outcome: Outcome;
  /** The hazard or use site the artifact was recorded for (the replay stopped there), or null. */
  readonly target: Artifact['target'] | null;
  /** Hazards recorded and use sites that fired (first firing of each). */
  readonly findings: readonly RunFinding[];
  readonly events: readonly TraceEvent[];
}

export function replayToJson(
  artifact: Artifact,
  outcome: Outcome,
  trace: readonly TraceEvent[],
  reproduced: boolean | null,
  findings: readonly RunFinding[] = [],
  modelMismatch: readonly string[] = [],
): ReplayJson {
  return {
    schema: 'lazytlb.replay/2',
    reproduced,
    cell: artifact.cell,
    seed: artifact.seed,
    fingerprints: artifact.fingerprints,
    modelMismatch,
    toolVersion: artifact.toolVersion,
    // A run from its seed has no record: its artifact's outcome is the run's own, not a recording.
    recorded: reproduced === null ? null : artifact.outcome,
    outcome,
    target: artifact.target ?? null,
    findings,
    events: trace,
  };
}

export function formatJson(
  artifact: Artifact,
  outcome: Outcome,
  trace: readonly TraceEvent[],
  reproduced: boolean | null,
  findings: readonly RunFinding[] = [],
  modelMismatch: readonly string[] = [],
): string {
  return `${JSON.stringify(replayToJson(artifact, outcome, trace, reproduced, findings, modelMismatch), null, 2)}\n`;
}
