/**
 * runCell against two oracles: the hand-written loop plugins' scripts and tests used
 * (`sim.run(runSeed(hashString128(sim.cellId), i))`, counted per run), and a sweep of the same
 * cell (runSweep: its aggregate). Reference arch only: explore depends on no plugin.
 */
import { describe, expect, it } from 'vitest';
import {
  COST_NAMES,
  costsToObject,
  createSimulator,
  findingIds,
  hashString128,
  referenceArch,
  replayArtifact,
  type RunResult,
  type RunSeed,
  runSeed,
  seedToHex,
  type Simulator,
  type SimulatorOptions,
} from '@lazytlb/core';
import { mergeAggregate } from './aggregate/aggregate.js';
import { LazytlbError } from './errors/lazytlb-error.js';
import { InProcessExecutor } from './executor/in-process.js';
import { runBatch } from './executor/run-batch.js';
import { cellHashOf } from './plan/seed.js';
import { PluginRegistry } from './registry/registry.js';
import { runCell } from './run-cell.js';
import { simulatorFor } from './sweep/cells.js';
import { runSweep } from './sweep/sweep.js';
import { smallCells } from './sweep/test-support.js';

/** The loop runCell replaces, counting what its summaries count, keys in order of first occurrence. */
function handLoop(sim: Simulator, runs: number, base: RunSeed = hashString128(sim.cellId), start = 0) {
  const add = (rec: Record<string, number>, k: string): void => void (rec[k] = (rec[k] ?? 0) + 1);
  const notOk: Record<string, number> = {};
  const violations: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const hazards: Record<string, number> = {};
  const useSites: Record<string, number> = {};
  const costs = new Float64Array(COST_NAMES.length);
  let ok = 0;
  let hazardRuns = 0;
  let shortest: { runIndex: number; steps: number; invariant: string; message: string } | null = null;
  for (let i = start; i < start + runs; i++) {
    const r = sim.run(runSeed(base, i));
    for (let j = 0; j < costs.length; j++) costs[j]! += sim.costs[j]!;
    const f = findingIds(r);
    for (const id of f.hazards) add(hazards, id);
    for (const id of f.useSites) add(useSites, id);
    if (r.hazards !== 0) hazardRuns++;
    if (r.outcome === 'ok') {
      ok++;
      continue;
    }
    const key = r.outcome === 'violation' ? r.violation!.invariant : r.outcome;
    add(notOk, key);
    add(r.outcome === 'violation' ? violations : errors, key);
    if (r.outcome === 'violation' && (shortest === null || r.steps < shortest.steps)) {
      shortest = { runIndex: i, steps: r.steps, invariant: r.violation!.invariant, message: r.violation!.message };
    }
  }
  return { ok, notOk, violations, errors, hazards, hazardRuns, useSites, costs: costsToObject(costs), shortest };
}

/** The summaries with their key order made visible (toEqual ignores it). */
const summary = (c: ReturnType<typeof handLoop>) => ({
  ...c,
  order: [c.notOk, c.violations, c.errors, c.hazards, c.useSites].map((r) => Object.keys(r)),
});

const CELLS: SimulatorOptions[] = [
  // clean
  { plugin: referenceArch, scheme: 'refcount', cpus: 2 },
  // violations (I1, I14), an I3 hazard in most runs, use sites (fatal and hazard-class)
  { plugin: referenceArch, scheme: 'none', cpus: 2, strategy: { kind: 'pct', depth: 3 } },
  { plugin: referenceArch, scheme: 'none', cpus: 4, strategy: { kind: 'random' } },
  // errors among the violations: a step budget the longer runs exceed
  { plugin: referenceArch, scheme: 'none', cpus: 2, stepBudget: 40 },
];

describe('runCell', () => {
  for (const opts of CELLS) {
    it(`counts ${opts.scheme} ${opts.cpus} CPUs${opts.stepBudget !== undefined ? ` budget ${opts.stepBudget}` : ''} as the hand-written loop does (same seeds, same keys in the same order)`, () => {
      const want = handLoop(createSimulator(opts), 300);
      const c = runCell(createSimulator(opts), { runs: 300 });
      const { shortest, ...got } = c;
      expect(
        summary({
          ok: got.ok,
          notOk: got.notOk,
          violations: got.violations,
          errors: got.errors,
          hazards: got.hazards,
          hazardRuns: got.hazardRuns,
          useSites: got.useSites,
          costs: got.costs,
          shortest:
            shortest === null
              ? null
              : { runIndex: shortest.runIndex, steps: shortest.steps, invariant: shortest.violation.invariant, message: shortest.violation.message },
        }),
      ).toEqual(summary(want));
      expect(c.runs).toBe(300);
      expect(c.cellHash).toBe(seedToHex(hashString128(createSimulator(opts).cellId)));
    });
  }

  it('covers what the cells above are for: violations, errors, hazards and sites all occur', () => {
    const budget = runCell(CELLS[3]!, { runs: 300 });
    expect(Object.keys(budget.violations).length).toBeGreaterThan(0);
    expect(budget.errors.budget).toBeGreaterThan(0);
    const none = runCell(CELLS[1]!, { runs: 300 });
    expect(Object.keys(none.notOk)).toEqual(['I14', 'I1']); // first occurrence, not alphabetical
    expect(none.hazardRuns).toBeGreaterThan(0);
    expect(Object.keys(none.useSites).length).toBe(2);
  });

  it('equals a sweep of the cell: its aggregate, given the matrix seed or the prepared cellHash', async () => {
    const registry = await PluginRegistry.create();
    const cells = smallCells();
    const executor = new InProcessExecutor(registry);
    const sweep = await runSweep({ cells, matrixSeed: 'run-cell', runs: 200, registry, executor, batchSize: 37 });
    await executor.close();
    for (const [i, spec] of cells.entries()) {
      const sim = await simulatorFor(spec, registry);
      const bySeed = runCell(sim, { runs: 200, matrixSeed: 'run-cell' });
      expect(bySeed.cellHash).toBe(sweep.cells[i]!.cellHash);
      expect({ ...bySeed.aggregate, cell: i }).toEqual(sweep.aggregates[i]);
      const byHash = runCell(sim, { runs: 200, cellHash: sweep.cells[i]!.cellHash });
      expect(byHash.aggregate).toEqual(bySeed.aggregate);
    }
  });

  it('runs a range: [runStart, runStart + runs), which merges with the rest into the whole', () => {
    const sim = createSimulator(CELLS[1]!);
    const cellHash = cellHashOf(sim.cellId, 'range');
    const whole = runCell(sim, { runs: 240, cellHash });
    const head = runCell(sim, { runs: 90, cellHash });
    const tail = runCell(sim, { runs: 150, runStart: 90, cellHash });
    expect(tail.aggregate).toEqual(runBatch(sim, 0, cellHash, 90, 240));
    expect(tail.aggregate.batches).toEqual(['90-240']);
    expect(mergeAggregate(head.aggregate, tail.aggregate)).toEqual(whole.aggregate);
    // the default seed base too: the hand loop from run 90
    const want = handLoop(sim, 150, hashString128(sim.cellId), 90);
    const got = runCell(sim, { runs: 150, runStart: 90 });
    expect([got.notOk, got.hazards, got.useSites, got.costs, got.shortest?.runIndex ?? null]).toEqual([
      want.notOk,
      want.hazards,
      want.useSites,
      want.costs,
      want.shortest?.runIndex ?? null,
    ]);
  });

  it("onRun sees every run once, in order, with its index and seed (not runBatch's re-runs of first findings)", () => {
    const sim = createSimulator(CELLS[1]!);
    const base = hashString128(sim.cellId);
    const seen: { index: number; seed: string; outcome: string; steps: number }[] = [];
    const c = runCell(sim, {
      runs: 120,
      runStart: 5,
      onRun: (r: RunResult, run) => {
        expect(run.sim).toBe(sim);
        expect(sim.findings().some((f) => f.kind === 'hazard')).toBe(r.hazards !== 0); // the run's end state
        seen.push({ index: run.index, seed: seedToHex(run.seed), outcome: r.outcome, steps: r.steps });
      },
    });
    expect(seen.map((s) => s.index)).toEqual(Array.from({ length: 120 }, (_, i) => i + 5));
    expect(seen.map((s) => s.seed)).toEqual(seen.map((s) => seedToHex(runSeed(base, s.index))));
    expect(seen.filter((s) => s.outcome === 'ok').length).toBe(c.ok);
    expect(c.aggregate.firstFailures['hazard:I3']).toBeDefined(); // so runBatch did re-run (stopAt), unseen by onRun
    expect(c.aggregate.steps).toBe(seen.reduce((s, r) => s + r.steps, 0));
  });

  it('first failures and the shortest violation come with artifacts that replay', () => {
    const sim = createSimulator(CELLS[2]!);
    const c = runCell(sim, { runs: 200 });
    expect(c.firstFailures).toBe(c.aggregate.firstFailures);
    expect(Object.keys(c.firstFailures)).toEqual(expect.arrayContaining(['I1', 'I14', 'hazard:I3', 'site:__mmdrop']));
    for (const f of Object.values(c.firstFailures)) expect(f.artifact.runIndex).toBe(f.runIndex);
    const s = c.shortest!;
    const shortest = Math.min(
      ...Object.values(c.firstFailures)
        .filter((f) => f.class === 'violation')
        .map((f) => f.steps),
    );
    expect(s.steps).toBeLessThanOrEqual(shortest);
    expect(s.artifact).toMatchObject({ seed: s.seed, runIndex: s.runIndex, outcome: { kind: 'violation', invariant: s.violation.invariant, steps: s.steps } });
    const replayed = replayArtifact(s.artifact, referenceArch);
    expect(replayed.result.outcome).toBe('violation');
    expect(replayed.result.violation?.message).toBe(s.violation.message);
  });

  it('takes SimulatorOptions, and counts the same with coverage on (which adds state sketches)', () => {
    const plain = runCell(CELLS[1]!, { runs: 100 });
    expect(plain.aggregate.stateSketches).toEqual({});
    const cov = runCell(CELLS[1]!, { runs: 100, coverage: true });
    expect(Object.keys(cov.aggregate.stateSketches).length).toBeGreaterThan(0);
    expect({ ...cov.aggregate, stateSketches: {} }).toEqual(plain.aggregate);
    expect(cov.notOk).toEqual(plain.notOk);
  });

  it('zero runs: nothing counted', () => {
    const c = runCell(CELLS[0]!, { runs: 0 });
    expect([c.runs, c.ok, c.notOk, c.hazards, c.useSites, c.shortest, c.aggregate.batches]).toEqual([0, 0, {}, {}, {}, null, []]);
  });

  it('refuses bad options with usage errors', () => {
    const bad = (o: Parameters<typeof runCell>[1]): unknown => {
      try {
        runCell(CELLS[0]!, o);
      } catch (e) {
        return e instanceof LazytlbError ? `${e.code}: ${e.message}` : e;
      }
      return 'no error';
    };
    expect(bad({ runs: -1 })).toMatch(/^usage: runCell: runs/);
    expect(bad({ runs: 1.5 })).toMatch(/^usage: runCell: runs/);
    expect(bad({ runs: 1, runStart: -2 })).toMatch(/^usage: runCell: runStart/);
    expect(bad({ runs: 1, matrixSeed: 'a', cellHash: '0'.repeat(32) })).toMatch(/^usage: .*not both/);
    expect(bad({ runs: 1, cellHash: 'xyz' })).toMatch(/^usage: runCell: cellHash/);
  });
});
