/** Helpers for the engine's tests (not part of the build's API). */
import type { CellSpec } from '../matrix/types.js';

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
