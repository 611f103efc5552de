/**
 * Running one batch of a cell on a simulator: runs [runStart, runEnd), each with seed
 * runSeed(cell seed base, run index), folded into a CellAggregate. Pure given the simulator's
 * cell: used by the pool's workers and, in-process, by tests.
 *
 * Per run: violations and errors by how the run ended; hazards (RunResult.hazards, bits over
 * HAZARD_IDS) and use sites (RunResult.useSites, bits over the cell's sites) counted per bit
 * in arrays allocated once per batch, so a run costs a few bit operations and nothing is
 * allocated for it. The first run of a key in the batch is re-run with stopAt to give its
 * artifact; merging keeps the lowest run index per key.
 *
 * With `coverage`, each run's abstract states go to the sketch of its run-index bucket
 * (engine/coverage.ts): one 1 KiB register array per bucket the batch touches, allocated per
 * batch (a batch spans a handful of buckets at most), handed to the simulator as its sink.
 */
import {
  type FindingTarget,
  HAZARD_IDS,
  HLL_REGISTERS,
  hllIsEmpty,
  type InvariantId,
  invariantName,
  makeArtifact,
  type RunResult,
  type RunSeed,
  runSeed,
  seedFromHex,
  seedToHex,
  type Simulator,
  type UseSiteKind,
} from '@lazytlb/core';
import { emptyAggregate, normaliseAggregate } from '../aggregate/aggregate.js';
import { isNondeterminism } from '../determinism/trap.js';
import { coverageBucket } from '../aggregate/coverage.js';
import { formatInterval, parseInterval, unionIntervals } from '../plan/intervals.js';
import { type EngineCellAggregate, type FailureClass, type FirstFailure, failureKey } from '../aggregate/types.js';
import { exhaustiveBatch } from '../exhaustive/batch.js';

export interface RunBatchOptions {
  /** Sketch the abstract states of the runs (default off). */
  readonly coverage?: boolean;
}

export function runBatch(sim: Simulator, cell: number, cellHash: string, runStart: number, runEnd: number, opts: RunBatchOptions = {}): EngineCellAggregate {
  // An exhaustive cell's units are subtrees of its search, not seeded runs.
  if (sim.cell.strategy.kind === 'exhaustive') return exhaustiveBatch(sim, cell, cellHash, runStart, runEnd);
  const agg = emptyAggregate(cell, sim.actorCount);
  if (opts.coverage !== true) return runRange(sim, agg, cellHash, runStart, runEnd);
  // One sub-range per bucket, each with that bucket's sketch as the simulator's sink.
  try {
    for (let s = runStart; s < runEnd; ) {
      const b = coverageBucket(s);
      const e = Math.min(runEnd, 2 ** b);
      const regs = new Uint8Array(HLL_REGISTERS);
      sim.setCoverageSink(regs);
      runRange(sim, agg, cellHash, s, e);
      if (!hllIsEmpty(regs)) agg.stateSketches[b] = regs;
      s = e;
    }
  } finally {
    sim.setCoverageSink(null);
  }
  return agg;
}

function runRange(sim: Simulator, agg: EngineCellAggregate, cellHash: string, runStart: number, runEnd: number): EngineCellAggregate {
  const base = seedFromHex(cellHash);
  const costs = agg.costs;
  const sites = sim.sites;
  // Runs per hazard / use-site bit in this range; named when the range is done.
  const hazardCounts = new Array<number>(HAZARD_IDS.length).fill(0);
  const siteCounts = new Array<number>(sites.length).fill(0);
  // Bits whose first failure this range has recorded (the first run wins: runs go up).
  let hazardsSeen = 0;
  let sitesSeen = 0;
  for (let i = runStart; i < runEnd; i++) {
    const seed = runSeed(base, i);
    agg.runs++;
    let r;
    try {
      r = sim.run(seed);
    } catch (e) {
      agg.modelErrors++;
      if (agg.firstErrors['model-error'] === undefined) {
        agg.firstErrors['model-error'] = { kind: 'model-error', runIndex: i, seed: seedToHex(seed), message: e instanceof Error ? e.message : String(e) };
      }
      continue;
    }
    agg.steps += r.steps;
    agg.estimatedSteps += sim.estimatedSteps;
    const c = sim.costs;
    for (let j = 0; j < costs.length; j++) costs[j]! += c[j]!;
    const hz = r.hazards;
    const us = r.useSites;
    if (r.outcome !== 'ok') recordEnd(sim, agg, r, seed, i);
    if ((hz | us) === 0) continue;
    // Hazards and use sites: count the run per bit; a bit's first run in this range is re-run
    // with stopAt (it only reads the seed again), so its artifact stops right at the finding.
    for (let m = hz; m !== 0; m &= m - 1) {
      const b = 31 - Math.clz32(m & -m);
      hazardCounts[b]!++;
      if ((hazardsSeen & (1 << b)) === 0) {
        hazardsSeen |= 1 << b;
        recordFinding(sim, agg, seed, i, { hazard: HAZARD_IDS[b]! });
      }
    }
    for (let m = us; m !== 0; m &= m - 1) {
      const b = 31 - Math.clz32(m & -m);
      siteCounts[b]!++;
      if ((sitesSeen & (1 << b)) === 0) {
        sitesSeen |= 1 << b;
        recordFinding(sim, agg, seed, i, { site: sites[b]! });
      }
    }
  }
  hazardCounts.forEach((n, b) => {
    if (n > 0) agg.hazards[HAZARD_IDS[b]!] = (agg.hazards[HAZARD_IDS[b]!] ?? 0) + n;
  });
  siteCounts.forEach((n, b) => {
    if (n > 0) agg.useSites[sites[b]!] = (agg.useSites[sites[b]!] ?? 0) + n;
  });
  agg.batches = unionIntervals([agg.batches.map(parseInterval), runEnd > runStart ? [[runStart, runEnd]] : []]).map(formatInterval);
  return normaliseAggregate(agg);
}

/** The failing hook with its plugin: "arch plugin x86-native, hook flush_tlb_mm_range"; a scheme hook names its scheme already ("mmdrop_lazy_tlb (scheme hazptr)"). */
function pluginOfHook(sim: Simulator, hook: string): string {
  return / \(scheme [^)]+\)$/.test(hook) ? hook : `arch plugin ${sim.plugin.name}, hook ${hook}`;
}

/**
 * Count how a run that did not end ok ended (as `count` runs: an exhaustive search's executions
 * that ended so), and record it if it is the first of its kind (only then is a message built).
 */
export function recordEnd(sim: Simulator, agg: EngineCellAggregate, r: RunResult, seed: RunSeed, i: number, count = 1): void {
  let kind: FirstFailure['kind'];
  switch (r.outcome) {
    case 'violation':
      kind = r.violation!.invariant as InvariantId;
      agg.violations[kind] = (agg.violations[kind] ?? 0) + count;
      break;
    case 'budget':
      kind = 'budget';
      agg.budgetExceeded += count;
      break;
    case 'plugin-error':
      // A trapped clock or random-source read (determinism/trap.ts) is filed apart: the plugin is nondeterministic.
      kind = r.pluginError !== null && isNondeterminism(r.pluginError.message) ? 'nondeterminism' : 'plugin-error';
      agg.pluginErrors += count;
      break;
    case 'deadlock':
      kind = 'deadlock';
      agg.deadlocks += count;
      break;
    default:
      throw new Error(`runBatch: a sweep run ended ${r.outcome} (stopAt is for replays and first findings only)`);
  }
  if (agg.firstFailures[kind] !== undefined) return;
  const v = r.violation;
  const message =
    r.outcome === 'violation'
      ? `${v!.invariant} ${v!.name}: ${v!.message}`
      : r.outcome === 'budget'
        ? `step budget of ${sim.cell.stepBudget} exceeded`
        : r.outcome === 'plugin-error'
          ? r.pluginError !== null
            ? `${pluginOfHook(sim, r.pluginError.hook)}: ${r.pluginError.message}`
            : 'plugin error'
          : 'deadlock: no actor enabled before all tasks finished';
  const cls: FailureClass = r.outcome === 'violation' ? 'violation' : 'error';
  agg.firstFailures[kind] = {
    kind,
    class: cls,
    runIndex: i,
    seed: seedToHex(seed),
    steps: r.steps,
    message,
    artifact: makeArtifact(sim, seed, r, i),
    ...(v !== null && v.siteKind !== undefined ? { siteKind: v.siteKind } : {}),
  };
}

/**
 * The first run (in this range) of a hazard or a use site: re-run the seed with stopAt, so the
 * artifact ends right after the step where the finding first fires (the replay stops there too,
 * from the artifact's `target`). Only for new keys, so it costs a run per key per batch at most.
 * The coverage sink is detached meanwhile (the re-run is a prefix of a run already sketched).
 */
export function recordFinding(
  sim: Simulator,
  agg: EngineCellAggregate,
  seed: RunSeed,
  i: number,
  target: FindingTarget,
  /** An exhaustive search's execution: its decisions and choices (absent: the seed's run). */
  replay?: { readonly decisions: Uint8Array; readonly choices: Uint8Array },
): void {
  const cls: FailureClass = 'hazard' in target ? 'hazard' : 'use-site';
  const kind = 'hazard' in target ? target.hazard : target.site;
  const key = failureKey(cls, kind);
  if (agg.firstFailures[key] !== undefined) return;
  const sink = sim.coverageSink;
  if (sink !== null) sim.setCoverageSink(null);
  let r: RunResult;
  try {
    r = sim.run(seed, { keepDecisions: true, stopAt: target, ...(replay !== undefined ? { decisions: replay.decisions, choices: replay.choices } : {}) });
  } finally {
    if (sink !== null) sim.setCoverageSink(sink);
  }
  const findings = sim.findings();
  let message: string;
  let siteKind: UseSiteKind | undefined;
  if ('hazard' in target) {
    const h = findings.find((f) => f.kind === 'hazard' && f.id === target.hazard);
    message =
      h !== undefined && h.kind === 'hazard'
        ? `${target.hazard} ${invariantName(target.hazard)} (hazard, the run goes on): at step ${h.step} CPU${h.cpu}'s ${h.holder} (${h.task}) names ${h.mm} after free_mm`
        : `${target.hazard} ${invariantName(target.hazard)} (hazard)`;
  } else {
    const u = findings.find((f) => f.kind === 'use-site' && f.site === target.site);
    siteKind = u !== undefined && u.kind === 'use-site' ? u.siteKind : undefined;
    if (r.violation !== null && r.violation.site === target.site) {
      message = `${target.site}: ${r.violation.invariant} ${r.violation.name}: ${r.violation.message}`;
    } else if (u !== undefined && u.kind === 'use-site') {
      message = `${target.site} (${u.siteKind}, not fatal under ${sim.cell.scheme}): at step ${u.step} on CPU${u.cpu}, ${u.mm}${u.other !== null ? ` = ${u.other} by address reuse` : ''}`;
    } else {
      message = `${target.site} fired`;
    }
  }
  agg.firstFailures[key] = {
    kind,
    class: cls,
    runIndex: i,
    seed: seedToHex(seed),
    steps: r.steps,
    message,
    artifact: makeArtifact(sim, seed, r, i, target),
    ...(siteKind !== undefined ? { siteKind } : {}),
  };
}
