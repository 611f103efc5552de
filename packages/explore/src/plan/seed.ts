/**
 * Run seeds of a sweep. A cell's seed base is the hash of its resolved identity (core's
 * canonical cell id) and the matrix's base seed; run i's seed is `runSeed(base, i)`. Nothing
 * else (thread, batch, shard) enters, so every run is the same wherever it is executed.
 */
import { hashString128, seedToHex } from '@lazytlb/core';

/** The seed base of a cell, as 32 hex digits. */
export function cellHashOf(cellId: string, matrixSeed: string): string {
  return seedToHex(hashString128(`${cellId}\u0000seed=${matrixSeed}`));
}
