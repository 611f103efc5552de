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
//     [--only ID,ID] [--seed 0] [--no-control] [--sample-seconds 3] [--no-kill-seed] [--md out.md] [--json out.json]
//     [--no-shrunk] [--shrink-attempts 4000] [--shrink-options] [--shrink-kills 1] [--shrunk-control-seconds 5]
//     [--cells I,J: only those declared cells (0-based)] [--shrunk-only: random, shrink and the shrunk searches only]
//
// Each row also samples random runs of the mutated cell (its seeds run 0, 1, ..., as the sweep
// runs them, within --sample-seconds): the first that kills, with its steps and the preemptions
// of its schedule (counted as the search counts them), for comparison. A row the search did not
// find is then searched again, the same way, on the seed of that kill (the workload random killed
// with; --no-kill-seed: not), to tell a workload that lacks the ingredients from a search that
// does not reach them.
//
// Second line of evidence (--no-shrunk: skipped): random's kill shrunk (explore's shrinkArtifact,
// as `lazytlb shrink` does, within --shrink-attempts; the arch options kept unless
// --shrink-options), and its shrunk cell (an explicit workload of a few tasks, its CPUs, the
// mutation on) searched the same way from the artifact's seed: the profile workload's size is
// what keeps the search from the bug, so the shrunk workload of a kill asks whether the search
// finds it where the workload has only the bug's ingredients. A row not found there tries the
// next kills (up to --shrink-kills in all). The control: the shrunk cell without the mutation,
// unbounded within --shrunk-control-seconds, else at the bound that found the bug ("proved" there:
// the search separates the two on that workload).
//
// Needs `pnpm build` (it imports the packages' dist and the CLI's plugin registry).
import { writeFileSync } from 'node:fs';
import { arg, imp } from './lib/script-args.mjs';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(
    'node scripts/mutation-proofs.mjs [--budget-executions N] [--budget-seconds S] [--bounds 0,1,2,3] [--only ID,ID] [--seed 0] [--no-control] [--sample-seconds S] [--no-kill-seed] [--md F] [--json F] [--no-shrunk] [--shrink-attempts N] [--shrink-options] [--shrink-kills N] [--shrunk-control-seconds S] [--cells I,J] [--shrunk-only]\n',
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
const SAMPLE_SECONDS = Number(arg('sample-seconds', '3'));
const KILL_SEED = !process.argv.includes('--no-kill-seed');
const SHRUNK = !process.argv.includes('--no-shrunk');
const SHRINK_ATTEMPTS = Number(arg('shrink-attempts', '4000'));
const SHRINK_OPTIONS = process.argv.includes('--shrink-options');
const SHRINK_KILLS = Number(arg('shrink-kills', '1'));
const SHRUNK_CONTROL_SECONDS = Number(arg('shrunk-control-seconds', '5'));
// Only these declared cells of each mutation (0-based, comma-separated; default all), and only the shrunk line of evidence.
const CELLS = (arg('cells', '') ?? '')
  .split(',')
  .filter((x) => x !== '')
  .map(Number);
const SHRUNK_ONLY = process.argv.includes('--shrunk-only');

const core = await imp('packages/core/dist/index.js');
const explore = await imp('packages/explore/dist/index.js');
const { createRegistry } = await imp('apps/sweep/dist/plugins/bundled.js');
const registry = await createRegistry();
const entries = await explore.loadCatalog(registry, ONLY);

/** The CellSpec `lazytlb mutants` runs for a declared cell under the variant `random`. */
const specOf = (c, mutation) => explore.mutantCellSpec(0, c, { strategy: { kind: 'random' } }, mutation);

/** One exhaustive search of a simulator, within the budgets (bound: a number, or null for unbounded; seconds: the wall-clock budget). */
function searchSim(sim, seed, bound, seconds = BUDGET_SECONDS) {
  const t0 = performance.now();
  const r = explore.exhaustiveSearch(sim, {
    seed,
    ...(bound !== null ? { preemptionBound: bound } : {}),
    maxExecutions: BUDGET_EXECUTIONS,
    maxMs: seconds * 1000,
    stopAtFirstViolation: true,
  });
  const v = r.findings.find((f) => f.class === 'violation') ?? null;
  return {
    bound,
    verdict: r.verdict,
    stoppedBy: r.stoppedBy === 'time' ? 'seconds' : r.stoppedBy,
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
}

/** One exhaustive search of a cell (a fresh simulator of its spec). */
async function search(spec, seed, bound) {
  return searchSim(await explore.simulatorFor(spec, registry), seed, bound);
}

/** The attempts of a row: unbounded, then each bound, until one finds a violation. */
async function attemptAll(e, label, spec, seed) {
  return attemptAllWith(e, label, (bound) => search(spec, seed, bound));
}

/** attemptAll with `run(bound)` doing each attempt. */
async function attemptAllWith(e, label, run) {
  const attempts = [];
  let found = null;
  for (const bound of [null, ...BOUNDS]) {
    const a = await run(bound);
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

/** Random runs of the cell (seeds run from, from + 1, ... of its seed base) until the first violation or --sample-seconds. */
function sampleKill(sim, base, from = 0) {
  const deadline = performance.now() + SAMPLE_SECONDS * 1000;
  let runs = from;
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

/**
 * The second line of evidence for a row: random's kill (the run `kill.run` of the cell's seed
 * base) made an artifact and shrunk by @lazytlb/explore's shrinkArtifact (as `lazytlb shrink`
 * does: explicit workload, fewer CPUs, tasks and ops, shorter decision list; the arch options
 * kept unless --shrink-options), then the shrunk cell (explicit workload, its CPUs and options,
 * the mutation on) searched as the declared cell is (unbounded, then each bound), from the
 * artifact's seed. The control: the same shrunk cell without the mutation, unbounded within
 * --shrunk-control-seconds; if that does not finish and the mutated search found the bug, again
 * at the bound that found it (an unbounded find: at its preemptions).
 */
async function shrunkEvidence(e, label, sim, base, kill) {
  const seed = core.runSeed(base, kill.run);
  const run = sim.run(seed, { keepDecisions: true });
  const artifact = core.makeArtifact(sim, seed, run, kill.run);
  const scheme = await registry.schemeForArtifact(artifact);
  const plugins = { arch: await registry.arch(artifact.cell.arch.name), ...(scheme !== undefined ? { scheme } : {}) };
  const t0 = performance.now();
  const sr = explore.shrinkArtifact(artifact, plugins, { maxAttempts: SHRINK_ATTEMPTS, options: SHRINK_OPTIONS, bugDepth: false });
  const shrinkMs = Math.round(performance.now() - t0);
  const a = sr.artifact;
  const aSeed = core.seedFromHex(a.seed);
  const opts = explore.simOptionsFor(plugins, a);
  log(
    `  shrunk random run ${kill.run} (${a.outcome.invariant}): ${sr.before.steps} -> ${sr.after.steps} steps, ${sr.before.cpus} -> ${sr.after.cpus} CPUs, ` +
      `${sr.before.tasks} -> ${sr.after.tasks} tasks, ${sr.before.ops} -> ${sr.after.ops} ops (${sr.attempts} attempts${sr.budgetExhausted ? ', budget exhausted' : ''}, ${shrinkMs} ms)`,
  );
  const { attempts, found } = await attemptAllWith(e, `${label} shrunk run ${kill.run}`, (bound) => searchSim(new core.Simulator(opts), aSeed, bound));
  let control = null;
  if (CONTROL) {
    const plain = { ...a, cell: { ...a.cell } };
    delete plain.cell.mutations;
    const copts = explore.simOptionsFor(plugins, plain);
    control = searchSim(new core.Simulator(copts), aSeed, null, SHRUNK_CONTROL_SECONDS);
    // Not finished unbounded: at the bound that found the bug (an unbounded find: its preemptions), where the two are compared.
    const b = found === null ? null : (found.bound ?? found.preemptions);
    if (control.verdict === 'incomplete' && b !== null) control = { ...searchSim(new core.Simulator(copts), aSeed, b), unbounded: control };
    log(
      `  shrunk control (no mutation) ${boundText(control.bound)}: ${control.verdict}${control.invariant !== null ? ` ${control.invariant}` : ''} (${control.executions} executions, ${control.states} states, ${control.ms} ms)`,
    );
  }
  return {
    run: kill.run,
    killInvariant: run.violation?.invariant ?? null,
    shrunkInvariant: a.outcome.invariant ?? null,
    before: sr.before,
    after: sr.after,
    shrinkAttempts: sr.attempts,
    shrinkBudgetExhausted: sr.budgetExhausted,
    shrinkMs,
    artifact: a,
    ...searchFields(found, attempts, e.doc.breaks),
    control,
  };
}

/** What a row says about its searches: the attempt that found the bug (null: none did), against the declared invariant. */
function searchFields(found, attempts, breaks) {
  return {
    found: found !== null,
    bound: found?.bound ?? null,
    invariant: found?.invariant ?? null,
    target: found !== null ? found.invariant === breaks : null,
    message: found?.message ?? null,
    executions: found?.executions ?? null,
    states: found?.states ?? null,
    steps: found?.steps ?? null,
    preemptions: found?.preemptions ?? null,
    ms: found?.ms ?? null,
    totalMs: attempts.reduce((s, a) => s + a.ms, 0),
    attempts,
  };
}

const boundText = (b) => (b === null ? 'unbounded' : `≤${b}`);
const log = (s) => process.stderr.write(`${s}\n`);

const rows = [];
const t0 = Date.now();
for (const e of entries) {
  for (const [ci, c] of e.cells.entries()) {
    if (CELLS.length > 0 && !CELLS.includes(ci)) continue;
    const label = explore.cellLabel(c);
    const spec = specOf(c, e.doc.id);
    const sim = await explore.simulatorFor(spec, registry);
    const seed = core.runSeed(core.seedFromHex(explore.cellHashOf(sim.cellId, MATRIX_SEED)), 0);
    const { attempts, found } = SHRUNK_ONLY ? { attempts: [], found: null } : await attemptAll(e, label, spec, seed);
    // Random runs of the mutated cell (its own strategy, seeds run 0, 1, ...): the first that kills, within --sample-seconds.
    const base = core.seedFromHex(explore.cellHashOf(sim.cellId, MATRIX_SEED));
    const sampled = sampleKill(sim, base);
    log(
      `  random: ${sampled.kill !== null ? `run ${sampled.kill.run} kills (${sampled.kill.invariant}, ${sampled.kill.preemptions ?? '?'} preemptions)` : 'no kill'} in ${sampled.runs} runs`,
    );
    let killSeed = null;
    if (KILL_SEED && !SHRUNK_ONLY && found === null && sampled.kill !== null) {
      // The workload random killed with: does the search find it there?
      const s = core.runSeed(core.seedFromHex(explore.cellHashOf(sim.cellId, MATRIX_SEED)), sampled.kill.run);
      const k = await attemptAll(e, `${label} (seed of random run ${sampled.kill.run})`, spec, s);
      killSeed = { run: sampled.kill.run, found: k.found, attempts: k.attempts };
    }
    // The shrunk workload of random's kill (and, when it is not found there, of its next kills, up to --shrink-kills).
    const shrunk = [];
    if (SHRUNK && sampled.kill !== null) {
      let kill = sampled.kill;
      while (kill !== null) {
        const s = await shrunkEvidence(e, label, sim, base, kill);
        shrunk.push(s);
        if (s.found || shrunk.length >= SHRINK_KILLS) break;
        kill = sampleKill(sim, base, kill.run + 1).kill;
      }
    }
    let control = null;
    if (CONTROL && !SHRUNK_ONLY) {
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
      ...searchFields(found, attempts, e.doc.breaks),
      control,
      random: sampled,
      killSeed,
      shrunk,
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
if (SHRUNK) {
  const sizeText = (z) => `${z.cpus} CPUs, ${z.tasks} tasks, ${z.ops} ops, ${z.steps} steps${z.options.length > 0 ? `, ${z.options.join(',')}` : ''}`;
  const shrunkControlText = (x) => {
    if (x === null) return '—';
    const head = `${x.verdict === 'proved' ? (x.bound !== null ? `proved ≤${x.bound}` : 'proved') : x.verdict === 'incomplete' ? 'budget' : x.verdict}${x.invariant !== null ? ` ${x.invariant}` : ''} (${x.executions} ex, ${x.states} states, ${secs(x.ms)})`;
    return x.unbounded !== undefined ? `${head}; unbounded: budget (${x.unbounded.executions} ex, ${secs(x.unbounded.ms)})` : head;
  };
  md.push(
    '',
    `Second line of evidence: random's first kill of each row, shrunk (\`shrinkArtifact\`, ${SHRINK_ATTEMPTS} attempts${SHRINK_OPTIONS ? '' : ', arch options kept'}), its shrunk cell (explicit workload, the mutation on) searched the same way${SHRINK_KILLS > 1 ? ` (a row not found there: the next kills, up to ${SHRINK_KILLS})` : ''}; without the mutation: the same shrunk cell, unbounded within ${SHRUNK_CONTROL_SECONDS} s, else at the bound that found the bug (an unbounded find: its preemptions).`,
    '',
    '| mutation (breaks) | declared cell | random kill shrunk | shrunk cell | verdict | invariant | found at | executions | distinct states | steps | preemptions | wall (row) | attempts that did not find it | shrunk cell without the mutation |',
    '|---|---|---|---|---|---|---|---:|---:|---:|---:|---:|---|---|',
  );
  for (const r of rows) {
    if (r.shrunk.length === 0) {
      md.push(`| ${r.mutation} (${r.breaks}) | ${r.cell} | no kill to shrink | — | — | — | — | — | — | — | — | — | — | — |`);
      continue;
    }
    for (const x of r.shrunk) {
      const inv = x.invariant === null ? '—' : x.target ? `${x.invariant} (target)` : `${x.invariant} (not ${r.breaks})`;
      const wall = x.found ? `${secs(x.ms)} (${secs(x.totalMs)})` : `— (${secs(x.totalMs)})`;
      md.push(
        `| ${r.mutation} (${r.breaks}) | ${r.cell} | run ${x.run} (${x.shrunkInvariant}): ${x.before.steps} → ${x.after.steps} steps, ${x.before.preemptions} → ${x.after.preemptions} preemptions | ${sizeText(x.after)} | ${x.found ? 'violates' : '**not found**'} | ${inv} | ${x.found ? boundText(x.bound) : '—'} | ${x.executions ?? '—'} | ${x.states ?? '—'} | ${x.steps ?? '—'} | ${x.preemptions ?? '—'} | ${wall} | ${attemptsText(x.attempts) || '—'} | ${shrunkControlText(x.control)} |`,
      );
    }
  }
  const withKill = rows.filter((r) => r.shrunk.length > 0);
  const sFound = withKill.filter((r) => r.shrunk.some((x) => x.found));
  const sFirst = withKill.filter((r) => r.shrunk[0].found);
  const sTarget = withKill.filter((r) => r.shrunk.some((x) => x.found && x.target));
  const sProved = withKill.filter((r) => r.shrunk.some((x) => x.found && x.control !== null && x.control.verdict === 'proved'));
  md.push(
    '',
    `Found on the shrunk workload of random's first kill: ${sFirst.length} of ${withKill.length} rows with a kill` +
      (SHRINK_KILLS > 1 ? `, on a later kill's: ${sFound.length - sFirst.length} more` : '') +
      ` (${sTarget.length} on the declared target invariant); of the found, the shrunk cell without the mutation proved (unbounded or within the bound that found it): ${sProved.length}. Both lines: ${rows.filter((r) => r.found || r.killSeed?.found || r.shrunk.some((x) => x.found)).length} of ${rows.length} rows found.`,
  );
}
const text = md.join('\n');
process.stdout.write(`${text}\n`);
const mdOut = arg('md', null);
if (mdOut !== null) writeFileSync(mdOut, `${text}\n`);
const jsonOut = arg('json', null);
if (jsonOut !== null) {
  writeFileSync(
    jsonOut,
    `${JSON.stringify({ budgetExecutions: BUDGET_EXECUTIONS, budgetSeconds: BUDGET_SECONDS, bounds: BOUNDS, shrunk: SHRUNK ? { attempts: SHRINK_ATTEMPTS, options: SHRINK_OPTIONS, kills: SHRINK_KILLS, controlSeconds: SHRUNK_CONTROL_SECONDS } : null, seed: MATRIX_SEED, elapsedSeconds: Number(elapsed), rows }, null, 2)}\n`,
  );
}
