#!/usr/bin/env node
// Truth table of the arm64 plugin: (scheme × CPUs × strategy) cells, each `--runs N` seeds
// (default 2000) of a workload through core's Simulator. Per cell: violating runs by invariant,
// runs with a hazard (I3 under `none`), and runs per use site (I14 / the __mmdrop WARN).
// Usage: node scripts/truth-table.mjs [--runs N] [--workload NAME] [--options JSON]   (after a build; needs @lazytlb/explore,
//        an optional peer dependency)
import { CORE_VERSION, archFingerprint, formatScheme } from '@lazytlb/core';
import { runCell } from '@lazytlb/explore';
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

const SCHEMES = [{ scheme: 'refcount' }, { scheme: 'shootdown' }, { scheme: 'shootdown', schemeOptions: { mask: 'online' } }, { scheme: 'none' }];

console.log(
  `${plugin.name} truth table: lazytlb core ${CORE_VERSION} (arch fingerprint ${archFingerprint(plugin)}), ${plugin.name}@${plugin.version} ${JSON.stringify(archOptions)}, workload ${workload}, ${runs} runs per cell\n`,
);
const pad = (s, n) => String(s).padEnd(n);
console.log(
  `${pad('scheme', 23)}${pad('cpus', 5)}${pad('strategy', 9)}${pad('verdict', 10)}${pad('violations (runs)', 20)}${pad('hazard', 8)}${pad('use sites (runs)', 44)}shortest counterexample`,
);
const t0 = Date.now();
let cells = 0;
for (const { scheme, schemeOptions } of SCHEMES) {
  for (const cpus of [2, 4]) {
    for (const strategy of [{ kind: 'random' }, { kind: 'pct', depth: 3 }]) {
      // One cell, `runs` seeds: the engine's counts (violations and errors by kind, hazards, use sites, the shortest violation).
      const r = runCell({ plugin, archOptions, scheme, ...(schemeOptions ? { schemeOptions } : {}), cpus, workload, strategy }, { runs });
      cells++;
      const bad = Object.entries(r.notOk).sort((a, b) => b[1] - a[1]);
      const sites = Object.entries(r.useSites).sort((a, b) => b[1] - a[1]);
      const verdict = bad.length > 0 ? 'VIOLATES' : r.hazardRuns > 0 ? 'HAZARD' : 'SAFE';
      const s = r.shortest;
      console.log(
        `${pad(formatScheme(scheme, schemeOptions ?? {}), 23)}${pad(cpus, 5)}${pad(strategy.kind === 'pct' ? 'pct3' : 'random', 9)}${pad(verdict, 10)}` +
          `${pad(bad.map(([k, v]) => `${k}:${v}`).join(' ') || '-', 20)}${pad(r.hazardRuns || '-', 8)}` +
          `${pad(sites.map(([k, v]) => `${k}:${v}`).join(' ') || '-', 44)}` +
          (s ? `#${s.runIndex} ${s.steps} steps ${s.violation.invariant}: ${s.violation.message}` : ''),
      );
    }
  }
}
console.log(`\n${cells} cells in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
