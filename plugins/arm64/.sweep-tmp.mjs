import { createSimulator, hashString128, runSeed } from '@lazytlb/core';
import plugin from '/work/main/plugins/arm64/dist/index.js';
const runs = Number(process.argv[2] ?? 2000);
const cells = JSON.parse(process.argv[3]);
for (const c of cells) {
  const sim = createSimulator({ plugin, archOptions: c.opts ?? {}, scheme: c.scheme, schemeOptions: c.so, cpus: c.cpus, workload: c.workload ?? 'default', strategy: c.strategy ?? { kind: 'random' } });
  const cell = hashString128(sim.cellId);
  const bad = {}; const sites = {}; let haz = 0; let first = null;
  for (let i = 0; i < runs; i++) {
    const r = sim.run(runSeed(cell, i));
    if (r.hazards) haz++;
    for (let b = 0; b < r.siteIds.length; b++) if (r.useSites & (1 << b)) sites[r.siteIds[b]] = (sites[r.siteIds[b]] ?? 0) + 1;
    if (r.outcome === 'ok') continue;
    const key = r.violation ? r.violation.invariant : r.outcome + (r.pluginError ? ':' + r.pluginError.message : '');
    bad[key] = (bad[key] ?? 0) + 1;
    if (!first) first = { i, steps: r.steps, v: r.violation?.message ?? JSON.stringify(r.pluginError) };
  }
  console.log(JSON.stringify(c), 'bad', JSON.stringify(bad), 'haz', haz, 'sites', JSON.stringify(sites), first ? `#${first.i} ${first.steps}: ${first.v}` : '');
}
