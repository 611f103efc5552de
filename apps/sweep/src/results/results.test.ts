import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COST_NAMES, costs as costNs } from '@lazytlb/core';
import { runSweep } from '@lazytlb/explore';
import { cpuSeriesCells, smallCells, stripTiming } from '../test-support/engine.js';
import type { CellSpec } from '@lazytlb/explore';
import { buildResults, EVENT_COST_KEYS, eventCounts, normaliseCosts, pctMissBound, pctReport, perEventCosts } from '@lazytlb/explore';
import { readResultDir } from './read.js';
import { mergeResultDirs } from './merge-dirs.js';
import { parseResults, PerEventCosts, RESULTS_SCHEMA } from '@lazytlb/explore';
import { writeResultDir } from './write.js';
import { createRegistry } from '../plugins/bundled.js';

const registry = await createRegistry();

const tmp = mkdtempSync(join(tmpdir(), 'lazytlb-results-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('results', () => {
  it('writes a valid results.json, report.md and one artifact per first failure, atomically', async () => {
    const r = await runSweep({ registry, cells: smallCells(), matrixSeed: 'w', runs: 100, threads: 1 });
    const dir = join(tmp, 'out');
    writeResultDir(dir, r, registry);
    writeFileSync(join(dir, 'failures', '99-I3.json'), '{}'); // stale artifact of an earlier sweep
    const f = writeResultDir(dir, r, registry);
    const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(parseResults(json)).toEqual(f);
    expect(json.schema).toBe(RESULTS_SCHEMA);
    const files = readdirSync(join(dir, 'failures')).sort();
    expect(files).toEqual(f.cells.flatMap((c) => c.firstFailures.map((x) => x.artifact.slice('failures/'.length))).sort());
    expect(readdirSync(dir).some((n) => n.includes('.tmp-'))).toBe(false);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toMatch(/\| 2 \| reference \| – \| none \| 2 \| default \| random \| 100 \| \*\*violates\*\*/);
    expect(md).toMatch(/## Costs/);
    // hazard runs and the use sites that fired are named in the verdict table
    expect(md).toMatch(
      /\| 2 \| reference \| – \| none \| 2 \| default \| random \| 100 \| \*\*violates\*\* \| [^|]+ \| I3: \d+ \| [^|]*`__mmdrop`: \d+[^|]* \| – \|/,
    );
    expect(md).toMatch(/- cell 2 \*\*hazard I3\*\* run \d+ .*\[`failures\/2-hazard-I3\.json`\]/);
    expect(md).toMatch(/- cell 2 \*\*site __mmdrop\*\* run \d+ /);
    // Round trip.
    expect(JSON.stringify(readResultDir(dir).aggregates)).toBe(JSON.stringify(r.aggregates));
  });

  it('with coverage: a Coverage and a PCT section in report.md, sketches that round-trip exactly', async () => {
    const r = await runSweep({ registry, cells: smallCells(), matrixSeed: 'w', runs: 100, threads: 1, coverage: true });
    const dir = join(tmp, 'cov');
    const f = writeResultDir(dir, r, registry);
    expect(f.cells.every((c) => c.coverage !== null && c.coverage!.growth.at(-1)!.runs === 100)).toBe(true);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toMatch(/## Coverage/);
    expect(md).toMatch(
      /\| 0 \| reference \| refcount \| 2 \| random \| 100 \| \d+ \| \+\d+\.\d% \| (yes|no) \| 1: \d+ · 4: \d+ · 16: \d+ · 64: \d+ · 100: \d+ \|/,
    );
    expect(md).toMatch(/## PCT bounds/);
    expect(md).toMatch(
      /\| 1 \| reference \| refcount \| 2 \| pct:3 \| 100 \| 4 \| [\d.]+ \| [\d.]+ \| [\d.]+ \| 0\.250 \| [\d.e-]+ \| [\d.e-]+ \| [\d.e-]+ \| /,
    );
    const back = readResultDir(dir);
    expect(back.coverage).toBe(true);
    expect(JSON.stringify(back.aggregates)).toBe(JSON.stringify(r.aggregates));
    // a corrupted sketch is refused with its cell and bucket
    const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    json.cells[1].raw.stateSketches['3'] = '/'.repeat(json.cells[1].raw.stateSketches['3'].length);
    writeFileSync(join(dir, 'results.json'), JSON.stringify(json));
    expect(() => readResultDir(dir)).toThrow(/cell 1: state sketch of bucket 3: coverage sketch: register \d+ is \d+/);
  });

  it('refuses a lazytlb.results/1 file, naming the version that wrote it and what to do; merge refuses to mix versions', async () => {
    const r = await runSweep({ registry, cells: smallCells().slice(0, 2), matrixSeed: 'old', runs: 20, threads: 1 });
    const dir = join(tmp, 'old');
    const v2 = join(tmp, 'v2');
    writeResultDir(dir, r, registry);
    writeResultDir(v2, r, registry);
    const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    json.schema = 'lazytlb.results/1';
    json.toolVersion = '0.0.9';
    writeFileSync(join(dir, 'results.json'), JSON.stringify(json));
    expect(() => readResultDir(dir)).toThrow(
      /old\/results\.json: results schema lazytlb\.results\/1 \(written by lazytlb 0\.0\.9\) is not lazytlb\.results\/3: it predates hazards, .*Re-run the sweep with this version, or read it with the @lazytlb\/sweep 0\.1 that wrote it/,
    );
    expect(() => mergeResultDirs([v2, dir])).toThrow(
      /cannot merge results of different schema versions \(.*v2: lazytlb\.results\/3 \(lazytlb [\d.]+\); .*old: lazytlb\.results\/1 \(lazytlb 0\.0\.9\)\): merge only shards written by the same lazytlb/,
    );
    expect(() => mergeResultDirs([dir, dir])).toThrow(
      /cannot merge: .*results schema lazytlb\.results\/1 \(written by lazytlb 0\.0\.9\) is not lazytlb\.results\/3/,
    );
  });

  it('rejects another schema with a clear error', () => {
    expect(() => parseResults({ schema: 'lazytlb.results/4' })).toThrow(
      /results schema lazytlb\.results\/4 is not lazytlb\.results\/3: this version of lazytlb reads lazytlb\.results\/3 only/,
    );
    expect(() => parseResults({ schema: 'lazytlb.results/2', toolVersion: '0.1.0' })).toThrow(
      /results schema lazytlb\.results\/2 \(written by lazytlb 0\.1\.0\) is not lazytlb\.results\/3: it names its model by a hash of lazytlb's source .*--allow-model-mismatch/,
    );
  });

  it("the memory axis: each cell's memory from its config, a memory column in report.md only when some cell is not sc, a round trip keeps it", async () => {
    const x86 = (index: number, memory?: 'tso'): CellSpec => ({
      index,
      arch: { name: 'x86-native', options: {} },
      scheme: 'refcount',
      ...(memory !== undefined ? { memory } : {}),
      cpus: 2,
      workload: { profile: 'default' },
      strategy: { kind: 'random' },
    });
    const r = await runSweep({ registry, cells: [x86(0), x86(1, 'tso')], matrixSeed: 'mem', runs: 30, threads: 1 });
    expect(r.cells.map((c) => c.config.memory)).toEqual([undefined, 'tso']);
    // a tso cell has a store-buffer drain actor per CPU (n in the PCT bound)
    expect(r.cells[1]!.actors).toBe(r.cells[0]!.actors + 2);
    const dir = join(tmp, 'memory');
    const f = writeResultDir(dir, r, registry);
    expect(f.cells.map((c) => c.memory)).toEqual(['sc', 'tso']);
    expect(JSON.parse(f.cells[0]!.raw.cellId)).not.toHaveProperty('memory');
    expect(JSON.parse(f.cells[1]!.raw.cellId)).toMatchObject({ memory: 'tso' });
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toMatch(/^\| # \| arch \| options \| scheme \| memory \| CPUs \| workload \|/m);
    expect(md).toMatch(/^\| 0 \| x86-native \| [^|]+ \| refcount \| sc \| 2 \| default \| random \| 30 \|/m);
    expect(md).toMatch(/^\| 1 \| x86-native \| [^|]+ \| refcount \| tso \| 2 \| default \| random \| 30 \|/m);
    const back = readResultDir(dir);
    expect(back.cells.map((c) => c.spec.memory)).toEqual([undefined, 'tso']);
    expect(JSON.stringify(back.aggregates)).toBe(JSON.stringify(r.aggregates));
    // sc only: no memory column (reports of sweeps without the axis are unchanged)
    writeResultDir(join(tmp, 'memory-sc'), await runSweep({ registry, cells: [x86(0)], matrixSeed: 'mem', runs: 5, threads: 1 }), registry);
    expect(readFileSync(join(tmp, 'memory-sc', 'report.md'), 'utf8')).toMatch(/^\| # \| arch \| options \| scheme \| CPUs \|/m);
  });

  it('v2 cells: scheme options, preempt, memory, hazards and use sites by name, findings by class, IBPB costs', async () => {
    const r = await runSweep({ registry, cells: smallCells(), matrixSeed: 'w', runs: 100, threads: 1 });
    const f = writeResultDir(join(tmp, 'v2-cells'), r, registry);
    for (const c of f.cells) {
      expect(c).toMatchObject({ schemeOptions: {}, preempt: 'full', memory: 'sc' });
      expect(c.costs.ibpb).toEqual({ checks: 0, issued: 0, skippedOnReuse: 0, skippedPerCheck: null }); // reference: no cond_mitigation()
    }
    const none = f.cells.filter((c) => c.scheme === 'none');
    for (const c of none) {
      // I3 is a hazard under none, never a violation; the WARN in __mmdrop is a hazard-class use site
      expect(c.violations.I3).toBeUndefined();
      expect(c.hazards.I3).toBeGreaterThan(0);
      expect(c.useSites.__mmdrop).toBeGreaterThan(0);
      const classes = c.firstFailures.map((x) => x.class);
      expect(classes).toEqual(
        [...classes].sort((a, b) => ['violation', 'hazard', 'use-site', 'error'].indexOf(a) - ['violation', 'hazard', 'use-site', 'error'].indexOf(b)),
      );
      const hz = c.firstFailures.find((x) => x.class === 'hazard')!;
      expect(hz).toMatchObject({ key: 'I3', artifact: `failures/${c.index}-hazard-I3.json`, siteKind: null });
      const warn = c.firstFailures.find((x) => x.class === 'use-site' && x.key === '__mmdrop')!;
      expect(warn).toMatchObject({ siteKind: 'warn', artifact: `failures/${c.index}-site-__mmdrop.json` });
      for (const x of c.firstFailures) expect(x.artifact).toMatch(/^failures\/\d+-[A-Za-z0-9_-]+\.json$/);
    }
    for (const c of f.cells.filter((x) => x.scheme === 'refcount')) {
      expect(c.verdict).toBe('safe');
      expect(c.hazards).toEqual({});
    }
    expect(f.totals).toMatchObject({ hazard: 0, proved: 0, incomplete: 0 });
    expect(f.totals.hazardRuns).toBe(none.reduce((n, c) => n + c.hazards.I3!, 0));
  });

  it('report.md compares the IBPB reuse rate of each x86 cell with its refcount twin', async () => {
    const cells = (['refcount', 'none'] as const).map((scheme, index) => ({
      index,
      arch: { name: 'x86-native', options: {} },
      scheme,
      cpus: 2,
      workload: { profile: 'default' as const },
      strategy: { kind: 'random' as const },
    }));
    const f = writeResultDir(join(tmp, 'ibpb'), await runSweep({ registry, cells, matrixSeed: 'ibpb', runs: 200, threads: 1 }), registry);
    for (const c of f.cells) {
      expect(c.costs.ibpb.checks).toBeGreaterThan(0);
      expect(c.costs.ibpb.skippedPerCheck).toBe(c.costs.ibpb.skippedOnReuse / c.costs.ibpb.checks);
    }
    const md = readFileSync(join(tmp, 'ibpb', 'report.md'), 'utf8');
    expect(md).toContain('## IBPB skipped on mm reuse');
    expect(md).toMatch(/\| 0 \| x86-native \| refcount \| 2 \| \d+ \| \d+ \| \d+ \| [^|]+ \| [^|]+ \| baseline \|/);
    expect(md).toMatch(/\| 1 \| x86-native \| none \| 2 \| \d+ \| \d+ \| \d+ \| [^|]+ \| [^|]+ \| (\*\*exceeds\*\* \([^)]+\)|within) \|/);
  });

  it('normalises costs per context switch and per mm exit', () => {
    const costs = new Array(24).fill(0);
    costs[1] = 5;
    costs[4] = 5; // 10 context switches
    costs[5] = 20; // mm_count atomics
    costs[9] = 6; // shootdown IPIs sent
    costs[18] = 3; // mm exits
    const c = normaliseCosts(costs, 100);
    expect(c.perContextSwitch.mmCountAtomics).toBe(2);
    expect(c.perMmExit.shootdownIpis).toBe(2);
    expect(c.perContextSwitch.ipis).toBe(0.6);
    expect(normaliseCosts(new Array(24).fill(0), 0).perMmExit.ipis).toBeNull();
    // IBPB (x86 cond_mitigation): checks, issued, skipped on reuse, skipped per check
    const ib = new Array(27).fill(0);
    ib[26] = 200;
    ib[24] = 150;
    ib[25] = 5;
    expect(normaliseCosts(ib, 100).ibpb).toEqual({ checks: 200, issued: 150, skippedOnReuse: 5, skippedPerCheck: 0.025 });
  });

  it('costs by event: per context switch, mm exit and final mmdrop, each counter / its event count (0 without events), the counts raw', () => {
    const costs = new Array<number>(COST_NAMES.length).fill(0);
    const set = (n: string, v: number): void => void (costs[COST_NAMES.indexOf(n as (typeof COST_NAMES)[number])] = v);
    set('cs_user_user', 10);
    set('cs_user_kernel', 20);
    set('cs_kernel_kernel', 30);
    set('cs_kernel_user', 40); // 100 switches
    set('switch_atomics', 50);
    set('switch_line_transfers', 25);
    set('switch_barriers', 7);
    set('mm_exits', 8);
    set('exit_remote_reads', 248);
    set('exit_ipis', 12);
    set('exit_atomics', 16);
    set('mm_frees', 0);
    set('mmdrop_ipis', 3); // counted without a final mmdrop: nothing to divide by
    const p = perEventCosts(costs);
    expect(p.switch).toEqual({ count: 100, atomics: 0.5, lineTransfers: 0.25, remoteReads: 0, ipis: 0, barriers: 0.07 });
    expect(p.exit).toEqual({ count: 8, atomics: 2, lineTransfers: 0, remoteReads: 31, ipis: 1.5, barriers: 0 });
    expect(p.mmdrop).toEqual({ count: 0, atomics: 0, lineTransfers: 0, remoteReads: 0, ipis: 0, barriers: 0 });
    expect(eventCounts(costs)).toEqual({ switch: 100, exit: 8, mmdrop: 0 });
    expect(normaliseCosts(costs, 1000).perEvent).toEqual(p);
    // the results keys are core's events and categories, each counter `<event>_<cost>` one of core's cost names
    expect(Object.keys(p)).toEqual([...costNs.EVENT_NAMES]);
    expect(Object.keys(EVENT_COST_KEYS)).toEqual([...costNs.EVENT_CATEGORY_NAMES]);
    for (const e of costNs.EVENT_NAMES) {
      expect(Object.keys(p[e])).toEqual(['count', ...Object.values(EVENT_COST_KEYS)]);
      for (const c of costNs.EVENT_CATEGORY_NAMES) expect(COST_NAMES).toContain(`${e}_${c}`);
    }
    // a schema-valid block; a negative or missing value is not
    expect(PerEventCosts.parse(p)).toEqual(p);
    expect(PerEventCosts.safeParse({ ...p, exit: { ...p.exit, ipis: -1 } }).success).toBe(false);
    expect(PerEventCosts.safeParse({ ...p, mmdrop: undefined }).success).toBe(false);
  });

  it('costs by event: a sweep writes them per cell; merged shards recompute them from the summed raw counters (never an average of averages); a v2 file without them still reads and merges', async () => {
    const base = { cells: cpuSeriesCells([2, 4]), matrixSeed: 'per-event', runs: 60, batchSize: 7 };
    const single = writeResultDir(join(tmp, 'pe-single'), await runSweep({ registry, ...base, threads: 1 }), registry);
    const dirs = [1, 2].map((i) => join(tmp, `pe-shard${i}`));
    const shards = await Promise.all(
      dirs.map(async (d, i) => writeResultDir(d, await runSweep({ registry, ...base, threads: 1, shard: { index: i + 1, count: 2 } }), registry)),
    );
    for (const c of single.cells) {
      const pe = c.costs.perEvent!;
      const raw = COST_NAMES.map((n) => c.raw.costs[n] ?? 0);
      expect(pe).toEqual(perEventCosts(raw));
      expect(pe.switch.count).toBe(c.costs.contextSwitches);
      expect(pe.exit.count).toBe(c.costs.mmExits);
      expect(pe.mmdrop.count).toBe(c.raw.costs.mm_frees);
      expect(pe.exit.ipis).toBe(c.raw.costs.exit_ipis! / c.raw.costs.mm_exits!);
      expect(pe.switch.count).toBeGreaterThan(0);
    }
    // shootdown:mask=online IPIs every other online CPU at the final mmdrop: N − 1 per event
    expect(single.cells.filter((c) => c.scheme === 'shootdown').map((c) => c.costs.perEvent!.mmdrop.ipis)).toEqual([1, 3]);

    const merged = writeResultDir(join(tmp, 'pe-merged'), mergeResultDirs(dirs), registry);
    expect(merged.cells.map((c) => c.costs.perEvent)).toEqual(single.cells.map((c) => c.costs.perEvent));
    // the merge divides summed counters by summed counts; the mean of the shards' per-event values is another number
    let differs = 0;
    for (const [i, c] of merged.cells.entries()) {
      const [a, b] = shards.map((f) => f.cells[i]!);
      expect(a!.costs.perEvent!.switch.count).not.toBe(b!.costs.perEvent!.switch.count);
      const summed = (n: (typeof COST_NAMES)[number]): number => (a!.raw.costs[n] ?? 0) + (b!.raw.costs[n] ?? 0);
      expect(c.costs.perEvent!.exit.lineTransfers).toBe(summed('exit_line_transfers') / summed('mm_exits'));
      expect(c.costs.perEvent!.switch.count).toBe(a!.costs.perEvent!.switch.count + b!.costs.perEvent!.switch.count);
      if (c.costs.perEvent!.switch.atomics !== (a!.costs.perEvent!.switch.atomics + b!.costs.perEvent!.switch.atomics) / 2) differs++;
    }
    expect(differs).toBeGreaterThan(0);

    // results.json written before costs by event (v2 without `perEvent`): still read, and merge and resume rebuild it from raw
    for (const d of dirs) {
      const json = JSON.parse(readFileSync(join(d, 'results.json'), 'utf8'));
      for (const c of json.cells) delete c.costs.perEvent;
      writeFileSync(join(d, 'results.json'), JSON.stringify(json));
      expect(parseResults(json).cells.every((c) => c.costs.perEvent === undefined)).toBe(true);
    }
    expect(stripTiming(writeResultDir(join(tmp, 'pe-merged-old'), mergeResultDirs(dirs), registry))).toBe(stripTiming(merged));
    const resumed = await runSweep({ registry, ...base, threads: 1, shard: { index: 1, count: 2 }, resume: readResultDir(dirs[0]!) });
    expect(buildResults(resumed).cells.map((c) => c.costs.perEvent)).toEqual(shards[0]!.cells.map((c) => c.costs.perEvent));

    // results.json written before a counter existed (v2 from the build before scheme plugins: no
    // remote_line_reads, scheme_atomics or per-event counters in raw.costs): still read, as 0.
    const older = JSON.parse(readFileSync(join(dirs[0]!, 'results.json'), 'utf8'));
    const later = COST_NAMES.slice(COST_NAMES.indexOf('remote_line_reads'));
    for (const c of older.cells) for (const n of later) delete c.raw.costs[n];
    const read = parseResults(older);
    expect(read.cells.every((c) => later.every((n) => c.raw.costs[n] === undefined))).toBe(true);
    expect(read.cells[0]!.raw.costs.mm_exits).toBeGreaterThan(0);
  });

  it('PCT bound: (1 - 1/(n k^(d-1)))^N, only up to the cell depth, none for random', () => {
    const b = pctMissBound({ kind: 'pct', depth: 2 }, 4, 1000, 1000 * 100)!;
    expect(b.d1).toBeCloseTo((1 - 1 / 4) ** 1000, 12);
    expect(b.d2).toBeCloseTo((1 - 1 / 400) ** 1000, 12);
    expect(b.d3).toBeNull();
    expect(pctMissBound({ kind: 'random' }, 4, 1000, 1000)).toBeNull();
  });

  it('PCT report: n, k = max(mean estimate, mean actual steps), p_d per depth, miss bounds only for safe cells', () => {
    // estimate 100/run, actual 150/run: k = 150
    const r = pctReport({ kind: 'pct', depth: 2 }, 4, 1000, 100_000, 150_000, true)!;
    expect(r).toMatchObject({ n: 4, depth: 2, runs: 1000, kEstimated: 100, meanSteps: 150, k: 150 });
    expect(r.hitBound).toEqual({ d1: 0.25, d2: 1 / (4 * 150), d3: null });
    expect(r.missBound!.d1).toBeCloseTo(0.75 ** 1000, 12);
    expect(r.missBound!.d2).toBeCloseTo((1 - 1 / 600) ** 1000, 12);
    expect(r.missBound!.d3).toBeNull();
    // the usual case: the estimate is the larger
    expect(pctReport({ kind: 'pct', depth: 3 }, 8, 10, 2500, 1600, true)!.k).toBe(250);
    expect(pctReport({ kind: 'pct', depth: 3 }, 8, 10, 2500, 1600, false)!.missBound).toBeNull();
    const random = pctReport({ kind: 'random' }, 4, 10, 2500, 1600, true)!;
    expect(random.hitBound).toBeNull();
    expect(random.missBound).toBeNull();
    expect(random.k).toBe(250);
    expect(pctReport({ kind: 'pct', depth: 3 }, 4, 0, 0, 0, true)).toBeNull();
    expect(pctMissBound({ kind: 'pct', depth: 2 }, 4, 1000, 100_000, 150_000)).toEqual(r.missBound);
  });
});
