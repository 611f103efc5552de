/**
 * Merging shard results: N results of one sweep (same tool, model, matrix, seed, runs) merge
 * into exactly the results.json one machine would have written (cells matched by cell id;
 * aggregates merge exactly; overlapping runs are refused).
 */
import { cellsDifference } from '../sweep/cells.js';
import { mergeAggregate } from '../aggregate/aggregate.js';
import type { SweepResult } from '../sweep/types.js';
import { fingerprintsDifference } from '../sweep/fingerprints.js';
import { matrixHash } from './build.js';
import { inputError, mismatchError } from '../errors/lazytlb-error.js';

export function mergeResults(
  parts: readonly { readonly source: string; readonly result: SweepResult }[],
  opts: { readonly allowPartial?: boolean } = {},
): SweepResult {
  if (parts.length === 0) throw inputError('nothing to merge');
  const first = parts[0]!;
  const f = first.result;
  const hashOf = (r: SweepResult): string =>
    matrixHash(
      r.matrixSeed,
      r.runs,
      r.cells.map((c) => c.cellId),
    );
  const shards = new Map<string, string>();
  for (const { source, result: r } of parts) {
    if (r.toolVersion !== f.toolVersion) throw mismatchError(`cannot merge ${source} with ${first.source}: lazytlb ${r.toolVersion} vs ${f.toolVersion}`);
    if (r.coverage !== f.coverage) {
      throw mismatchError(
        `cannot merge ${source} with ${first.source}: coverage ${r.coverage ? 'on' : 'off'} vs ${f.coverage ? 'on' : 'off'} (run every shard with the same --coverage)`,
      );
    }
    if (hashOf(r) !== hashOf(f)) {
      const why =
        r.matrixSeed !== f.matrixSeed
          ? `seed "${r.matrixSeed}" vs "${f.matrixSeed}"`
          : r.runs !== f.runs
            ? `runs ${r.runs} vs ${f.runs}`
            : `the matrices expand to different cells: ${cellsDifference(
                r.cells.map((c) => c.cellId),
                f.cells.map((c) => c.cellId),
              )}`;
      throw mismatchError(`cannot merge ${source} with ${first.source}: not the same sweep (${why})`);
    }
    const model = fingerprintsDifference(r.fingerprints, f.fingerprints);
    if (model.length > 0) {
      throw mismatchError(`cannot merge ${source} with ${first.source}: the models behave differently (behaviour fingerprints: ${model.join('; ')})`);
    }
    if (r.shard !== null) {
      const key = `${r.shard.index}/${r.shard.count}`;
      const dup = shards.get(key);
      if (dup !== undefined) throw inputError(`cannot merge: ${dup} and ${source} are both shard ${key}`);
      shards.set(key, source);
    }
  }
  // Complete: shards 1..N of one split, each once (a missing shard's runs would silently be absent).
  const counts = new Set(parts.map((p) => p.result.shard?.count ?? 1));
  if (counts.size > 1) throw mismatchError(`cannot merge: the shards split the sweep differently (${[...counts].map((n) => `into ${n}`).join(' and ')})`);
  const n = [...counts][0]!;
  const missing = n > 1 ? Array.from({ length: n }, (_, i) => i + 1).filter((i) => !shards.has(`${i}/${n}`)) : [];
  if (n > 1 && parts.some((p) => p.result.shard === null)) throw mismatchError('cannot merge a whole sweep with shards of it');
  if (missing.length > 0 && opts.allowPartial !== true) {
    throw mismatchError(
      `cannot merge: shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${n}`).join(', ')} missing (give every shard, or --allow-partial to merge what is here; the result is then marked incomplete)`,
    );
  }
  const aggregates = f.cells.map((c, i) => {
    let acc = f.aggregates[i]!;
    for (const p of parts.slice(1)) {
      const j = p.result.cells.findIndex((x) => x.cellId === c.cellId);
      try {
        acc = mergeAggregate(acc, p.result.aggregates[j]!);
      } catch (e) {
        throw mismatchError(`cannot merge cell ${c.index} of ${p.source}: ${(e as Error).message}`);
      }
    }
    return acc;
  });
  const all = parts.map((p) => p.result);
  return {
    toolVersion: f.toolVersion,
    coreVersion: f.coreVersion,
    fingerprints: f.fingerprints,
    matrixSeed: f.matrixSeed,
    runs: f.runs,
    cells: f.cells,
    aggregates,
    shard: null,
    interrupted: all.some((r) => r.interrupted),
    timeBudgetHit: all.some((r) => r.timeBudgetHit),
    coverage: f.coverage,
    timing: {
      startedAt: all.map((r) => r.timing.startedAt).sort()[0]!,
      elapsedMs: Math.max(...all.map((r) => r.timing.elapsedMs)),
      threads: all.reduce((n, r) => n + r.timing.threads, 0),
      batchesRun: all.reduce((n, r) => n + r.timing.batchesRun, 0),
    },
  };
}
