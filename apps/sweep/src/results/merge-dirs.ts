/**
 * `lazytlb merge DIR...`: read shard result directories and merge them (explore's
 * mergeResults). Directories written by another results schema are refused before anything is
 * merged: mixed versions name each directory's schema; a set of older files says which version
 * wrote them.
 */
import { inputError, mergeResults, RESULTS_SCHEMA, schemaMismatch, schemaOf, type SweepResult } from '@lazytlb/explore';
import { readResultDir, readResultsJson } from './read.js';

/** Read and merge result directories (shards of one sweep). Write the result with writeResultDir. */
export function mergeResultDirs(dirs: readonly string[], opts: { readonly allowPartial?: boolean } = {}): SweepResult {
  const schemas = dirs.map((d) => ({ dir: d, ...schemaOf(readResultsJson(d)) }));
  const kinds = new Set(schemas.map((s) => s.schema));
  if (kinds.size > 1) {
    const list = schemas.map((s) => `${s.dir}: ${s.schema ?? '(no schema)'}${s.toolVersion !== null ? ` (lazytlb ${s.toolVersion})` : ''}`).join('; ');
    throw inputError(
      `cannot merge results of different schema versions (${list}): merge only shards written by the same lazytlb; ` +
        `re-run the older shards with this version (${RESULTS_SCHEMA})`,
    );
  }
  const old = schemas.find((s) => s.schema !== null && s.schema !== RESULTS_SCHEMA);
  if (old !== undefined) throw inputError(`cannot merge: ${schemaMismatch(`${old.dir}/results.json`, old.schema!, old.toolVersion)}`);
  return mergeResults(
    dirs.map((d) => ({ source: d, result: readResultDir(d) })),
    opts,
  );
}
