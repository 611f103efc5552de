/**
 * No Math.random: every draw must come from the run's PRNG (core's Sfc32 seeded per run),
 * or runs stop being replayable. Math.random is replaced by a function that records the
 * call and throws while a simulator is created and runs; a hook that calls it therefore
 * ends its run as a plugin error, and the recorded call site is reported.
 */
import type { RunResult } from '@lazytlb/core';
import { type CellSpec, cellLabel, makeSim, seedsOf } from './cell.js';

export class MathRandomCalled extends Error {
  override name = 'MathRandomCalled';
}

/** Run `fn` with Math.random forbidden; returns the call sites of any attempted calls. */
export function withMathRandomForbidden(fn: () => void): string[] {
  const original = Math.random;
  const sites: string[] = [];
  Math.random = () => {
    const e = new MathRandomCalled(
      'Math.random() was called during a lazytlb run: a run must be a pure function of (cell, seed); draw from the run PRNG instead',
    );
    sites.push(e.stack ?? e.message);
    throw e;
  };
  try {
    fn();
  } finally {
    Math.random = original;
  }
  return sites;
}

export function checkNoMathRandom(cell: CellSpec, nSeeds: number): void {
  const results: RunResult[] = [];
  let thrown: unknown = null;
  const sites = withMathRandomForbidden(() => {
    try {
      const sim = makeSim(cell);
      for (const s of seedsOf(sim, nSeeds)) results.push(sim.run(s, { trace: true }));
    } catch (e) {
      thrown = e;
    }
  });
  if (sites.length > 0) {
    throw new Error(`${cellLabel(cell)}: Math.random() was called ${sites.length} time(s); first call:\n${sites[0]}`);
  }
  if (thrown !== null) throw thrown;
}
