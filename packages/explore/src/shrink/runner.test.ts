import {
  type Artifact,
  createSimulator,
  type ExplicitWorkloadInput,
  formatOp,
  hashString128,
  LenientReplayExplorer,
  makeArtifact,
  referenceArch,
  replayArtifact,
  runSeed,
  seedFromHex,
} from '@lazytlb/core';
import { describe, expect, it } from 'vitest';
import { optionSpace } from './options.js';
import { decisionsPass, optionsPass, simplifyOpsPass } from './passes.js';
import { RESEARCH_SEEDS, ShrinkBudget, ShrinkRunner, smallerFailure } from './runner.js';
import { findingOf } from './target.js';
import { type ShrinkWorkload, structuredWorkload } from './workload.js';

function firstFailure(cpus = 2, archOptions: unknown = {}, workload: 'default' | { explicit: ExplicitWorkloadInput } = 'default'): Artifact {
  const sim = createSimulator({ plugin: referenceArch, archOptions, scheme: 'none', cpus, workload });
  const cell = hashString128(sim.cellId);
  for (let i = 0; i < 5000; i++) {
    const r = sim.run(runSeed(cell, i));
    if (r.outcome === 'violation') return JSON.parse(JSON.stringify(makeArtifact(sim, runSeed(cell, i), r, i))) as Artifact;
  }
  throw new Error('no failure');
}

function runnerFor(a: Artifact, maxAttempts = 4000, researchSeeds = 8) {
  const runner = new ShrinkRunner({
    plugins: { arch: referenceArch },
    artifact: a,
    finding: findingOf(a),
    space: optionSpace(referenceArch),
    budget: new ShrinkBudget(maxAttempts),
    researchSeeds,
  });
  const first = replayArtifact(a, referenceArch);
  const w = a.cell.workload;
  const state = runner.initialState(
    createSimulator({ plugin: referenceArch, archOptions: a.cell.arch.options, scheme: 'none', cpus: a.cell.cpus, workload: 'explicit' in w ? w : 'default' }),
    'explicit' in w ? structuredWorkload(w.explicit) : null,
    first.result,
  );
  return { runner, state };
}

const wl = (n: number, ops = 1, op = 'run') =>
  structuredWorkload({ tasks: Array.from({ length: n }, (_, i) => ({ name: `t${i}`, kind: 'user' as const, cpu: 0, mm: 'm', program: Array(ops).fill(op) })) });

describe('smallerFailure: (steps, CPUs, tasks, ops, op complexity, budgets, option simplicity) lexicographically', () => {
  const space = optionSpace(referenceArch);
  const f = (steps: number, cpus: number, workload: ReturnType<typeof wl> | null, archOptions: unknown = {}) => ({ steps, cpus, workload, archOptions });
  it('orders by steps, then CPUs, then the workload, then the options', () => {
    expect(smallerFailure(space, f(9, 4, wl(5)), f(10, 1, wl(1)))).toBe(true);
    expect(smallerFailure(space, f(10, 1, wl(5)), f(10, 2, wl(1)))).toBe(true);
    expect(smallerFailure(space, f(10, 2, wl(1, 9)), f(10, 2, wl(2, 1)))).toBe(true);
    expect(smallerFailure(space, f(10, 2, wl(2, 1)), f(10, 2, wl(2, 2)))).toBe(true);
    expect(smallerFailure(space, f(10, 2, { ...wl(2), deepIdles: 0 }), f(10, 2, { ...wl(2), deepIdles: 1 }))).toBe(true);
    // simpler ops (flags dropped) after the op count, before the budgets
    expect(smallerFailure(space, f(10, 2, wl(2, 1, 'munmap freed-tables')), f(10, 2, wl(2, 1, 'munmap all')))).toBe(true);
    expect(smallerFailure(space, f(10, 2, wl(2, 1, 'munmap all')), f(10, 2, wl(2, 1, 'munmap freed-tables')))).toBe(false);
    expect(smallerFailure(space, f(10, 2, wl(2, 1, 'membarrier_register_and_command')), f(10, 2, wl(2, 2, 'membarrier_register')))).toBe(true);
    expect(smallerFailure(space, f(10, 2, { ...wl(2, 1, 'membarrier_register'), deepIdles: 1 }), f(10, 2, wl(2, 1, 'membarrier_register_and_command')))).toBe(
      true,
    );
    expect(smallerFailure(space, f(10, 2, wl(2)), f(10, 2, wl(2), { leaveKeepsMaskBit: false }))).toBe(true);
    expect(smallerFailure(space, f(10, 2, wl(2)), f(10, 2, wl(2)))).toBe(false);
  });
  it('does not compare a generated workload with an explicit one beyond steps and CPUs', () => {
    expect(smallerFailure(space, f(10, 2, wl(1)), f(10, 2, null, { leaveKeepsMaskBit: false }))).toBe(false);
    expect(smallerFailure(space, f(10, 2, null), f(10, 2, wl(1), { leaveKeepsMaskBit: false }))).toBe(false);
  });
});

describe('ShrinkRunner', () => {
  const a = firstFailure();

  it("runs a candidate as a lenient replay (core's LenientReplayExplorer) of its decisions, stopping at the current failure's steps", () => {
    const { runner, state } = runnerFor(a);
    const d = Uint8Array.from(Buffer.from(a.decisions, 'base64'));
    const r = runner.lenientRun(state.sim, d);
    expect([r.outcome, r.steps, Array.from(r.decisions!)]).toEqual(['violation', a.outcome.steps, Array.from(d)]);
    const cut = runner.lenientRun(state.sim, d, 3);
    expect([cut.outcome, cut.steps]).toEqual(['ok', 3]);
    const direct = state.sim.run(seedFromHex(a.seed), { explorer: new LenientReplayExplorer(d.subarray(2)), keepDecisions: true });
    expect(runner.lenientRun(state.sim, d.subarray(2)).decisions).toEqual(direct.decisions);
  });

  it('accepts a decisions-only candidate only in fewer steps, and counts every run against the budget', () => {
    const { runner, state } = runnerFor(a);
    expect(runner.evaluate(state, { decisions: state.decisions })).toBeNull();
    expect(runner.budget.attempts).toBe(1);
    const { state: s } = runner.apply(decisionsPass, state);
    expect(s.steps).toBeLessThan(state.steps);
    expect(s.decisions.length).toBe(s.steps);
    expect(replayArtifact(makeArtifact(s.sim, seedFromHex(a.seed), s.result, 0), referenceArch).reproduced).toBe(true);
  });

  it('accepts a cell change in as many steps when the failure is smaller otherwise; keeps options as the simulator parsed them', () => {
    const b = firstFailure(2, { leaveKeepsMaskBit: false });
    const { runner, state } = runnerFor(b);
    const { state: s, improved } = runner.apply(optionsPass(optionSpace(referenceArch)), state);
    if (improved) {
      expect(s.steps).toBeLessThanOrEqual(state.steps);
      expect(s.archOptions).toEqual(s.sim.cell.arch.options);
    } else {
      expect(s).toBe(state);
    }
  });

  it("searches the schedule again (fixed seeds, the cell's strategy) when a smaller workload does not fail on the old decisions", () => {
    const { runner, state } = runnerFor(a, 4000, 0);
    const w = structuredWorkload({ tasks: [{ name: 'A', kind: 'user', cpu: 0, mm: 'm', program: ['run', 'exit'] }] });
    expect(runner.evaluate(state, { workload: w, decisions: [] })).toBeNull(); // a 1-task workload shows no violation
    expect(runner.budget.attempts).toBe(1);
    const { runner: r8, state: s8 } = runnerFor(a, 4000, 8);
    expect(r8.evaluate(s8, { workload: w, decisions: [] })).toBeNull();
    expect(r8.budget.attempts).toBe(1 + 8); // one lenient run, eight re-searches
    expect(RESEARCH_SEEDS.length).toBe(32);
  });

  it('stops a pass when the budget is spent; refuses cells that are not valid', () => {
    const { runner, state } = runnerFor(a, 5);
    const { state: s } = runner.apply(decisionsPass, state);
    expect(runner.budget.attempts).toBe(5);
    expect(runner.budget.exhausted).toBe(true);
    expect(s.steps).toBeLessThanOrEqual(state.steps);
    expect(runner.evaluate(s, { decisions: [] })).toBeNull();
    expect(runner.budget.attempts).toBe(5);
    expect(runner.simFor({}, 2, { explicit: { tasks: [{ name: 'A', kind: 'user', cpu: 5, mm: 'm', program: ['run'] }] } })).toBeNull();
    expect(runner.simFor({}, 2, { profile: 'default' })).not.toBeNull();
    // a cell that does not declare the finding's use site cannot show it
    const site = new ShrinkRunner({
      plugins: { arch: referenceArch },
      artifact: a,
      finding: { ...findingOf(a), target: { site: 'no_such_site' } },
      space: optionSpace(referenceArch),
      budget: new ShrinkBudget(10),
      researchSeeds: 0,
    });
    expect(site.simFor({}, 2, { profile: 'default' })).toBeNull();
  });

  it('keeps a simpler op that fails the same way in as many steps, or in fewer; refuses one that does not fail so (I1 needs munmap all)', () => {
    const at = (program: string[]) => firstFailure(1, {}, { explicit: { tasks: [{ name: 'A', kind: 'user', cpu: 0, mm: 'm', program }] } });
    const programOf = (s: { workload: ShrinkWorkload | null }) => s.workload!.tasks[0]!.program.map((op) => formatOp(op));
    // after 'munmap all' nothing is mapped: the second munmap's flags change nothing but the op
    const b = at(['munmap all', 'munmap freed-tables', 'exit']);
    const { runner, state } = runnerFor(b, 100);
    const { state: s } = runner.apply(simplifyOpsPass, state);
    expect(programOf(s)).toEqual(['munmap all', 'munmap', 'exit']);
    expect([s.steps, s.result.violation?.invariant]).toEqual([state.steps, 'I1']);
    expect(runner.budget.attempts).toBe(2 * (1 + 8) + 1); // 'munmap all' -> munmap, freed-tables refused (each searched again); one accepted
    // without its command the membarrier op takes a step less
    const m = at(['membarrier_register_and_command', 'munmap all', 'exit']);
    const { runner: rm, state: sm } = runnerFor(m, 100);
    const { state: tm } = rm.apply(simplifyOpsPass, sm);
    expect(programOf(tm)).toEqual(['membarrier_register', 'munmap all', 'exit']);
    expect(tm.steps).toBe(sm.steps - 1);
    expect(replayArtifact(makeArtifact(tm.sim, seedFromHex(m.seed), tm.result, 0), referenceArch).reproduced).toBe(true);
  });
});
