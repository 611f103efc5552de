/**
 * report.html in real headless Chromium (Debian's /usr/bin/chromium through playwright-core,
 * installed by ensureChromium when missing): a tiny sweep with a violating cell, a safe cell and
 * a hazard-only cell (reference `none` on the idle-heavy workload: I3 hazards and the __mmdrop
 * WARN, no violation) is written with the in-process API, the page is opened as a file:// URL
 * with every network request refused, and the heatmap (with the hazard colour and each cell's
 * invariants and use sites), the cost charts and the swimlanes (violations, hazards and use
 * sites) must be drawn, with no console error and no page error, every series and component
 * of every chart built by the inlined echarts (the package's build of only what the report
 * uses). A second sweep of cells that differ only in their CPU count (refcount and
 * shootdown:mask=online on x86-native at 2, 4 and 8 CPUs) must get the cost-vs-CPUs charts:
 * one per event, a line per scheme, the cost chosen with the selector above each, the fit in
 * the tooltip.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shrinkFirstFailures, shrunkBuildOptions } from '@lazytlb/explore';
import { writeShrunk } from '../cli/sweep-command.js';
import { runSweep } from '@lazytlb/explore';
import { cpuSeriesCells, smallCells } from '../test-support/engine.js';
import type { ResultsFile } from '@lazytlb/explore';
import { writeResultDir } from '../results/write.js';
import { CHROMIUM_ARGS, ensureChromium } from '../test-support/chromium.js';
import { createRegistry } from '../plugins/bundled.js';
import { echartsBundleSource } from './echarts-bundle.js';
import { inlineScript } from './html.js';

const registry = await createRegistry();

const tmp = mkdtempSync(join(tmpdir(), 'lazytlb-report-browser-'));
let browser: Browser | undefined;
let out: string;
let cpusOut: string;

beforeAll(async () => {
  const executablePath = ensureChromium();
  browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS] });
  const cells = smallCells();
  cells.push({ ...cells.at(-1)!, index: cells.length, scheme: 'none', workload: { profile: 'idle-heavy' }, strategy: { kind: 'random' } });
  const r = await runSweep({ registry, cells, matrixSeed: 'report-html', runs: 60, threads: 1 });
  const shrunk = await shrinkFirstFailures(r, await createRegistry([]), () => {});
  out = join(tmp, 'out');
  writeResultDir(out, r, registry, shrunkBuildOptions(shrunk));
  writeShrunk(out, shrunk);
  cpusOut = join(tmp, 'cpus');
  writeResultDir(cpusOut, await runSweep({ registry, cells: cpuSeriesCells([2, 4, 8]), matrixSeed: 'report-html-cpus', runs: 30, threads: 1 }), registry);
}, 20 * 60_000);

afterAll(async () => {
  await browser?.close();
  rmSync(tmp, { recursive: true, force: true });
});

interface ChartState {
  readonly id: string;
  readonly instance: boolean;
  readonly width: number;
  readonly height: number;
  readonly canvas: { width: number; height: number } | null;
  readonly series: number;
}

/**
 * A page that records console errors and page errors, and refuses (and records) every request
 * that is not a local file: report.html must draw offline.
 */
async function offlinePage() {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    requests.push(url);
    return route.abort();
  });
  return { page, errors, requests };
}

/**
 * What the page's charts asked for and echarts did not build (report.html inlines a custom echarts
 * build: a series type or component left out of echarts-entry.ts draws nothing, silently in a
 * production build): per chart, the series the model lacks and each component of the option
 * (an object, or a non-empty list of objects) without a model; [] when everything was drawn.
 */
async function undrawn(page: Page): Promise<string[]> {
  return (await page.evaluate(`(() => {
    var SETTINGS = ['series', 'aria', 'textStyle', 'stateAnimation'];
    var out = [];
    document.querySelectorAll('#heatmap, .cpu-chart, .cost-chart, .swimlane').forEach((el) => {
      var inst = echarts.getInstanceByDom(el);
      if (!inst) { out.push(el.id + ': no chart'); return; }
      var opt = inst.getOption(), model = inst.getModel();
      var series = opt.series || [];
      if (model.getSeriesCount() !== series.length)
        out.push(el.id + ': ' + model.getSeriesCount() + ' of ' + series.length + ' series built (' + series.map((s) => s.type).join(', ') + ')');
      Object.keys(opt).forEach((k) => {
        var v = opt[k];
        var component = v !== null && typeof v === 'object' && (!Array.isArray(v) || v.some((x) => x !== null && typeof x === 'object'));
        if (component && SETTINGS.indexOf(k) < 0 && !model.getComponent(k)) out.push(el.id + ': component ' + k + ' not built');
      });
    });
    return out;
  })()`)) as string[];
}

describe('report.html in headless Chromium', () => {
  it('draws the heatmap, the cost charts and the swimlanes offline, without errors', async () => {
    const path = join(out, 'report.html');
    expect(existsSync(path)).toBe(true);
    expect(readFileSync(path, 'utf8')).toContain('id="heatmap"');
    const { page, errors, requests } = await offlinePage();
    await page.goto(pathToFileURL(path).href, { waitUntil: 'load' });
    await page.waitForSelector('body[data-rendered]', { timeout: 30_000 });

    // Page-side code as strings: the package's TypeScript has no DOM types.
    const charts = (await page.evaluate(`[...document.querySelectorAll('#heatmap, .cost-chart, .swimlane')].map((el) => {
      const inst = echarts.getInstanceByDom(el);
      const canvas = el.querySelector('canvas');
      const r = el.getBoundingClientRect();
      return {
        id: el.id,
        instance: inst !== undefined,
        width: r.width,
        height: r.height,
        canvas: canvas === null ? null : { width: canvas.width, height: canvas.height },
        series: inst ? (inst.getOption().series || []).length : 0,
      };
    })`)) as ChartState[];
    const heatmap = charts.filter((c) => c.id === 'heatmap');
    const costs = charts.filter((c) => c.id.startsWith('cost-'));
    const lanes = charts.filter((c) => c.id.startsWith('swimlane-'));
    expect(heatmap).toHaveLength(1);
    expect(costs.length).toBeGreaterThanOrEqual(1);
    expect(lanes.length).toBeGreaterThanOrEqual(1);
    for (const c of charts) {
      expect(c.instance, c.id).toBe(true);
      expect(c.series, c.id).toBeGreaterThan(0);
      expect(c.width, c.id).toBeGreaterThan(0);
      expect(c.height, c.id).toBeGreaterThan(0);
      expect(c.canvas, c.id).not.toBeNull();
      expect(c.canvas!.width, c.id).toBeGreaterThan(0);
      expect(c.canvas!.height, c.id).toBeGreaterThan(0);
    }
    expect(Number(await page.getAttribute('body', 'data-rendered'))).toBe(charts.length);
    expect(await undrawn(page)).toEqual([]);

    // The heatmap shows safe, hazard and violating cells in their colours, each naming its invariants and use sites.
    const heat = (await page.evaluate(
      `echarts.getInstanceByDom(document.getElementById('heatmap')).getOption().series[0].data.map((d) => ({ verdict: d.verdict, invariants: d.invariants, sites: d.sites }))`,
    )) as { verdict: string; invariants: string[]; sites: string[] }[];
    expect(new Set(heat.map((h) => h.verdict))).toEqual(new Set(['safe', 'violates', 'hazard']));
    const hazardCell = heat.find((h) => h.verdict === 'hazard')!;
    expect(hazardCell.invariants).toEqual(['I3 hazard']);
    expect(hazardCell.sites).toContain('__mmdrop');
    expect(heat.find((h) => h.verdict === 'violates')!.invariants).toContain('I3 hazard');
    expect(heat.find((h) => h.verdict === 'safe')!).toMatchObject({ invariants: [], sites: [] });
    const pieces = (await page.evaluate(
      `echarts.getInstanceByDom(document.getElementById('heatmap')).getOption().visualMap[0].pieces.map((p) => [p.label, p.color])`,
    )) as [string, string][];
    expect(pieces.map((p) => p[0])).toEqual(['safe', 'hazard', 'violates', 'error']);
    expect(new Set(pieces.map((p) => p[1])).size).toBe(4);
    const heatText = await page.evaluate(
      `echarts.getInstanceByDom(document.getElementById('heatmap')).getOption().series[0].label.formatter({ data: { verdict: 'hazard', invariants: ['I3 hazard'], sites: ['__mmdrop'] } })`,
    );
    expect(heatText).toBe('hazard\nI3 hazard\n__mmdrop');
    // Swimlanes mark the violation (red band) and the hazard (amber band), with their captions.
    const caption = await page.textContent('.swimlane-section .swimlane-caption');
    expect(caption).toMatch(/^I\d+ .* violated at step \d+ on CPU\d+: /);
    const mark = (await page.evaluate(
      `(echarts.getInstanceByDom(document.getElementById(${JSON.stringify(lanes[0]!.id)})).getOption().series[0].markArea.data[0][0].name)`,
    )) as string;
    expect(mark).toMatch(/^I\d+ .* violated \(step \d+, CPU\d+\)$/);
    const hazardLane = lanes.find((l) => /^swimlane-\d+-hazard-I3$/.test(l.id));
    expect(hazardLane).toBeDefined();
    const hazardMark = (await page.evaluate(
      `(echarts.getInstanceByDom(document.getElementById(${JSON.stringify(hazardLane!.id)})).getOption().series[0].markArea.data[0][0].name)`,
    )) as string;
    expect(hazardMark).toMatch(/^I3 lazy-pointer-live hazard \(step \d+, CPU\d+\)$/);
    expect(await page.textContent(`article[data-class="hazard"] .swimlane-caption`)).toMatch(
      /^I3 lazy-pointer-live hazard at step \d+ on CPU\d+ \(the run goes on/,
    );
    expect(await page.$$('article[data-class="use-site"]')).not.toHaveLength(0);

    // The tooltip of a swimlane block names its step, CPU, actor and kernel function.
    const laneSel = `#${lanes[0]!.id}`;
    await page.evaluate(
      `echarts.getInstanceByDom(document.querySelector(${JSON.stringify(laneSel)})).dispatchAction({ type: 'showTip', seriesIndex: 0, dataIndex: 0 })`,
    );
    await page.waitForFunction(`document.querySelector(${JSON.stringify(laneSel)}).innerText.includes('step 0, CPU')`, undefined, { timeout: 10_000 });
    expect(await page.textContent(laneSel)).toMatch(/step 0, CPU\d+ <(task|irq|hyp)>\n?\w+: /);

    // every cell has 2 CPUs: no cost-vs-CPUs section
    expect(await page.$('#cost-vs-cpus')).toBeNull();

    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    // the package's echarts build is inlined, not the whole distribution (1.1 MB)
    expect(readFileSync(path, 'utf8')).toContain(`<script>${inlineScript(echartsBundleSource())}</script>`);
    expect(statSync(path).size).toBeLessThan(statSync(createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js')).size);
    await page.close();
  });

  it('draws the cost-vs-CPUs charts next to the heatmap: one per event, a line per scheme, the cost picked by the selector, the fit in the tooltip', async () => {
    const file = JSON.parse(readFileSync(join(cpusOut, 'results.json'), 'utf8')) as ResultsFile;
    const { page, errors, requests } = await offlinePage();
    await page.goto(pathToFileURL(join(cpusOut, 'report.html')).href, { waitUntil: 'load' });
    await page.waitForSelector('body[data-rendered]', { timeout: 30_000 });

    const charts = (await page.evaluate(`[...document.querySelectorAll('.cpu-chart')].map((el) => {
      const inst = echarts.getInstanceByDom(el);
      const canvas = el.querySelector('canvas');
      const r = el.getBoundingClientRect();
      return {
        id: el.id, instance: inst !== undefined, width: r.width, height: r.height,
        canvas: canvas === null ? null : { width: canvas.width, height: canvas.height },
        series: inst ? (inst.getOption().series || []).length : 0,
      };
    })`)) as ChartState[];
    expect(charts.map((c) => c.id)).toEqual(['cpus-0-switch', 'cpus-0-exit', 'cpus-0-mmdrop']);
    for (const c of charts) {
      expect(c.instance, c.id).toBe(true);
      expect(c.series, c.id).toBe(2);
      expect(c.width, c.id).toBeGreaterThan(300);
      expect(c.height, c.id).toBeGreaterThan(300);
      expect(c.canvas!.width, c.id).toBeGreaterThan(0);
      expect(c.canvas!.height, c.id).toBeGreaterThan(0);
    }
    const all = await page.$$('#heatmap, .cpu-chart, .cost-chart, .swimlane');
    expect(Number(await page.getAttribute('body', 'data-rendered'))).toBe(all.length);
    expect(await undrawn(page)).toEqual([]);
    // right after the heatmap, before the per-arch cost bars
    const y = async (sel: string): Promise<number> => (await page.locator(sel).boundingBox())!.y;
    expect(await y('#cost-vs-cpus')).toBeGreaterThan(await y('#heatmap'));
    expect(await y('#cost-vs-cpus')).toBeLessThan(await y('#costs'));
    expect(await page.textContent('#cost-vs-cpus h3')).toBe('x86-native · default · random');

    type Line = { name: string; data: [number, number][] };
    const lines = async (id: string): Promise<Line[]> =>
      (await page.evaluate(
        `echarts.getInstanceByDom(document.getElementById(${JSON.stringify(id)})).getOption().series.map((s) => ({ name: s.name, data: s.data }))`,
      )) as Line[];
    const expected = (scheme: string, event: 'switch' | 'exit' | 'mmdrop', key: 'atomics' | 'remoteReads' | 'ipis'): [number, number][] =>
      file.cells.filter((c) => c.scheme === scheme).map((c) => [c.cpus, Number(c.costs.perEvent![event][key].toFixed(4))]);
    // each event starts on its main cost: switch atomics, exit and mmdrop remote reads
    expect(await page.getAttribute('#cpus-0-switch', 'data-cost')).toBe('atomics');
    expect(await page.getAttribute('#cpus-0-exit', 'data-cost')).toBe('remoteReads');
    const sw = await lines('cpus-0-switch');
    expect(sw.map((l) => l.name)).toEqual(['refcount', 'shootdown:mask=online']);
    expect(sw[0]!.data).toEqual(expected('refcount', 'switch', 'atomics'));
    expect(sw[0]!.data.map((d) => d[0])).toEqual([2, 4, 8]);
    expect((await lines('cpus-0-exit'))[1]!.data).toEqual(expected('shootdown', 'exit', 'remoteReads'));
    // the selector redraws the chart with another cost: shootdown:mask=online IPIs N − 1 CPUs per final mmdrop
    await page.selectOption('#cpus-0-mmdrop-cost', 'ipis');
    expect(await page.getAttribute('#cpus-0-mmdrop', 'data-cost')).toBe('ipis');
    const md = await lines('cpus-0-mmdrop');
    expect(md[1]!.data).toEqual([
      [2, 1],
      [4, 3],
      [8, 7],
    ]);
    expect(md[0]!.data).toEqual(expected('refcount', 'mmdrop', 'ipis'));
    expect(await page.textContent('#cpus-0-mmdrop-cost option:checked')).toBe('IPIs');
    expect(await undrawn(page)).toEqual([]);
    expect(await page.evaluate(`echarts.getInstanceByDom(document.getElementById('cpus-0-mmdrop')).getOption().title[0].subtext`)).toBe(
      'IPIs per event (counts)',
    );
    // the tooltip at N = 8 names each scheme's value and fit
    await page.evaluate(`echarts.getInstanceByDom(document.getElementById('cpus-0-mmdrop')).dispatchAction({ type: 'showTip', seriesIndex: 1, dataIndex: 2 })`);
    await page.waitForFunction(`document.getElementById('cpus-0-mmdrop').innerText.includes('N = 8 CPUs')`, undefined, { timeout: 10_000 });
    const tip = await page.textContent('#cpus-0-mmdrop');
    expect(tip).toContain('N = 8 CPUs, IPIs per event');
    expect(tip).toMatch(/shootdown:mask=online: 7 \(-1\.00 \+ 1\.00·N \(R² 1\.000\) → 1023\.00 at N=1024\)/);

    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
