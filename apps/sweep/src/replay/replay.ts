/**
 * `lazytlb replay ARTIFACT [--format lkml|json|perfetto] [--out FILE]`: re-run a recorded failure exactly (core's
 * replayArtifact, which refuses other model or plugin versions) and print it.
 */
import { readFile } from 'node:fs/promises';
import {
  type Artifact,
  ArtifactError,
  type Outcome,
  ReplayDivergence,
  type RunFinding,
  type SchemePlugin,
  type TraceEvent,
  outcomeOf,
  parseArtifact,
  replayArtifact,
} from '@lazytlb/core';
import { formatJson, formatLkml, formatPerfetto, LazytlbError, withDeterminismTrap } from '@lazytlb/explore';
import { createRegistry } from '../plugins/bundled.js';

export type ReplayFormat = 'lkml' | 'json' | 'perfetto';
export const REPLAY_FORMATS: readonly ReplayFormat[] = ['lkml', 'json', 'perfetto'];

/**
 * A replay that could not be done: a LazytlbError of code `input` (the file, its JSON, the
 * artifact, its model or plugins: exit 2) or `replay-mismatch` (the run did not reproduce: exit 1).
 */
export class ReplayError extends LazytlbError {
  override name = 'ReplayError';
  constructor(message: string, exitCode: 1 | 2 = 2) {
    super(exitCode === 1 ? 'replay-mismatch' : 'input', message);
  }

  /** The exit code its code maps to (kept for callers of the first API). */
  get exitCode(): 1 | 2 {
    return this.code === 'replay-mismatch' ? 1 : 2;
  }
}

export interface ReplayOptions {
  readonly format?: ReplayFormat;
  readonly pluginPaths?: readonly string[];
  /** LKML column width. */
  readonly width?: number;
  /** Replay even when the model's behaviour fingerprints differ from the artifact's (the output says so and whether it reproduced). */
  readonly allowModelMismatch?: boolean;
}

/** Read and validate an artifact file. */
export async function readArtifactFile(path: string): Promise<Artifact> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ReplayError(`cannot read artifact ${path}: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ReplayError(`artifact ${path} is not JSON: ${(e as Error).message}`);
  }
  try {
    return parseArtifact(value, `artifact ${path}`);
  } catch (e) {
    throw new ReplayError((e as Error).message);
  }
}

export interface ReplayRendered {
  readonly text: string;
  readonly reproduced: boolean;
  /** How the replaying model differs from the recording one (only with allowModelMismatch); empty when it does not. */
  readonly modelMismatch: readonly string[];
}

/** Replay a parsed artifact and render it. */
export async function replayArtifactText(artifact: Artifact, source: string, opts: ReplayOptions = {}): Promise<ReplayRendered> {
  const format = opts.format ?? 'lkml';
  if (!REPLAY_FORMATS.includes(format)) throw new ReplayError(`unknown format "${String(format)}": allowed ${REPLAY_FORMATS.join(', ')}`);
  let plugin;
  let scheme;
  try {
    const registry = await createRegistry(opts.pluginPaths ?? []);
    plugin = await registry.arch(artifact.cell.arch.name);
    // A scheme plugin's cell (schemeVersion set) needs that plugin, found as a sweep finds it.
    scheme = await registry.schemeForArtifact(artifact);
  } catch (e) {
    throw new ReplayError(`cannot replay ${source}: ${(e as Error).message}`);
  }
  let r;
  try {
    // The clocks and random sources trapped, as in a sweep (the replay and the model fingerprints see what the sweep saw).
    r = withDeterminismTrap(() =>
      replayArtifact(artifact, plugin, {
        trace: true,
        ...(scheme !== undefined ? { scheme } : {}),
        ...(opts.allowModelMismatch === true ? { allowModelMismatch: true } : {}),
      }),
    );
  } catch (e) {
    if (e instanceof ArtifactError) throw new ReplayError(`cannot replay ${source}: ${e.message}`);
    if (e instanceof ReplayDivergence) throw new ReplayError(`${source} does not replay: its decision list does not fit the run (${e.message})`, 1);
    throw new ReplayError(`cannot replay ${source}: ${(e as Error).message}`);
  }
  const text = renderReplay(format, {
    artifact,
    trace: r.result.trace ?? [],
    outcome: outcomeOf(r.result),
    reproduced: r.reproduced,
    findings: r.simulator.findings(),
    modelMismatch: r.modelMismatch,
    ...(scheme !== undefined ? { scheme } : {}),
    ...(opts.width !== undefined ? { width: opts.width } : {}),
  });
  return { text, reproduced: r.reproduced, modelMismatch: r.modelMismatch };
}

/** What a replay renders: the run's artifact (recorded, or made from the run), its trace and findings. */
export interface ReplayRun {
  readonly artifact: Artifact;
  readonly trace: readonly TraceEvent[];
  /** How the run ended (for a replay: how the replay ended, which `artifact.outcome` may not be). */
  readonly outcome: Outcome;
  /** Ended as recorded; null: a run from its seed with nothing recorded to compare with. */
  readonly reproduced: boolean | null;
  readonly findings: readonly RunFinding[];
  readonly modelMismatch: readonly string[];
  readonly scheme?: SchemePlugin<unknown>;
  /** LKML column width. */
  readonly width?: number;
}

/** Render a run in a replay format: the one renderer of `replay ARTIFACT` and `replay --cell --seed`, so equal runs print alike. */
export function renderReplay(format: ReplayFormat, run: ReplayRun): string {
  const { artifact, trace, reproduced, findings, modelMismatch, scheme } = run;
  return format === 'json'
    ? formatJson(artifact, run.outcome, trace, reproduced, findings, modelMismatch)
    : format === 'perfetto'
      ? formatPerfetto({ artifact, trace, reproduced, findings })
      : formatLkml(
          { artifact, trace, reproduced, findings, modelMismatch, ...(scheme !== undefined ? { scheme } : {}) },
          run.width !== undefined ? { width: run.width } : {},
        );
}

/**
 * Replay an artifact file and return the rendering. Throws a ReplayError (with an exit
 * code) when it cannot be replayed or does not reproduce the recorded outcome.
 */
export async function replayFile(path: string, opts: ReplayOptions = {}): Promise<string> {
  const artifact = await readArtifactFile(path);
  const r = await replayArtifactText(artifact, path, opts);
  if (!r.reproduced) {
    throw new ReplayError(
      `${path} did not reproduce: the replay ended differently from the recorded ${artifact.outcome.kind} at step ${artifact.outcome.steps}\n\n${r.text}`,
      1,
    );
  }
  return r.text;
}
