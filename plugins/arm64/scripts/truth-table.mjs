#!/usr/bin/env node
// Truth table of the arm64 plugin: (scheme × CPUs × strategy) cells, each `--runs N` seeds
// (default 2000) of a workload through core's Simulator. Per cell: violating runs by invariant,
// runs with a hazard (I3 under `none`), and runs per use site (I14 / the __mmdrop WARN).
// Usage: node scripts/truth-table.mjs [--runs N] [--workload NAME] [--options JSON]   (after a build)
import { CORE_VERSION, archFingerprint, createSimulator, findingIds, formatScheme, hashString128, runSeed } from '@lazytlb/core';
import plugin from '../dist/index.js';

const argv = process.argv.slice(2);
const get = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const runs = Number(get('--runs', '2000'));
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`--runs: expected a positive integer, got ${get('--runs')}`);
  process.exit(2);
}
const workload = get('--workload', 'default');
const archOptions = JSON.parse(get('--options', '{}'));

/** Run `runs` seeds of one cell; count outcomes by violated invariant (or outcome kind), hazards and use sites. */
export function sweepCell({ scheme, schemeOptions, cpus, strategy }) {
  const sim = createSimulator({ plugin, archOptions, scheme, ...(schemeOptions ? { schemeOptions } : {}), cpus, workload, strategy });
  const cell = hashString128(sim.cellId);
  const bad = {};
  const sites = {};
  let hazards = 0;
  let shortest = null;
  for (let i = 0; i < runs; i++) {
    const r = sim.run(runSeed(cell, i));
    if (r.hazards !== 0) hazards++;
    for (const id of findingIds(r).useSites) sites[id] = (sites[id] ?? 0) + 1;
    if (r.outcome === 'ok') continue;
    const key = r.violation !== null ? r.violation.invariant : r.outcome;
    bad[key] = (bad[key] ?? 0) + 1;
    if (r.violation !== null && (shortest === null || r.steps < shortest.steps)) {
      shortest = { index: i, steps: r.steps, invariant: r.violation.invariant, message: r.violation.message };
    }
  }
  return { bad, hazards, sites, shortest };
}

const SCHEMES = [
  { scheme: 'refcount' },
  { scheme: 'shootdown' },
  { scheme: 'shootdown', schemeOptions: { mask: 'online' } },
  { scheme: 'none' },
];

console.log(`${plugin.name} truth table: lazytlb core ${CORE_VERSION} (arch fingerprint ${archFingerprint(plugin)}), ${plugin.name}@${plugin.version} ${JSON.stringify(archOptions)}, workload ${workload}, ${runs} runs per cell\n`);
const pad = (s, n) => String(s).padEnd(n);
console.log(`${pad('scheme', 23)}${pad('cpus', 5)}${pad('strategy', 9)}${pad('verdict', 10)}${pad('violations (runs)', 20)}${pad('hazard', 8)}${pad('use sites (runs)', 44)}shortest counterexample`);
const t0 = Date.now();
let cells = 0;
for (const { scheme, schemeOptions } of SCHEMES) {
  for (const cpus of [2, 4]) {
    for (const strategy of [{ kind: 'random' }, { kind: 'pct', depth: 3 }]) {
      const r = sweepCell({ scheme, schemeOptions, cpus, strategy });
      cells++;
      const bad = Object.entries(r.bad).sort((a, b) => b[1] - a[1]);
      const sites = Object.entries(r.sites).sort((a, b) => b[1] - a[1]);
      const verdict = bad.length > 0 ? 'VIOLATES' : r.hazards > 0 ? 'HAZARD' : 'SAFE';
      console.log(
        `${pad(formatScheme(scheme, schemeOptions ?? {}), 23)}${pad(cpus, 5)}${pad(strategy.kind === 'pct' ? 'pct3' : 'random', 9)}${pad(verdict, 10)}` +
          `${pad(bad.map(([k, v]) => `${k}:${v}`).join(' ') || '-', 20)}${pad(r.hazards || '-', 8)}` +
          `${pad(sites.map(([k, v]) => `${k}:${v}`).join(' ') || '-', 44)}` +
          (r.shortest ? `#${r.shortest.index} ${r.shortest.steps} steps ${r.shortest.invariant}: ${r.shortest.message}` : ''),
      );
    }
  }
}
console.log(`\n${cells} cells in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
