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

/** results.json without its timing fields, as text. */
export function stripTiming(f: ResultsFile): string {
  const { timing: _t, ...rest } = f;
  return JSON.stringify(rest, null, 2);
}
