/**
 * The echarts bundle report.html inlines (echarts-entry.ts, built by scripts/bundle-echarts.mjs
 * into dist/report/echarts-report.min.js) registers exactly the series types and components the
 * report's charts use, hermetically (no browser): two real sweeps (a violating, a safe and a
 * hazard-only cell with their shrunk swimlanes; cells that differ only in their CPU count) are
 * written with writeResultDir, the page's own inline script is run against a recording fake
 * `echarts` and a fake DOM built from the page's ids, and the series types (`series[].type`),
 * the top-level components (with their subtypes: `legend.scroll`, `dataZoom.inside`, …) and the
 * markers inside series of every option it sets are compared with what the bundle, loaded in
 * a fresh VM context, has registered. A chart type or component added to the report without
 * adding it to echarts-entry.ts fails here (and would draw nothing in the browser).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createContext, runInContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSweep, shrinkFirstFailures, shrunkBuildOptions } from '@lazytlb/explore';
import { createRegistry } from '../plugins/bundled.js';
import { writeResultDir } from '../results/write.js';
import { cpuSeriesCells, smallCells } from '../test-support/engine.js';
import { EVENT_COSTS } from './cost-vs-cpus.js';
import { ECHARTS_BUNDLE_PATH, echartsBundleSource } from './echarts-bundle.js';
import { echartsSource } from './write.js';

type Option = Record<string, unknown>;

/** Root option keys that are settings, not components. */
const SETTINGS = new Set(['animation', 'animationDuration', 'color', 'backgroundColor', 'textStyle', 'darkMode', 'useUTC']);
/** Components that live inside a series. */
const SERIES_COMPONENTS = ['markArea', 'markLine', 'markPoint'] as const;
/** echarts' subtype when an option leaves `type` out. */
const DEFAULT_SUBTYPE: Readonly<Record<string, string>> = { legend: 'plain', dataZoom: 'slider', xAxis: 'category', yAxis: 'value' };
/** Main types whose subtypes are registered as one (GridComponent brings every cartesian axis type). */
const SUBTYPES_TOGETHER = new Set(['xAxis', 'yAxis']);

/** What options use: series types, and component main types with their subtypes ('' when a component has none). */
interface Parts {
  readonly series: Set<string>;
  readonly components: Map<string, Set<string>>;
}

const list = (v: unknown): Option[] => (v === undefined ? [] : ((Array.isArray(v) ? v : [v]) as Option[]));

function addComponent(p: Parts, main: string, sub: string): void {
  let s = p.components.get(main);
  if (s === undefined) p.components.set(main, (s = new Set()));
  s.add(sub);
}

/** The series types and components `options` use. */
function partsOf(options: readonly Option[]): Parts {
  const p: Parts = { series: new Set(), components: new Map() };
  for (const o of options) {
    for (const [key, value] of Object.entries(o)) {
      if (SETTINGS.has(key) || value === undefined) continue;
      if (key === 'series') {
        for (const s of list(value)) {
          p.series.add(String(s.type));
          for (const m of SERIES_COMPONENTS) if (s[m] !== undefined) addComponent(p, m, '');
        }
        continue;
      }
      for (const item of list(value)) {
        const sub = typeof item.type === 'string' ? item.type : (DEFAULT_SUBTYPE[key] ?? '');
        addComponent(p, key, sub);
        if (key === 'tooltip' && item.axisPointer !== undefined) addComponent(p, 'axisPointer', '');
      }
    }
  }
  return p;
}

interface Registry {
  readonly series: Set<string>;
  readonly components: Map<string, Set<string>>;
}

/** What a loaded echarts has registered (its ComponentModel classes; internal base classes `__…__` left out). */
function registered(echarts: { ComponentModel: { getAllClassMainTypes(): string[]; getClassesByMainType(t: string): { type: string }[] } }): Registry {
  const r: Registry = { series: new Set(), components: new Map() };
  for (const main of echarts.ComponentModel.getAllClassMainTypes()) {
    const subs = echarts.ComponentModel.getClassesByMainType(main)
      .map((c) => c.type.split('.')[1] ?? '')
      .filter((s) => !s.startsWith('__'));
    if (main === 'series') for (const s of subs) r.series.add(s);
    else r.components.set(main, new Set(subs));
  }
  return r;
}

/** What `used` needs that `reg` lacks ("series.pie", "toolbox", "legend.scroll"), and what `reg` has that nothing uses. */
function compareParts(used: Parts, reg: Registry): { missing: string[]; unused: string[] } {
  const missing: string[] = [];
  const unused: string[] = [];
  for (const s of used.series) if (!reg.series.has(s)) missing.push(`series.${s}`);
  for (const s of reg.series) if (!used.series.has(s)) unused.push(`series.${s}`);
  for (const [main, subs] of used.components) {
    const have = reg.components.get(main);
    if (have === undefined) {
      missing.push(main);
      continue;
    }
    for (const s of subs) if (s !== '' && !have.has(s)) missing.push(`${main}.${s}`);
    if (!SUBTYPES_TOGETHER.has(main)) for (const s of have) if (s !== '' && !subs.has(s)) unused.push(`${main}.${s}`);
  }
  for (const main of reg.components.keys()) if (!used.components.has(main)) unused.push(main);
  return { missing: missing.sort(), unused: unused.sort() };
}

interface FakeElement {
  id: string;
  style: Record<string, string>;
  clientWidth: number;
  textContent: string;
  value: string;
  attributes: Record<string, string>;
  listeners: Record<string, (() => void)[]>;
  setAttribute(k: string, v: string): void;
  addEventListener(type: string, f: () => void): void;
}

/** Runs report.html's own inline script (the last <script>) against a fake DOM of its ids and a recording fake echarts. */
function runPage(html: string): { options: Option[]; inits: unknown[]; rendered: string | undefined; charts: number } {
  const options: Option[] = [];
  const inits: unknown[] = [];
  const els = new Map<string, FakeElement>();
  const el = (id: string): FakeElement => ({
    id,
    style: {},
    clientWidth: 1168,
    textContent: '',
    value: '',
    attributes: {},
    listeners: {},
    setAttribute(k, v) {
      this.attributes[k] = v;
    },
    addEventListener(type, f) {
      (this.listeners[type] ??= []).push(f);
    },
  });
  for (const m of html.matchAll(/\bid="([^"]+)"/g)) els.set(m[1]!, el(m[1]!));
  els.get('report-data')!.textContent = /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]!;
  for (const m of html.matchAll(/<select [^>]*id="([^"]+)"[^>]*>(.*?)<\/select>/gs)) {
    els.get(m[1]!)!.value = /<option value="([^"]+)" selected>/.exec(m[2]!)![1]!;
  }
  const body = el('body');
  let charts = 0;
  const echarts = {
    init(_el: FakeElement, _theme: unknown, opts: unknown) {
      inits.push(opts);
      charts++;
      return { setOption: (o: Option) => options.push(o), resize() {} };
    },
    graphic: { clipRectByRect: () => undefined },
  };
  const scripts = [...html.matchAll(/<script>(.*?)<\/script>/gs)].map((m) => m[1]!);
  const context = createContext({ echarts, document: { getElementById: (id: string) => els.get(id) ?? null, body }, window: { addEventListener() {} } });
  runInContext(scripts.at(-1)!, context);
  // Each cost a cost-vs-CPUs selector offers redraws its chart.
  for (const sel of els.values()) {
    if (sel.listeners.change === undefined) continue;
    for (const c of EVENT_COSTS) {
      sel.value = c.key;
      for (const f of sel.listeners.change) f();
    }
  }
  return { options, inits, rendered: body.attributes['data-rendered'], charts };
}

const tmp = mkdtempSync(join(tmpdir(), 'lazytlb-echarts-bundle-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const pages: string[] = [];

beforeAll(async () => {
  const registry = await createRegistry();
  const cells = smallCells();
  // reference `none` on the idle-heavy workload: hazards and a use site, no violation
  cells.push({ ...cells.at(-1)!, index: cells.length, scheme: 'none', workload: { profile: 'idle-heavy' }, strategy: { kind: 'random' } });
  const r = await runSweep({ registry, cells, matrixSeed: 'echarts-bundle', runs: 60, threads: 1 });
  const shrunk = await shrinkFirstFailures(r, await createRegistry([]), () => {});
  writeResultDir(join(tmp, 'failures'), r, registry, shrunkBuildOptions(shrunk));
  writeResultDir(
    join(tmp, 'cpus'),
    await runSweep({ registry, cells: cpuSeriesCells([2, 4, 8]), matrixSeed: 'echarts-bundle-cpus', runs: 20, threads: 1 }),
    registry,
  );
  for (const d of ['failures', 'cpus']) pages.push(readFileSync(join(tmp, d, 'report.html'), 'utf8'));
}, 600_000);

/** The bundle, loaded as report.html loads it (a classic script setting the global `echarts`), in a fresh VM context. */
function loadBundle(): Parameters<typeof registered>[0] & Record<string, unknown> {
  const context = createContext({});
  runInContext(echartsBundleSource(), context);
  return (context as { echarts: Parameters<typeof registered>[0] & Record<string, unknown> }).echarts;
}

describe('the echarts bundle of report.html', () => {
  it('is what report.html inlines, with the licence notices of echarts (Apache-2.0 header and NOTICE) and zrender (BSD-3-Clause)', () => {
    const src = echartsBundleSource();
    expect(echartsSource()).toBe(src);
    expect(src).toBe(readFileSync(ECHARTS_BUNDLE_PATH, 'utf8'));
    for (const page of pages) expect(page).toContain(src.slice(0, 4000));
    const head = src.slice(0, 5000);
    expect(head.startsWith('/*!')).toBe(true);
    expect(head).toContain('Licensed to the Apache Software Foundation (ASF)');
    expect(head).toContain('http://www.apache.org/licenses/LICENSE-2.0');
    expect(head).toMatch(/Apache ECharts\n \* Copyright 2017-\d{4} The Apache Software Foundation/);
    expect(head).toContain('This product includes software developed at');
    expect(head).toContain('BSD 3-Clause License');
    expect(head).toContain('Copyright (c) 2017, Baidu Inc.');
    // the custom build, not the whole distribution: well under two thirds of echarts.min.js (1.1 MB; the bundle 0.65 MB with echarts 6.1)
    const full = readFileSync(createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js'), 'utf8');
    expect(src.length).toBeLessThan(0.65 * full.length);
    expect(src.length).toBeLessThan(800_000);
  });

  it('sets the global echarts with what the page calls: init, getInstanceByDom, graphic.clipRectByRect', () => {
    const e = loadBundle() as unknown as { init: unknown; getInstanceByDom: unknown; graphic: { clipRectByRect: unknown } };
    expect(typeof e.init).toBe('function');
    expect(typeof e.getInstanceByDom).toBe('function');
    expect(typeof e.graphic.clipRectByRect).toBe('function');
  });

  it("registers exactly the series types and components the report's options use", () => {
    const options: Option[] = [];
    const kinds = new Set<string>();
    for (const page of pages) {
      const run = runPage(page);
      // every chart drawn, on the canvas renderer
      expect(run.rendered).toBe(String(run.charts));
      expect(run.inits.every((o) => (o as { renderer?: string }).renderer === 'canvas')).toBe(true);
      options.push(...run.options);
      for (const o of run.options) for (const s of list(o.series)) kinds.add(String(s.type));
    }
    // both sweeps together draw every kind of chart the report has
    expect([...kinds].sort()).toEqual(['bar', 'custom', 'heatmap', 'line']);
    const used = partsOf(options);
    const reg = registered(loadBundle());
    expect(compareParts(used, reg)).toEqual({ missing: [], unused: [] });
    expect([...used.components.keys()].sort()).toEqual([
      'axisPointer',
      'dataZoom',
      'grid',
      'legend',
      'markArea',
      'title',
      'tooltip',
      'visualMap',
      'xAxis',
      'yAxis',
    ]);
  });

  it('the comparison names a series type, a component or a subtype the bundle lacks, and what it has that nothing uses', () => {
    const reg = registered(loadBundle());
    const used = partsOf([
      { series: [{ type: 'heatmap' }, { type: 'pie', markLine: {} }], toolbox: {}, legend: { type: 'scroll' }, grid: {}, xAxis: {}, yAxis: {} },
    ]);
    const r = compareParts(used, reg);
    expect(r.missing).toEqual(['markLine', 'series.pie', 'toolbox']);
    expect(r.unused).toEqual([
      'axisPointer',
      'dataZoom',
      'legend.plain',
      'markArea',
      'series.bar',
      'series.custom',
      'series.line',
      'title',
      'tooltip',
      'visualMap',
    ]);
  });
});
