/** Helpers shared by the engine and results tests (not part of the build's API). */
import { fileURLToPath } from 'node:url';
import type { CellSpec } from '../matrix/types.js';
import type { ResultsFile } from '../results/schema.js';

export const THROWER = fileURLToPath(new URL('./test-fixtures/thrower-plugin.mjs', import.meta.url));
export const CRASHER = fileURLToPath(new URL('./test-fixtures/crasher-plugin.mjs', import.meta.url));

/** Small cells: the reference arch on 2 CPUs, every scheme under random and PCT(3). */
export function smallCells(arch = 'reference'): CellSpec[] {
  const out: CellSpec[] = [];
  for (const scheme of ['refcount', 'none'] as const) {
    for (const strategy of [{ kind: 'random' as const }, { kind: 'pct' as const, depth: 3 }]) {
      out.push({ index: out.length, arch: { name: arch, options: {} }, scheme, cpus: 2, workload: { profile: 'default' }, strategy });
    }
  }
  return out;
}

/**
 * Cells that differ only in their CPU count (report.md's "Cost vs CPUs", report.html's
 * cost-vs-CPUs charts): refcount and shootdown:mask=online (whose final mmdrop IPIs every other
 * online CPU: N − 1 per event) on x86-native at each of `cpus`, random strategy.
 */
export function cpuSeriesCells(cpus: readonly number[] = [2, 4, 8]): CellSpec[] {
  const out: CellSpec[] = [];
  for (const [scheme, schemeOptions] of [['refcount', undefined], ['shootdown', { mask: 'online' }]] as const) {
    for (const n of cpus) {
      out.push({
        index: out.length, arch: { name: 'x86-native', options: {} }, scheme, ...(schemeOptions !== undefined ? { schemeOptions } : {}), cpus: n,
        workload: { profile: 'default' }, strategy: { kind: 'random' },
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
