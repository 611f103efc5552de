/**
 * A historical mutation is found by the exhaustive search on its declared cell, as
 * scripts/mutation-proofs.mjs does it for the whole catalogue (README "Historical mutations
 * under exhaustive search"): idle-task-exit-mmdrop (bf2c59fce407) on x86-native refcount 2cpu
 * hotplug, the cell built as `lazytlb mutants --seed 0` builds it (variant random), searched from
 * that cell's run-0 seed. Unbounded the search does not get to it within seconds (the profile
 * workload's tree is deep); at preemption bound 0 it finds I5 (the declared target) in under a
 * hundred executions, tens of milliseconds. The same cell without the mutation, same seed and bound, has
 * no violation within the same execution budget (its bound-0 tree is larger than the budget:
 * "not violated within the budget", not "proved").
 *
 * The second line of evidence (the script's shrunk part): random's first kill of that cell,
 * shrunk (explicit workload of a few tasks), is found by the unbounded search in tens of
 * executions, and the same shrunk cell without the mutation is proved: the search separates the
 * two on that workload.
 */
import { type Artifact, CORE_MUTATIONS, makeArtifact, runSeed, Simulator, seedFromHex } from '@lazytlb/core';
import { cellHashOf, type CellSpec, exhaustiveSearch, type MutantCell, mutantCell, shrinkArtifact, simOptionsFor, simulatorFor } from '@lazytlb/explore';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '../plugins/bundled.js';

const MUTATION = 'idle-task-exit-mmdrop';
const BOUND = 0;
const BUDGET = 1500;

function specOf(c: MutantCell, mutation: string | null): CellSpec {
  return {
    index: 0,
    arch: c.arch,
    scheme: c.scheme,
    ...(c.preempt !== undefined ? { preempt: c.preempt } : {}),
    cpus: c.cpus,
    workload: { profile: c.profile as never },
    strategy: { kind: 'random' },
    ...(mutation !== null ? { mutations: [mutation] } : {}),
  };
}

describe('a historical mutation under exhaustive search, on its declared cell', () => {
  it(`${MUTATION}: found at preemption bound ${BOUND} (its target invariant); the unmutated cell is not violated within the same bound and budget`, async () => {
    const doc = CORE_MUTATIONS.find((m) => m.id === MUTATION)!;
    const cell = mutantCell(doc.cells[0]!);
    const registry = await createRegistry();
    const sim = await simulatorFor(specOf(cell, MUTATION), registry);
    const seed = runSeed(seedFromHex(cellHashOf(sim.cellId, '0')), 0);

    const r = exhaustiveSearch(sim, { seed, preemptionBound: BOUND, maxExecutions: BUDGET, stopAtFirstViolation: true });
    expect([r.verdict, r.stoppedBy]).toEqual(['violates', 'first-violation']);
    const v = r.findings.find((f) => f.class === 'violation')!;
    expect(v.key).toBe(doc.breaks);
    expect(v.preemptions).toBeLessThanOrEqual(BOUND);
    expect(r.executions).toBeLessThan(BUDGET);
    // the finding replays from its decisions and choices
    const replay = sim.run(seed, { decisions: v.decisions, choices: v.choices });
    expect([replay.outcome, replay.violation?.invariant]).toEqual(['violation', doc.breaks]);

    const control = exhaustiveSearch(await simulatorFor(specOf(cell, null), registry), {
      seed,
      preemptionBound: BOUND,
      maxExecutions: BUDGET,
      stopAtFirstViolation: true,
    });
    expect(control.findings.filter((f) => f.class === 'violation' || (f.class === 'error' && f.key !== 'budget'))).toEqual([]);
    expect(control.verdict).not.toBe('violates');
  });

  it(`${MUTATION}: random's first kill, shrunk, is found by the unbounded search (its target); the shrunk cell without the mutation is proved`, async () => {
    const doc = CORE_MUTATIONS.find((m) => m.id === MUTATION)!;
    const cell = mutantCell(doc.cells[0]!);
    const registry = await createRegistry();
    const sim = await simulatorFor(specOf(cell, MUTATION), registry);
    const base = seedFromHex(cellHashOf(sim.cellId, '0'));
    let run = 0;
    let r = sim.run(runSeed(base, run), { keepDecisions: true });
    while (r.outcome !== 'violation' && run < 200) r = sim.run(runSeed(base, ++run), { keepDecisions: true });
    expect(r.violation?.invariant).toBe(doc.breaks);
    const plugin = await registry.arch(cell.arch.name);
    const shrunk = shrinkArtifact(makeArtifact(sim, runSeed(base, run), r, run), plugin, { options: false, bugDepth: false }).artifact;
    expect('explicit' in shrunk.cell.workload).toBe(true);
    expect(shrunk.outcome.steps).toBeLessThan(r.steps);
    const seed = seedFromHex(shrunk.seed);

    const found = exhaustiveSearch(new Simulator(simOptionsFor(plugin, shrunk)), { seed, maxExecutions: BUDGET, stopAtFirstViolation: true });
    expect(found.verdict).toBe('violates');
    expect(found.findings.find((f) => f.class === 'violation')!.key).toBe(doc.breaks);

    const { mutations: _, ...plainCell } = shrunk.cell;
    const plain: Artifact = { ...shrunk, cell: plainCell };
    const control = exhaustiveSearch(new Simulator(simOptionsFor(plugin, plain)), { seed, maxExecutions: BUDGET });
    expect(control.verdict).toBe('proved');
  });
});
