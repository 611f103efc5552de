/**
 * A plugin that says `declaresState: true` promises that all of its per-run state lives in the
 * typed arrays its reset() passes to k.declareState(...): exhaustive search hashes and
 * snapshots exactly that (with the kernel's own state) and restores it to go back in a run.
 * Undeclared state that steers behaviour (a counter in a closure, an array not declared) would
 * make a restored run go on differently from the run that never left the point, and state
 * hashing merge states that differ: a search could then miss a bug.
 *
 * The check: in runs of the cell under an explorer that enumerates in-step choices (as
 * exhaustive search runs them), save the run at a step (core's Simulator.saveRun), take some
 * steps with a seeded random schedule while recording what other CPUs can observe (the enabled
 * actors, the state fingerprint, hazards, use sites, how the run ends), restore the point
 * (restoreRun) and take the same steps again: every observation must repeat. A plugin that does
 * not declare its state is searched without hashing and snapshots, and skips this check.
 */
import { FirstScheduleExplorer, type RunSeed, Sfc32, type Simulator } from '@lazytlb/core';
import { type CellSpec, cellLabel, makeSim, seedsOf } from './cell.js';
import type { ConformanceExpect } from './runner.js';

/** Steps taken before the point is saved (at most), and after it. */
const BEFORE = 12;
const AFTER = 40;

/** What a step leaves that other CPUs, the oracles and the search can observe. */
function observe(sim: Simulator, fp: Uint32Array, hasher: ReturnType<Simulator['stateHasher']>): string {
  hasher.hash(fp);
  const k = sim.k;
  const v = k.violation;
  return `${sim.enabledActors().join(',')}|${fp[0]}:${fp[1]}|${k.hazardMask}:${k.siteMask}|${v === null ? '' : `${v.invariant}@${v.step}`}`;
}

/** `AFTER` steps from where the run stands, picked by `rng` among the enabled actors, observed after each. */
function walk(sim: Simulator, rng: Sfc32, hasher: ReturnType<Simulator['stateHasher']>, fp: Uint32Array): { actors: number[]; seen: string[] } {
  const actors: number[] = [];
  const seen: string[] = [];
  for (let i = 0; i < AFTER; i++) {
    const en = sim.enabledActors();
    if (en.length === 0 || sim.k.violation !== null) break;
    const a = en[rng.int(en.length)]!;
    actors.push(a);
    if (!sim.stepActor(a)) {
      seen.push(observe(sim, fp, hasher));
      break;
    }
    seen.push(observe(sim, fp, hasher));
  }
  return { actors, seen };
}

/** The same steps again (from the restored point), observed after each. */
function again(sim: Simulator, actors: readonly number[], hasher: ReturnType<Simulator['stateHasher']>, fp: Uint32Array): string[] {
  const seen: string[] = [];
  for (const a of actors) {
    if (!sim.enabledActors().includes(a)) {
      seen.push(`actor ${a} is not enabled after the restore`);
      break;
    }
    const more = sim.stepActor(a);
    seen.push(observe(sim, fp, hasher));
    if (!more) break;
  }
  return seen;
}

/** The check for an arch conformance cell. */
export function checkDeclaredState(cell: CellSpec, expect: ConformanceExpect, nSeeds: number): void {
  checkDeclaredStateOf(makeSim(cell), cellLabel(cell), expect, nSeeds);
}

/** The check on any simulator (a scheme conformance cell's too), `label` naming it in failures. */
export function checkDeclaredStateOf(sim: Simulator, label: string, expect: ConformanceExpect, nSeeds: number): void {
  expect(sim.stateHashRefusal, `${label}: the plugins declare their state`).toBe(null);
  const hasher = sim.stateHasher();
  const point = sim.newRunPoint();
  const fp = new Uint32Array(2);
  const seeds: RunSeed[] = seedsOf(sim, nSeeds, 5000);
  seeds.forEach((seed, i) => {
    const rng = new Sfc32(seed[0], seed[1], seed[2] ^ 0x2545f491, seed[3]);
    const explorer = new FirstScheduleExplorer();
    sim.begin(seed, { explorer });
    hasher.refresh();
    // Go some way into the run first (a point in mid-run, with paths in flight), then save it.
    const before = rng.int(BEFORE + 1);
    for (let s = 0; s < before; s++) {
      const en = sim.enabledActors();
      if (en.length === 0 || !sim.stepActor(en[rng.int(en.length)]!)) break;
    }
    if (sim.enabledActors().length === 0 || sim.k.violation !== null) {
      sim.end();
      return;
    }
    sim.saveRun(point);
    const first = walk(sim, rng, hasher, fp);
    sim.restoreRun(point);
    const second = again(sim, first.actors, hasher, fp);
    sim.end();
    expect(
      second,
      `${label}, seed ${i}: after restoring a saved point (step ${before}), the same ${first.actors.length} steps must be observed alike ` +
        '(enabled actors, state fingerprint, hazards, use sites, violation): all per-run plugin state must be declared with k.declareState',
    ).toEqual(first.seen);
  });
}
