/**
 * `lazytlb replay`'s two forms, checked and dispatched: `replay ARTIFACT` (re-run a recorded
 * failure) or `replay --cell CELL --seed SEED [--results DIR]` (run one seed of a swept cell).
 */
import { usageError } from '@lazytlb/explore';
import { replaySeed } from './by-seed.js';
import { type ReplayFormat, replayFile } from './replay.js';

export interface ReplayCommandOptions {
  readonly format: ReplayFormat;
  readonly plugin?: readonly string[];
  readonly allowModelMismatch?: boolean;
  readonly cell?: string;
  readonly seed?: string;
  readonly results?: string;
}

export interface ReplayCommandOutput {
  /** The rendering (stdout or --out). */
  readonly text: string;
  /** One line each for stderr. */
  readonly notes: readonly string[];
}

export async function replayCommand(artifact: string | undefined, o: ReplayCommandOptions): Promise<ReplayCommandOutput> {
  const common = {
    format: o.format,
    pluginPaths: o.plugin ?? [],
    ...(o.allowModelMismatch === true ? { allowModelMismatch: true } : {}),
  };
  const bySeed = o.cell !== undefined || o.seed !== undefined || o.results !== undefined;
  if (!bySeed) {
    if (artifact === undefined) throw usageError('replay needs an artifact (replay FILE.json), or a cell and a seed (replay --cell ID|JSON --seed SEED)');
    return { text: await replayFile(artifact, common), notes: [] };
  }
  if (artifact !== undefined) throw usageError(`give an artifact or --cell with --seed, not both (${artifact} was given with --cell/--seed/--results)`);
  if (o.cell === undefined) throw usageError('--seed and --results need --cell (a cell id or the cell as JSON)');
  if (o.seed === undefined) throw usageError("--cell needs --seed SEED (a run's seed, 32 hex digits)");
  const r = await replaySeed(o.cell, o.seed, { ...common, ...(o.results !== undefined ? { results: o.results } : {}) });
  return { text: r.text, notes: r.notes };
}
