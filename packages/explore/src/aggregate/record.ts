/**
 * Folding one run's ending into a cell aggregate: how it ended (counted, and recorded with its
 * artifact if it is the first of its kind) and the first run of each hazard and use site (re-run
 * with `stopAt` for an artifact that ends at the finding). Shared by the run batches
 * (executor/run-batch.ts) and the exhaustive search's batches (exhaustive/batch.ts), whose
 * executions replay from their decisions and choices instead of a seed alone.
 */
import {
  type FindingTarget,
  type InvariantId,
  invariantName,
  makeArtifact,
  type RunResult,
  type RunSeed,
  seedToHex,
  type Simulator,
  type UseSiteKind,
} from '@lazytlb/core';
import { isNondeterminism } from '../determinism/trap.js';
import { type EngineCellAggregate, type FailureClass, type FirstFailure, failureKey } from './types.js';

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
