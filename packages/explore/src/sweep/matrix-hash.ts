/**
 * A sweep's matrix hash: its seed, runs per cell and cell ids, hashed. Equal for every shard,
 * resume and checkpoint of one sweep; `merge` and `--resume` compare it, and `runSweep` hands it
 * to `onPrepared` before any run (so a CLI can refuse an output directory of another sweep).
 * In sweep/ because the sweep needs it before results exist (results/ imports sweep/, not back).
 */
import { canonicalJson, hashString128, seedToHex } from '@lazytlb/core';

export function matrixHash(seed: string, runs: number, cellIds: readonly string[]): string {
  return seedToHex(hashString128(canonicalJson({ seed, runs, cells: cellIds })));
}
