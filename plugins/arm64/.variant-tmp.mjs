import { createSimulator, hashString128, runSeed, defineArchPlugin } from '@lazytlb/core';
import plugin from '/work/main/plugins/arm64/dist/index.js';
const v = defineArchPlugin({ ...plugin, name: 'arm64-irqsoff', capabilities: { ...plugin.capabilities, irqsOffActivateMm: true } });
for (const [cpus, strategy, workload] of [[2, { kind: 'pct', depth: 3 }, 'default'], [4, { kind: 'pct', depth: 3 }, 'default'], [2, { kind: 'random' }, 'default'], [4, { kind: 'random' }, 'hotplug']]) {
  const sim = createSimulator({ plugin: v, scheme: 'shootdown', schemeOptions: { mask: 'online' }, cpus, strategy, workload });
  const cell = hashString128(sim.cellId); const bad = {};
  for (let i = 0; i < 50000; i++) { const r = sim.run(runSeed(cell, i)); if (r.outcome !== 'ok') { const k = r.violation?.invariant ?? r.outcome; bad[k] = (bad[k] ?? 0) + 1; } }
  console.log(cpus, JSON.stringify(strategy), workload, JSON.stringify(bad));
}
