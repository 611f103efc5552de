#!/usr/bin/env node
// A/B benchmark of two builds of @lazytlb/core in one process, trials interleaved (old, new,
// old, new, ...) so that the machine's drift hits both alike. Not a test: prints figures.
// Usage: node scripts/ab-bench.mjs OLD_CORE_DIST_INDEX [--seconds S] [--trials T] [--scheme a,b] [--new-params JSON]
//   OLD_CORE_DIST_INDEX: path to the other build's dist/index.js (e.g. a worktree of the previous commit).
//   --new-params: workload parameter overrides for this build only (e.g. to switch off features the old build lacks).
import { pathToFileURL } from 'node:url';
import * as NEW from '../dist/index.js';

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const OLD = await import(pathToFileURL(args[0]).href);
const seconds = Number(arg('seconds', '2'));
const trials = Number(arg('trials', '5'));
const schemes = arg('scheme', 'refcount,none').split(',');
const newParams = JSON.parse(arg('new-params', '{}'));

function trial(core, sim, cell, start) {
  let runs = 0,
    steps = 0,
    i = start;
  const t0 = process.hrtime.bigint();
  const deadline = t0 + BigInt(Math.round(seconds * 1e9));
  let now = t0;
  while (now < deadline) {
    for (let j = 0; j < 200; j++) {
      steps += sim.run(core.runSeed(cell, i++)).steps;
      runs++;
    }
    now = process.hrtime.bigint();
  }
  const secs = Number(now - t0) / 1e9;
  return { runsPerSec: runs / secs, stepsPerSec: steps / secs, stepsPerRun: steps / runs, next: i };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `A/B core bench: node ${process.version}, reference arch, 4 CPUs, ${trials} interleaved trials x ${seconds}s, new params ${JSON.stringify(newParams)}`,
);
console.log('scheme     strategy  build  runs/s (median)  steps/s (median)  steps/s (best)  steps/run');
for (const scheme of schemes) {
  for (const strategy of [{ kind: 'random' }, { kind: 'pct', depth: 3 }]) {
    const sims = [
      ['old', OLD, OLD.createSimulator({ plugin: OLD.referenceArch, scheme, cpus: 4, workload: 'default', strategy })],
      ['new', NEW, NEW.createSimulator({ plugin: NEW.referenceArch, scheme, cpus: 4, workload: { profile: 'default', params: newParams }, strategy })],
    ];
    const res = sims.map(([name, core, sim]) => {
      const cell = core.hashString128(sim.cellId);
      for (let i = 0; i < 2000; i++) sim.run(core.runSeed(cell, i)); // warm up
      return { name, core, sim, cell, rows: [], next: 0 };
    });
    for (let t = 0; t < trials; t++)
      for (const r of res) {
        const x = trial(r.core, r.sim, r.cell, r.next);
        r.next = x.next;
        r.rows.push(x);
      }
    for (const r of res) {
      const sps = r.rows.map((x) => x.stepsPerSec);
      console.log(
        `${scheme.padEnd(10)} ${(strategy.kind === 'pct' ? 'pct:3' : 'random').padEnd(9)} ${r.name.padEnd(6)} ${Math.round(
          median(r.rows.map((x) => x.runsPerSec)),
        )
          .toString()
          .padStart(15)}  ${(median(sps) / 1e6).toFixed(2).padStart(14)} M  ${(Math.max(...sps) / 1e6).toFixed(2).padStart(12)} M  ${median(
          r.rows.map((x) => x.stepsPerRun),
        )
          .toFixed(1)
          .padStart(9)}`,
      );
    }
  }
}
