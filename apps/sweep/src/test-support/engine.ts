/** Helpers shared by the app's engine, results and CLI tests (not part of the build's API). */
import { fileURLToPath } from 'node:url';
import type { CellSpec, ResultsFile } from '@lazytlb/explore';

export { smallCells } from './small-cells.js';

export const THROWER = fileURLToPath(new URL('./fixtures/thrower-plugin.mjs', import.meta.url));
export const CRASHER = fileURLToPath(new URL('./fixtures/crasher-plugin.mjs', import.meta.url));

/**
 * Cells that differ only in their CPU count (report.md's "Cost vs CPUs", report.html's
 * cost-vs-CPUs charts): refcount and shootdown:mask=online (whose final mmdrop IPIs every other
 * online CPU: N − 1 per event) on x86-native at each of `cpus`, random strategy.
 */
export function cpuSeriesCells(cpus: readonly number[] = [2, 4, 8]): CellSpec[] {
  const out: CellSpec[] = [];
  for (const [scheme, schemeOptions] of [
    ['refcount', undefined],
    ['shootdown', { mask: 'online' }],
  ] as const) {
    for (const n of cpus) {
      out.push({
        index: out.length,
        arch: { name: 'x86-native', options: {} },
        scheme,
        ...(schemeOptions !== undefined ? { schemeOptions } : {}),
        cpus: n,
        workload: { profile: 'default' },
        strategy: { kind: 'random' },
      });
    }
  }
  return out;
}

/** results.json without its timing fields, as text. */
export function stripTiming(f: ResultsFile): string {
  const { timing: _t, ...rest } = f;
  return JSON.stringify(rest, null, 2);
}
