#!/usr/bin/env node
// Single-thread benchmark of the core model: runs/s and model steps/s for the reference
// arch, 4 CPUs, default workload, random strategy (and PCT depth 3 for comparison).
// Usage: node scripts/bench.mjs [--seconds S] [--trials T] [--scheme refcount,shootdown,none] [--coverage [both]]
// Each row runs T trials of S seconds and prints the median and best trial (shared machines
// are noisy: the median is the figure to quote). Prints figures only; this is not a test.
// --coverage: with the coverage sink on (abstract-state fingerprints into a HyperLogLog);
// --coverage both: each row twice, off and on, trials interleaved (off, on, off, on, ...) so
// the machine's drift hits both alike, plus the on/off ratio of the medians.
import { createSimulator, hashString128, HLL_REGISTERS, hllEstimate, referenceArch, runSeed } from '../dist/index.js';

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const seconds = Number(arg('seconds', '2'));
const trials = Number(arg('trials', '5'));
const schemes = arg('scheme', 'refcount,shootdown,none').split(',');
const strategies = [{ kind: 'random' }, { kind: 'pct', depth: 3 }];
const ci = args.indexOf('--coverage');
const coverageModes = ci < 0 ? [false] : args[ci + 1] === 'both' ? [false, true] : [true];

console.log(`lazytlb core bench: node ${process.version}, reference arch, 4 CPUs, default workload, ${trials} trials x ${seconds}s per row, 1 thread`);
console.log('scheme     strategy  coverage  runs/s (median)  steps/s (median)  steps/s (best)  steps/run  non-ok  states');
for (const scheme of schemes) {
  for (const strategy of strategies) {
    const sim = createSimulator({ plugin: referenceArch, scheme, cpus: 4, workload: 'default', strategy });
    const cell = hashString128(sim.cellId);
    const sink = new Uint8Array(HLL_REGISTERS);
    // warm up the JIT (both paths when comparing)
    for (const cov of coverageModes) {
      sim.setCoverageSink(cov ? sink : null);
      for (let i = 0; i < 2000; i++) sim.run(runSeed(cell, i));
    }
    let runIndex = 0;
    const byMode = coverageModes.map(() => []);
    for (let trial = 0; trial < trials; trial++)
      for (const [m, cov] of coverageModes.entries()) {
        const results = byMode[m];
        sim.setCoverageSink(cov ? sink : null);
        let runs = 0;
        let steps = 0;
        let bad = 0;
        const t0 = process.hrtime.bigint();
        const deadline = t0 + BigInt(Math.round(seconds * 1e9));
        let now = t0;
        while (now < deadline) {
          for (let j = 0; j < 500; j++) {
            const r = sim.run(runSeed(cell, runIndex++));
            runs++;
            steps += r.steps;
            if (r.outcome !== 'ok') bad++;
          }
          now = process.hrtime.bigint();
        }
        const secs = Number(now - t0) / 1e9;
        results.push({ runsPerSec: runs / secs, stepsPerSec: steps / secs, stepsPerRun: steps / runs, bad });
      }
    const medians = [];
    for (const [m, cov] of coverageModes.entries()) {
      const results = byMode[m];
      results.sort((a, b) => a.stepsPerSec - b.stepsPerSec);
      const med = results[Math.floor(results.length / 2)];
      const best = results[results.length - 1];
      const bad = results.reduce((n, r) => n + r.bad, 0);
      const name = strategy.kind === 'random' ? 'random' : `pct:${strategy.depth}`;
      const states = cov ? String(Math.round(hllEstimate(sink))) : '-';
      medians.push(med.stepsPerSec);
      console.log(
        `${scheme.padEnd(10)} ${name.padEnd(9)} ${(cov ? 'on' : 'off').padEnd(8)} ${med.runsPerSec.toFixed(0).padStart(15)}  ${(med.stepsPerSec / 1e6).toFixed(2).padStart(12)} M/s  ${(best.stepsPerSec / 1e6).toFixed(2).padStart(10)} M/s  ${med.stepsPerRun.toFixed(1).padStart(9)}  ${String(bad).padStart(6)}  ${states}`,
      );
    }
    if (medians.length === 2) console.log(`${''.padEnd(20)} coverage on/off: ${(medians[1] / medians[0]).toFixed(3)} (median steps/s)`);
  }
}
