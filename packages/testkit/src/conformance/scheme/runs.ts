/**
 * The dynamic checks of the scheme conformance suite: runs that must not end in a plugin error,
 * I4 accounting, determinism, pure observer hooks, no Math.random, replay, and the probed hook
 * contracts (probe.ts). None of them judges safety: a violation other than I4 is a finding for
 * sweeps, and a scheme that is unsafe on some arch still conforms.
 */
import {
  INVARIANT_IDS,
  constants,
  replayArtifact,
  seedToHex,
  type InvariantId,
  type Kernel,
  type ProfileName,
  type RunResult,
  type RunSeed,
  type SchemePlugin,
  type Simulator,
  type TraceEvent,
  type WorkloadSpec,
} from '@lazytlb/core';
import { seedsOf } from '../cell.js';
import { fingerprint, type RunFingerprint } from '../determinism.js';
import { withMathRandomForbidden } from '../no-random.js';
import { checkReplayOf } from '../replay.js';
import type { ConformanceExpect } from '../runner.js';
import { makeSchemeSim, reportSchemeRun, schemeCellLabel, thrownLine, workloadLabel, type SchemeCellSpec } from './cell.js';
import { borrowedBarriersToCheck, probeFailure, probeScheme, type SchemeProbeReport } from './probe.js';

// ---- no plugin errors -------------------------------------------------------------------

/** Outcome counts of some runs, e.g. { ok: 180, 'violation I14': 20 }. */
export type OutcomeCounts = Readonly<Record<string, number>>;

function outcomeKey(r: RunResult): string {
  return r.violation !== null ? `violation ${r.violation.invariant}` : r.outcome;
}

export function formatCounts(counts: OutcomeCounts): string {
  return Object.entries(counts)
    .sort(([a], [b]) => (a === 'ok' ? -1 : b === 'ok' ? 1 : a < b ? -1 : 1))
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
}

/**
 * `nSeeds` runs of the cell end without a plugin error (a hook that threw) and without sim.run
 * throwing (an exception core could not attribute to a hook, e.g. a ModelError). Violations,
 * deadlocks and exhausted budgets are findings, counted and returned (and logged).
 */
export function checkSchemeNoPluginErrors(cell: SchemeCellSpec, nSeeds: number, log: ((line: string) => void) | null = null): OutcomeCounts {
  const sim = makeSchemeSim(cell);
  const label = schemeCellLabel(cell);
  const counts: Record<string, number> = {};
  const thrown: string[] = [];
  let first: string | null = null;
  let bad = 0;
  seedsOf(sim, nSeeds).forEach((seed, i) => {
    let r: RunResult;
    try {
      r = sim.run(seed);
    } catch (e) {
      bad++;
      counts.threw = (counts.threw ?? 0) + 1;
      if (thrown.length < 3) thrown.push(`run ${i} (seed ${seedToHex(seed)}): sim.run threw ${thrownLine(e)}`);
      return;
    }
    const key = outcomeKey(r);
    counts[key] = (counts[key] ?? 0) + 1;
    if (r.outcome === 'plugin-error') {
      bad++;
      first ??= reportSchemeRun(cell, sim, seed, r, i);
    }
  });
  log?.(`[scheme conformance] ${label}: ${nSeeds} runs: ${formatCounts(counts)}${bad === 0 ? '' : ' (FAILED)'}`);
  if (bad > 0) {
    const parts = [
      `${label}: ${bad} of ${nSeeds} runs ended in a plugin error or threw (${formatCounts(counts)})`,
      ...(thrown.length > 0 ? [`runs that threw (core could not attribute the exception to a hook):\n  ${thrown.join('\n  ')}`] : []),
      ...(first !== null ? [`first plugin error:\n${first}`] : []),
    ];
    throw new Error(parts.join('\n'));
  }
  return counts;
}

// ---- accounting (I4) ----------------------------------------------------------------------

/**
 * Oracles kept on in the accounting runs: I4 itself and the ones whose violation means the
 * count bookkeeping is already broken (going on would only pile up model errors). The others
 * (hardware, lazy-pointer and use oracles: I1, I2, I3, I7, I10, I13, I14) are switched off, so
 * runs go on past a scheme's findings and I4 is checked over whole runs.
 */
export const ACCOUNTING_ORACLES: readonly InvariantId[] = ['I4', 'I5', 'I6', 'I9', 'I11', 'I12'];
export const ACCOUNTING_DISABLED: readonly InvariantId[] = INVARIANT_IDS.filter((i) => !ACCOUNTING_ORACLES.includes(i));

/** The workloads of the accounting and determinism checks: the suite's and exit-heavy (exits, final mmdrops). */
export function withExitHeavy(workload: WorkloadSpec | ProfileName): (WorkloadSpec | ProfileName)[] {
  return workload === 'exit-heavy' ? [workload] : [workload, 'exit-heavy'];
}

/**
 * I4 (refcount conservation: mm_count = users ref + mmgrab holders + lazy_refs) holds in every
 * run: an I4 means lazy_refs disagrees with the mm_count references the scheme took and
 * dropped (k.schemeMmgrab / k.schemeMmdrop), a bug of the plugin whatever the scheme's safety.
 * `nSeeds` runs per workload (the cell's and exit-heavy) with the other safety oracles off.
 * A plugin error or a throw fails the check too (it hides the accounting of the rest of the run).
 */
export function checkSchemeAccounting(cell: SchemeCellSpec, nSeeds: number): OutcomeCounts {
  const counts: Record<string, number> = {};
  const failures: string[] = [];
  let firstReport: string | null = null;
  let i4 = 0;
  for (const workload of withExitHeavy(cell.workload)) {
    const c: SchemeCellSpec = { ...cell, workload, disabledInvariants: ACCOUNTING_DISABLED };
    const sim = makeSchemeSim(c);
    seedsOf(sim, nSeeds).forEach((seed, i) => {
      let r: RunResult;
      try {
        r = sim.run(seed);
      } catch (e) {
        counts.threw = (counts.threw ?? 0) + 1;
        if (failures.length < 3) failures.push(`${workloadLabel(workload)} run ${i} (seed ${seedToHex(seed)}): sim.run threw ${thrownLine(e)}`);
        return;
      }
      const key = outcomeKey(r);
      counts[key] = (counts[key] ?? 0) + 1;
      if (r.violation?.invariant === 'I4') i4++;
      if (r.violation?.invariant === 'I4' || r.outcome === 'plugin-error') firstReport ??= reportSchemeRun(c, sim, seed, r, i);
    });
  }
  const errors = (counts['plugin-error'] ?? 0) + (counts.threw ?? 0);
  if (i4 > 0 || errors > 0) {
    const why =
      i4 > 0
        ? `${i4} run(s) broke I4: lazy_refs(mm) must equal the mm_count references the scheme holds (every k.schemeMmgrab it has not yet k.schemeMmdrop'ed)`
        : `${errors} run(s) ended in a plugin error or threw`;
    throw new Error(
      `${schemeCellLabel(cell)} (and exit-heavy), oracles ${ACCOUNTING_DISABLED.join(' ')} off: ${why} (${formatCounts(counts)}).` +
        `${failures.length > 0 ? `\n  ${failures.join('\n  ')}` : ''}${firstReport !== null ? `\nFirst:\n${firstReport}` : ''}`,
    );
  }
  return counts;
}

// ---- determinism -------------------------------------------------------------------------

/** A run's fingerprint (fingerprint()), with the scheme suite's extra fields: hazard and use-site counts, the trace. */
export interface SchemeRunFingerprint extends RunFingerprint {
  readonly hazards: number;
  readonly useSites: number;
  readonly trace: readonly TraceEvent[] | null;
}

export function schemeFingerprint(sim: Simulator, r: RunResult): SchemeRunFingerprint {
  return {
    ...fingerprint(sim, r),
    hazards: r.hazards,
    useSites: r.useSites,
    trace: r.trace === null ? null : r.trace.map((e) => ({ ...e })),
  };
}

function runFp(sim: Simulator, seed: RunSeed, trace: boolean): SchemeRunFingerprint {
  return schemeFingerprint(sim, sim.run(seed, { keepDecisions: true, trace }));
}

const untraced = (f: SchemeRunFingerprint): SchemeRunFingerprint => ({ ...f, trace: null });

/**
 * A run is a pure function of (cell, seed): two Simulators of the cell, interleaved run by
 * run, give the same outcome, steps, cost counters (sim.k.cost), decisions and trace for every
 * seed (module-level state in the plugin shows up as a difference); on a fresh Simulator the
 * last seed run first, then the others, then the last one again, gives the same runs (state
 * that reset() does not clear shows up); and tracing does not change a run.
 */
export function checkSchemeDeterminism(cell: SchemeCellSpec, expect: ConformanceExpect, nSeeds: number): void {
  const label = schemeCellLabel(cell);
  const a = makeSchemeSim(cell);
  const b = makeSchemeSim(cell);
  expect(b.cellId, `${label}: two simulators of one cell have the same cell id`).toBe(a.cellId);
  const seeds = seedsOf(a, Math.max(2, nSeeds));
  const fa: SchemeRunFingerprint[] = [];
  const fb: SchemeRunFingerprint[] = [];
  for (const s of seeds) {
    fa.push(runFp(a, s, true));
    fb.push(runFp(b, s, true));
  }
  expect(fb, `${label}: a second Simulator instance, interleaved run by run, reproduces every run (outcome, steps, costs, decisions, trace)`).toEqual(fa);
  const c = makeSchemeSim(cell);
  const last = seeds.length - 1;
  const lastFirst = runFp(c, seeds[last]!, true);
  const rest = seeds.slice(0, last).map((s) => runFp(c, s, true));
  const lastAgain = runFp(c, seeds[last]!, true);
  expect(
    [...rest, lastFirst],
    `${label}: seeds run out of order on a fresh Simulator (the last first, then the others) reproduce every run (reset() must clear all scheme state)`,
  ).toEqual(fa);
  expect(lastAgain, `${label}: the last seed run again after all the others reproduces its first run (reset() must clear all scheme state)`).toEqual(lastFirst);
  const plain = seeds.map((s) => untraced(runFp(a, s, false)));
  expect(plain, `${label}: tracing does not change a run`).toEqual(fa.map(untraced));
}

/** No Math.random while the cell's Simulator is created and runs (traced). */
export function checkSchemeNoMathRandom(cell: SchemeCellSpec, nSeeds: number): void {
  let thrown: unknown = null;
  const sites = withMathRandomForbidden(() => {
    try {
      const sim = makeSchemeSim(cell);
      for (const s of seedsOf(sim, nSeeds)) sim.run(s, { trace: true });
    } catch (e) {
      thrown = e;
    }
  });
  if (sites.length > 0) {
    throw new Error(
      `${schemeCellLabel(cell)}: Math.random() was called ${sites.length} time(s) (draw from k.chance / k.rng, the run's PRNG); first call:\n${sites[0]}`,
    );
  }
  if (thrown !== null) throw thrown;
}

// ---- observer hooks -----------------------------------------------------------------------

/** A small deterministic picker (the scenario-style step API, no explorer). */
function pick(enabled: readonly number[], step: number, run: number): number {
  return enabled[(step * 7 + run * 13 + (step >> 3)) % enabled.length]!;
}

/** What an observer call must leave as it found it: the cost counters and every mm_count. */
function observable(k: Kernel): string {
  return `${Array.from(k.cost).join(',')}|${Array.from(k.mmCount.subarray(0, k.nmm)).join(',')}`;
}

/**
 * describe_cpu (traces, tools) and lazy_refs (the I4 oracle) are observers: after every step
 * of `nRuns` runs driven through the step API, for every CPU and live mm, describe_cpu returns
 * a one-line string and lazy_refs an integer >= 0; neither throws; asked twice, each answers
 * the same; and neither changes a cost counter or an mm_count.
 */
export function checkSchemeObserverHooks(cell: SchemeCellSpec, nRuns: number): void {
  const sim = makeSchemeSim(cell);
  const problems: string[] = [];
  const add = (p: string): void => {
    if (problems.length < 10 && !problems.some((q) => q.slice(q.indexOf(':')) === p.slice(p.indexOf(':')))) problems.push(p);
  };
  /** Ask `what` twice; check both answers and that nothing observable changed. */
  const ask = (k: Kernel, where: string, what: string, f: () => unknown, ok: (v: unknown) => string | null): void => {
    const before = observable(k);
    let a: unknown;
    let b: unknown;
    try {
      a = f();
      b = f();
    } catch (e) {
      add(`${where}: ${what} threw ${thrownLine(e)}`);
      return;
    }
    const bad = ok(a);
    if (bad !== null) add(`${where}: ${what} returned ${bad}`);
    else if (b !== a) add(`${where}: ${what} answered ${JSON.stringify(a)}, then ${JSON.stringify(b)} when asked again: it must be a pure read`);
    if (observable(k) !== before) add(`${where}: ${what} changed the cost counters or an mm_count: it must be a pure read`);
  };
  const observe =
    (run: number) =>
    (k: Kernel, step: number): void => {
      const h = k.scheme;
      const where = `run ${run} after step ${step}`;
      if (h.describe_cpu !== undefined) {
        for (let c = 0; c < k.ncpu; c++) {
          ask(
            k,
            where,
            `describe_cpu(CPU${c})`,
            () => h.describe_cpu!(k, c),
            (d) => {
              if (typeof d !== 'string') return `${typeof d}, not a string`;
              return /[\n\r]/.test(d) ? `several lines (${JSON.stringify(d)}): one line per CPU` : null;
            },
          );
        }
      }
      for (let mm = 1; mm < k.nmm; mm++) {
        const stage = k.mmStage[mm];
        if (stage === constants.MM_UNUSED || stage === constants.MM_FREED) continue;
        ask(
          k,
          where,
          `lazy_refs(${k.mmName(mm)})`,
          () => h.lazy_refs(k, mm),
          (n) => (typeof n === 'number' && Number.isInteger(n) && n >= 0 ? null : `${String(n)}, not an integer >= 0`),
        );
      }
    };
  seedsOf(sim, nRuns).forEach((seed, run) => {
    sim.begin(seed);
    const look = observe(run);
    for (let step = 0; step < 20_000; step++) {
      const en = sim.enabledActors();
      if (en.length === 0) break;
      if (!sim.stepActor(pick(en, step, run))) break;
      look(sim.k, step);
    }
    sim.end();
  });
  if (problems.length > 0) throw new Error(`${schemeCellLabel(cell)}: observer hooks are not pure reads of the right types:\n  - ${problems.join('\n  - ')}`);
}

// ---- replay -------------------------------------------------------------------------------

/**
 * Recorded runs replay exactly from their artifacts with the scheme plugin
 * (replayArtifact(artifact, arch, { scheme })), tracing off and on, including a non-ok run
 * of the cell when one turns up within a bounded scan of more seeds (checkReplayOf).
 */
export function checkSchemeReplay(cell: SchemeCellSpec, expect: ConformanceExpect, nSeeds: number): void {
  checkReplayOf(
    makeSchemeSim(cell),
    schemeCellLabel(cell),
    expect,
    nSeeds,
    (artifact, trace, what) => {
      try {
        return replayArtifact(artifact, cell.arch.plugin, { trace, scheme: cell.scheme });
      } catch (e) {
        throw new Error(
          `${what}: replayArtifact could not replay it (${thrownLine(e)}): a run must be a pure function of (cell, seed); see the determinism test`,
        );
      }
    },
    { samePluginError: true },
  );
}

// ---- probed contracts ---------------------------------------------------------------------

const REQUIRED_CALLED = ['reset', 'mmgrab_lazy_tlb', 'mmdrop_lazy_tlb', 'lazy_refs'] as const;

/**
 * Hook calls of real runs (probe.ts): void hooks return nothing, lazy_refs is a stable
 * non-negative count, no hook throws; the required hooks are called at all (not vacuous).
 */
export function checkSchemeHookCalls(plugin: SchemePlugin<any>, cells: readonly SchemeCellSpec[], nSeeds: number): SchemeProbeReport {
  const report = probeScheme(cells, nSeeds, 3);
  const err = probeFailure(plugin, report, ['calls', 'errors'], 'hook calls broke their contract');
  if (err !== null) throw err;
  const never = REQUIRED_CALLED.filter((h) => (report.calls[h] ?? 0) === 0);
  if (never.length > 0)
    throw new Error(`scheme plugin ${plugin.name}: ${never.join(', ')} never called in ${report.runs} runs: the check exercised nothing (raise hookSeeds)`);
  return report;
}

/**
 * Sequence hooks (mmput, cleanup_lazy_tlbs): a returned pc has a resume hook, pcs are integers
 * 1..65535, every sequence ends; each sequence hook the scheme has is called in the runs.
 */
export function checkSchemeSequences(plugin: SchemePlugin<any>, cells: readonly SchemeCellSpec[], nSeeds: number): SchemeProbeReport {
  const report = probeScheme(cells, nSeeds);
  const err = probeFailure(plugin, report, ['sequences'], 'sequence hooks broke their contract');
  if (err !== null) throw err;
  const never = (['mmput', 'cleanup_lazy_tlbs'] as const).filter((h) => report.hooks.includes(h) && (report.calls[h] ?? 0) === 0);
  if (never.length > 0)
    throw new Error(
      `scheme plugin ${plugin.name}: ${never.join(', ')} never called in ${report.runs} runs of exit-heavy: the check exercised nothing (raise sequenceSeeds)`,
    );
  return report;
}

/** Shared state (SchemePlugin.sharedState) is declared and stored as the ABI says (probe.ts). */
export function checkSchemeSharedState(plugin: SchemePlugin<any>, cells: readonly SchemeCellSpec[], nSeeds: number): SchemeProbeReport {
  const report = probeScheme(cells, nSeeds);
  const err = probeFailure(plugin, report, ['shared'], 'shared state is not declared or stored as the ABI says');
  if (err !== null) throw err;
  return report;
}

/** Each borrowed barrier the scheme claims to provide is executed where it is relied on (probe.ts). */
export function checkSchemeBarrierClaims(plugin: SchemePlugin<any>, cells: readonly SchemeCellSpec[], nSeeds: number): SchemeProbeReport {
  const report = probeScheme(cells, nSeeds);
  const err = probeFailure(plugin, report, ['barriers'], 'a barrier the claims say it provides is not there');
  if (err !== null) throw err;
  const never = borrowedBarriersToCheck(plugin).filter((b) => (report.barrierChecks[b.id] ?? 0) === 0);
  if (never.length > 0) {
    throw new Error(
      `scheme plugin ${plugin.name}: ${never.map((b) => `${b.hook} at ${b.site} (for "${b.id}")`).join(', ')} never called in ${report.runs} runs: the check exercised nothing (raise hookSeeds)`,
    );
  }
  return report;
}
