/**
 * Where a sweep writes, and what it may replace. Without `--out` results go to a new
 * `lazytlb-out/<timestamp>` (nothing computed is thrown away; `--json` and the replay hints
 * name files that exist). A given `--out` is replaced as a unit (results/output-dir.ts), so
 * before anything runs it is checked: a non-empty directory holding no lazytlb results (a home
 * directory, a source tree), another sweep's results, or an interrupted run of this sweep (which
 * `--resume` continues) is refused unless `--force`. Re-running the same completed sweep into
 * its own directory is allowed: it writes the same results.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './exit-codes.js';

/**
 * `lazytlb-out/2026-12-07T07-30-12Z` under the working directory, with `-2`, `-3`… when that is
 * taken. The directory is made here (`mkdir` fails on an existing one), so two sweeps started in
 * the same second cannot pick the same directory and replace each other's results.
 */
export function defaultOutDir(now: Date, mkdir: (p: string) => void = (p) => mkdirSync(p)): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
  const base = join('lazytlb-out', stamp);
  try {
    mkdirSync('lazytlb-out', { recursive: true });
  } catch (e) {
    throw new UsageError(`cannot create lazytlb-out in ${process.cwd()} (give --out DIR): ${(e as Error).message}`);
  }
  for (let i = 1; ; i++) {
    const p = i === 1 ? base : `${base}-${i}`;
    try {
      mkdir(p);
      return p;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new UsageError(`cannot create ${p} (give --out DIR): ${(e as Error).message}`);
    }
  }
}

/** What an existing results.json says about the sweep that wrote it (null: not a lazytlb results file). */
interface Previous {
  readonly hash: string;
  readonly shard: string;
  readonly interrupted: boolean;
}

function readPrevious(dir: string): Previous | null {
  try {
    const r = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as {
      schema?: unknown;
      matrix?: { hash?: unknown };
      shard?: { index?: unknown; count?: unknown } | null;
      interrupted?: unknown;
    };
    if (typeof r.schema !== 'string' || !r.schema.startsWith('lazytlb.results/') || typeof r.matrix?.hash !== 'string') return null;
    const shard = r.shard != null ? `${String(r.shard.index)}/${String(r.shard.count)}` : 'none';
    return { hash: r.matrix.hash, shard, interrupted: r.interrupted === true };
  } catch {
    return null;
  }
}

const FORCE = 'give --force to replace it, or another --out';

/**
 * Up front (before the matrix is even built): an existing `--out` must be empty or hold lazytlb
 * results; `force` skips every check.
 */
export function checkOutContents(out: string, force: boolean): void {
  if (force || !existsSync(out) || !statSync(out).isDirectory()) return;
  const names = readdirSync(out);
  if (names.length === 0) return;
  if (!names.includes('results.json')) {
    throw new UsageError(`--out ${out}: is not empty and holds no lazytlb results (${names.length} entries would be replaced); ${FORCE}`);
  }
  if (readPrevious(out) === null) throw new UsageError(`--out ${out}: its results.json is not a lazytlb results file; ${FORCE}`);
}

/**
 * Once the cells are identified (runSweep's onPrepared): an existing `--out` with results must
 * be this sweep's (matrix hash, shard) and complete.
 */
export function checkSameSweep(out: string, force: boolean, cur: { matrixHash: string; shard: string }): void {
  if (force || !existsSync(join(out, 'results.json'))) return;
  const prev = readPrevious(out);
  if (prev === null) return; // refused up front unless forced
  if (prev.hash !== cur.matrixHash) {
    throw new UsageError(`--out ${out}: holds another sweep's results (matrix hash ${prev.hash}, this sweep's is ${cur.matrixHash}); ${FORCE}`);
  }
  if (prev.shard !== cur.shard) throw new UsageError(`--out ${out}: holds shard ${prev.shard} of this sweep, this is shard ${cur.shard}; ${FORCE}`);
  if (prev.interrupted) {
    throw new UsageError(`--out ${out}: holds an interrupted run of this sweep: continue it with --resume ${out} (or --force to start over)`);
  }
}
