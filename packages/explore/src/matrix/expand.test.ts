import { describe, expect, it } from 'vitest';
import { cellCount, cellKey, expandMatrix } from './expand.js';
import type { MatrixSpec } from './types.js';

const spec: MatrixSpec = {
  arches: [
    { name: 'reference', options: {} },
    { name: 'x86-native', options: { invlpgb: true } },
  ],
  schemes: ['refcount', 'none'],
  cpus: [2, 4],
  workloads: [{ profile: 'default' }],
  strategies: [{ kind: 'random' }, { kind: 'pct', depth: 3 }],
  runs: 10,
  seed: 's',
};

describe('expandMatrix', () => {
  it('expands arch × scheme × cpus × workload × strategy, innermost last', () => {
    const cells = expandMatrix(spec);
    expect(cells).toHaveLength(cellCount(spec));
    expect(cells).toHaveLength(16);
    expect(cells.map((c) => c.index)).toEqual([...Array(16).keys()]);
    const label = (i: number) => {
      const c = cells[i]!;
      return `${c.arch.name}/${c.scheme}/${c.cpus}/${c.strategy.kind}`;
    };
    expect([0, 1, 2, 3, 4, 8, 15].map(label)).toEqual([
      'reference/refcount/2/random',
      'reference/refcount/2/pct',
      'reference/refcount/4/random',
      'reference/refcount/4/pct',
      'reference/none/2/random',
      'x86-native/refcount/2/random',
      'x86-native/none/4/pct',
    ]);
  });

  it('scheme options and preemption models: an axis after the scheme; defaults leave the cell key as it was', () => {
    const cells = expandMatrix({
      ...spec,
      arches: [spec.arches[0]!],
      schemes: ['refcount', { name: 'shootdown', options: { mask: 'online' } }],
      preempts: ['full', 'rt'],
      cpus: [2],
      strategies: [{ kind: 'random' }],
    });
    expect(cells.map((c) => [c.scheme, c.schemeOptions, c.preempt])).toEqual([
      ['refcount', undefined, undefined],
      ['refcount', undefined, 'rt'],
      ['shootdown', { mask: 'online' }, undefined],
      ['shootdown', { mask: 'online' }, 'rt'],
    ]);
    expect(cellKey(cells[0]!)).toBe(
      cellKey(expandMatrix({ ...spec, arches: [spec.arches[0]!], schemes: ['refcount'], cpus: [2], strategies: [{ kind: 'random' }] })[0]!),
    );
    expect(cellCount({ ...spec, preempts: ['none', 'full', 'rt'] })).toBe(48);
  });

  it('memory models: an axis after the preemption model; sc leaves the cell key as it was', () => {
    const one = { ...spec, arches: [spec.arches[1]!], schemes: ['refcount' as const], cpus: [2], strategies: [{ kind: 'random' as const }] };
    const cells = expandMatrix({ ...one, preempts: ['full', 'rt'], memories: ['sc', 'tso'] });
    expect(cells.map((c) => [c.preempt, c.memory])).toEqual([
      [undefined, undefined],
      [undefined, 'tso'],
      ['rt', undefined],
      ['rt', 'tso'],
    ]);
    expect(cells[0]).not.toHaveProperty('memory');
    expect(cellKey(cells[0]!)).toBe(cellKey(expandMatrix(one)[0]!));
    expect(cellKey(cells[1]!)).toContain('"memory":"tso"');
    expect(cellCount({ ...spec, memories: ['sc', 'tso'] })).toBe(32);
    expect(cellCount({ ...spec, preempts: ['full', 'rt'], memories: ['sc', 'tso'] })).toBe(
      expandMatrix({ ...spec, preempts: ['full', 'rt'], memories: ['sc', 'tso'] }).length,
    );
  });

  it('carries the step budget', () => {
    expect(expandMatrix({ ...spec, stepBudget: 500 })[0]!.stepBudget).toBe(500);
    expect(expandMatrix(spec)[0]!.stepBudget).toBeUndefined();
  });

  it('cellKey is canonical and ignores the index', () => {
    const [a] = expandMatrix(spec);
    const b = { ...a!, index: 99, arch: { options: {}, name: 'reference' } };
    expect(cellKey(b)).toBe(cellKey(a!));
    expect(cellKey(a!)).toBe(
      '{"arch":{"name":"reference","options":{}},"cpus":2,"scheme":"refcount","strategy":{"kind":"random"},"workload":{"profile":"default"}}',
    );
    const keys = expandMatrix(spec).map(cellKey);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
