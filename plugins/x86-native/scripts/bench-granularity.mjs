#!/usr/bin/env node
// Speed of the x86 model at memory-access granularity: interleaved trials (old, new sc, new tso,
// old, ...) of one cell, x86-native refcount, default workload, 4 CPUs, random explorer, so the
// machine's drift hits all alike. Not a test: prints figures.
// Usage: node scripts/bench-granularity.mjs [OLD_X86_DIST_INDEX] [--seconds S] [--trials T] [--release v6.18]
//   OLD_X86_DIST_INDEX: the previous build's plugins/x86-native/dist/index.js (its own @lazytlb/core
//   resolves from there), e.g. a git worktree of the commit before the change.
import { pathToFileURL } from 'node:url';
import * as NEWCORE from '@lazytlb/core';
import NEW from '../dist/index.js';

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const oldPath = args[0] !== undefined && !args[0].startsWith('--') ? args[0] : null;
const seconds = Number(arg('seconds', '2'));
const trials = Number(arg('trials', '5'));
const release = arg('release', 'v6.18');

async function oldBuild() {
  if (oldPath === null) return null;
  const plugin = (await import(pathToFileURL(oldPath).href)).default;
  const corePath = new URL('../node_modules/@lazytlb/core/dist/index.js', pathToFileURL(oldPath)).href;
  return { core: await import(corePath), plugin };
}

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
  return { runsPerSec: runs / secs, stepsPerRun: steps / runs, next: i };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const old = await oldBuild();
const variants = [];
if (old !== null)
  variants.push([
    'old (one-step switch/flush, sc)',
    old.core,
    old.core.createSimulator({ plugin: old.plugin, scheme: 'refcount', cpus: 4, workload: 'default' }),
  ]);
variants.push([
  `new ${release} sc`,
  NEWCORE,
  NEWCORE.createSimulator({ plugin: NEW, archOptions: { release }, scheme: 'refcount', cpus: 4, workload: 'default' }),
]);
variants.push([
  `new ${release} tso`,
  NEWCORE,
  NEWCORE.createSimulator({ plugin: NEW, archOptions: { release }, scheme: 'refcount', cpus: 4, memory: 'tso', workload: 'default' }),
]);
console.log(
  `x86 granularity bench: node ${process.version}, x86-native refcount, 4 CPUs, default workload, random, ${trials} interleaved trials x ${seconds}s`,
);
const state = variants.map(([name, core, sim]) => ({ name, core, sim, cell: core.hashString128(sim.cellId), next: 0, rps: [], spr: [] }));
for (let t = 0; t < trials; t++) {
  for (const v of state) {
    const r = trial(v.core, v.sim, v.cell, v.next);
    v.next = r.next;
    v.rps.push(r.runsPerSec);
    v.spr.push(r.stepsPerRun);
  }
}
const base = median(state.find((v) => v.name.startsWith('new') && v.name.endsWith('sc')).rps);
for (const v of state) {
  console.log(
    `${v.name.padEnd(34)} runs/s ${String(Math.round(median(v.rps))).padStart(7)}  steps/run ${median(v.spr).toFixed(1).padStart(6)}  x new-sc ${(median(v.rps) / base).toFixed(2)}`,
  );
}
