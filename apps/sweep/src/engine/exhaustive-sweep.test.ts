/**
 * Exhaustive cells in a sweep (`--strategy exhaustive[:P]`): verdicts `proved` / `violates` /
 * `incomplete`, the `exhaustive` report, and the engine's guarantees as for run cells: results
 * do not depend on threads or batch sizes, shards merge to the unsharded result (each shard
 * alone is `incomplete`), an interrupted sweep resumes to the uninterrupted one, and every first
 * failure's artifact replays (its decisions and choices).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArtifact, replayArtifact } from '@lazytlb/core';
import { buildResults, type CellSpec, parseResults, runSweep, SUBTREES, type SweepProgress } from '@lazytlb/explore';
import { mergeResultDirs } from '../results/merge-dirs.js';
import { readResultDir } from '../results/read.js';
import { writeResultDir } from '../results/write.js';
import { stripTiming } from '../test-support/engine.js';
import { createRegistry } from '../plugins/bundled.js';
import { findingsExitCode } from '../cli/fail-on.js';

const registry = await createRegistry();

/** reference × refcount / none × switch-vs-flush, exhaustive:2 and unbounded, and one random cell beside them. */
const cells: CellSpec[] = [];
for (const scheme of ['refcount', 'none'] as const) {
  for (const strategy of [{ kind: 'exhaustive', preemptions: 2 } as const, { kind: 'exhaustive' } as const]) {
    cells.push({
      index: cells.length,
      arch: { name: 'reference', options: {} },
      scheme,
      cpus: 2,
      workload: { profile: 'canonical:switch-vs-flush' },
      strategy,
    });
  }
}
cells.push({
  index: cells.length,
  arch: { name: 'reference', options: {} },
  scheme: 'none',
  cpus: 2,
  workload: { profile: 'canonical:switch-vs-flush' },
  strategy: { kind: 'random' },
});
const base = { cells, matrixSeed: 'exhaustive-sweep', runs: 200 } as const;
const tmp = mkdtempSync(join(tmpdir(), 'lazytlb-exhaustive-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const reference = runSweep({ registry, ...base, threads: 1 });

describe('exhaustive cells in a sweep', () => {
  it('proves refcount, finds I14 under none, and reports the search', async () => {
    const f = parseResults(JSON.parse(JSON.stringify(buildResults(await reference))));
    expect(f.complete).toBe(true);
    expect(f.cells.map((c) => c.verdict)).toEqual(['proved', 'proved', 'violates', 'violates', 'violates']);
    expect(f.totals.proved).toBe(2);
    const [bounded, unbounded] = f.cells;
    expect(bounded!.exhaustive).toMatchObject({ preemptionBound: 2, subtrees: SUBTREES, subtreesSearched: SUBTREES, stoppedSubtrees: 0, frontier: 0 });
    expect(bounded!.exhaustive!.partialOrder!.on).toBe(false);
    expect(unbounded!.exhaustive).toMatchObject({ preemptionBound: null, stoppedSubtrees: 0 });
    expect(unbounded!.exhaustive!.partialOrder!.on).toBe(true);
    expect(unbounded!.exhaustive!.stateHashing!.on).toBe(true);
    expect(bounded!.runs).toBe(bounded!.exhaustive!.executions);
    expect(bounded!.pct).toBeNull();
    expect(f.cells[4]!.exhaustive).toBeUndefined();
    expect(f.cells[4]!.runs).toBe(200);
    expect(f.cells[2]!.violations.I14).toBeGreaterThan(0);
  });

  it('gives identical results for 1 or 2 threads and any batch size; progress reports the states searched', async () => {
    const a = stripTiming(buildResults(await reference));
    let last: SweepProgress | undefined;
    const r = await runSweep({ registry, ...base, threads: 2, batchSize: 7, onProgress: (p) => (last = p) });
    expect(stripTiming(buildResults(r))).toBe(a);
    const states = r.aggregates.reduce((n, x) => n + (x.exhaustive?.distinctStates ?? 0), 0);
    expect(last?.exhaustive?.states).toBe(states);
    expect(last?.exhaustive?.maxDepth).toBeGreaterThan(10);
    expect(last?.runs).toBe(last?.totalRuns);
    expect(last?.totalRuns).toBe(4 * SUBTREES + 200);
  });

  it('merging shards gives the unsharded result; a shard alone is incomplete', async () => {
    const dirs = [1, 2, 3].map((i) => join(tmp, `shard${i}`));
    for (const [i, d] of dirs.entries()) {
      const r = await runSweep({ registry, ...base, threads: 2, shard: { index: i + 1, count: 3 } });
      const f = writeResultDir(d, r, registry);
      expect(f.cells.filter((c) => c.verdict === 'proved')).toEqual([]);
      expect(f.cells[0]!.verdict).toBe('incomplete');
      expect(findingsExitCode(f, 'violations')).toBe(1);
      // A shard that did all of its own units does not fail --fail-on incomplete (its merge says whether the search finished).
      const proofsOnly = { ...f, cells: f.cells.slice(0, 2) };
      expect(findingsExitCode(proofsOnly, 'incomplete')).toBe(0);
      expect(findingsExitCode({ ...proofsOnly, shard: null }, 'incomplete')).toBe(1);
    }
    const merged = writeResultDir(join(tmp, 'merged'), mergeResultDirs(dirs), registry);
    const single = writeResultDir(join(tmp, 'single'), await reference, registry);
    expect(stripTiming(merged)).toBe(stripTiming(single));
    for (const c of single.cells)
      for (const x of c.firstFailures) {
        expect(readFileSync(join(tmp, 'merged', x.artifact), 'utf8')).toBe(readFileSync(join(tmp, 'single', x.artifact), 'utf8'));
      }
  });

  it('resumes an interrupted sweep to the uninterrupted result', async () => {
    const ac = new AbortController();
    const r1 = await runSweep({
      registry,
      ...base,
      threads: 1,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.runs >= SUBTREES + 5) ac.abort();
      },
    });
    expect(r1.interrupted).toBe(true);
    const f1 = buildResults(r1);
    expect(f1.cells.some((c) => c.verdict === 'incomplete')).toBe(true);
    const dir = join(tmp, 'resume');
    writeResultDir(dir, r1, registry);
    const r2 = await runSweep({ registry, ...base, threads: 2, resume: readResultDir(dir) });
    expect(stripTiming(writeResultDir(dir, r2, registry))).toBe(stripTiming(buildResults(await reference)));
  });

  it("replays every first failure's artifact to its finding; report.md and report.html say what was searched", async () => {
    const dir = join(tmp, 'single-replay');
    const f = writeResultDir(dir, await reference, registry);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toContain('## Exhaustive search');
    expect(md).toContain('2 proved, 0 incomplete');
    expect(md).toMatch(/\| 0 \| reference \| refcount \| 2 \| canonical:switch-vs-flush \| 2 \| \*\*proved\*\* \| \d+ \| \d+ \|/);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toMatch(/proved: \d+ executions, \d+ states, 32\/32 subtrees/);
    for (const c of f.cells.slice(0, 4)) {
      for (const x of c.firstFailures) {
        const artifact = parseArtifact(JSON.parse(readFileSync(join(dir, x.artifact), 'utf8')));
        expect(artifact.choices, x.artifact).toBeDefined();
        const r = replayArtifact(artifact, await registry.arch('reference'));
        expect(r.reproduced, x.artifact).toBe(true);
      }
    }
  });

  it('--max-executions too small for a subtree: incomplete, and --fail-on incomplete fails it', async () => {
    const small = cells.slice(0, 1).map((c) => ({ ...c, strategy: { kind: 'exhaustive', preemptions: 2, maxExecutions: SUBTREES } as const }));
    const f = buildResults(await runSweep({ registry, cells: small, matrixSeed: 'exhaustive-sweep', runs: 1, threads: 1 }));
    expect(f.cells[0]!.verdict).toBe('incomplete');
    expect(f.cells[0]!.exhaustive!.stoppedSubtrees).toBeGreaterThan(0);
    expect(f.cells[0]!.exhaustive!.frontier).toBeGreaterThan(0);
    expect(findingsExitCode(f, 'violations')).toBe(0);
    expect(findingsExitCode(f, 'incomplete')).toBe(1);
  });
});
