#!/usr/bin/env node
// Sweep engine benchmark (not a test; the engine is @lazytlb/explore's runSweep, with the CLI's bundled plugins): runs/s and steps/s per thread for x86-native, refcount,
// 4 CPUs, default workload (PCT depth 3), at 1 and 2 threads, and the scaling ratio.
// Needs a build (dist/). Usage: node scripts/bench.mjs [--runs N]   (default 20000)
import { runSweep } from '@lazytlb/explore';
import { createRegistry } from '../dist/plugins/bundled.js';

const registry = await createRegistry();

const args = process.argv.slice(2);
const i = args.indexOf('--runs');
const RUNS = i >= 0 ? Number(args[i + 1]) : 20000;
const cells = [
  { index: 0, arch: { name: 'x86-native', options: {} }, scheme: 'refcount', cpus: 4, workload: { profile: 'default' }, strategy: { kind: 'pct', depth: 3 } },
];
const rows = [];
for (const threads of [1, 2]) {
  await runSweep({ cells, matrixSeed: 'bench-warmup', runs: 2000, threads, registry }); // warm up JIT + workers
  const t0 = performance.now();
  // Steady state: from the first progress report past 10% of the runs (pool started, workers warm) to the end.
  let mark = null;
  const r = await runSweep({
    cells,
    matrixSeed: 'bench',
    runs: RUNS,
    threads,
    registry,
    onProgress: (p) => {
      if (mark === null && p.runs >= RUNS / 10) mark = { t: performance.now(), runs: p.runs, steps: p.steps };
    },
  });
  const t1 = performance.now();
  const secs = (t1 - t0) / 1000;
  const a = r.aggregates[0];
  const steadySecs = mark === null ? secs : (t1 - mark.t) / 1000;
  const steadySteps = mark === null ? a.steps : a.steps - mark.steps;
  rows.push({
    threads,
    secs,
    runs: a.runs,
    steps: a.steps,
    runsPerSec: a.runs / secs,
    stepsPerSec: a.steps / secs,
    batches: r.timing.batchesRun,
    steadyStepsPerSec: steadySteps / steadySecs,
  });
}
console.log(`x86-native, refcount, 4 CPUs, default, pct:3 — ${RUNS} runs (wall time includes pool start-up)`);
for (const x of rows) {
  console.log(
    `${x.threads} thread(s): ${x.secs.toFixed(2)} s, ${x.batches} batches, ${Math.round(x.runsPerSec)} runs/s (${Math.round(x.runsPerSec / x.threads)}/thread), ` +
      `${(x.stepsPerSec / 1e6).toFixed(2)}M steps/s (${(x.stepsPerSec / x.threads / 1e6).toFixed(2)}M/thread); ` +
      `steady state ${(x.steadyStepsPerSec / 1e6).toFixed(2)}M steps/s (${(x.steadyStepsPerSec / x.threads / 1e6).toFixed(2)}M/thread)`,
  );
}
console.log(
  `scaling 2 threads / 1 thread: ${(rows[1].runsPerSec / rows[0].runsPerSec).toFixed(2)}x wall, ${(rows[1].steadyStepsPerSec / rows[0].steadyStepsPerSec).toFixed(2)}x steady state`,
);
