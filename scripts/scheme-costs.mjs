#!/usr/bin/env node
// What each lazy-mm scheme costs per event, at 2..32 CPUs, extrapolated to 1024 CPUs.
//
// For every scheme (mainline's three and the proposals) it runs the default workload on an arch
// (x86-native v6.18 unless --arch) at 2, 4, 8, 16 and 32 CPUs (32 is the model's ceiling: its
// cpumasks are 32-bit words) and divides the event counters (cost/counters.ts EVENT_*: atomics,
// mm_count cache-line transfers, remote cache-line reads, IPIs sent, lazy-helper barriers,
// counted while a CPU ran a context switch, an __mmput or an __mmdrop) by the number of such
// events. Each (scheme, event, counter) series is fitted with least squares to a + b*N and
// extrapolated to N = 1024; the formula is printed. Costs are counts, not times.
//
//   node scripts/scheme-costs.mjs [--runs 600] [--arch x86-native] [--json out.json] [--md out.md]
//
// Needs `pnpm build` (it imports the packages' dist).
import { writeFileSync } from 'node:fs';
import { arg, imp } from './lib/script-args.mjs';

const RUNS = Number(arg('runs', '600'));
const ARCH = arg('arch', 'x86-native');
const CPUS = [2, 4, 8, 16, 32];

const core = await imp('packages/core/dist/index.js');
const arches = {
  'x86-native': { plugin: (await imp('plugins/x86-native/dist/index.js')).default, options: { release: 'v6.18' } },
  reference: { plugin: core.referenceArch, options: {} },
};
const plugins = {
  hazptr: (await imp('plugins/scheme-hazptr/dist/index.js')).default,
  'lazy-mm-scan': (await imp('plugins/scheme-lazy-mm-scan/dist/index.js')).default,
  'implicit-shootdown': (await imp('plugins/scheme-implicit-shootdown/dist/index.js')).default,
};
const SCHEMES = [
  ['refcount', {}],
  ['shootdown', {}],
  ['shootdown', { mask: 'online' }],
  ['none', {}],
  ['hazptr', {}],
  ['lazy-mm-scan', {}],
  ['lazy-mm-scan', { scan: 'cpumask' }],
  ['implicit-shootdown', { exitIpi: true, sanitizeUses: true }],
];
const { COST_NAMES, EVENT_NAMES, EVENT_CATEGORY_NAMES } = { ...core.costs, COST_NAMES: core.COST_NAMES };
const idx = (n) => COST_NAMES.indexOf(n);

const a = arches[ARCH];
if (a === undefined) throw new Error(`--arch must be one of ${Object.keys(arches).join(', ')}`);
const rows = [];
const t0 = Date.now();
for (const [scheme, schemeOptions] of SCHEMES) {
  const label = core.formatScheme(scheme, Object.keys(schemeOptions).length > 0 ? schemeOptions : null);
  const series = {};
  for (const cpus of CPUS) {
    const sim = core.createSimulator({
      plugin: a.plugin,
      archOptions: a.options,
      scheme,
      ...(plugins[scheme] ? { schemePlugin: plugins[scheme] } : {}),
      schemeOptions,
      cpus,
      workload: 'default',
      strategy: { kind: 'random' },
    });
    const cell = core.hashString128(sim.cellId);
    const total = new Float64Array(COST_NAMES.length);
    for (let i = 0; i < RUNS; i++) {
      sim.run(core.runSeed(cell, i));
      for (let j = 0; j < total.length; j++) total[j] += sim.k.cost[j];
    }
    const switches = total[idx('cs_user_user')] + total[idx('cs_user_kernel')] + total[idx('cs_kernel_kernel')] + total[idx('cs_kernel_user')];
    const per = { switch: switches, exit: total[idx('mm_exits')], mmdrop: total[idx('mm_frees')] };
    for (const e of EVENT_NAMES) {
      for (const c of EVENT_CATEGORY_NAMES) {
        const key = `${e}/${c}`;
        (series[key] ??= []).push(per[e] > 0 ? total[idx(`${e}_${c}`)] / per[e] : 0);
      }
    }
    series.events ??= [];
    series.events.push(per);
  }
  rows.push({ scheme: label, series });
  process.stderr.write(`${label}: done (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
}

/**
 * Least squares y = a + b*N, with R². A cost that grows with N by construction (a scan of every
 * CPU) fits a line exactly; one bounded by the workload (the CPUs an mm's threads ran on: IPIs
 * of a flush, mm_cpumask) saturates instead, and a line through it would extrapolate nonsense.
 * So a series is extrapolated linearly only when the line explains it (R² >= 0.99) and grows
 * (b >= 0.05 per CPU); otherwise it is called workload-bound and its N = 32 value is reported.
 */
function lineFit(ys) {
  const n = CPUS.length;
  const mx = CPUS.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let sxy = 0,
    sxx = 0,
    syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (CPUS[i] - mx) * (ys[i] - my);
    sxx += (CPUS[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  const b = sxy / sxx;
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  const linear = r2 >= 0.99 && b >= 0.05;
  return { a: my - b * mx, b, r2, linear };
}
const f2 = (x) => (Math.abs(x) < 0.005 ? '0' : x.toFixed(2));

const out = { arch: ARCH, archOptions: a.options, runsPerCell: RUNS, cpus: CPUS, workload: 'default', schemes: [] };
const md = [];
md.push(`Per-event costs on ${ARCH} (${JSON.stringify(a.options)}), default workload, ${RUNS} random runs per point; counts per event.`);
md.push('Fit: least squares a + b·N over N = 2..32 (the model\'s ceiling: cpumasks are 32-bit words); "1024" is that line at N = 1024 when it');
md.push("explains the series (R² ≥ 0.99, growing); otherwise the cost is bounded by the workload (the CPUs an mm's threads ran on), not by N, and");
md.push('the N = 32 value is given.');
md.push('');
md.push(`| scheme | event | cost | ${CPUS.map((c) => `N=${c}`).join(' | ')} | fit a + b·N | N=1024 |`);
md.push(`|---|---|---|${CPUS.map(() => '---:').join('|')}|---|---:|`);
for (const r of rows) {
  const s = { scheme: r.scheme, events: r.series.events, costs: {} };
  for (const e of EVENT_NAMES) {
    for (const c of EVENT_CATEGORY_NAMES) {
      const ys = r.series[`${e}/${c}`];
      const { a: fa, b: fb, r2, linear } = lineFit(ys);
      const at1024 = linear ? fa + fb * 1024 : ys[ys.length - 1];
      s.costs[`${e}_${c}`] = { perEvent: ys, fit: { a: fa, b: fb, r2 }, model: linear ? 'linear' : 'workload-bound', at1024 };
      if (ys.every((y) => y < 0.005)) continue;
      const formula = linear ? `${f2(fa)} + ${f2(fb)}·N (R² ${r2.toFixed(3)})` : 'workload-bound (N=32 value)';
      md.push(`| ${r.scheme} | ${e} | ${c.replace('_', ' ')} | ${ys.map(f2).join(' | ')} | ${formula} | ${f2(at1024)} |`);
    }
  }
  out.schemes.push(s);
}
const mdText = md.join('\n');
if (arg('json', undefined) !== undefined) writeFileSync(arg('json'), `${JSON.stringify(out, null, 2)}\n`);
if (arg('md', undefined) !== undefined) writeFileSync(arg('md'), `${mdText}\n`);
console.log(mdText);
console.error(`${rows.length} schemes × ${CPUS.length} CPU counts × ${RUNS} runs in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
