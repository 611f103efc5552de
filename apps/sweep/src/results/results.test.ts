import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSweep } from '../engine/sweep.js';
import { smallCells } from '../engine/test-support.js';
import { normaliseCosts, pctMissBound } from './build.js';
import { readResultDir } from './read.js';
import { parseResults, RESULTS_SCHEMA } from './schema.js';
import { writeResultDir } from './write.js';

const tmp = mkdtempSync(join(tmpdir(), 'lazytlb-results-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('results', () => {
  it('writes a valid results.json, report.md and one artifact per first failure, atomically', async () => {
    const r = await runSweep({ cells: smallCells(), matrixSeed: 'w', runs: 100, threads: 1 });
    const dir = join(tmp, 'out');
    writeResultDir(dir, r);
    writeFileSync(join(dir, 'failures', '99-I3.json'), '{}'); // stale artifact of an earlier sweep
    const f = writeResultDir(dir, r);
    const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(parseResults(json)).toEqual(f);
    expect(json.schema).toBe(RESULTS_SCHEMA);
    const files = readdirSync(join(dir, 'failures')).sort();
    expect(files).toEqual(f.cells.flatMap((c) => c.firstFailures.map((x) => x.artifact.slice('failures/'.length))).sort());
    expect(readdirSync(dir).some((n) => n.includes('.tmp-'))).toBe(false);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toMatch(/\| 2 \| reference \| – \| none \| 2 \| default \| random \| 100 \| \*\*violates\*\*/);
    expect(md).toMatch(/## Costs/);
    // Round trip.
    expect(JSON.stringify(readResultDir(dir).aggregates)).toBe(JSON.stringify(r.aggregates));
  });

  it('rejects another schema with a clear error', () => {
    expect(() => parseResults({ schema: 'lazytlb.results/2' })).toThrow(/is not lazytlb\.results\/1/);
  });

  it('normalises costs per context switch and per mm exit', () => {
    const costs = new Array(24).fill(0);
    costs[1] = 5; costs[4] = 5; // 10 context switches
    costs[5] = 20; // mm_count atomics
    costs[9] = 6; // shootdown IPIs sent
    costs[18] = 3; // mm exits
    const c = normaliseCosts(costs, 100);
    expect(c.perContextSwitch.mmCountAtomics).toBe(2);
    expect(c.perMmExit.shootdownIpis).toBe(2);
    expect(c.perContextSwitch.ipis).toBe(0.6);
    expect(normaliseCosts(new Array(24).fill(0), 0).perMmExit.ipis).toBeNull();
  });

  it('PCT bound: (1 - 1/(n k^(d-1)))^N, only up to the cell depth, none for random', () => {
    const b = pctMissBound({ kind: 'pct', depth: 2 }, 4, 1000, 1000 * 100)!;
    expect(b.d1).toBeCloseTo(Math.pow(1 - 1 / 4, 1000), 12);
    expect(b.d2).toBeCloseTo(Math.pow(1 - 1 / 400, 1000), 12);
    expect(b.d3).toBeNull();
    expect(pctMissBound({ kind: 'random' }, 4, 1000, 1000)).toBeNull();
  });
});
