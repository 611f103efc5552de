#!/usr/bin/env node
// Run for run identity of two builds: `--old DIR` and `--new DIR` are checkouts of the repo
// with core and the arch plugins built. For every cell of a fixed corpus (every bundled arch
// and its main options, every built-in scheme and shootdown:mask=online, 2 and 4 CPUs, sc and
// tso where offered, hotplug, preempt=rt, PCT, mutations) it runs the same seeds in both and
// compares everything a run reports: outcome, step count, violation (invariant, CPU, step,
// message), hazards and use sites, every cost counter the old build has, the decision list,
// and, for the first runs of each cell, the whole trace.
//
//   node packages/core/scripts/ab-identity.mjs --old /work/prev [--new <this checkout>] [--runs 300] [--traced 20]
//
// Exit 0 when identical, 1 with the first differences otherwise.
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? def : process.argv[i + 1];
}
const OLD = resolve(arg('old', '/work/prev'));
const NEW = resolve(arg('new', resolve(dirname(fileURLToPath(import.meta.url)), '../../..')));
const RUNS = Number(arg('runs', '300'));
const TRACED = Number(arg('traced', '20'));

async function load(root) {
  const imp = (p) => import(pathToFileURL(resolve(root, p)).href);
  const core = await imp('packages/core/dist/index.js');
  const arches = {};
  for (const [name, dir] of [
    ['x86-native', 'x86-native'],
    ['x86-paravirt', 'x86-paravirt'],
    ['powerpc', 'powerpc'],
    ['arm64', 'arm64'],
  ]) {
    arches[name] = (await imp(`plugins/${dir}/dist/index.js`)).default;
  }
  arches.reference = core.referenceArch;
  return { core, arches };
}

const ARCHES = [
  ['reference', {}],
  ['x86-native', { release: 'v6.13' }],
  ['x86-native', { release: 'v6.18' }],
  ['x86-native', { invlpgb: true }],
  ['x86-paravirt', { backend: 'kvm' }],
  ['x86-paravirt', { backend: 'hyperv' }],
  ['x86-paravirt', { backend: 'xen' }],
  ['powerpc', { mmu: 'radix' }],
  ['powerpc', { mmu: 'hash' }],
  ['arm64', {}],
];
const SCHEMES = [['refcount'], ['shootdown'], ['shootdown', { mask: 'online' }], ['none']];

function corpus() {
  const cells = [];
  for (const [arch, options] of ARCHES) {
    for (const [scheme, schemeOptions] of SCHEMES) {
      for (const cpus of [2, 4]) {
        cells.push({ arch, options, scheme, schemeOptions, cpus, workload: 'default', strategy: { kind: 'pct', depth: 3 } });
      }
      cells.push({ arch, options, scheme, schemeOptions, cpus: 3, workload: 'hotplug', strategy: { kind: 'random' } });
      cells.push({ arch, options, scheme, schemeOptions, cpus: 2, workload: 'kthread-heavy', preempt: 'rt', strategy: { kind: 'random' } });
    }
  }
  for (const [scheme] of SCHEMES) {
    cells.push({ arch: 'x86-native', options: { release: 'v6.14' }, scheme, cpus: 2, memory: 'tso', workload: 'default', strategy: { kind: 'pct', depth: 3 } });
    cells.push({ arch: 'x86-native', options: { release: 'v6.18' }, scheme, cpus: 4, memory: 'tso', workload: 'pingpong', strategy: { kind: 'random' } });
  }
  cells.push({
    arch: 'powerpc',
    options: { mmu: 'radix' },
    scheme: 'refcount',
    cpus: 4,
    workload: 'kthread-heavy',
    mutations: ['radix-exit-lazy-flush-irqs-on'],
    strategy: { kind: 'random' },
  });
  cells.push({ arch: 'x86-native', scheme: 'refcount', cpus: 2, workload: 'hotplug', mutations: ['hotplug-no-force-init-mm'], strategy: { kind: 'random' } });
  return cells;
}

function simOf(lib, cell) {
  return lib.core.createSimulator({
    plugin: lib.arches[cell.arch],
    archOptions: cell.options,
    scheme: cell.scheme,
    ...(cell.schemeOptions !== undefined ? { schemeOptions: cell.schemeOptions } : {}),
    ...(cell.preempt !== undefined ? { preempt: cell.preempt } : {}),
    ...(cell.memory !== undefined ? { memory: cell.memory } : {}),
    ...(cell.mutations !== undefined ? { mutations: cell.mutations } : {}),
    cpus: cell.cpus,
    workload: cell.workload,
    strategy: cell.strategy,
  });
}

function summary(r, costNames) {
  return JSON.stringify({
    outcome: r.outcome,
    steps: r.steps,
    violation: r.violation,
    hazards: r.hazards,
    useSites: r.useSites,
    siteIds: r.siteIds,
    pluginError: r.pluginError,
    decisions: r.decisions === null ? null : Array.from(r.decisions).join(','),
    costs: costNames,
  });
}

const oldLib = await load(OLD);
const newLib = await load(NEW);
const oldCostCount = oldLib.core.COST_NAMES.length;
let runs = 0;
let cellsRun = 0;
let traces = 0;
const diffs = [];
const t0 = Date.now();
for (const cell of corpus()) {
  let a, b;
  try {
    a = simOf(oldLib, cell);
  } catch (e) {
    // A cell the old build cannot make (e.g. an option it lacks) must fail the same way in the new one.
    let same = false;
    try {
      simOf(newLib, cell);
    } catch (e2) {
      same = e2.message === e.message;
    }
    if (!same) diffs.push(`${JSON.stringify(cell)}: old refuses (${e.message}), new does not or differently`);
    continue;
  }
  b = simOf(newLib, cell);
  if (a.cellId !== b.cellId) diffs.push(`${JSON.stringify(cell)}: cell ids differ\n  old ${a.cellId}\n  new ${b.cellId}`);
  cellsRun++;
  for (let i = 0; i < RUNS; i++) {
    const seedA = oldLib.core.runSeed(oldLib.core.hashString128(a.cellId), i);
    const seedB = newLib.core.runSeed(newLib.core.hashString128(b.cellId), i);
    const trace = i < TRACED;
    const ra = a.run(seedA, { keepDecisions: true, trace });
    const ca = Array.from(a.k.cost.subarray(0, oldCostCount)).join(',');
    const rb = b.run(seedB, { keepDecisions: true, trace });
    const cb = Array.from(b.k.cost.subarray(0, oldCostCount)).join(',');
    runs++;
    const sa = summary(ra, ca),
      sb = summary(rb, cb);
    if (sa !== sb) {
      diffs.push(`${JSON.stringify(cell)} run ${i}:\n  old ${sa.slice(0, 400)}\n  new ${sb.slice(0, 400)}`);
    } else if (trace) {
      traces++;
      const ta = JSON.stringify(ra.trace),
        tb = JSON.stringify(rb.trace);
      if (ta !== tb) {
        let j = 0;
        while (j < ta.length && ta[j] === tb[j]) j++;
        diffs.push(
          `${JSON.stringify(cell)} run ${i}: traces differ at char ${j}:\n  old …${ta.slice(Math.max(0, j - 200), j + 200)}\n  new …${tb.slice(Math.max(0, j - 200), j + 200)}`,
        );
      }
    }
    if (diffs.length >= 10) break;
  }
  if (diffs.length >= 10) break;
}
const s = ((Date.now() - t0) / 1000).toFixed(1);
if (diffs.length > 0) {
  console.log(`DIFFERENT after ${runs} runs in ${cellsRun} cells (${s} s):\n${diffs.join('\n')}`);
  process.exit(1);
}
console.log(
  `identical: ${cellsRun} cells, ${runs} runs (outcome, steps, violation, hazards, use sites, ${oldCostCount} cost counters, decisions), ${traces} traces (${s} s)`,
);
