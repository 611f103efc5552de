/**
 * Oracles for the injectable explorers: the sweep app's step-by-step drivers, copied from
 * apps/sweep/src/shrink/{shrink,bug-depth,target}.ts at c60f4d2 (lenientRun, enabledAlong,
 * preemptionPoints, guidedRun and its two choosers, targetMask/reached), with only the
 * imports and the Finding argument (here its FindingTarget) adapted. Core must not import
 * apps/; these copies pin the semantics the explorers reproduce.
 */
import { HAZARD_IDS } from '../model/kernel.js';
import type { RunSeed } from '../prng/seed.js';
import type { FindingTarget, RunResult, Simulator } from '../run/simulator.js';

/** [hazard mask, site mask] of the target in `sim`'s cell (null: no target). */
export function targetMask(sim: Simulator, t: FindingTarget | undefined): readonly [number, number] | null {
  if (t === undefined) return null;
  if ('hazard' in t) return [1 << (HAZARD_IDS as readonly string[]).indexOf(t.hazard), 0];
  const i = sim.sites.indexOf(t.site);
  if (i < 0) throw new Error(`use site "${t.site}" is not declared in this cell (sites: ${sim.sites.join(', ')})`);
  return [0, 1 << i];
}

/** After a step: the target has fired (the run should stop, as run() with stopAt does). */
export function reached(sim: Simulator, mask: readonly [number, number] | null): boolean {
  return mask !== null && ((sim.k.hazardMask & mask[0]) !== 0 || (sim.k.siteMask & mask[1]) !== 0);
}

/** shrink.ts lenientRun. */
export function lenientRun(sim: Simulator, seed: RunSeed, decisions: ArrayLike<number>, limit = Infinity, finding?: FindingTarget): RunResult {
  const mask = finding !== undefined ? targetMask(sim, finding) : null;
  sim.begin(seed);
  const budget = Math.min(limit, sim.cell.stepBudget);
  for (let i = 0; ; i++) {
    const en = sim.enabledActors();
    if (en.length === 0 || sim.k.step >= budget) break;
    const d = i < decisions.length ? decisions[i]! : -1;
    const a = en.includes(d) ? d : en[0]!;
    if (!sim.stepActor(a)) break;
    if (reached(sim, mask)) return sim.end('stopped', { keepDecisions: true });
  }
  return sim.end(undefined, { keepDecisions: true });
}

export class BugDepthError extends Error {
  override name = 'BugDepthError';
}

/** bug-depth.ts preemptionPoints. */
export function preemptionPoints(decisions: ArrayLike<number>, enabled: readonly (readonly number[])[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < decisions.length; i++) {
    const prev = decisions[i - 1]!;
    if (decisions[i] !== prev && (enabled[i] ?? []).includes(prev)) out.push(i);
  }
  return out;
}

/** bug-depth.ts enabledAlong. */
export function enabledAlong(sim: Simulator, seed: RunSeed, decisions: ArrayLike<number>, finding?: FindingTarget): { result: RunResult; enabled: number[][] } {
  const mask = finding !== undefined ? targetMask(sim, finding) : null;
  const enabled: number[][] = [];
  sim.begin(seed);
  for (let i = 0; i < decisions.length; i++) {
    const en = sim.enabledActors();
    if (en.length === 0) break;
    enabled.push(en);
    if (!en.includes(decisions[i]!)) throw new BugDepthError(`step ${i}: recorded actor ${decisions[i]} is not enabled (enabled: ${en.join(',')})`);
    if (!sim.stepActor(decisions[i]!)) break;
    if (reached(sim, mask)) return { result: sim.end('stopped', { keepDecisions: true }), enabled };
  }
  return { result: sim.end(undefined, { keepDecisions: true }), enabled };
}

/** bug-depth.ts Chooser. */
export type Chooser = (step: number, en: readonly number[], prev: number) => number;

/** bug-depth.ts guidedRun (its finding may be absent here: no target). */
export function guidedRun(sim: Simulator, seed: RunSeed, choose: Chooser, finding: FindingTarget | undefined): { result: RunResult; points: number[] } {
  const mask = targetMask(sim, finding);
  sim.begin(seed);
  const budget = sim.cell.stepBudget;
  const points: number[] = [];
  let prev = -1;
  for (;;) {
    const en = sim.enabledActors();
    if (en.length === 0 || sim.k.step >= budget) break;
    const a = choose(sim.k.step, en, prev);
    if (prev >= 0 && a !== prev && en.includes(prev)) points.push(sim.k.step);
    prev = a;
    if (!sim.stepActor(a)) break;
    if (reached(sim, mask)) return { result: sim.end('stopped', { keepDecisions: true }), points };
  }
  return { result: sim.end(undefined, { keepDecisions: true }), points };
}

/** bug-depth.ts nonPreemptiveFrom. */
export function nonPreemptiveFrom(d: Uint8Array, at: number): Chooser {
  let c = at;
  return (step, en, prev) => {
    if (step < at && en.includes(d[step]!)) return d[step]!;
    if (prev >= 0 && en.includes(prev)) return prev;
    while (c < d.length && !en.includes(d[c]!)) c++;
    return c < d.length ? d[c++]! : en[0]!;
  };
}

/** bug-depth.ts withoutPreemptionAt. */
export function withoutPreemptionAt(d: Uint8Array, at: number): Chooser {
  const a = d[at - 1]!;
  let extra = 0;
  let resumed: number[] | null = null;
  let start = 0;
  return (step, en, prev) => {
    if (step < at && en.includes(d[step]!)) return d[step]!;
    if (resumed === null) {
      if (en.includes(a)) {
        extra++;
        return a;
      }
      // Drop the first `extra` steps of `a` from the recorded rest: they have been taken.
      resumed = [];
      let skip = extra;
      for (let i = at; i < d.length; i++) {
        if (d[i] === a && skip > 0) skip--;
        else resumed.push(d[i]!);
      }
      start = step;
    }
    const want = resumed[step - start];
    if (want !== undefined && en.includes(want)) return want;
    return prev >= 0 && en.includes(prev) ? prev : en[0]!;
  };
}
