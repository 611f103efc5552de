#!/usr/bin/env node
// Core-only demo sweep (until the `lazytlb` CLI of apps/sweep exists): the reference arch,
// 2 and 4 CPUs, default workload, each scheme under random and PCT(3) exploration. Prints a
// verdict table, the costs per scheme, and the shortest counterexample found, LKML style.
// Usage: node scripts/demo.mjs [--runs N]   (default 20000 runs per cell)
import { mkdirSync, writeFileSync } from 'node:fs';
import {
  createSimulator,
  formatTraceColumns,
  hashString128,
  makeArtifact,
  CORE_VERSION,
  coreFingerprint,
  referenceArch,
  replayArtifact,
  runSeed,
  strategyToString,
  costsToObject,
} from '../dist/index.js';

const args = process.argv.slice(2);
const runsIdx = args.indexOf('--runs');
const RUNS = runsIdx >= 0 ? Number(args[runsIdx + 1]) : 20000;
if (!Number.isInteger(RUNS) || RUNS < 1) {
  console.error(`--runs: expected a positive integer, got ${args[runsIdx + 1]}`);
  process.exit(2);
}

console.log(`lazytlb ${CORE_VERSION} (core fingerprint ${coreFingerprint()}) core demo: reference arch, default workload, ${RUNS} runs per cell\n`);
const rows = [];
let shortest = null;
const t0 = Date.now();
for (const cpus of [2, 4]) {
  for (const scheme of ['refcount', 'shootdown', 'none']) {
    for (const strategy of [{ kind: 'random' }, { kind: 'pct', depth: 3 }]) {
      const sim = createSimulator({ plugin: referenceArch, scheme, cpus, workload: 'default', strategy });
      const cell = hashString128(sim.cellId);
      const byInv = {};
      const costs = new Float64Array(sim.costs.length);
      let steps = 0;
      let bad = 0;
      let estSteps = 0;
      for (let i = 0; i < RUNS; i++) {
        const seed = runSeed(cell, i);
        const r = sim.run(seed);
        steps += r.steps;
        estSteps += sim.estimatedSteps;
        const c = sim.costs;
        for (let j = 0; j < c.length; j++) costs[j] += c[j];
        if (r.outcome === 'ok') continue;
        bad++;
        const key = r.violation ? r.violation.invariant : r.outcome;
        byInv[key] = (byInv[key] ?? 0) + 1;
        if (r.violation && (shortest === null || r.steps < shortest.r.steps)) shortest = { sim, seed, r, i };
      }
      const costsObj = costsToObject(costs);
      const cs = costsObj.cs_user_user + costsObj.cs_user_kernel + costsObj.cs_kernel_kernel + costsObj.cs_kernel_user;
      // PCT: a depth-d bug is found by one run with probability >= 1/(n k^(d-1)); after N clean runs the
      // chance of having missed it is at most (1 - p)^N.
      const n = sim.actorCount;
      const k = estSteps / RUNS;
      const miss = (d) => Math.exp(RUNS * Math.log1p(-1 / (n * k ** (d - 1))));
      rows.push({
        cpus,
        scheme,
        strategy: strategyToString(strategy),
        runs: RUNS,
        steps,
        verdict: bad === 0 ? 'SAFE' : 'VIOLATES',
        violations:
          Object.entries(byInv)
            .map(([k2, v]) => `${k2}:${v}`)
            .join(' ') || '-',
        risk: bad === 0 && strategy.kind === 'pct' ? `d1 ${miss(1).toExponential(1)} d2 ${miss(2).toExponential(1)} d3 ${miss(3).toExponential(1)}` : '',
        atomicsPerCs: costsObj.mm_count_atomics / cs,
        transfersPerCs: costsObj.mm_count_line_transfers / cs,
        ipisPerExit: (costsObj.ipi_sent_flush + costsObj.ipi_sent_shootdown + costsObj.ipi_sent_arch) / Math.max(1, costsObj.mm_exits),
        shootPerExit: costsObj.ipi_sent_shootdown / Math.max(1, costsObj.mm_exits),
        pinned: costsObj.lazy_pinned_mm_steps / steps,
      });
    }
  }
}
const secs = (Date.now() - t0) / 1000;
const pad = (s, n) => String(s).padEnd(n);
console.log(
  `${pad('cpus', 5)}${pad('scheme', 10)}${pad('strategy', 9)}${pad('verdict', 9)}${pad('violations (runs)', 20)}${pad('atomics/cs', 11)}${pad('xfers/cs', 9)}${pad('IPIs/exit', 10)}${pad('shoot/exit', 11)}${pad('pinned mm/step', 15)}PCT miss bound (safe cells)`,
);
for (const r of rows) {
  console.log(
    `${pad(r.cpus, 5)}${pad(r.scheme, 10)}${pad(r.strategy, 9)}${pad(r.verdict, 9)}${pad(r.violations, 20)}${pad(r.atomicsPerCs.toFixed(3), 11)}${pad(r.transfersPerCs.toFixed(3), 9)}${pad(r.ipisPerExit.toFixed(2), 10)}${pad(r.shootPerExit.toFixed(2), 11)}${pad(r.pinned.toFixed(3), 15)}${r.risk}`,
  );
}
const totalSteps = rows.reduce((a, r) => a + r.steps, 0);
console.log(
  `\n${rows.length * RUNS} runs, ${(totalSteps / 1e6).toFixed(1)}M steps in ${secs.toFixed(1)}s (${(totalSteps / secs / 1e6).toFixed(2)}M steps/s, 1 thread)`,
);

if (shortest !== null) {
  const { sim, seed, r, i } = shortest;
  const artifact = makeArtifact(sim, seed, r, i);
  const replay = replayArtifact(artifact, referenceArch, { trace: true });
  mkdirSync('.lazytlb', { recursive: true });
  const file = '.lazytlb/demo-shortest-failure.json';
  writeFileSync(file, `${JSON.stringify(artifact, null, 2)}\n`);
  console.log(
    `\nShortest counterexample: ${sim.cell.scheme}, ${sim.cell.cpus} CPUs, ${strategyToString(sim.cell.strategy)}, run ${i}, ${r.steps} steps, ` +
      `${r.violation.invariant} (${artifact.outcome.invariantName}); replay ${replay.reproduced ? 'reproduces it exactly' : 'DID NOT reproduce it'}; artifact: packages/core/${file}\n`,
  );
  console.log(formatTraceColumns(replay.result.trace, { ncpu: sim.cell.cpus, width: 46 }));
}
