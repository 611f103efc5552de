/**
 * The embedded default matrix (`lazytlb sweep` with no matrix flags): every bundled plugin
 * with its main options × the three schemes × 2 and 4 CPUs × the default workload × PCT with
 * depth 3 (so that safe cells carry PCT's bound on a missed bug of depth 1–3).
 *
 * Sizing: 8 arch entries × 3 schemes × 2 CPU counts = 48 cells. Measured (2026-11-25, two
 * idle cores): 48 × 100 000 runs took 63 s including pool start-up and shrinking, so
 * 200 000 runs per cell was about two minutes. Measured again after issue 10 (2026-12-06, two
 * cores): 48 × 200 000 runs in 241 s (the model's runs are longer: 208 steps on average, at the
 * same ~8.3 M steps/s on two threads), so 200 000 runs per cell took about four minutes: the
 * default is now 120 000 runs per cell (the 3-minute bound; PCT's miss bounds for depth 2 stay
 * far below 1e-9), about two and a half minutes. After issue 11 (memory-access granularity:
 * x86 runs 30% longer, the v6.13 release replacing the clear-on-switch row): 2 min 26 s for the
 * whole command (2026-12-07). The `memory` axis stays out of the default matrix (sc only): the
 * x86 tso rows are a separate command in the root README. After issue 12 (schemes as plugins,
 * 5-7% slower per sweep): 2 min 36 s - 2 min 40 s for the sweep, 2 min 51 s with the build
 * (2026-12-07), one run at 3 min 6 s on a noisy machine: too close to the bound, so the default
 * is now 100 000 runs per cell. The proposal schemes (hazptr, lazy-mm-scan, implicit-shootdown)
 * stay out of the default matrix: matrices/schemes.yaml is their truth table (200 cells x 20 000
 * runs, 2 min 7 s).
 */
import type { MatrixSpec } from '@lazytlb/explore';

export const DEFAULT_RUNS = 100_000;

export const DEFAULT_MATRIX: MatrixSpec = {
  arches: [
    { name: 'x86-native', options: {} },
    { name: 'x86-native', options: { release: 'v6.13' } },
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
  strategies: [{ kind: 'pct', depth: 3 }],
  runs: DEFAULT_RUNS,
  seed: '0',
};
