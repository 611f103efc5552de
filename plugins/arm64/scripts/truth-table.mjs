#!/usr/bin/env node
// Truth table of the arm64 plugin: (scheme × CPUs × strategy) cells, each `--runs N` seeds
// (default 2000) of a workload through core's Simulator, outcomes counted by invariant.
// Usage: node scripts/truth-table.mjs [--runs N] [--workload NAME] [--options JSON]   (after a build)
import { CORE_VERSION, MODEL_HASH, createSimulator, hashString128, runSeed } from '@lazytlb/core';
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

/** Run `runs` seeds of one cell; count outcomes by violated invariant (or outcome kind). */
export function sweepCell({ scheme, cpus, strategy }) {
  const sim = createSimulator({ plugin, archOptions, scheme, cpus, workload, strategy });
  const cell = hashString128(sim.cellId);
  const bad = {};
  let shortest = null;
  for (let i = 0; i < runs; i++) {
    const r = sim.run(runSeed(cell, i));
    if (r.outcome === 'ok') continue;
    const key = r.violation !== null ? r.violation.invariant : r.outcome;
    bad[key] = (bad[key] ?? 0) + 1;
    if (r.violation !== null && (shortest === null || r.steps < shortest.steps)) {
      shortest = { index: i, steps: r.steps, invariant: r.violation.invariant, message: r.violation.message };
    }
  }
  return { bad, shortest };
}

console.log(`${plugin.name} truth table: lazytlb core ${CORE_VERSION} (model ${MODEL_HASH}), ${plugin.name}@${plugin.version} ${JSON.stringify(archOptions)}, workload ${workload}, ${runs} runs per cell\n`);
const pad = (s, n) => String(s).padEnd(n);
console.log(`${pad('scheme', 10)}${pad('cpus', 5)}${pad('strategy', 9)}${pad('verdict', 9)}${pad('outcomes (runs)', 28)}shortest counterexample`);
const t0 = Date.now();
for (const scheme of ['refcount', 'shootdown', 'none']) {
  for (const cpus of [2, 4]) {
    for (const strategy of [{ kind: 'random' }, { kind: 'pct', depth: 3 }]) {
      const r = sweepCell({ scheme, cpus, strategy });
      const bad = Object.entries(r.bad).sort((a, b) => b[1] - a[1]);
      console.log(
        `${pad(scheme, 10)}${pad(cpus, 5)}${pad(strategy.kind === 'pct' ? 'pct3' : 'random', 9)}${pad(bad.length === 0 ? 'SAFE' : 'VIOLATES', 9)}` +
          `${pad(bad.map(([k, v]) => `${k}:${v}`).join(' ') || '-', 28)}` +
          (r.shortest ? `#${r.shortest.index} ${r.shortest.steps} steps ${r.shortest.invariant}: ${r.shortest.message}` : ''),
      );
    }
  }
}
console.log(`\n12 cells in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
