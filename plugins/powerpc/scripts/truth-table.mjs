#!/usr/bin/env node
/**
 * The powerpc truth table (kernel-reference §5.1 rows "ppc64s radix" / "ppc64s hash"),
 * measured: for each (mmu option set x scheme x CPU count) cell, N seeded runs through core's
 * Simulator; prints the verdict per cell (SAFE after N runs, or the invariants violated with
 * their counts and a first example).
 *
 *   npx -y pnpm@10.34.8 --filter @lazytlb/arch-powerpc build
 *   node plugins/powerpc/scripts/truth-table.mjs [--runs 3000] [--cpus 2,4] [--workload default]
 */
import { createSimulator, hashString128, runSeed, SCHEMES } from '@lazytlb/core';
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
  { label: 'hash', options: { mmu: 'hash' } },
];
const column = { refcount: 'A: REFCOUNT=y', shootdown: 'B: REFCOUNT=n + SHOOTDOWN', none: 'C: REFCOUNT=n, no shootdown' };

const rows = [];
for (const v of variants) {
  for (const scheme of SCHEMES) {
    for (const cpus of cpuCounts) {
      const byInv = new Map();
      const outcomes = { ok: 0, violation: 0, budget: 0, 'plugin-error': 0, deadlock: 0 };
      let first = null;
      let total = 0;
      for (const workload of workloads) {
        const sim = createSimulator({ plugin: powerpc, archOptions: v.options, scheme, cpus, workload, strategy: { kind: 'random' } });
        const cell = hashString128(sim.cellId);
        for (let i = 0; i < runs; i++) {
          const r = sim.run(runSeed(cell, i));
          total++;
          outcomes[r.outcome]++;
          if (r.violation) {
            const id = r.violation.invariant;
            byInv.set(id, (byInv.get(id) ?? 0) + 1);
            if (first === null) first = `${id}: ${r.violation.message}`;
          } else if (r.outcome === 'plugin-error' && first === null) {
            first = `plugin-error ${r.pluginError?.hook}: ${r.pluginError?.message}`;
          }
        }
      }
      const bad = total - outcomes.ok;
      const verdict =
        bad === 0
          ? `SAFE after ${total} runs`
          : outcomes.violation > 0
            ? `VIOLATES ${[...byInv].sort((a, b) => b[1] - a[1]).map(([id, n]) => `${id}×${n}`).join(' ')} (${outcomes.violation}/${total})`
            : `NOT OK: ${JSON.stringify(outcomes)}`;
      rows.push({ variant: v.label, scheme: column[scheme], cpus, verdict, first });
      console.error(`${v.label} | ${scheme} | ${cpus} CPUs | ${verdict}`);
    }
  }
}

console.log(`\n| mmu / options | scheme | CPUs | verdict (${workloads.join(' + ')} workloads, ${runs} runs each, random strategy) |`);
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.variant} | ${r.scheme} | ${r.cpus} | ${r.verdict} |`);
console.log('\nFirst violation per violating cell:');
for (const r of rows) if (r.first) console.log(`- ${r.variant} / ${r.scheme} / ${r.cpus} CPUs: ${r.first}`);
