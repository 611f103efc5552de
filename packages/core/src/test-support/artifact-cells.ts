/**
 * Cells that between them fill the optional parts of an artifact's `cell` (arch and scheme
 * options, preempt, mutations, disabled invariants, an explicit workload): the artifact option
 * round-trip tests and the artifact JSON Schema tests record artifacts from them.
 */
import type { SimulatorOptions } from '../run/simulator.js';

export const ARTIFACT_OPTION_CELLS: readonly Omit<SimulatorOptions, 'plugin'>[] = [
  { scheme: 'none', cpus: 4, workload: 'default', strategy: { kind: 'pct', depth: 3 } },
  {
    archOptions: { leaveKeepsMaskBit: false },
    scheme: 'shootdown',
    schemeOptions: { mask: 'online' },
    cpus: 3,
    workload: { profile: 'exit-heavy', params: { processes: 3, ops: { sleep: 5 } } },
  },
  { scheme: 'refcount', preempt: 'rt', cpus: 2, workload: 'hotplug', mutations: ['hotplug-no-force-init-mm'], stepBudget: 5000 },
  { scheme: 'none', cpus: 2, workload: 'kthread-heavy', disabledInvariants: ['I14', 'I1'] },
  {
    scheme: 'refcount',
    cpus: 2,
    workload: {
      explicit: {
        tasks: [
          { name: 'A', kind: 'user', cpu: 0, mm: 'm', program: ['run', 'clone B', 'munmap freed-tables', 'sleep 1'] },
          { name: 'B', kind: 'user', cpu: 1, unstarted: true, program: ['run'] },
        ],
        tickPreemptions: 2,
      },
    },
  },
];
