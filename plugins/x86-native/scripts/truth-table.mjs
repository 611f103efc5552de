#!/usr/bin/env node
// Truth table of the x86-native plugin: (arch options × scheme × CPUs × strategy) cells, each
// `--runs N` seeds (default 2000) of the default workload through core's Simulator.
// Per cell: verdict (SAFE | HAZARD: hazards only | VIOLATES), violations by invariant, runs with
// an I3 hazard, runs per use site, and cond_mitigation's IBPBs skipped on mm reuse per 10 000
// switches to a user mm (with the IBPBs issued).
// Each cell's runs go through @lazytlb/explore's runCell (the engine's counts: a sweep of the cell
// with these seeds counts the same).
// Usage: node scripts/truth-table.mjs [--runs N] [--workload NAME] [--cpus 2,4] [--strategies random,pct3] [--json FILE]
//        (after `pnpm build`; needs @lazytlb/explore, an optional peer dependency)
import { writeFileSync } from 'node:fs';
import { CORE_VERSION, archFingerprint } from '@lazytlb/core';
import { runCell } from '@lazytlb/explore';
import plugin from '../dist/index.js';

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
  const cpus = String(get('--cpus', '2,4')).split(',').map(Number);
  const strategies = String(get('--strategies', 'random,pct3')).split(',');
  return { runs, workload: get('--workload', 'default'), cpus, strategies, json: get('--json', null) };
}

const STRATEGIES = { random: { kind: 'random' }, pct3: { kind: 'pct', depth: 3 } };

export function printTable(title, plugin, optionSets, { runs, workload, cpus = [2, 4], strategies = ['random', 'pct3'], json = null }) {
  console.log(
    `${title}: lazytlb core ${CORE_VERSION} (arch fingerprint ${archFingerprint(plugin)}), ${plugin.name}@${plugin.version}, workload ${workload}, ${runs} runs per cell\n`,
  );
  const pad = (s, n) => String(s).padEnd(n);
  console.log(
    `${pad('options', 52)}${pad('scheme', 10)}${pad('cpus', 5)}${pad('strategy', 9)}${pad('verdict', 9)}${pad('violations', 18)}${pad('I3 hazard', 10)}` +
      `${pad('use sites (runs)', 44)}${pad('IBPB reuse/10k', 15)}shortest counterexample`,
  );
  const t0 = Date.now();
  const rows = [];
  for (const opts of optionSets) {
    for (const scheme of ['refcount', 'shootdown', 'none']) {
      for (const n of cpus) {
        for (const strat of strategies) {
          const r = runCell({ plugin, archOptions: opts, scheme, cpus: n, workload, strategy: STRATEGIES[strat] }, { runs });
          const bad = Object.entries(r.notOk).sort((a, b) => b[1] - a[1]);
          const verdict = bad.length > 0 ? 'VIOLATES' : Object.keys(r.hazards).length > 0 ? 'HAZARD' : 'SAFE';
          const label = JSON.stringify(opts);
          const sites = Object.entries(r.useSites).sort((a, b) => b[1] - a[1]);
          const reuse = r.costs.ibpb_checks > 0 ? (r.costs.ibpb_skipped_reuse / r.costs.ibpb_checks) * 10_000 : 0;
          const s = r.shortest;
          const shortest = s && { index: s.runIndex, steps: s.steps, invariant: s.violation.invariant, message: s.violation.message };
          rows.push({
            options: opts,
            scheme,
            cpus: n,
            strategy: strat,
            verdict,
            violations: r.notOk,
            hazards: r.hazards,
            sites: r.useSites,
            ibpb: { checks: r.costs.ibpb_checks, issued: r.costs.ibpb, skippedReuse: r.costs.ibpb_skipped_reuse },
            shortest,
          });
          console.log(
            `${pad(label, 52)}${pad(scheme, 10)}${pad(n, 5)}${pad(strat, 9)}${pad(verdict, 9)}${pad(bad.map(([k, v]) => `${k}:${v}`).join(' ') || '-', 18)}` +
              `${pad(r.hazards.I3 ?? 0, 10)}${pad(sites.map(([k, v]) => `${k}:${v}`).join(' ') || '-', 44)}${pad(reuse.toFixed(2), 15)}` +
              (shortest ? `#${shortest.index} ${shortest.steps} steps ${shortest.invariant}: ${shortest.message}` : ''),
          );
        }
      }
    }
  }
  console.log(`\n${rows.length} cells in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  if (json)
    writeFileSync(
      json,
      JSON.stringify(
        { title, core: CORE_VERSION, fingerprint: archFingerprint(plugin), plugin: `${plugin.name}@${plugin.version}`, workload, runs, rows },
        null,
        1,
      ),
    );
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = parseArgs(process.argv.slice(2));
  printTable(
    'x86-native truth table',
    plugin,
    [
      {},
      { cpumask: 'clear-on-switch' },
      { invlpgb: true },
      { invlpgb: true, globalAsid: 'every-mm' },
      { exitFlushSkipsEmptyMm: false },
      { cpumask: 'clear-on-switch', exitFlushSkipsEmptyMm: false },
      { idleTlbFlushed: false },
    ],
    args,
  );
}
