/**
 * A run is a pure function of (cell, seed) (model-spec §10): two separate Simulator
 * instances of the same cell, interleaved run by run, must produce the same outcome, step
 * count, cost counters and decision list for every seed; re-running seeds in another order
 * must not change them (reset() must clear every bit of arch state); and tracing must not
 * change a run (describe_cpu / ipi_name are called only while tracing and must be pure).
 */
import type { RunResult, RunSeed, Simulator } from '@lazytlb/core';
import { type CellSpec, cellLabel, makeSim, seedsOf } from './cell.js';
import type { ConformanceExpect } from './runner.js';

export interface RunFingerprint {
  readonly outcome: string;
  readonly steps: number;
  readonly violation: unknown;
  readonly pluginError: unknown;
  readonly decisions: readonly number[];
  readonly costs: Readonly<Record<string, number>>;
}

export function fingerprint(sim: Simulator, r: RunResult): RunFingerprint {
  return {
    outcome: r.outcome,
    steps: r.steps,
    violation: r.violation,
    pluginError: r.pluginError,
    decisions: r.decisions === null ? [] : Array.from(r.decisions),
    costs: { ...sim.costsObject() },
  };
}

function runAll(sim: Simulator, seeds: readonly RunSeed[], trace = false): RunFingerprint[] {
  return seeds.map((s) => fingerprint(sim, sim.run(s, { keepDecisions: true, trace })));
}

export function checkDeterminism(cell: CellSpec, expect: ConformanceExpect, nSeeds: number): void {
  const a = makeSim(cell);
  const b = makeSim(cell);
  expect(b.cellId, 'two simulators of one cell have the same cell id').toBe(a.cellId);
  const seeds = seedsOf(a, nSeeds);
  const fa: RunFingerprint[] = [];
  const fb: RunFingerprint[] = [];
  // Interleave the two instances so that state shared between them (module-level
  // variables in the plugin) shows up as a difference.
  for (const s of seeds) {
    fa.push(fingerprint(a, a.run(s, { keepDecisions: true })));
    fb.push(fingerprint(b, b.run(s, { keepDecisions: true })));
  }
  const label = cellLabel(cell);
  expect(fb, `${label}: a second Simulator instance reproduces every run`).toEqual(fa);
  const reversed = runAll(a, [...seeds].reverse()).reverse();
  expect(reversed, `${label}: re-running the seeds in reverse order reproduces them (reset() clears all arch state)`).toEqual(fa);
  const traced = runAll(b, seeds, true);
  expect(traced, `${label}: tracing does not change a run (describe_cpu and ipi_name must be pure)`).toEqual(fa);
}
