/** `lazytlb replay --format json`: the replayed run as JSON (configuration, outcome, events). */
import type { Artifact, Outcome, TraceEvent } from '@lazytlb/core';

export interface ReplayJson {
  readonly schema: 'lazytlb.replay/1';
  readonly reproduced: boolean;
  readonly cell: Artifact['cell'];
  readonly seed: string;
  readonly modelHash: string;
  readonly toolVersion: string;
  /** What the artifact recorded. */
  readonly recorded: Outcome;
  /** What the replay produced. */
  readonly outcome: Outcome;
  readonly events: readonly TraceEvent[];
}

export function replayToJson(artifact: Artifact, outcome: Outcome, trace: readonly TraceEvent[], reproduced: boolean): ReplayJson {
  return {
    schema: 'lazytlb.replay/1',
    reproduced,
    cell: artifact.cell,
    seed: artifact.seed,
    modelHash: artifact.modelHash,
    toolVersion: artifact.toolVersion,
    recorded: artifact.outcome,
    outcome,
    events: trace,
  };
}

export function formatJson(artifact: Artifact, outcome: Outcome, trace: readonly TraceEvent[], reproduced: boolean): string {
  return `${JSON.stringify(replayToJson(artifact, outcome, trace, reproduced), null, 2)}\n`;
}
