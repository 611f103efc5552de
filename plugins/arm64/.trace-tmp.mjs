import { createSimulator, hashString128, runSeed, formatTraceColumns } from '@lazytlb/core';
import plugin from '/work/main/plugins/arm64/dist/index.js';
const c = JSON.parse(process.argv[2]); const i = Number(process.argv[3]);
const sim = createSimulator({ plugin, archOptions: c.opts ?? {}, scheme: c.scheme, schemeOptions: c.so, cpus: c.cpus, workload: c.workload ?? 'default', strategy: c.strategy ?? { kind: 'random' } });
const r = sim.run(runSeed(hashString128(sim.cellId), i), { trace: true });
console.log(r.outcome, r.violation?.message);
const tail = Number(process.argv[4] ?? 80);
for (const e of r.trace.slice(-tail)) console.log(e.step, 'CPU'+e.cpu, e.actor ?? '', e.fn, '|', e.text);
