/**
 * describeArchConformance(plugin, { describe, it, expect }, options?): the shared test suite
 * every arch plugin runs from its own test file, with its own runner:
 *
 *     import { describe, expect, it } from 'vitest';
 *     import { describeArchConformance } from '@lazytlb/testkit';
 *     import plugin from '../src/index.js';
 *     describeArchConformance(plugin, { describe, it, expect });
 *
 * It registers one describe block per plugin (and one nested block per option set) with a
 * test per contract; see the check modules beside this file for what each one means.
 */
import { SCHEME_DANGLING_PREMISE, type ArchPlugin, type Scheme } from '@lazytlb/core';
import { schemeLabel, type CellSpec } from './cell.js';
import { checkCleanRuns } from './clean-runs.js';
import { checkDefaultOptions, checkDescriptor, checkGarbageOptions, checkMutations, checkSetupHooks, checkUseSites } from './descriptor.js';
import { checkDeclaredState } from './declared-state.js';
import { checkDeterminism } from './determinism.js';
import { checkBootState, checkHookTypesDuringRuns, checkOptionalHooks } from './hook-contracts.js';
import { checkNoMathRandom } from './no-random.js';
import { type ConformanceOptions, resolveConformanceOptions } from './options.js';
import { checkReplay } from './replay.js';
import type { TestRunner } from './runner.js';
import { checkSerialization } from './serialization.js';

/** What a clean run means under `scheme`, for test names. */
function cleanSuffix(scheme: Scheme): string {
  return SCHEME_DANGLING_PREMISE[scheme] ? " (hazards allowed: the scheme's premise is a dangling pointer)" : ' with no hazard';
}

export function describeArchConformance(plugin: ArchPlugin<any>, runner: TestRunner, options: ConformanceOptions = {}): void {
  const { describe, it, expect } = runner;
  const o = resolveConformanceOptions(options, plugin.capabilities?.maxCpus ?? 2);
  const cellOf = (archOptions: unknown, scheme: Scheme, cpus: number, workload: CellSpec['workload']): CellSpec => ({
    plugin,
    archOptions,
    scheme,
    cpus,
    workload,
    ...(o.schemeOptions[scheme] !== undefined ? { schemeOptions: o.schemeOptions[scheme] } : {}),
    ...(o.preempt !== undefined ? { preempt: o.preempt } : {}),
  });
  const cell = (archOptions: unknown, scheme: Scheme, cpus: number): CellSpec => cellOf(archOptions, scheme, cpus, o.workload);
  const label = (scheme: Scheme): string => {
    const schemeOptions = o.schemeOptions[scheme];
    return schemeLabel({ scheme, ...(schemeOptions !== undefined ? { schemeOptions } : {}) });
  };
  const smallCpus = o.cpuCounts[0]!;

  describe(`arch conformance: ${String(plugin.name)}@${String(plugin.version)}`, () => {
    it('descriptor is valid (validateArchPlugin)', () => checkDescriptor(plugin, expect), o.timeout);
    it('options: {} parses to JSON-safe defaults that re-parse to themselves', () => checkDefaultOptions(plugin, expect, o.archOptions), o.timeout);
    it('options: garbage is rejected with a clear PluginLoadError', () => checkGarbageOptions(plugin, o.strictOptions, o.invalidOptions), o.timeout);
    it('use sites: every useSites entry is well formed; ids are unique and not core ids', () => checkUseSites(plugin, expect), o.timeout);
    it(
      'mutations: each names valid cells of this plugin where it bites, or none (cells: []) with noVictim saying why',
      () => checkMutations(plugin),
      o.timeout,
    );

    for (const archOptions of o.archOptions) {
      const body = (): void => {
        it('setup() returns complete hooks (validateHooks)', () => checkSetupHooks(plugin, expect, archOptions), o.timeout);
        it(
          'boot state: hw_root is init_mm on every CPU, tlb_may_hold(init_mm) is false, switch to init_mm stays there',
          () => {
            for (const cpus of o.cpuCounts) checkBootState(cell(archOptions, 'refcount', cpus));
          },
          o.timeout,
        );
        it(
          'hooks return values of the right types at every step (hw_root, shoot_lazies_mask, tlb_may_hold, describe_cpu)',
          () => {
            for (const scheme of o.schemes) checkHookTypesDuringRuns(cell(archOptions, scheme, smallCpus), 3);
          },
          o.timeout,
        );
        if (o.hookSeeds > 0) {
          it(
            'optional hooks (cpu_idle_deep, use_temporary_mm, suspend_resume, tlbbatch_flush): well-formed arguments, nothing returned, no throw, every scheme',
            () => {
              checkOptionalHooks(
                o.schemes.map((scheme) => cell(archOptions, scheme, o.cpuCounts[o.cpuCounts.length - 1]!)),
                o.hookSeeds,
              );
            },
            o.timeout,
          );
        }
        for (const scheme of o.schemes) {
          it(
            `determinism (${label(scheme)}): same cell + seed => same outcome, steps, costs and decisions`,
            () => {
              for (const cpus of o.cpuCounts) checkDeterminism(cell(archOptions, scheme, cpus), expect, o.determinismSeeds);
            },
            o.timeout,
          );
        }
        it(
          'no Math.random during setup or runs',
          () => {
            for (const scheme of o.schemes) checkNoMathRandom(cell(archOptions, scheme, smallCpus), o.determinismSeeds);
          },
          o.timeout,
        );
        for (const scheme of o.cleanSchemes) {
          for (const cpus of o.cpuCounts) {
            it(
              `clean runs: ${label(scheme)}, ${cpus} CPUs, ${o.seeds} seeds of the ${typeof o.workload === 'string' ? o.workload : 'given'} workload all end ok${cleanSuffix(scheme)}`,
              () => {
                checkCleanRuns(cell(archOptions, scheme, cpus), o.seeds);
              },
              o.timeout,
            );
          }
        }
        const maxCpus = o.cpuCounts[o.cpuCounts.length - 1]!;
        if (o.hotplugSeeds > 0 && maxCpus >= 2) {
          for (const scheme of o.cleanSchemes) {
            it(
              `clean runs under CPU hotplug: ${label(scheme)}, ${maxCpus} CPUs, ${o.hotplugSeeds} seeds of the hotplug profile (cpu_down/cpu_up, cpu_disable/cpu_up hooks)${cleanSuffix(scheme)}`,
              () => {
                checkCleanRuns(cellOf(archOptions, scheme, maxCpus, 'hotplug'), o.hotplugSeeds);
              },
              o.timeout,
            );
          }
        }
        if (plugin.declaresState === true) {
          it(
            'declared state (declaresState): a run restored to a saved point goes on as the run that never left it (exhaustive search snapshots only declared state)',
            () => {
              for (const scheme of o.schemes) checkDeclaredState(cell(archOptions, scheme, smallCpus), expect, o.determinismSeeds);
            },
            o.timeout,
          );
        }
        it(
          'RunResult and artifacts survive structuredClone; artifacts survive JSON + parseArtifact',
          () => {
            for (const scheme of o.schemes) checkSerialization(cell(archOptions, scheme, smallCpus), expect, 2);
          },
          o.timeout,
        );
        it(
          'replayArtifact reproduces recorded runs (ok and failing), with tracing off and on',
          () => {
            for (const scheme of o.schemes) checkReplay(cell(archOptions, scheme, smallCpus), expect, o.replaySeeds);
          },
          o.timeout,
        );
      };
      if (o.archOptions.length > 1) describe(`options ${JSON.stringify(archOptions)}`, body);
      else body();
    }
  });
}
