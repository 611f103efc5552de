#!/usr/bin/env node
// Does swarm testing (workload param `swarm`, Groce et al. ISSTA 2012) find violations sooner?
// For each cell, runs the same N seeds without swarm and with each swarm value, and reports the
// run index of the first violation ("kill"), the violations per 100 000 runs, runs / model steps /
// seconds per kill (N / kills: the geometric estimate of the mean runs to a kill, far less noisy
// than the first index alone) and the with/without rate ratio with a 95% interval. Swarm runs
// are shorter (dropped features), so compare cost per kill in model steps too: steps/kill is
// machine-independent, s/kill and runs/s are wall-clock figures of a possibly shared machine.
//
// Cells: x86-native and KVM (x86-paravirt backend kvm) shootdown at 2 CPUs (I7), x86-native and
// powerpc radix `none` at 2 CPUs counting only I1 (the rarer of its two violations), and every
// cell of every mutation in the catalogue (CORE_MUTATIONS and each plugin's `mutations`), run
// with that mutation enabled: any violation is a kill (its `breaks` invariant is shown too).
//
// Usage (after building core and the plugins: `npx -y pnpm@10.34.8 build`):
//   node packages/core/scripts/swarm-measure.mjs [--runs N] [--swarm 0.5[,0.75...]] [--strategy pct:3|random]
//        [--cells SUBSTRING[,SUBSTRING...]] [--json FILE]
// Defaults: 100 000 runs per arm, swarm 0.5, PCT(3) (the sweep's default strategy), every cell.
// One thread; a pure function of (model, cell, seed), so the figures are exactly reproducible.
import { writeFileSync } from 'node:fs';
import { CORE_MUTATIONS, CORE_VERSION, coreFingerprint, createSimulator, hashString128, parseStrategy, referenceArch, runSeed } from '../dist/index.js';

const pluginUrl = (dir) => new URL(`../../../plugins/${dir}/dist/index.js`, import.meta.url);
const PLUGINS = {
  reference: referenceArch,
  'x86-native': (await import(pluginUrl('x86-native'))).default,
  'x86-paravirt': (await import(pluginUrl('x86-paravirt'))).default,
  powerpc: (await import(pluginUrl('powerpc'))).default,
};

const argv = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const runs = Number(arg('runs', '100000'));
const swarms = arg('swarm', '0.5').split(',').map(Number);
const strategy = parseStrategy(arg('strategy', 'pct:3'));
const only = arg('cells', '') === '' ? [] : arg('cells').split(',');
const jsonOut = arg('json', '');
if (!Number.isInteger(runs) || runs < 1 || swarms.some((p) => !(p >= 0 && p <= 1))) {
  console.error('usage: swarm-measure.mjs [--runs N] [--swarm p[,p...]] [--strategy pct:3|random] [--cells s[,s...]] [--json FILE]');
  process.exit(2);
}

/** name, plugin, options, scheme, cpus, workload profile, mutations, target (null = any violation). */
const cells = [
  { name: 'x86-native shootdown 2cpu', arch: 'x86-native', options: {}, scheme: 'shootdown', cpus: 2, profile: 'default', mutations: [], target: null },
  {
    name: 'kvm shootdown 2cpu',
    arch: 'x86-paravirt',
    options: { backend: 'kvm' },
    scheme: 'shootdown',
    cpus: 2,
    profile: 'default',
    mutations: [],
    target: null,
  },
  { name: 'x86-native none 2cpu [I1 only]', arch: 'x86-native', options: {}, scheme: 'none', cpus: 2, profile: 'default', mutations: [], target: 'I1' },
  {
    name: 'powerpc-radix none 2cpu [I1 only]',
    arch: 'powerpc',
    options: { mmu: 'radix' },
    scheme: 'none',
    cpus: 2,
    profile: 'default',
    mutations: [],
    target: 'I1',
  },
];
const mutationDocs = [...CORE_MUTATIONS, ...Object.values(PLUGINS).flatMap((p) => p.mutations ?? [])];
for (const m of mutationDocs) {
  for (const c of m.cells) {
    const cpus = c.cpus ?? 4;
    const profile = c.workload ?? 'default';
    const opts = c.options !== undefined && Object.keys(c.options).length > 0 ? ` ${JSON.stringify(c.options)}` : '';
    cells.push({
      name: `mutation ${m.id}: ${c.arch}${opts} ${c.scheme} ${cpus}cpu ${profile} (breaks ${m.breaks})`,
      arch: c.arch,
      options: c.options ?? {},
      scheme: c.scheme,
      cpus,
      profile,
      mutations: [m.id],
      target: null,
      breaks: m.breaks,
    });
  }
}
const selected = cells.filter((c) => only.length === 0 || only.some((s) => c.name.includes(s)));

function measure(cell, swarm) {
  const plugin = PLUGINS[cell.arch];
  if (plugin === undefined) throw new Error(`no plugin ${cell.arch} in this repository`);
  const workload = swarm === null ? { profile: cell.profile } : { profile: cell.profile, params: { swarm } };
  const sim = createSimulator({
    plugin,
    archOptions: cell.options,
    scheme: cell.scheme,
    cpus: cell.cpus,
    workload,
    strategy,
    ...(cell.mutations.length > 0 ? { mutations: cell.mutations } : {}),
  });
  const id = hashString128(sim.cellId);
  let kills = 0;
  let first = -1;
  let steps = 0;
  const byInv = {};
  // Warm the JIT up on seeds past the measured ones (not counted), so runs/s compares arms fairly.
  for (let i = 0; i < Math.min(2000, runs); i++) sim.run(runSeed(id, runs + i));
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) {
    const r = sim.run(runSeed(id, i));
    steps += r.steps;
    if (r.outcome === 'ok') continue;
    const key = r.violation !== null ? r.violation.invariant : r.outcome;
    byInv[key] = (byInv[key] ?? 0) + 1;
    if (cell.target !== null && key !== cell.target) continue;
    kills++;
    if (first < 0) first = i + 1;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { swarm, kills, first, steps, seconds, byInv };
}

const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '-');
const pad = (s, n) => String(s).padStart(n);
const rateRatio = (a, b) => {
  // with/without violation rate (same N), 95% interval from the log rate ratio's normal approximation
  if (a.kills === 0 || b.kills === 0) return a.kills === b.kills ? '-' : a.kills === 0 ? '0' : 'inf';
  const rr = a.kills / b.kills;
  const se = Math.sqrt(1 / a.kills + 1 / b.kills);
  return `${fmt(rr, 2)} [${fmt(rr * Math.exp(-1.96 * se), 2)}, ${fmt(rr * Math.exp(1.96 * se), 2)}]`;
};

console.log(
  `swarm-measure: lazytlb core ${CORE_VERSION} (core fingerprint ${coreFingerprint()}), node ${process.version}, ${runs.toLocaleString('en-US')} runs per arm, ` +
    `strategy ${arg('strategy', 'pct:3')}, swarm ${swarms.join(', ')} vs off, ${selected.length} cells, 1 thread\n`,
);
const results = [];
for (const cell of selected) {
  console.log(cell.name + (cell.target !== null ? ` — kills = runs ending in ${cell.target}` : ''));
  console.log(
    `  ${'arm'.padEnd(9)}${pad('first kill', 11)}${pad('kills', 8)}${pad('per 100k', 10)}${pad('runs/kill', 11)}${pad('steps/run', 10)}${pad('steps/kill', 12)}${pad('s/kill', 9)}${pad('runs/s', 8)}  ${'rate ratio vs off [95%]'.padEnd(24)} outcomes`,
  );
  const arms = [];
  for (const swarm of [null, ...swarms]) {
    let r;
    try {
      r = measure(cell, swarm);
    } catch (e) {
      console.log(`  ${(swarm === null ? 'off' : `swarm ${swarm}`).padEnd(9)} skipped: ${e.message}`);
      continue;
    }
    arms.push(r);
    const per = (x) => (r.kills > 0 ? x / r.kills : Infinity);
    const outcomes =
      Object.entries(r.byInv)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k}:${v}`)
        .join(' ') || '-';
    console.log(
      `  ${(swarm === null ? 'off' : `swarm ${swarm}`).padEnd(9)}${pad(r.first > 0 ? fmt(r.first) : 'none', 11)}${pad(fmt(r.kills), 8)}` +
        `${pad(fmt((r.kills / runs) * 1e5, 1), 10)}${pad(fmt(per(runs), 1), 11)}${pad(fmt(r.steps / runs, 1), 10)}${pad(fmt(per(r.steps)), 12)}` +
        `${pad(fmt(per(r.seconds), 4), 9)}${pad(fmt(runs / r.seconds), 8)}  ${(swarm === null ? '' : rateRatio(r, arms[0])).padEnd(24)} ${outcomes}`,
    );
  }
  results.push({ cell, arms });
  console.log('');
}
if (jsonOut !== '') {
  writeFileSync(
    jsonOut,
    JSON.stringify({ coreVersion: CORE_VERSION, coreFingerprint: coreFingerprint(), runs, strategy: arg('strategy', 'pct:3'), swarms, results }, null, 2),
  );
  console.log(`wrote ${jsonOut}`);
}
