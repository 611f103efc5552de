#!/usr/bin/env node
// Single-thread benchmark of the core model: runs/s and model steps/s for the reference
// arch, 4 CPUs, default workload, random strategy (and PCT depth 3 for comparison).
// Usage: node scripts/bench.mjs [--seconds S] [--scheme refcount|shootdown|none]
// Prints figures only; this is not a test.
import { createSimulator, hashString128, referenceArch, runSeed } from '../dist/index.js';

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const seconds = Number(arg('seconds', '5'));
const schemes = arg('scheme', 'refcount,shootdown,none').split(',');
const strategies = [{ kind: 'random' }, { kind: 'pct', depth: 3 }];

console.log(`lazytlb core bench: node ${process.version}, reference arch, 4 CPUs, default workload, ${seconds}s per row, 1 thread`);
console.log('scheme     strategy  runs/s      steps/s      steps/run  non-ok');
for (const scheme of schemes) {
  for (const strategy of strategies) {
    const sim = createSimulator({ plugin: referenceArch, scheme, cpus: 4, workload: 'default', strategy });
    const cell = hashString128(sim.cellId);
    // warm up the JIT
    for (let i = 0; i < 2000; i++) sim.run(runSeed(cell, i));
    let runs = 0;
    let steps = 0;
    let bad = 0;
    const t0 = process.hrtime.bigint();
    const deadline = t0 + BigInt(Math.round(seconds * 1e9));
    let now = t0;
    while (now < deadline) {
      for (let j = 0; j < 500; j++) {
        const r = sim.run(runSeed(cell, runs++));
        steps += r.steps;
        if (r.outcome !== 'ok') bad++;
      }
      now = process.hrtime.bigint();
    }
    const secs = Number(now - t0) / 1e9;
    const name = strategy.kind === 'random' ? 'random' : `pct:${strategy.depth}`;
    console.log(
      `${scheme.padEnd(10)} ${name.padEnd(9)} ${(runs / secs).toFixed(0).padStart(9)}  ${(steps / secs / 1e6).toFixed(2).padStart(7)} M/s  ${(steps / runs).toFixed(1).padStart(9)}  ${bad}`,
    );
  }
}
