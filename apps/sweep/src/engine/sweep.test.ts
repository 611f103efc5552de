import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArtifact, referenceArch } from '@lazytlb/core';
import { buildResults } from '@lazytlb/explore';
import type { ResultsFile } from '@lazytlb/explore';
import { mergeResultDirs } from '../results/merge-dirs.js';
import { readResultDir } from '../results/read.js';
import { writeResultDir } from '../results/write.js';
import { runSweep } from '@lazytlb/explore';
import { CRASHER, smallCells, stripTiming, THROWER } from '../test-support/engine.js';
import { createRegistry } from '../plugins/bundled.js';

const registry = await createRegistry();

const RUNS = 300;
const cells = smallCells();
// Coverage on: every determinism check below covers the state sketches and growth too.
const base = { cells, matrixSeed: 'sweep-test', runs: RUNS, coverage: true } as const;
const tmp = mkdtempSync(join(tmpdir(), 'lazytlb-sweep-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const reference = runSweep({ registry, ...base, threads: 1 });

describe('runSweep', () => {
  it('finds the known bugs (none) and none under refcount', async () => {
    const f = buildResults(await reference);
    expect(f.complete).toBe(true);
    expect(f.cells.map((c) => c.verdict)).toEqual(['safe', 'safe', 'violates', 'violates']);
    expect(f.cells.every((c) => c.runs === RUNS)).toBe(true);
    expect(f.cells[1]!.pctMissBound).not.toBeNull();
    expect(f.cells[0]!.pctMissBound).toBeNull();
    expect(f.cells[2]!.firstFailures.length).toBeGreaterThan(0);
    for (const c of f.cells) {
      const cov = c.coverage!;
      expect(cov.growth.map((g) => g.runs)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 300]);
      expect(cov.distinctStates).toBe(cov.growth.at(-1)!.distinctStates);
      expect(cov.distinctStates).toBeGreaterThan(50);
      expect(Object.keys(c.raw.stateSketches!)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      expect(c.pct!.n).toBe(4);
      expect(c.pct!.runs).toBe(RUNS);
      expect(c.pct!.k).toBe(Math.max(c.pct!.kEstimated, c.pct!.meanSteps));
      expect(c.pct!.meanSteps).toBeCloseTo(c.steps / RUNS, 9);
    }
    expect(f.cells[1]!.pct!.missBound).toEqual(f.cells[1]!.pctMissBound);
    expect(f.cells[3]!.pct!.hitBound).not.toBeNull();
    expect(f.cells[3]!.pct!.missBound).toBeNull(); // violates: nothing was missed
    expect(f.cells[0]!.pct!.hitBound).toBeNull(); // random
  });

  it('without coverage: no coverage, no sketches, the rest identical', async () => {
    const off = buildResults(await runSweep({ registry, ...base, coverage: false, threads: 2 }));
    const on = buildResults(await reference);
    expect(off.cells.every((c) => c.coverage === null && c.raw.stateSketches === undefined)).toBe(true);
    const strip = (f: ResultsFile) =>
      stripTiming({ ...f, cells: f.cells.map(({ coverage: _c, raw: { stateSketches: _s, ...raw }, ...c }) => ({ ...c, raw })) } as unknown as ResultsFile);
    expect(strip(off)).toBe(strip(on));
  });

  it('gives identical results for 1 or 2 threads and any batch size', async () => {
    const a = stripTiming(buildResults(await reference));
    const b = stripTiming(buildResults(await runSweep({ registry, ...base, threads: 2, batchSize: 37 })));
    const c = stripTiming(buildResults(await runSweep({ registry, ...base, threads: 2, batchSize: 1000 })));
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  it('merging shards 1/2 and 2/2 gives the unsharded results.json', async () => {
    const dirs = [1, 2].map((i) => join(tmp, `shard${i}`));
    for (const [i, d] of dirs.entries()) {
      const r = await runSweep({ registry, ...base, threads: 2, batchSize: 50, shard: { index: i + 1, count: 2 } });
      expect(r.shard).toEqual({ index: i + 1, count: 2 });
      writeResultDir(d, r, registry);
    }
    const merged = writeResultDir(join(tmp, 'merged'), mergeResultDirs(dirs), registry);
    const single = writeResultDir(join(tmp, 'single'), await reference, registry);
    expect(stripTiming(merged)).toBe(stripTiming(single));
    expect(merged.cells.map((c) => c.coverage)).toEqual(single.cells.map((c) => c.coverage));
    // each shard alone saw only its runs: fewer states, growth points over the runs it did
    const shard1 = readResultDir(dirs[0]!);
    expect(buildResults(shard1).cells[0]!.coverage!.growth.at(-1)!.runs).toBeLessThan(RUNS);
    for (const c of single.cells)
      for (const x of c.firstFailures) {
        expect(readFileSync(join(tmp, 'merged', x.artifact), 'utf8')).toBe(readFileSync(join(tmp, 'single', x.artifact), 'utf8'));
      }
    expect(() => mergeResultDirs([dirs[0]!, dirs[0]!])).toThrow(/both shard 1\/2/);
  });

  it('refuses to merge results of different sweeps', async () => {
    const other = join(tmp, 'other');
    writeResultDir(other, await runSweep({ registry, ...base, matrixSeed: 'other', threads: 1 }), registry);
    writeResultDir(join(tmp, 'single2'), await reference, registry);
    expect(() => mergeResultDirs([join(tmp, 'single2'), other])).toThrow(/not the same sweep.*seed/);
    const noCov = join(tmp, 'no-coverage');
    writeResultDir(noCov, await runSweep({ registry, ...base, coverage: false, threads: 1, shard: { index: 2, count: 2 } }), registry);
    const cov1 = join(tmp, 'coverage-1');
    writeResultDir(cov1, await runSweep({ registry, ...base, threads: 1, shard: { index: 1, count: 2 } }), registry);
    expect(() => mergeResultDirs([cov1, noCov])).toThrow(/no-coverage with .*coverage-1: coverage off vs on/);
  });

  it('resumes an interrupted sweep to the uninterrupted result', async () => {
    const ac = new AbortController();
    const r1 = await runSweep({
      registry,
      ...base,
      threads: 1,
      batchSize: 40,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.runs >= 200) ac.abort();
      },
    });
    expect(r1.interrupted).toBe(true);
    const f1 = buildResults(r1);
    expect(f1.complete).toBe(false);
    expect(f1.totals.runs).toBeLessThan(RUNS * cells.length);
    const dir = join(tmp, 'resume');
    writeResultDir(dir, r1, registry);
    const r2 = await runSweep({ registry, ...base, threads: 2, resume: readResultDir(dir) });
    expect(r2.interrupted).toBe(false);
    expect(stripTiming(writeResultDir(dir, r2, registry))).toBe(stripTiming(buildResults(await reference)));
    await expect(runSweep({ registry, ...base, runs: RUNS + 1, threads: 1, resume: readResultDir(dir) })).rejects.toThrow(/cannot resume.*runs/);
    await expect(runSweep({ registry, ...base, coverage: false, threads: 1, resume: readResultDir(dir) })).rejects.toThrow(/cannot resume.*coverage on vs off/);
  });

  it('a time budget keeps a prefix of each cell', async () => {
    const r = await runSweep({ registry, ...base, runs: 100_000, threads: 2, batchSize: 100, timeBudgetMs: 300 });
    expect(r.timeBudgetHit).toBe(true);
    for (const a of r.aggregates) {
      expect(a.batches.length).toBeLessThanOrEqual(1);
      if (a.batches.length === 1) expect(a.batches[0]).toBe(`0-${a.runs}`);
    }
    expect(r.aggregates[0]!.runs).toBeGreaterThan(0);
  });

  it('counts a throwing plugin under pluginErrors with an artifact and goes on', async () => {
    const r = await runSweep({ ...base, cells: smallCells('thrower'), threads: 2, registry: await createRegistry([THROWER]) });
    const dir = join(tmp, 'thrower');
    const f = writeResultDir(dir, r, registry);
    const c = f.cells[0]!;
    expect(c.runs).toBe(RUNS);
    expect(c.pluginErrors).toBeGreaterThan(0);
    expect(c.pluginErrors).toBeLessThan(RUNS);
    expect(c.verdict).toBe('error');
    const ff = c.firstFailures.find((x) => x.key === 'plugin-error')!;
    expect(ff.message).toMatch(/switch_mm_irqs_off: thrower: injected failure/);
    const art = parseArtifact(JSON.parse(readFileSync(join(dir, ff.artifact), 'utf8')));
    expect(art.outcome.kind).toBe('plugin-error');
    expect(art.seed).toBe(ff.seed);
    // Not asserted: replayArtifact(art, thrower) — core records a plugin-error run's decisions
    // without the step whose hook threw, so replay diverges (ReplayDivergence); reported to the lead.
  });

  it('reports a run that crashes its worker with its seed, and keeps every other run', async () => {
    const r = await runSweep({
      ...base,
      cells: smallCells('crasher').slice(0, 1),
      runs: 200,
      threads: 2,
      batchSize: 64,
      registry: await createRegistry([CRASHER]),
    });
    const f = buildResults(r);
    const c = f.cells[0]!;
    expect(c.runs).toBe(200);
    expect(c.crashes).toBeGreaterThan(0);
    expect(c.verdict).toBe('error');
    expect(c.errors[0]!.kind).toBe('crash');
    expect(c.errors[0]!.seed).toMatch(/^[0-9a-f]{32}$/);
    expect(c.raw.coverage).toEqual(['0-200']);
  });

  it('fails validation before anything is written', async () => {
    const bad = [{ ...cells[0]!, arch: { name: 'reference', options: { nope: 1 } } }];
    await expect(runSweep({ registry, ...base, cells: bad, threads: 1 })).rejects.toThrow(/cell 0/);
    expect(existsSync(join(tmp, 'never'))).toBe(false);
    void referenceArch;
  });
});
