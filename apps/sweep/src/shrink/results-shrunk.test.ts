import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { shrinkFirstFailures, shrunkBuildOptions } from '@lazytlb/explore';
import { writeShrunk } from '../cli/sweep-command.js';
import { runSweep } from '@lazytlb/explore';
import { smallCells } from '../test-support/engine.js';
import { parseResults } from '@lazytlb/explore';
import { writeResultDir } from '../results/write.js';
import { createRegistry } from '../plugins/bundled.js';

const registry = await createRegistry();

const tmp = mkdtempSync(join(tmpdir(), 'lazytlb-shrunk-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('shrunk first failures in results.json and report.md', () => {
  it('records sizes before/after and the bug depth of every shrunk first failure', async () => {
    const r = await runSweep({ registry, cells: smallCells(), matrixSeed: 'shrunk', runs: 100, threads: 1 });
    const shrunk = await shrinkFirstFailures(r, await createRegistry([]), () => {});
    expect(shrunk.size).toBeGreaterThan(0);
    const f = writeResultDir(tmp, r, registry, shrunkBuildOptions(shrunk));
    writeShrunk(tmp, shrunk);
    expect(parseResults(JSON.parse(readFileSync(join(tmp, 'results.json'), 'utf8')))).toEqual(f);
    const entries = f.cells.flatMap((c) => c.firstFailures);
    expect(entries.length).toBe(shrunk.size);
    for (const x of entries) {
      const s = x.shrunk!;
      expect(x.shrunkSteps).toBe(s.after.steps);
      expect(s.before.steps).toBe(x.steps);
      for (const k of ['steps', 'cpus', 'tasks', 'ops'] as const) expect(s.after[k]).toBeLessThanOrEqual(s.before[k]);
      expect(s.after.options.length).toBeLessThanOrEqual(s.before.options.length);
      const d = x.bugDepth!;
      expect(d.depth).toBeGreaterThanOrEqual(1);
      expect(d.depth).toBeLessThanOrEqual(d.preemptions + 1);
      if (d.pct !== null) expect(d.depth).toBeLessThanOrEqual(d.pct);
    }
    const md = readFileSync(join(tmp, 'report.md'), 'utf8');
    expect(md).toMatch(/shrunk to \d+ steps \(\d+ CPUs?, \d+ tasks?, \d+ ops?, default options\), bug depth ≤ \d+ \(\d+ preemptions?/);
    expect(md).toContain('is an upper bound');
  });
});
