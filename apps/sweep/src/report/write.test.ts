import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { shrinkFirstFailures, shrunkBuildOptions } from '@lazytlb/explore';
import { writeShrunk } from '../cli/sweep-command.js';
import { runSweep } from '@lazytlb/explore';
import { smallCells } from '../test-support/engine.js';
import { mergeResultDirs } from '../results/merge-dirs.js';
import { writeResultDir } from '../results/write.js';
import type { ReportData } from './data.js';
import { ECHARTS_BUNDLE_PATH } from './echarts-bundle.js';
import { inlineScript } from './html.js';
import { echartsSource } from './write.js';
import { createRegistry } from '../plugins/bundled.js';

const registry = await createRegistry();

const tmp = mkdtempSync(join(tmpdir(), 'lazytlb-report-write-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function reportDataOf(dir: string): ReportData {
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  return JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]!) as ReportData;
}

describe('report.html writer', () => {
  it('writeResultDir writes report.html next to report.md, atomically, with echarts inlined and swimlanes of the shrunk failures', async () => {
    const r = await runSweep({ registry, cells: smallCells(), matrixSeed: 'report-write', runs: 60, threads: 1 });
    const shrunk = await shrinkFirstFailures(r, await createRegistry([]), () => {});
    const dir = join(tmp, 'out');
    const f = writeResultDir(dir, r, registry, shrunkBuildOptions(shrunk));
    writeShrunk(dir, shrunk);
    expect(readdirSync(dir).sort()).toEqual(['failures', 'report.html', 'report.md', 'results.json']);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    // the package's echarts build (dist/report/echarts-report.min.js), inlined whole
    const lib = readFileSync(ECHARTS_BUNDLE_PATH, 'utf8');
    expect(echartsSource()).toBe(lib);
    expect(html).toContain(`<script>${inlineScript(lib)}</script>`);
    const d = reportDataOf(dir);
    expect(d.heatmap.points).toHaveLength(f.cells.length);
    expect(d.swimlanes.length).toBe(shrunk.size);
    expect(d.swimlanes.length).toBeGreaterThan(0);

    // merge output (the same code path) gets one too, with the same charts
    const merged = join(tmp, 'merged');
    writeResultDir(merged, mergeResultDirs([dir]), registry);
    const m = reportDataOf(merged);
    expect(m.heatmap).toEqual(d.heatmap);
    expect(m.costs).toEqual(d.costs);
    expect(m.swimlanes).toEqual([]); // not shrunk again here: no swimlanes, no error
  });
});
