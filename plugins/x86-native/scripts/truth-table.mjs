#!/usr/bin/env node
// Truth table of the x86-native plugin: (arch options × scheme × CPUs × strategy) cells, each
// `--runs N` seeds (default 2000) of the default workload through core's Simulator.
// Usage: node scripts/truth-table.mjs [--runs N] [--workload NAME]   (after `pnpm build`)
import { CORE_VERSION, MODEL_HASH } from '@lazytlb/core';
import plugin, { sweepCell } from '../dist/index.js';

export function parseArgs(argv) {
  const get = (name, dflt) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : dflt;
  };
  const runs = Number(get('--runs', '2000'));
  if (!Number.isInteger(runs) || runs < 1) {
    console.error(`--runs: expected a positive integer, got ${get('--runs')}`);
    process.exit(2);
  }
  return { runs, workload: get('--workload', 'default') };
}

export function printTable(title, plugin, optionSets, { runs, workload }) {
  console.log(`${title}: lazytlb core ${CORE_VERSION} (model ${MODEL_HASH}), ${plugin.name}@${plugin.version}, workload ${workload}, ${runs} runs per cell\n`);
  const pad = (s, n) => String(s).padEnd(n);
  console.log(`${pad('options', 62)}${pad('scheme', 10)}${pad('cpus', 5)}${pad('strategy', 9)}${pad('verdict', 9)}${pad('outcomes (runs)', 28)}shortest counterexample`);
  const t0 = Date.now();
  const rows = [];
  for (const opts of optionSets) {
    for (const scheme of ['refcount', 'shootdown', 'none']) {
      for (const cpus of [2, 4]) {
        for (const strategy of [{ kind: 'random' }, { kind: 'pct', depth: 3 }]) {
          const r = sweepCell({ plugin, archOptions: opts, scheme, cpus, runs, workload, strategy });
          const bad = Object.entries(r.bad).sort((a, b) => b[1] - a[1]);
          const verdict = bad.length === 0 ? 'SAFE' : 'VIOLATES';
          const strat = strategy.kind === 'pct' ? 'pct3' : 'random';
          const label = JSON.stringify(opts);
          rows.push({ label, scheme, cpus, strat, verdict, bad, shortest: r.shortest });
          console.log(
            `${pad(label, 62)}${pad(scheme, 10)}${pad(cpus, 5)}${pad(strat, 9)}${pad(verdict, 9)}${pad(bad.map(([k, v]) => `${k}:${v}`).join(' ') || '-', 28)}` +
              (r.shortest ? `#${r.shortest.index} ${r.shortest.steps} steps ${r.shortest.invariant}: ${r.shortest.message}` : ''),
          );
        }
      }
    }
  }
  console.log(`\n${rows.length} cells in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = parseArgs(process.argv.slice(2));
  printTable('x86-native truth table', plugin, [
    {},
    { cpumask: 'clear-on-switch' },
    { invlpgb: true },
    { exitFlushSkipsEmptyMm: false },
    { cpumask: 'clear-on-switch', exitFlushSkipsEmptyMm: false },
  ], args);
}
