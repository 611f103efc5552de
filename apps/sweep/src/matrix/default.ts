/**
 * The embedded default matrix (`lazytlb sweep` with no matrix flags): every bundled plugin
 * with its main options × the three schemes × 2 and 4 CPUs × the default workload × the
 * random strategy.
 *
 * Sizing: 8 arch entries × 3 schemes × 2 CPU counts = 48 cells. Measured on this model,
 * a default-workload run is ~150–165 steps on clean cells and ~75–90 on failing ones, and
 * the core does 2.4–5 M steps/s per thread, i.e. 15k–65k runs/s (about 30k on average).
 * Two cores give ~60k runs/s, so 48 cells × 100k runs = 4.8 M runs ≈ 80 s of stepping,
 * plus worker start-up, batching and artifact capture: about two minutes.
 */
import type { MatrixSpec } from './types.js';

export const DEFAULT_RUNS = 100_000;

export const DEFAULT_MATRIX: MatrixSpec = {
  arches: [
    { name: 'x86-native', options: {} },
    { name: 'x86-native', options: { cpumask: 'clear-on-switch' } },
    { name: 'x86-native', options: { invlpgb: true } },
    { name: 'x86-paravirt', options: { backend: 'kvm' } },
    { name: 'x86-paravirt', options: { backend: 'hyperv' } },
    { name: 'x86-paravirt', options: { backend: 'xen' } },
    { name: 'powerpc', options: { mmu: 'radix' } },
    { name: 'powerpc', options: { mmu: 'hash' } },
  ],
  schemes: ['refcount', 'shootdown', 'none'],
  cpus: [2, 4],
  workloads: [{ profile: 'default' }],
  strategies: [{ kind: 'random' }],
  runs: DEFAULT_RUNS,
  seed: '0',
};
