/**
 * A small sweep helper for truth tables (used by the random tests and scripts/truth-table.mjs
 * of this package and of x86-paravirt): runs `runs` seeds of one cell through core's
 * Simulator and counts outcomes by invariant.
 */
import { createSimulator, hashString128, runSeed, type ArchPlugin, type Scheme, type SimulatorOptions, type StrategySpec } from '@lazytlb/core';

export interface SweepCell {
  readonly plugin: ArchPlugin<any>;
  readonly archOptions?: unknown;
  readonly scheme: Scheme;
  readonly cpus: number;
  readonly runs: number;
  readonly workload?: SimulatorOptions['workload'];
  readonly strategy?: StrategySpec;
  /** Mutations to enable (core's and the plugin's own ids). */
  readonly mutations?: readonly string[];
}

export interface SweepResult {
  readonly runs: number;
  readonly ok: number;
  /** Outcomes other than ok: violated invariant id (I1, I3, ...) or outcome kind (deadlock, budget, plugin-error). */
  readonly bad: Record<string, number>;
  /** Shortest violating run: its index, steps and message. */
  readonly shortest: { index: number; steps: number; invariant: string; message: string } | null;
}

export function sweepCell(c: SweepCell): SweepResult {
  const sim = createSimulator({
    plugin: c.plugin,
    archOptions: c.archOptions ?? {},
    scheme: c.scheme,
    cpus: c.cpus,
    workload: c.workload ?? 'default',
    strategy: c.strategy ?? { kind: 'random' },
    ...(c.mutations !== undefined ? { mutations: c.mutations } : {}),
  });
  const cell = hashString128(sim.cellId);
  const bad: Record<string, number> = {};
  let ok = 0;
  let shortest: SweepResult['shortest'] = null;
  for (let i = 0; i < c.runs; i++) {
    const r = sim.run(runSeed(cell, i));
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
  return { runs: c.runs, ok, bad, shortest };
}
