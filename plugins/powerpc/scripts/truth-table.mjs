#!/usr/bin/env node
/**
 * The powerpc truth table (kernel-reference §5.1 rows "ppc64s radix" / "ppc64s hash"),
 * measured: for each (mmu option set x scheme x CPU count) cell, N seeded runs through core's
 * Simulator; prints the verdict per cell — SAFE (every run ok, no hazard), HAZARD (no violation,
 * but dangling lazy pointers: I3 hazards, under `none` only), or VIOLATES with the invariants
 * that ended runs — and, per cell, the runs with an I3 hazard and the runs in which each use
 * site fired (I14 sites, and __mmdrop's WARN, which `none` removes), with a first example.
 *
 * The runs of a cell go through @lazytlb/explore's runCell (an optional peer dependency): the
 * engine's counts, as a sweep of the cell with these seeds reports them.
 *
 *   npx -y pnpm@10.34.8 --filter @lazytlb/arch-powerpc build
 *   node plugins/powerpc/scripts/truth-table.mjs [--runs 3000] [--cpus 2,4] [--workload default]
 */
import { SCHEMES } from '@lazytlb/core';
import { runCell } from '@lazytlb/explore';
import powerpc from '../dist/index.js';

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const runs = Number(arg('runs', '3000'));
const cpuCounts = arg('cpus', '2,4').split(',').map(Number);
const workloads = arg('workload', 'default,exit-heavy,kthread-heavy').split(',');

const variants = [
  { label: 'radix', options: {} },
  { label: 'radix, combinedFinalFlush=false', options: { combinedFinalFlush: false } },
  { label: 'radix, trimPeriod=2', options: { trimPeriod: 2 } },
  { label: 'radix, copros', options: { copros: true } },
  { label: 'radix, debugVm', options: { debugVm: true } },
  { label: 'hash', options: { mmu: 'hash' } },
  { label: 'hash, debugVm', options: { mmu: 'hash', debugVm: true } },
];
const column = { refcount: 'A: REFCOUNT=y', shootdown: 'B: REFCOUNT=n + SHOOTDOWN', none: 'C: REFCOUNT=n, no shootdown' };

const rows = [];
for (const v of variants) {
  for (const scheme of SCHEMES) {
    for (const cpus of cpuCounts) {
      const byInv = new Map();
      const bySite = new Map();
      const outcomes = { ok: 0, violation: 0, budget: 0, 'plugin-error': 0, deadlock: 0, stopped: 0 };
      let first = null;
      let total = 0;
      let hazardRuns = 0;
      for (const workload of workloads) {
        const c = runCell(
          { plugin: powerpc, archOptions: v.options, scheme, cpus, workload, strategy: { kind: 'random' } },
          {
            runs,
            // What the engine does not key this way: violations by invariant and use site, the first failure's message.
            onRun: (r) => {
              if (r.violation) {
                const id = r.violation.invariant + (r.violation.site ? `(${r.violation.site})` : '');
                byInv.set(id, (byInv.get(id) ?? 0) + 1);
                if (first === null) first = `${id}: ${r.violation.message}`;
              } else if (r.outcome === 'plugin-error' && first === null) {
                first = `plugin-error ${r.pluginError?.hook}: ${r.pluginError?.message}`;
              }
            },
          },
        );
        total += c.runs;
        outcomes.ok += c.ok;
        for (const n of Object.values(c.violations)) outcomes.violation += n;
        for (const [kind, n] of Object.entries(c.errors)) outcomes[kind] = (outcomes[kind] ?? 0) + n;
        hazardRuns += c.hazardRuns;
        for (const [id, n] of Object.entries(c.useSites)) bySite.set(id, (bySite.get(id) ?? 0) + n);
      }
      const bad = total - outcomes.ok;
      const pct = (n) => `${((100 * n) / total).toFixed(1)}%`;
      const list = (m) =>
        [...m]
          .sort((a, b) => b[1] - a[1])
          .map(([id, n]) => `${id}×${n}`)
          .join(' ');
      const verdict =
        bad === 0
          ? hazardRuns === 0
            ? `SAFE after ${total} runs`
            : `HAZARD (I3 in ${hazardRuns}/${total} = ${pct(hazardRuns)}; no violation)`
          : outcomes.violation > 0
            ? `VIOLATES ${list(byInv)} (${outcomes.violation}/${total} = ${pct(outcomes.violation)}; I3 hazard in ${pct(hazardRuns)})`
            : `NOT OK: ${JSON.stringify(outcomes)}`;
      const sites =
        bySite.size === 0
          ? ''
          : [...bySite]
              .sort((a, b) => b[1] - a[1])
              .map(([id, n]) => `${id} ${pct(n)}`)
              .join('; ');
      rows.push({ variant: v.label, scheme: column[scheme], cpus, verdict, sites, first });
      console.error(`${v.label} | ${scheme} | ${cpus} CPUs | ${verdict}`);
    }
  }
}

console.log(
  `\n| mmu / options | scheme | CPUs | verdict (${workloads.join(' + ')} workloads, ${runs} runs each, random strategy) | use sites fired (share of runs) |`,
);
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.variant} | ${r.scheme} | ${r.cpus} | ${r.verdict} | ${r.sites} |`);
console.log('\nFirst violation per violating cell:');
for (const r of rows) if (r.first) console.log(`- ${r.variant} / ${r.scheme} / ${r.cpus} CPUs: ${r.first}`);
