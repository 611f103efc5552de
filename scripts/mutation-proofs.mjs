#!/usr/bin/env node
// Every historical mutation (the `lazytlb mutants` catalogue: core's CORE_MUTATIONS, then each
// bundled arch plugin's) on each of its declared cells, under @lazytlb/explore's exhaustive
// search with the mutation enabled and stopAtFirstViolation: does the search find it, which
// invariant (the declared target, `breaks`, or another), after how many executions and distinct
// states, with how many steps and preemptions, in what wall time. Then the same cell without the
// mutation, searched the same way (the control: "proved" there means no false alarm within that
// bound; "incomplete" that the budget ran out first).
//
// Attempts per row, each within --budget-executions and --budget-seconds: first unbounded (state
// hashing and sleep sets, which every bundled plugin allows), then iterative context bounding,
// preemption bound 0, 1, 2, 3 (--bounds): a small bound finds a shallow bug long before the
// unbounded DFS gets to it. The row says which attempt found it; a row no attempt finds is
// reported as not found. The control uses the attempt that found the bug (its bound), or the
// unbounded search when none did.
//
// Seed: the sweep's convention. The mutated cell is built as `lazytlb mutants --seed 0` builds it
// for the variant `random` (explore's mutantCell + simulatorFor); the search's seed is that cell's
// run 0 (runSeed(cellHashOf(cellId, "0"), 0)). It fixes what the search does not enumerate: a
// profile workload as that seed draws it. The control runs with the SAME seed (the unmutated
// cell id would give another seed, so another drawn workload: no control at all).
//
//   node scripts/mutation-proofs.mjs [--budget-executions 200000] [--budget-seconds 2] [--bounds 0,1,2,3]
//     [--only ID,ID] [--seed 0] [--no-control] [--sample-seconds 1] [--no-kill-seed] [--md out.md] [--json out.json]
//
// Each row also samples random runs of the mutated cell (its seeds run 0, 1, ..., as the sweep
// runs them, within --sample-seconds): the first that kills, with its steps and the preemptions
// of its schedule (counted as the search counts them), for comparison. A row the search did not
// find is then searched again, the same way, on the seed of that kill (the workload random killed
// with; --no-kill-seed: not), to tell a workload that lacks the ingredients from a search that
// does not reach them.
//
// Needs `pnpm build` (it imports the packages' dist and the CLI's plugin registry).
import { writeFileSync } from 'node:fs';
import { arg, imp } from './lib/script-args.mjs';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(
    'node scripts/mutation-proofs.mjs [--budget-executions N] [--budget-seconds S] [--bounds 0,1,2,3] [--only ID,ID] [--seed 0] [--no-control] [--sample-seconds S] [--no-kill-seed] [--md F] [--json F]\n',
  );
  process.exit(0);
}

const BUDGET_EXECUTIONS = Number(arg('budget-executions', '200000'));
const BUDGET_SECONDS = Number(arg('budget-seconds', '2'));
const BOUNDS = arg('bounds', '0,1,2,3')
  .split(',')
  .filter((s) => s !== '')
  .map(Number);
const ONLY = (arg('only', '') ?? '').split(',').filter((s) => s !== '');
const MATRIX_SEED = arg('seed', '0');
const CONTROL = !process.argv.includes('--no-control');
const SAMPLE_SECONDS = Number(arg('sample-seconds', '1'));
const KILL_SEED = !process.argv.includes('--no-kill-seed');

const core = await imp('packages/core/dist/index.js');
const explore = await imp('packages/explore/dist/index.js');
const { createRegistry } = await imp('apps/sweep/dist/plugins/bundled.js');
const registry = await createRegistry();
const entries = await explore.loadCatalog(registry, ONLY);

/** Thrown from onProgress when an attempt's time budget is spent (the search has no time budget of its own). */
class OutOfTime {
  constructor(progress) {
    this.progress = progress;
  }
}

/** The CellSpec `lazytlb mutants` runs for a declared cell under the variant `random`. */
function specOf(c, mutation) {
  return {
    index: 0,
    arch: c.arch,
    scheme: c.scheme,
    ...(c.schemeOptions !== undefined ? { schemeOptions: c.schemeOptions } : {}),
    ...(c.preempt !== undefined ? { preempt: c.preempt } : {}),
    ...(c.memory !== undefined ? { memory: c.memory } : {}),
    cpus: c.cpus,
    workload: { profile: c.profile },
    strategy: { kind: 'random' },
    ...(mutation !== null ? { mutations: [mutation] } : {}),
  };
}

/** One exhaustive search of a cell, within the budgets (bound: a number, or null for unbounded). */
async function search(spec, seed, bound) {
  const sim = await explore.simulatorFor(spec, registry);
  const t0 = performance.now();
  const deadline = t0 + BUDGET_SECONDS * 1000;
  let last = null;
  try {
    const r = explore.exhaustiveSearch(sim, {
      seed,
      ...(bound !== null ? { preemptionBound: bound } : {}),
      maxExecutions: BUDGET_EXECUTIONS,
      stopAtFirstViolation: true,
      progressEvery: 25,
      onProgress: (p) => {
        last = p;
        if (performance.now() > deadline) throw new OutOfTime(p);
      },
    });
    const v = r.findings.find((f) => f.class === 'violation') ?? null;
    return {
      bound,
      verdict: r.verdict,
      stoppedBy: r.stoppedBy,
      invariant: v?.key ?? null,
      message: v?.message ?? null,
      steps: v?.steps ?? null,
      preemptions: v?.preemptions ?? null,
      executions: r.executions,
      states: r.stateHashing.distinctStates,
      hashing: r.stateHashing.on,
      partialOrder: r.partialOrder.on,
      other: r.findings.filter((f) => f.class === 'error').map((f) => f.key),
      ms: Math.round(performance.now() - t0),
    };
  } catch (e) {
    if (!(e instanceof OutOfTime)) throw e;
    const p = e.progress ?? last;
    return {
      bound,
      verdict: 'incomplete',
      stoppedBy: 'seconds',
      invariant: null,
      message: null,
      steps: null,
      preemptions: null,
      executions: p.executions,
      states: p.distinctStates,
      hashing: sim.stateHashRefusal === null,
      partialOrder: null,
      other: [],
      ms: Math.round(performance.now() - t0),
    };
  }
}

/** The attempts of a row: unbounded, then each bound, until one finds a violation. */
async function attemptAll(e, label, spec, seed) {
  const attempts = [];
  let found = null;
  for (const bound of [null, ...BOUNDS]) {
    const a = await search(spec, seed, bound);
    attempts.push(a);
    log(
      `${e.doc.id} | ${label} | ${boundText(bound)}: ${a.verdict}${a.invariant !== null ? ` ${a.invariant}` : ''} ` +
        `(${a.executions} executions, ${a.states} states, ${a.ms} ms${a.stoppedBy !== null && a.verdict !== 'violates' ? `, stopped by ${a.stoppedBy}` : ''})`,
    );
    if (a.verdict === 'violates') {
      found = a;
      break;
    }
  }
  return { attempts, found };
}

/** Random runs of the cell (seeds run 0, 1, ... of its seed base) until the first violation or --sample-seconds. */
function sampleKill(sim, base) {
  const deadline = performance.now() + SAMPLE_SECONDS * 1000;
  let runs = 0;
  while (performance.now() < deadline) {
    const r = sim.run(core.runSeed(base, runs));
    runs++;
    if (r.outcome === 'violation' && r.violation !== null) {
      return {
        runs,
        kill: { run: runs - 1, invariant: r.violation.invariant, steps: r.steps, preemptions: schedulePreemptions(sim, core.runSeed(base, runs - 1)) },
      };
    }
  }
  return { runs, kill: null };
}

/**
 * The preemptions of a random run's schedule, counted as the exhaustive search counts them
 * (a step where the previous step's actor was still enabled and another actor took it): its
 * decisions replayed through a counting explorer (in-step choices drawn as in the run). Null
 * if the replay does not end as the run did.
 */
function schedulePreemptions(sim, seed) {
  const r = sim.run(seed, { keepDecisions: true });
  const d = r.decisions;
  let prev = -1;
  let pre = 0;
  const counter = {
    begin() {
      prev = -1;
      pre = 0;
    },
    pick(enabled, n, step) {
      const a = d[step];
      if (prev >= 0 && a !== prev && enabled.subarray(0, n).includes(prev)) pre++;
      prev = a;
      return a;
    },
  };
  const x = sim.run(seed, { explorer: counter });
  return x.outcome === r.outcome && x.steps === r.steps && x.violation?.invariant === r.violation?.invariant ? pre : null;
}

const boundText = (b) => (b === null ? 'unbounded' : `≤${b}`);
const log = (s) => process.stderr.write(`${s}\n`);

const rows = [];
const t0 = Date.now();
for (const e of entries) {
  for (const c of e.cells) {
    const label = explore.cellLabel(c);
    const spec = specOf(c, e.doc.id);
    const sim = await explore.simulatorFor(spec, registry);
    const seed = core.runSeed(core.seedFromHex(explore.cellHashOf(sim.cellId, MATRIX_SEED)), 0);
    const { attempts, found } = await attemptAll(e, label, spec, seed);
    // Random runs of the mutated cell (its own strategy, seeds run 0, 1, ...): the first that kills, within --sample-seconds.
    const sampled = sampleKill(sim, core.seedFromHex(explore.cellHashOf(sim.cellId, MATRIX_SEED)));
    log(
      `  random: ${sampled.kill !== null ? `run ${sampled.kill.run} kills (${sampled.kill.invariant}, ${sampled.kill.preemptions ?? '?'} preemptions)` : 'no kill'} in ${sampled.runs} runs`,
    );
    let killSeed = null;
    if (KILL_SEED && found === null && sampled.kill !== null) {
      // The workload random killed with: does the search find it there?
      const s = core.runSeed(core.seedFromHex(explore.cellHashOf(sim.cellId, MATRIX_SEED)), sampled.kill.run);
      const k = await attemptAll(e, `${label} (seed of random run ${sampled.kill.run})`, spec, s);
      killSeed = { run: sampled.kill.run, found: k.found, attempts: k.attempts };
    }
    let control = null;
    if (CONTROL) {
      control = await search(specOf(c, null), seed, found?.bound ?? null);
      log(
        `  control (no mutation) ${boundText(control.bound)}: ${control.verdict}${control.invariant !== null ? ` ${control.invariant}` : ''} (${control.executions} executions, ${control.ms} ms)`,
      );
    }
    rows.push({
      mutation: e.doc.id,
      source: e.source,
      breaks: e.doc.breaks,
      cell: label,
      seed: core.seedToHex(seed),
      found: found !== null,
      bound: found?.bound ?? null,
      invariant: found?.invariant ?? null,
      target: found !== null ? found.invariant === e.doc.breaks : null,
      message: found?.message ?? null,
      executions: found?.executions ?? null,
      states: found?.states ?? null,
      steps: found?.steps ?? null,
      preemptions: found?.preemptions ?? null,
      ms: found?.ms ?? null,
      totalMs: attempts.reduce((s, a) => s + a.ms, 0),
      attempts,
      control,
      random: sampled,
      killSeed,
    });
  }
}
const elapsed = ((Date.now() - t0) / 1000).toFixed(0);

const secs = (ms) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
const attemptsText = (attempts) =>
  attempts
    .filter((a) => a.verdict !== 'violates')
    .map((a) => `${boundText(a.bound)} ${a.verdict === 'incomplete' ? 'budget' : a.verdict} (${a.executions} ex)`)
    .join(', ');
const controlText = (x) =>
  x === null
    ? '—'
    : `${x.verdict === 'proved' && x.bound !== null ? `proved ≤${x.bound}` : x.verdict}${x.invariant !== null ? ` ${x.invariant}` : ''} (${x.executions} ex, ${secs(x.ms)})`;
const randomText = (r) =>
  r.random.kill !== null
    ? `run ${r.random.kill.run} kills (${r.random.kill.invariant}; ${r.random.kill.steps} steps, ${r.random.kill.preemptions ?? '?'} preemptions)`
    : `no kill in ${r.random.runs} runs`;
const killSeedText = (r) => {
  const k = r.killSeed;
  if (k === null) return '—';
  if (k.found === null)
    return `not found either (${
      k.attempts
        .filter((a) => a.verdict === 'proved')
        .map((a) => `${boundText(a.bound)} proved`)
        .join(', ') || 'every attempt out of budget'
    })`;
  return `violates ${k.found.invariant} at ${boundText(k.found.bound)} (${k.found.executions} ex, ${k.found.steps} steps, ${k.found.preemptions} preemptions, ${secs(k.found.ms)})`;
};
const md = [
  `Exhaustive search per declared cell of every catalogued mutation (stopAtFirstViolation; budget per attempt ${BUDGET_EXECUTIONS} executions or ${BUDGET_SECONDS} s; attempts: unbounded, then preemption bound ${BOUNDS.join(', ')}).`,
  `Run: \`node scripts/mutation-proofs.mjs${KILL_SEED ? '' : ' --no-kill-seed'}\` (${new Date().toISOString().slice(0, 10)}, ${elapsed} s on this machine; seed: run 0 of the cell under \`lazytlb mutants --seed ${MATRIX_SEED}\`, variant random).`,
  '',
  `| mutation (breaks) | declared cell | verdict | invariant | found at | executions | distinct states | steps | preemptions | wall (row) | attempts that did not find it | without the mutation (same seed and bound) | random runs of the cell |${KILL_SEED ? " on the seed of random's kill |" : ''}`,
  `|---|---|---|---|---|---:|---:|---:|---:|---:|---|---|---|${KILL_SEED ? '---|' : ''}`,
];
for (const r of rows) {
  const inv = r.invariant === null ? '—' : r.target ? `${r.invariant} (target)` : `${r.invariant} (not ${r.breaks})`;
  const wall = r.found ? `${secs(r.ms)} (${secs(r.totalMs)})` : `— (${secs(r.totalMs)})`;
  md.push(
    `| ${r.mutation} (${r.breaks}) | ${r.cell} | ${r.found ? 'violates' : '**not found**'} | ${inv} | ${r.found ? boundText(r.bound) : '—'} | ${r.executions ?? '—'} | ${r.states ?? '—'} | ${r.steps ?? '—'} | ${r.preemptions ?? '—'} | ${wall} | ${attemptsText(r.attempts) || '—'} | ${controlText(r.control)} | ${randomText(r)} |${KILL_SEED ? ` ${killSeedText(r)} |` : ''}`,
  );
}
const found = rows.filter((r) => r.found).length;
const retried = rows.filter((r) => r.killSeed !== null);
md.push(
  '',
  `Found on the run-0 seed: ${found} of ${rows.length} rows (${rows.filter((r) => r.found && r.target).length} on the declared target invariant)` +
    (KILL_SEED ? `; on the seed of random's kill: ${retried.filter((r) => r.killSeed.found !== null).length} of the other ${retried.length}` : '') +
    `. "budget": the attempt ran out of its budget (${BUDGET_EXECUTIONS} executions or ${BUDGET_SECONDS} s) first. Total ${elapsed} s.`,
);
const text = md.join('\n');
process.stdout.write(`${text}\n`);
const mdOut = arg('md', null);
if (mdOut !== null) writeFileSync(mdOut, `${text}\n`);
const jsonOut = arg('json', null);
if (jsonOut !== null) {
  writeFileSync(
    jsonOut,
    `${JSON.stringify({ budgetExecutions: BUDGET_EXECUTIONS, budgetSeconds: BUDGET_SECONDS, bounds: BOUNDS, seed: MATRIX_SEED, elapsedSeconds: Number(elapsed), rows }, null, 2)}\n`,
  );
}
