import type { TraceEvent } from '@lazytlb/core';
import { describe, expect, it } from 'vitest';
import { shrinkFirstFailures, shrunkBuildOptions } from '@lazytlb/explore';
import { runSweep } from '@lazytlb/explore';
import { smallCells } from '../test-support/engine.js';
import type { PluginRegistry } from '@lazytlb/explore';
import { buildResults } from '@lazytlb/explore';
import { buildSwimlanes, slotEvents } from './swimlane.js';
import { createRegistry } from '../plugins/bundled.js';

const registry = await createRegistry();

const r = await runSweep({ registry, cells: smallCells(), matrixSeed: 'report-swimlane', runs: 60, threads: 1 });
const shrunk = await shrinkFirstFailures(r, await createRegistry([]), () => {});
const file = buildResults(r, shrunkBuildOptions(shrunk));

describe('report.html swimlanes', () => {
  it('one per shrunk first failure: the replayed trace in per-CPU slots, the violation, hazard or use site marked', () => {
    const { swimlanes, notes } = buildSwimlanes(file, shrunk, registry);
    expect(notes).toEqual([]);
    const withShrunk = file.cells.flatMap((c) => c.firstFailures.filter((x) => x.shrunkSteps !== null).map((x) => ({ c, x })));
    expect(withShrunk.length).toBeGreaterThan(0);
    expect(swimlanes.map((s) => s.id)).toEqual(withShrunk.map(({ x }) => `swimlane-${x.artifact.replace(/^failures\//, '').replace(/\.json$/, '')}`));
    expect(new Set(withShrunk.map(({ x }) => x.class))).toEqual(new Set(['violation', 'hazard', 'use-site']));
    for (const [i, s] of swimlanes.entries()) {
      const { x } = withShrunk[i]!;
      expect(s.artifact).toBe(x.artifact.replace(/\.json$/, '.shrunk.json'));
      expect(s.reproduced).toBe(true);
      expect(s.steps).toBe(x.shrunkSteps);
      expect(s.events.length).toBeGreaterThan(0);
      for (const e of s.events) {
        expect(e.cpu).toBeLessThan(s.cpus);
        expect(e.slot).toBeLessThan(e.slots);
        expect(e.fn).not.toBe('');
      }
      const v = s.finding!;
      expect(v).not.toBeNull();
      expect([v.class, v.key]).toEqual([x.class, x.key]);
      expect(v.message).not.toBe('');
      if (x.class === 'violation') {
        expect(v.name).not.toBe('');
        expect(v.caption).toMatch(/^I\d+ .* violated at step \d+ on CPU\d+: /);
        expect(s.events.some((e) => e.violation === x.key && e.step === v.step)).toBe(true);
      } else if (x.class === 'hazard') {
        expect(v.caption).toMatch(/^I3 lazy-pointer-live hazard at step \d+ on CPU\d+ /);
        expect(s.events.some((e) => e.hazard === 'I3' && e.step === v.step)).toBe(true);
        expect(v.step).toBe(s.steps - 1); // the artifact stops right after the hazard's step
      } else {
        expect(v.caption).toContain(x.key);
        expect(v.step).toBe(s.steps - 1);
      }
    }
  });

  it('a failure that cannot be replayed gets a note, not a swimlane; no shrunk artifacts, no swimlanes', () => {
    // A registry that has none of the plugins.
    const empty = { loadedArch: () => undefined, loadedSchemeForArtifact: () => undefined } as unknown as PluginRegistry;
    const none = buildSwimlanes(file, shrunk, empty);
    expect(none.swimlanes).toEqual([]);
    expect(none.notes.length).toBe(shrunk.size);
    expect(none.notes[0]).toMatch(
      /^cell \d+ I\d+: no swimlane, failures\/\d+-I\d+\.shrunk\.json could not be replayed: arch plugin "reference" is not loaded$/,
    );
    expect(none.notes.some((n) => /^cell \d+ hazard I3: no swimlane, failures\/\d+-hazard-I3\.shrunk\.json could not/.test(n))).toBe(true);
    expect(buildSwimlanes(file, undefined, registry)).toEqual({ swimlanes: [], notes: [] });
  });

  it('splits a step among the events a CPU has in it', () => {
    const ev = (step: number, cpu: number, fn: string): TraceEvent => ({ step, cpu, actor: 'task', fn, text: '' });
    expect(slotEvents([ev(0, 0, 'a'), ev(0, 1, 'b'), ev(0, 0, 'c'), ev(1, 0, 'd')]).map((e) => [e.fn, e.slot, e.slots])).toEqual([
      ['a', 0, 2],
      ['b', 0, 1],
      ['c', 1, 2],
      ['d', 0, 1],
    ]);
  });
});
