import { createSimulator } from '@lazytlb/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MATRIX, DEFAULT_RUNS } from './default.js';
import { cellCount, expandMatrix } from '@lazytlb/explore';
import { matrixFromFlags } from './flags.js';
import { createRegistry } from '../plugins/bundled.js';

describe('default matrix', () => {
  it('covers every bundled plugin with its main options, 3 schemes, 2 and 4 CPUs', () => {
    expect(DEFAULT_MATRIX.arches.map((a) => a.name)).toEqual([
      'x86-native',
      'x86-native',
      'x86-native',
      'x86-paravirt',
      'x86-paravirt',
      'x86-paravirt',
      'powerpc',
      'powerpc',
    ]);
    expect(DEFAULT_MATRIX.schemes).toEqual(['refcount', 'shootdown', 'none']);
    expect(DEFAULT_MATRIX.cpus).toEqual([2, 4]);
    expect(cellCount(DEFAULT_MATRIX)).toBe(48);
  });

  it('is valid: every cell builds a simulator', async () => {
    for (const cell of expandMatrix(DEFAULT_MATRIX)) {
      const plugin = await (await createRegistry()).arch(cell.arch.name);
      expect(() =>
        createSimulator({ plugin, archOptions: cell.arch.options, scheme: cell.scheme, cpus: cell.cpus, workload: cell.workload, strategy: cell.strategy }),
      ).not.toThrow();
    }
  });

  it('is what an empty flag set gives', async () => {
    expect(await matrixFromFlags({})).toEqual(DEFAULT_MATRIX);
  });

  it('is sized for under three minutes on two cores', () => {
    // Measured 2026-11-25: 48 cells x 100 000 runs in 63 s on two idle cores (~38k runs/s/thread).
    // Measured 2026-12-06 (issue 10 model, longer runs): 48 x 200 000 runs in 241 s (~20k runs/s/thread).
    const seconds = (cellCount(DEFAULT_MATRIX) * DEFAULT_RUNS) / (2 * 20_000);
    expect(seconds).toBeGreaterThan(90);
    expect(seconds).toBeLessThan(180);
  });
});
