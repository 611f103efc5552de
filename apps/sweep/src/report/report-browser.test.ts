/**
 * report.html in real headless Chromium (Debian's /usr/bin/chromium through playwright-core,
 * installed by ensureChromium when missing): a tiny sweep with a violating cell is written
 * with the in-process API, the page is opened as a file:// URL with every network request
 * refused, and the heatmap, the cost charts and the swimlanes must be drawn, with no console
 * error and no page error.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shrinkFirstFailures, shrunkBuildOptions, writeShrunk } from '../cli/sweep-command.js';
import { runSweep } from '../engine/sweep.js';
import { smallCells } from '../engine/test-support.js';
import { writeResultDir } from '../results/write.js';
import { CHROMIUM_ARGS, ensureChromium } from '../test-support/chromium.js';

const tmp = mkdtempSync(join(tmpdir(), 'lazytlb-report-browser-'));
let browser: Browser | undefined;
let out: string;

beforeAll(async () => {
  const executablePath = ensureChromium();
  browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS] });
  const r = await runSweep({ cells: smallCells(), matrixSeed: 'report-html', runs: 60, threads: 1 });
  const shrunk = await shrinkFirstFailures(r, [], () => {});
  out = join(tmp, 'out');
  writeResultDir(out, r, shrunkBuildOptions(shrunk));
  writeShrunk(out, shrunk);
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

describe('report.html in headless Chromium', () => {
  it('draws the heatmap, the cost charts and the swimlanes offline, without errors', async () => {
    const path = join(out, 'report.html');
    expect(existsSync(path)).toBe(true);
    expect(readFileSync(path, 'utf8')).toContain('id="heatmap"');
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

    // The heatmap shows a violating cell, the swimlane marks the violation.
    const heat = (await page.evaluate(`echarts.getInstanceByDom(document.getElementById('heatmap')).getOption().series[0].data.map((d) => d.verdict)`)) as string[];
    expect(heat).toContain('violates');
    expect(heat).toContain('safe');
    const caption = await page.textContent('.swimlane-section .swimlane-caption');
    expect(caption).toMatch(/^I\d+ .* violated at step \d+ on CPU\d+: /);
    const mark = (await page.evaluate(`(echarts.getInstanceByDom(document.getElementById(${JSON.stringify(lanes[0]!.id)})).getOption().series[0].markArea.data[0][0].name)`)) as string;
    expect(mark).toMatch(/^I\d+ .* violated \(step \d+, CPU\d+\)$/);

    // The tooltip of a swimlane block names its step, CPU, actor and kernel function.
    const laneSel = `#${lanes[0]!.id}`;
    await page.evaluate(`echarts.getInstanceByDom(document.querySelector(${JSON.stringify(laneSel)})).dispatchAction({ type: 'showTip', seriesIndex: 0, dataIndex: 0 })`);
    await page.waitForFunction(`document.querySelector(${JSON.stringify(laneSel)}).innerText.includes('step 0, CPU')`, undefined, { timeout: 10_000 });
    expect(await page.innerText(laneSel)).toMatch(/step 0, CPU\d+ <(task|irq|hyp)>\n?\w+: /);

    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    expect(statSync(path).size).toBeGreaterThan(1_000_000); // echarts is inlined
    await page.close();
  });
});
