/**
 * A small sweep helper for truth tables: runs `runs` seeds of one cell through core's
 * Simulator and counts outcomes by invariant.
 *
 * Deprecated: use `runCell` from @lazytlb/explore, which counts through the engine's own batch
 * runner (a sweep of the cell counts the same) and adds errors by kind, first failures with
 * artifacts and the shortest violation's artifact. Nothing in this repository calls sweepCell any
 * more; it stays, unchanged, until it is removed (a later minor), so that code using it keeps
 * working without the plugin depending on the engine at runtime (an arch plugin's runtime needs
 * core only).
 * src/sweep.test.ts checks that the two agree.
 */
import {
  COST_NAMES,
  costsToObject,
  createSimulator,
  findingIds,
  hashString128,
  runSeed,
  type ArchPlugin,
  type Costs,
  type Scheme,
  type SimulatorOptions,
  type StrategySpec,
} from '@lazytlb/core';

/**
 * @deprecated Use `runCell(options, { runs })` from @lazytlb/explore: `options` is this object
 * without `runs` (core's SimulatorOptions).
 */
export interface SweepCell {
  readonly plugin: ArchPlugin<any>;
  readonly archOptions?: unknown;
  readonly scheme: Scheme;
  readonly cpus: number;
  readonly runs: number;
  readonly workload?: NonNullable<SimulatorOptions['workload']>;
  readonly strategy?: StrategySpec;
  /** Mutations to enable (core's and the plugin's own ids). */
  readonly mutations?: readonly string[];
  readonly schemeOptions?: NonNullable<SimulatorOptions['schemeOptions']>;
  readonly preempt?: NonNullable<SimulatorOptions['preempt']>;
  /** Memory model (default sc). */
  readonly memory?: NonNullable<SimulatorOptions['memory']>;
  /** Oracles switched off (runs go on past them): to count what happens after the first finding. */
  readonly disabledInvariants?: NonNullable<SimulatorOptions['disabledInvariants']>;
}

/**
 * @deprecated Use runCell's result (@lazytlb/explore): `bad` is its `notOk`, `sites` its
 * `useSites`, `shortest` its `shortest` ({ runIndex, steps, violation: { invariant, message } });
 * `runs`, `ok`, `hazards` and `costs` have the same names.
 */
export interface SweepResult {
  readonly runs: number;
  readonly ok: number;
  /** Outcomes other than ok: violated invariant id (I1, I3, ...) or outcome kind (deadlock, budget, plugin-error). */
  readonly bad: Record<string, number>;
  /** Shortest violating run: its index, steps and message. */
  readonly shortest: { index: number; steps: number; invariant: string; message: string } | null;
  /** Runs that recorded each hazard (I3 under a dangling-premise scheme), whatever their outcome. */
  readonly hazards: Record<string, number>;
  /** Runs in which each use site fired (as the violation that ended the run, or as a hazard-class WARN). */
  readonly sites: Record<string, number>;
  /** Cost counters summed over all runs (e.g. ibpb, ibpb_skipped_reuse, ibpb_checks). */
  readonly costs: Costs;
}

/**
 * @deprecated Use `runCell` from @lazytlb/explore (see the module comment): same seeds
 * (hashString128(cell id)), same counts.
 */
export function sweepCell(c: SweepCell): SweepResult {
  const sim = createSimulator({
    plugin: c.plugin,
    archOptions: c.archOptions ?? {},
    scheme: c.scheme,
    cpus: c.cpus,
    workload: c.workload ?? 'default',
    strategy: c.strategy ?? { kind: 'random' },
    ...(c.mutations !== undefined ? { mutations: c.mutations } : {}),
    ...(c.schemeOptions !== undefined ? { schemeOptions: c.schemeOptions } : {}),
    ...(c.preempt !== undefined ? { preempt: c.preempt } : {}),
    ...(c.memory !== undefined ? { memory: c.memory } : {}),
    ...(c.disabledInvariants !== undefined ? { disabledInvariants: c.disabledInvariants } : {}),
  });
  const cell = hashString128(sim.cellId);
  const bad: Record<string, number> = {};
  let ok = 0;
  let shortest: SweepResult['shortest'] = null;
  const hazards: Record<string, number> = {};
  const sites: Record<string, number> = {};
  const total = new Float64Array(COST_NAMES.length);
  for (let i = 0; i < c.runs; i++) {
    const r = sim.run(runSeed(cell, i));
    for (let j = 0; j < total.length; j++) total[j]! += sim.k.cost[j]!;
    const f = findingIds(r);
    for (const id of f.hazards) hazards[id] = (hazards[id] ?? 0) + 1;
    for (const id of f.useSites) sites[id] = (sites[id] ?? 0) + 1;
    if (r.outcome === 'ok') {
      ok++;
      continue;
    }
    const key = r.violation !== null ? r.violation.invariant : r.outcome;
    bad[key] = (bad[key] ?? 0) + 1;
    if (r.violation !== null && (shortest === null || r.steps < shortest.steps)) {
      shortest = { index: i, steps: r.steps, invariant: r.violation.invariant, message: r.violation.message };
    }
  }
  return { runs: c.runs, ok, bad, shortest, hazards, sites, costs: costsToObject(total) };
}
