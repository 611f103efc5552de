#!/usr/bin/env node
// Exhaustive search speed, A/B, interleaved: the same searches with two builds (--a ROOT --b ROOT:
// a repository root each, its packages' dist built) or, on one build, with stateful search off
// (A) and on (B). Trials alternate A and B so that a noisy machine (±25% here) hits both alike;
// the medians are compared. The searches' counts must be equal between A and B (they are
// checked: a speed-up must not change what is found).
//
//   node scripts/bench-exhaustive.mjs [--trials 5] [--a ROOT] [--b ROOT] [--cases anchor3,ewl,anchor4]
//
// Cases: anchor3 / anchor3-shootdown (spin-compare's anchor workload, NCPU=3, ROUNDS=2, reference
// arch, unbounded, sleep sets), anchor4 (NCPU=4 refcount), ewl (canonical:exec-while-lazy, 2 CPUs,
// reference, unbounded), ewl-b2 (the same at preemption bound 2).
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { arg, root } from './lib/script-args.mjs';
import { anchorWorkload } from './lib/anchor-workload.mjs';

const TRIALS = Number(arg('trials', '5'));
const A = arg('a', null);
const B = arg('b', null);
const CASES = arg('cases', 'anchor3,anchor3-shootdown,ewl,ewl-b2').split(',');

const load = async (r) => ({
  core: await import(pathToFileURL(resolve(r, 'packages/core/dist/index.js')).href),
  explore: await import(pathToFileURL(resolve(r, 'packages/explore/dist/index.js')).href),
});
const builds = { A: await load(A ?? root), B: await load(B ?? root) };
// One build: A is re-execution, B stateful. Two builds: each as it defaults.
const modeOpts = { A: A === null && B === null ? { stateful: 'off' } : {}, B: {} };
const labels = A === null && B === null ? { A: 'stateful off', B: 'stateful on' } : { A, B };

const CASE = {
  anchor3: (core) => [new core.Simulator({ plugin: core.referenceArch, scheme: 'refcount', cpus: 3, workload: { explicit: anchorWorkload(3, 2) } }), {}],
  'anchor3-shootdown': (core) => [
    new core.Simulator({ plugin: core.referenceArch, scheme: 'shootdown', cpus: 3, workload: { explicit: anchorWorkload(3, 2) } }),
    {},
  ],
  anchor4: (core) => [new core.Simulator({ plugin: core.referenceArch, scheme: 'refcount', cpus: 4, workload: { explicit: anchorWorkload(4, 2) } }), {}],
  ewl: (core) => [new core.Simulator({ plugin: core.referenceArch, scheme: 'refcount', cpus: 2, workload: 'canonical:exec-while-lazy' }), {}],
  'ewl-b2': (core) => [
    new core.Simulator({ plugin: core.referenceArch, scheme: 'refcount', cpus: 2, workload: 'canonical:exec-while-lazy' }),
    { preemptionBound: 2 },
  ],
};

function once(side, name) {
  const { core, explore } = builds[side];
  const [sim, opts] = CASE[name](core);
  const seed = core.runSeed(core.hashString128('bench-exhaustive'), 0);
  const t0 = performance.now();
  const r = explore.exhaustiveSearch(sim, { seed, maxExecutions: 10_000_000, ...opts, ...modeOpts[side] });
  const ms = performance.now() - t0;
  const counts = [
    r.verdict,
    r.executions,
    r.steps,
    r.nodes,
    r.stateHashing.distinctStates,
    r.stateHashing.prunedExecutions,
    r.partialOrder.slept,
    r.prunedByBound,
  ];
  return { ms, counts: counts.join(' ') };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

console.log(`A: ${labels.A}; B: ${labels.B}; ${TRIALS} trials each, interleaved (A B, B A, ...)`);
console.log('| case | counts (verdict executions steps nodes states pruned slept prunedByBound) | A median | B median | A/B |');
console.log('|---|---|---|---|---|');
for (const name of CASES) {
  const t = { A: [], B: [] };
  let counts = null;
  for (let i = 0; i < TRIALS; i++) {
    for (const side of i % 2 === 0 ? ['A', 'B'] : ['B', 'A']) {
      const r = once(side, name);
      t[side].push(r.ms);
      if (counts === null) counts = r.counts;
      else if (r.counts !== counts) throw new Error(`${name}: ${side} found ${r.counts}, the other ${counts}`);
    }
  }
  const a = median(t.A);
  const b = median(t.B);
  console.log(`| ${name} | ${counts} | ${(a / 1000).toFixed(2)} s | ${(b / 1000).toFixed(2)} s | ${(a / b).toFixed(2)}× |`);
}
