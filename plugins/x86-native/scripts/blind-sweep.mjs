#!/usr/bin/env node
// Blind sweep of the x86 releases (issue "Fidelity II"): random and PCT runs of a workload with
// no directed schedule, per (release × memory model × CPUs × strategy), scheme refcount. Per cell:
// runs, violations by mechanism (I2 split by where it was seen: a task *using* a stale
// translation, a CPU ending its switch with freed page tables cached, pages / page tables / a
// reclaimed page freed under a CPU, khugepaged's PTE table),
// and the run index of the first finding of each mechanism (the runs it took). With --out DIR the
// first run of each mechanism is written as a replayable artifact (DIR/<cell>-<mechanism>.json:
// `lazytlb shrink` it, then `lazytlb replay` prints it in LKML columns).
// The runs of a cell go through @lazytlb/explore's runCell; its onRun sorts each violation into its mechanism.
// Usage: node scripts/blind-sweep.mjs [--runs N] [--workload JSON|NAME] [--releases v6.13,...] [--memory sc,tso]
//        [--cpus 2,4] [--strategies random,pct3] [--out DIR] [--json FILE]   (after `pnpm build`; needs @lazytlb/explore,
//        an optional peer dependency)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORE_VERSION, archFingerprint, makeArtifact } from '@lazytlb/core';
import { runCell } from '@lazytlb/explore';
import plugin, { X86_RELEASES } from '../dist/index.js';

const argv = process.argv.slice(2);
const get = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const runs = Number(get('--runs', '20000'));
const workloadArg = get('--workload', 'default');
const workload = workloadArg.startsWith('{') ? JSON.parse(workloadArg) : workloadArg;
const releases = String(get('--releases', X86_RELEASES.join(','))).split(',');
const memories = String(get('--memory', 'sc,tso')).split(',');
const cpusList = String(get('--cpus', '2,4')).split(',').map(Number);
const strategies = String(get('--strategies', 'random,pct3')).split(',');
const out = get('--out', null);
const jsonOut = get('--json', null);
const STRATEGIES = { random: { kind: 'random' }, pct2: { kind: 'pct', depth: 2 }, pct3: { kind: 'pct', depth: 3 } };

/** The mechanism of a violation, from where the oracle saw it. */
function mechanism(v) {
  if (v.invariant !== 'I2') return v.invariant;
  if (v.message.includes('uses a translation')) return 'I2 at use';
  if (v.message.includes('ends its switch')) return 'I2 at switch end';
  if (v.message.startsWith('PTE table (khugepaged collapse)')) return 'I2 khugepaged PTE table';
  if (v.message.startsWith('a reclaimed page')) return 'I2 reclaimed page';
  return `I2 ${v.message.split(' of ')[0]}`;
}

if (out !== null) mkdirSync(out, { recursive: true });
console.log(
  `x86 blind sweep: core ${CORE_VERSION} (arch fingerprint ${archFingerprint(plugin)}), ${plugin.name}@${plugin.version}, workload ${JSON.stringify(workload)}, refcount, ${runs} runs per cell`,
);
const rows = [];
const t0 = Date.now();
for (const release of releases) {
  for (const memory of memories) {
    for (const cpus of cpusList) {
      for (const strategyName of strategies) {
        const found = {};
        const { ok } = runCell(
          { plugin, archOptions: { release }, scheme: 'refcount', cpus, memory, workload, strategy: STRATEGIES[strategyName] },
          {
            runs,
            // Mechanisms split an invariant by where it was seen (the engine counts by invariant): each run's own.
            onRun: (r, { index: i, seed, sim }) => {
              if (r.outcome === 'ok') return;
              const key = r.violation !== null ? mechanism(r.violation) : r.outcome;
              const f = (found[key] ??= { runs: 0, first: i, message: r.violation?.message ?? r.pluginError?.message ?? '' });
              f.runs++;
              if (f.runs === 1 && out !== null && r.violation !== null) {
                const name = `${release}-${memory}-${cpus}cpu-${strategyName}-${key.replace(/[^A-Za-z0-9]+/g, '_')}.json`;
                writeFileSync(join(out, name), `${JSON.stringify(makeArtifact(sim, seed, r, i), null, 2)}\n`);
              }
            },
          },
        );
        const bad = runs - ok;
        const row = { release, memory, cpus, strategy: strategyName, runs, bad, found };
        rows.push(row);
        const text = Object.entries(found)
          .map(([k, f]) => `${k}: ${f.runs} (first at run ${f.first})`)
          .join('; ');
        console.log(
          `${release.padEnd(6)} ${memory.padEnd(4)} ${String(cpus).padEnd(2)}cpu ${strategyName.padEnd(7)} ${bad === 0 ? 'SAFE    ' : 'VIOLATES'} ${text}`,
        );
      }
    }
  }
}
console.log(`${rows.length} cells, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
if (jsonOut !== null)
  writeFileSync(
    jsonOut,
    `${JSON.stringify({ core: CORE_VERSION, fingerprint: archFingerprint(plugin), plugin: plugin.version, workload, runs, rows }, null, 2)}\n`,
  );
