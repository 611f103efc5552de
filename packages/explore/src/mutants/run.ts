/**
 * Running the mutation catalogue: for every mutation, each of its declared cells under every
 * variant (strategy, optionally swarm) with the mutation enabled, plus the same (cell, variant)
 * pairs without it (the false-alarm check), in ONE runSweep over the worker pool:
 *
 * - Mutated cells stop at their first kill (runSweep's `stopOnViolation`): batches go out per
 *   cell in increasing run order, so every run below the lowest violating one has been run and
 *   "runs to kill" (that index + 1) is exact and deterministic. Unmutated cells stop at their
 *   first violation too: one is a false alarm already.
 * - Batches go out round-robin across cells (runSweep's `interleave`): every live cell advances
 *   at the same pace, and a killed cell's share goes to the others. So seconds to kill do not
 *   depend on the catalogue's order, and a time budget gives every live cell an equal prefix.
 * - Budget in runs: every (cell, variant) gets at most [0, N). Budget in time: 85% of it for
 *   running, the rest for shrinking and depth.
 * - The kill of the strategy with the fewest runs is shrunk (shrink/shrink.ts) and its depth
 *   bounded (shrink/bug-depth.ts); the original and the shrunk artifact are kept for --out.
 * - Kills by the oracle and kills by consequence: a mutation that declares the arch's
 *   intermediate-state oracle (I13, catalog.ts) is killed at the first step of its window by
 *   that check itself. Its cells are also run with I13 switched off (core's
 *   disabledInvariants, recorded in the cell id and artifacts) under every variant, and the
 *   first kill there (I4, I2, I1, ... once an IPI lands in the window) is reported as the kill
 *   by consequence, or its absence within the budget.
 * - A mutation declared without a modelled victim (MutationDoc.noVictim, no cells) is not run;
 *   it is reported with its reason and counts neither as killed nor as survived.
 */
import { type ArchPlugin, type Artifact, CORE_VERSION, type InvariantId } from '@lazytlb/core';
import { cellKey } from '../matrix/expand.js';
import type { CellSpec } from '../matrix/types.js';
import type { PluginRegistry } from '../registry/registry.js';
import { defaultThreads } from '../executor/pool.js';
import { runSweep, type SweepProgress } from '../sweep/sweep.js';
import type { EngineCellAggregate, FirstFailure } from '../aggregate/types.js';
import type { Batch } from '../plan/plan.js';
import { kindRank } from '../results/build.js';
import { EXPLORE_VERSION } from '../version.js';
import { memoryMismatch } from '../shrink/cell.js';
import { shrinkArtifact } from '../shrink/shrink.js';
import { type CatalogEntry, INTERMEDIATE_STATE_ORACLE, type MutantCell, cellLabel, wantsConsequenceRun } from './catalog.js';
import {
  type ConsequenceResult,
  type ControlResult,
  type MutantBudget,
  type MutantCellResult,
  type MutantResult,
  MUTANTS_SCHEMA,
  MutantsFile,
  type RunProblems,
  type StrategyOutcome,
} from './schema.js';
import type { Variant } from './variants.js';

export type BudgetInput = { readonly kind: 'runs'; readonly runs: number } | { readonly kind: 'time'; readonly ms: number };

export interface MutantsOptions {
  readonly entries: readonly CatalogEntry[];
  readonly variants: readonly Variant[];
  readonly budget: BudgetInput;
  readonly seed: string;
  readonly threads?: number;
  /** Where cells' plugins come from. */
  readonly registry: PluginRegistry;
  /** The version recorded as toolVersion (default: this package's). */
  readonly toolVersion?: string;
  /** Shrink each kill (default true). */
  readonly shrink?: boolean;
  /** Bound each shrunk kill's depth with shrink/bug-depth.ts (default true; needs shrink). */
  readonly depth?: boolean;
  /** Name artifacts (kills/, false-alarms/) in the result, for writing to --out DIR. */
  readonly artifactPaths?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: SweepProgress) => void;
  readonly log?: (s: string) => void;
  /** Tests: the compiled worker file, the batch size. */
  readonly workerFile?: string;
  readonly batchSize?: number;
}

export interface MutantsRun {
  readonly file: MutantsFile;
  /** Artifacts by their path relative to --out DIR (with `artifactPaths`). */
  readonly artifacts: ReadonlyMap<string, Artifact>;
}

/** Share of a time budget spent running (the rest is for shrinking and depth). */
export const RUN_SHARE = 0.85;
/** Runs per second and thread assumed when sizing the plan of a time budget (well above what one cell reaches). */
const RUNS_PER_SECOND_CAP = 100_000;

function workloadOf(c: MutantCell, v: Pick<Variant, 'swarm'>): CellSpec['workload'] {
  return v.swarm !== undefined ? { profile: c.profile as never, params: { swarm: v.swarm } } : { profile: c.profile as never };
}

/**
 * The sweep cell `lazytlb mutants` runs for a declared cell under a variant, with `mutation`
 * enabled (null: the unmutated control) and oracles switched off (the consequence run).
 * Exported for scripts that search the same cells (scripts/mutation-proofs.mjs).
 */
export function mutantCellSpec(
  index: number,
  c: MutantCell,
  v: Pick<Variant, 'strategy' | 'swarm'>,
  mutation: string | null,
  disabled: readonly InvariantId[] = [],
): CellSpec {
  return {
    index,
    arch: c.arch,
    scheme: c.scheme,
    ...(c.schemeOptions !== undefined ? { schemeOptions: c.schemeOptions } : {}),
    ...(c.preempt !== undefined ? { preempt: c.preempt } : {}),
    ...(c.memory !== undefined ? { memory: c.memory } : {}),
    cpus: c.cpus,
    workload: workloadOf(c, v),
    strategy: v.strategy,
    ...(mutation !== null ? { mutations: [mutation] } : {}),
    ...(disabled.length > 0 ? { disabledInvariants: [...disabled] } : {}),
  };
}

/** The lowest-index invariant violation of an aggregate (null: none). */
export function firstViolation(a: EngineCellAggregate): FirstFailure | null {
  let best: FirstFailure | null = null;
  for (const f of Object.values(a.firstFailures)) {
    if (f.class !== 'violation') continue;
    if (best === null || f.runIndex < best.runIndex || (f.runIndex === best.runIndex && kindRank(f.kind) < kindRank(best.kind))) best = f;
  }
  return best;
}

function problemsOf(a: EngineCellAggregate): RunProblems {
  return { budgetExceeded: a.budgetExceeded, pluginErrors: a.pluginErrors, deadlocks: a.deadlocks, crashes: a.crashes, modelErrors: a.modelErrors };
}

const slug = (s: string): string => s.replace(/[^A-Za-z0-9_.-]+/g, '_');

interface Target {
  readonly entry: CatalogEntry;
  readonly cellIndex: number;
  readonly cell: MutantCell;
  readonly variant: Variant;
  readonly sweepIndex: number;
  /** Run with the intermediate-state oracle off (the consequence run). */
  readonly consequence: boolean;
}

const CONSEQUENCE_OFF: readonly InvariantId[] = [INTERMEDIATE_STATE_ORACLE];

export async function runMutants(o: MutantsOptions): Promise<MutantsRun> {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const log = o.log ?? (() => {});
  const threads = o.threads ?? defaultThreads();

  // The cells: every mutated (mutation, cell, variant), then the unmutated (cell, variant)s.
  const specs: CellSpec[] = [];
  const targets: Target[] = [];
  for (const entry of o.entries) {
    const seen = new Set<string>();
    for (const consequence of wantsConsequenceRun(entry.doc) ? [false, true] : [false]) {
      entry.cells.forEach((cell, cellIndex) => {
        for (const variant of o.variants) {
          const spec = mutantCellSpec(specs.length, cell, variant, entry.doc.id, consequence ? CONSEQUENCE_OFF : []);
          if (seen.has(cellKey(spec))) continue; // a cell declared twice
          seen.add(cellKey(spec));
          targets.push({ entry, cellIndex, cell, variant, sweepIndex: specs.length, consequence });
          specs.push(spec);
        }
      });
    }
  }
  const controlOf = new Map<string, number>();
  const controls: { spec: CellSpec; cell: MutantCell; variant: Variant; mutations: string[] }[] = [];
  const targetControl: number[] = [];
  // The false-alarm check: every (cell, variant) unmutated, every oracle on (an oracle that
  // never fires there changes nothing, so the consequence runs need no controls of their own).
  for (const t of targets) {
    if (t.consequence) continue;
    const key = cellKey({ ...mutantCellSpec(0, t.cell, t.variant, null) });
    let ci = controlOf.get(key);
    if (ci === undefined) {
      ci = controls.length;
      controlOf.set(key, ci);
      controls.push({ spec: mutantCellSpec(specs.length, t.cell, t.variant, null), cell: t.cell, variant: t.variant, mutations: [] });
      specs.push(controls[ci]!.spec);
    }
    if (!controls[ci]!.mutations.includes(t.entry.doc.id)) controls[ci]!.mutations.push(t.entry.doc.id);
    targetControl.push(ci);
  }

  let budget: MutantBudget;
  let runs: number;
  let sweepMs: number | undefined;
  if (o.budget.kind === 'runs') {
    budget = { kind: 'runs', runs: o.budget.runs };
    runs = o.budget.runs;
  } else {
    sweepMs = Math.max(1, Math.floor(o.budget.ms * RUN_SHARE));
    // The plan needs a run count: more than any cell can reach in the time (unmutated cells never stop early).
    runs = Math.max(1000, Math.ceil(((sweepMs / 1000) * RUNS_PER_SECOND_CAP * threads) / Math.max(1, controls.length)));
    budget = { kind: 'time', ms: o.budget.ms, runsCap: runs };
  }

  // When each batch with a violation completed (for seconds to kill).
  const violationTimes = new Map<number, Map<number, number>>();
  const onBatch = (_b: Batch, agg: EngineCellAggregate): void => {
    const f = firstViolation(agg);
    if (f === null) return;
    let m = violationTimes.get(agg.cell);
    if (m === undefined) violationTimes.set(agg.cell, (m = new Map()));
    m.set(f.runIndex, (performance.now() - t0) / 1000);
  };

  const sweep = await runSweep({
    cells: specs,
    matrixSeed: o.seed,
    runs,
    threads,
    registry: o.registry,
    ...(o.toolVersion !== undefined ? { toolVersion: o.toolVersion } : {}),
    ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
    ...(sweepMs !== undefined ? { timeBudgetMs: sweepMs } : {}),
    interleave: true,
    stopOnViolation: () => true,
    onBatch,
    ...(o.signal !== undefined ? { signal: o.signal } : {}),
    ...(o.onProgress !== undefined ? { onProgress: o.onProgress } : {}),
    ...(o.workerFile !== undefined ? { workerFile: o.workerFile } : {}),
  });
  const sweepDone = performance.now();

  const outcomeOf = (t: Target): StrategyOutcome => {
    const a = sweep.aggregates[t.sweepIndex]!;
    const f = firstViolation(a);
    return {
      strategy: t.variant.label,
      runs: a.runs,
      killed: f !== null,
      runsToKill: f !== null ? f.runIndex + 1 : null,
      secondsToKill: f !== null ? round3(violationTimes.get(t.sweepIndex)?.get(f.runIndex) ?? null) : null,
      invariant: f !== null ? f.kind : null,
      problems: problemsOf(a),
    };
  };

  // Group targets by (mutation, declared cell) and pick the killing strategy.
  const artifacts = new Map<string, Artifact>();
  const plugins = new Map<string, ArchPlugin<unknown>>();
  const pluginOf = async (name: string): Promise<ArchPlugin<unknown>> => {
    let p = plugins.get(name);
    if (p === undefined) plugins.set(name, (p = await o.registry.arch(name)));
    return p;
  };
  const groups: { entry: CatalogEntry; cellIndex: number; cell: MutantCell; targets: Target[]; consequence: Target[] }[] = [];
  for (const t of targets) {
    let g = groups.find((x) => x.entry === t.entry && x.cellIndex === t.cellIndex);
    if (g === undefined) groups.push((g = { entry: t.entry, cellIndex: t.cellIndex, cell: t.cell, targets: [], consequence: [] }));
    (t.consequence ? g.consequence : g.targets).push(t);
  }
  const killedIn = (ts: readonly Target[]): boolean => ts.some((t) => firstViolation(sweep.aggregates[t.sweepIndex]!) !== null);
  const kills = groups.reduce((n, g) => n + (killedIn(g.targets) ? 1 : 0) + (killedIn(g.consequence) ? 1 : 0), 0);
  let killsLeft = kills;
  const doShrink = o.shrink !== false && !sweep.interrupted;
  const doDepth = doShrink && o.depth !== false;
  if (kills > 0 && (doShrink || doDepth)) log(`lazytlb: shrinking ${kills} kill(s)${doDepth ? ' and bounding their depth' : ''}\n`);

  /** The best strategy of a list of (cell, strategy) targets, its kill record, shrunk and depth-bounded. */
  const decide = async (g: (typeof groups)[number], ts: readonly Target[], suffix: string) => {
    const strategies = ts.map(outcomeOf);
    let best = -1;
    strategies.forEach((s, i) => {
      if (s.killed && (best < 0 || s.runsToKill! < strategies[best]!.runsToKill!)) best = i;
    });
    const c = g.cell;
    let kill: MutantCellResult['kill'] = null;
    let shrunkSteps: number | null = null;
    let depth: number | null = null;
    let shrinkError: string | null = null;
    if (best >= 0) {
      const f = firstViolation(sweep.aggregates[ts[best]!.sweepIndex]!)!;
      const base = `kills/${slug(g.entry.doc.id)}-${g.cellIndex}${suffix}`;
      const artifactPath = o.artifactPaths === true ? `${base}.json` : null;
      let shrunkPath: string | null = null;
      if (artifactPath !== null) artifacts.set(artifactPath, f.artifact);
      const plugin = await pluginOf(c.arch.name);
      // With a time budget, what is left of it is shared by the kills still to shrink.
      const left = o.budget.kind === 'time' ? Math.max(1000, (o.budget.ms - (performance.now() - t0)) / killsLeft) : undefined;
      const lost = doShrink ? memoryMismatch(sweep.cells[ts[best]!.sweepIndex]!.config, f.artifact) : null;
      if (lost !== null) {
        shrinkError = lost;
        log(`lazytlb: cannot shrink the kill of ${g.entry.doc.id} (${cellLabel(c)}${suffix}): ${shrinkError}\n`);
      } else if (doShrink) {
        // shrinkArtifact also bounds the shrunk failure's depth (bug-depth.ts, from the original too).
        try {
          const scheme = await o.registry.schemeForArtifact(f.artifact);
          const s = shrinkArtifact(
            f.artifact,
            { arch: plugin, ...(scheme !== undefined ? { scheme } : {}) },
            {
              maxAttempts: 2000,
              ...(left !== undefined ? { timeBudgetMs: left / 2 } : {}),
              ...(doDepth ? {} : { bugDepth: false as const }),
            },
          );
          shrunkSteps = s.afterSteps;
          depth = s.bugDepth?.depth ?? null;
          if (o.artifactPaths === true) {
            shrunkPath = `${base}.shrunk.json`;
            artifacts.set(shrunkPath, s.artifact);
          }
        } catch (e) {
          // The kill stands (its artifact replays); only the shrunk form is missing.
          shrinkError = e instanceof Error ? e.message : String(e);
          log(`lazytlb: cannot shrink the kill of ${g.entry.doc.id} (${cellLabel(c)}${suffix}): ${shrinkError}\n`);
        }
      }
      killsLeft--;
      kill = { runIndex: f.runIndex, seed: f.seed, steps: f.steps, message: f.message, artifact: artifactPath, shrunkArtifact: shrunkPath };
    }
    const b = best >= 0 ? strategies[best]! : null;
    return { b, kill, shrunkSteps, depth, shrinkError, strategies };
  };

  const cellResults = new Map<CatalogEntry, MutantCellResult[]>();
  for (const g of groups) {
    const c = g.cell;
    const { b, kill, shrunkSteps, depth, shrinkError, strategies } = await decide(g, g.targets, '');
    let consequence: ConsequenceResult | null = null;
    if (g.consequence.length > 0) {
      const k = await decide(g, g.consequence, '-consequence');
      consequence = {
        disabledInvariants: [...CONSEQUENCE_OFF],
        killed: k.b !== null,
        strategy: k.b?.strategy ?? null,
        runsToKill: k.b?.runsToKill ?? null,
        secondsToKill: k.b?.secondsToKill ?? null,
        invariant: k.b?.invariant ?? null,
        kill: k.kill,
        shrunkSteps: k.shrunkSteps,
        depth: k.depth,
        shrinkError: k.shrinkError,
        strategies: k.strategies,
      };
    }
    const r: MutantCellResult = {
      arch: c.arch.name,
      options: { ...c.arch.options },
      scheme: c.scheme,
      schemeOptions: { ...(c.schemeOptions ?? {}) },
      preempt: c.preempt ?? 'full',
      memory: c.memory ?? 'sc',
      cpus: c.cpus,
      workload: c.profile,
      label: cellLabel(c),
      killed: b !== null,
      strategy: b?.strategy ?? null,
      runsToKill: b?.runsToKill ?? null,
      secondsToKill: b?.secondsToKill ?? null,
      invariant: b?.invariant ?? null,
      matchesDeclared: b !== null ? b.invariant === g.entry.doc.breaks : null,
      kill,
      shrunkSteps,
      depth,
      shrinkError,
      strategies,
      consequence,
    };
    let list = cellResults.get(g.entry);
    if (list === undefined) cellResults.set(g.entry, (list = []));
    list.push(r);
  }

  const mutations: MutantResult[] = o.entries.map((e) => {
    const cells = cellResults.get(e) ?? [];
    const killed = cells.some((c) => c.killed);
    const noVictim = e.doc.noVictim ?? null;
    return {
      id: e.doc.id,
      source: e.source,
      title: e.doc.title,
      fixedBy: e.doc.fixedBy,
      ...(e.doc.synthetic !== undefined ? { synthetic: e.doc.synthetic } : {}),
      breaks: e.doc.breaks,
      killed,
      status: killed ? 'killed' : noVictim !== null && e.cells.length === 0 ? 'no-victim' : 'survived',
      noVictim,
      cells,
    };
  });

  const controlResults: ControlResult[] = controls.map((ctl, i) => {
    const a = sweep.aggregates[ctl.spec.index]!;
    const f = firstViolation(a);
    let artifact: string | null = null;
    if (f !== null && o.artifactPaths === true) {
      artifact = `false-alarms/${i}-${f.kind}.json`;
      artifacts.set(artifact, f.artifact);
    }
    const violations: Record<string, number> = {};
    for (const k of Object.keys(a.violations).sort((x, y) => kindRank(x) - kindRank(y))) violations[k] = a.violations[k]!;
    return {
      label: cellLabel(ctl.cell),
      strategy: ctl.variant.label,
      mutations: ctl.mutations,
      runs: a.runs,
      clean: f === null,
      violations,
      problems: problemsOf(a),
      firstViolation: f === null ? null : { invariant: f.kind, runIndex: f.runIndex, seed: f.seed, steps: f.steps, message: f.message, artifact },
    };
  });

  const killed = mutations.filter((m) => m.killed).length;
  const file: MutantsFile = {
    schema: MUTANTS_SCHEMA,
    toolVersion: o.toolVersion ?? EXPLORE_VERSION,
    coreVersion: CORE_VERSION,
    fingerprints: sweep.fingerprints,
    seed: o.seed,
    budget,
    strategies: o.variants.map((v) => v.label),
    depthAvailable: doDepth,
    interrupted: sweep.interrupted,
    timeBudgetHit: sweep.timeBudgetHit,
    totals: {
      mutations: mutations.length,
      killed,
      survived: mutations.filter((m) => m.status === 'survived').length,
      noVictim: mutations.filter((m) => m.status === 'no-victim').length,
      matchingDeclared: mutations.filter((m) => m.cells.some((c) => c.matchesDeclared === true)).length,
      controls: controlResults.length,
      falseAlarms: controlResults.filter((c) => !c.clean).length,
      consequenceCells: mutations.reduce((n, m) => n + m.cells.filter((c) => c.consequence !== null).length, 0),
      consequenceKills: mutations.reduce((n, m) => n + m.cells.filter((c) => c.consequence?.killed === true).length, 0),
      runs: sweep.aggregates.reduce((n, a) => n + a.runs, 0),
      steps: sweep.aggregates.reduce((n, a) => n + a.steps, 0),
    },
    mutations,
    controls: controlResults,
    timing: { startedAt, elapsedMs: Math.round(performance.now() - t0), sweepMs: Math.round(sweepDone - t0), threads },
  };
  // The schema is the contract of --json and mutants.json: check what we produce.
  return { file: MutantsFile.parse(file), artifacts };
}

function round3(v: number | null): number | null {
  return v === null ? null : Math.round(v * 1000) / 1000;
}
