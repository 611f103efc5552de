/**
 * report.html swimlanes of a scheme plugin's cell: the shrunk artifact records `schemeVersion`,
 * so its replay needs that scheme plugin (found among the bundled and already resolved ones);
 * when it is not loaded the failure gets a note naming --plugin instead of a swimlane.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { shrinkFirstFailures, shrunkBuildOptions } from '@lazytlb/explore';
import { runSweep } from '@lazytlb/explore';
import type { CellSpec } from '@lazytlb/explore';
import { buildResults } from '@lazytlb/explore';
import { buildSwimlanes } from './swimlane.js';
import { createRegistry } from '../plugins/bundled.js';

const COUNTED = fileURLToPath(new URL('../plugins/test-fixtures/counted-scheme.mjs', import.meta.url));
const cells: CellSpec[] = [
  {
    index: 0,
    arch: { name: 'reference', options: {} },
    scheme: 'counted',
    schemeOptions: { mode: 'skip' },
    cpus: 2,
    workload: { profile: 'default' },
    strategy: { kind: 'random' },
  },
];
const withCounted = await createRegistry([COUNTED]);
const r = await runSweep({ cells, matrixSeed: 'swimlane-scheme', runs: 40, threads: 1, registry: withCounted });
const shrunk = await shrinkFirstFailures(r, withCounted, () => {});
const file = buildResults(r, shrunkBuildOptions(shrunk));

describe("report.html swimlanes of a scheme plugin's cell", () => {
  it('replays with the resolved scheme plugin', () => {
    expect(file.cells[0]).toMatchObject({ scheme: 'counted', schemeVersion: '1.2.3', verdict: 'violates' });
    expect(shrunk.size).toBeGreaterThan(0);
    const { swimlanes, notes } = buildSwimlanes(file, shrunk, withCounted);
    expect(notes).toEqual([]);
    expect(swimlanes.length).toBe(shrunk.size);
    expect(swimlanes[0]!.title).toContain('counted:mode=skip');
    expect(swimlanes.every((s) => s.reproduced)).toBe(true);
  });

  it('a scheme plugin that is not loaded: a note naming --plugin, no swimlane', async () => {
    const { swimlanes, notes } = buildSwimlanes(file, shrunk, await createRegistry());
    expect(swimlanes).toEqual([]);
    expect(notes.length).toBe(shrunk.size);
    expect(notes[0]).toMatch(
      /^cell 0 I3: no swimlane, failures\/0-I3\.shrunk\.json could not be replayed: it was recorded with scheme plugin counted@1\.2\.3, which is not loaded: pass its module with --plugin PATH/,
    );
  });
});
