/**
 * A real small sweep written to a directory (results.json, failures/), for the replay-by-seed
 * and regress tests: the reference arch on 2 CPUs under refcount (safe) and none (violates,
 * hazards, use sites), random and PCT(3), 300 runs a cell.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ResultsFile, runSweep } from '@lazytlb/explore';
import { createRegistry } from '../plugins/bundled.js';
import { writeResultDir } from '../results/write.js';
import { smallCells } from './small-cells.js';

export interface SmallSweep {
  readonly dir: string;
  readonly results: ResultsFile;
}

export async function smallSweep(prefix: string): Promise<SmallSweep> {
  const registry = await createRegistry();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const r = await runSweep({ registry, cells: smallCells(), matrixSeed: 'replay-seed', runs: 300, threads: 1 });
  return { dir, results: writeResultDir(dir, r, registry) };
}
