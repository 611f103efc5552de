/** The engine tests' small cells, for the app's tests (a copy: explore's test support is not part of its API). */
import type { CellSpec } from '@lazytlb/explore';

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
