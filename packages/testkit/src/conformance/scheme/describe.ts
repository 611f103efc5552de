/**
 * describeSchemeConformance(plugin, options?): the shared test suite a lazy-mm scheme plugin runs
 * from its own test file:
 *
 *     import { describeSchemeConformance } from '@lazytlb/testkit';
 *     import scheme from './index.js';
 *     describeSchemeConformance(scheme);
 *
 * Under vitest the suite finds the runner itself; with another runner, pass it
 * (`{ runner: { describe, it, expect } }`, or as the second argument like describeArchConformance).
 *
 * It tells a scheme author whether the package is well formed and deterministic, not whether
 * the scheme is safe: that is what sweeps judge, and a scheme that is unsafe on some arch must
 * (and does) pass. A violation in its runs is a finding (counted and logged), except I4: an
 * I4 means lazy_refs disagrees with the mm_count references the scheme itself took, a bug of
 * the plugin. See the check modules beside this file for what each test means.
 */
import { resolveSchemeOptions, type MemoryModel, type SchemePlugin } from '@lazytlb/core';
import type { TestRunner } from '../runner.js';
import {
  archLabel,
  cpuCountsFor,
  makeSchemeSim,
  memoryModelsOf,
  schemeOptionsLabel,
  workloadLabel,
  type SchemeCellSpec,
  type SchemeConformanceArch,
} from './cell.js';
import { checkDeclaredStateOf } from '../declared-state.js';
import {
  checkSchemeClaims,
  checkSchemeDefaultOptions,
  checkSchemeDescriptor,
  checkSchemeGarbageOptions,
  checkSchemeKconfig,
  checkSchemeOptionValues,
  checkSchemeSetup,
  checkSchemeUseSites,
} from './descriptor.js';
import { resolveSchemeConformanceOptions, type SchemeConformanceOptions } from './options.js';
import {
  checkSchemeAccounting,
  checkSchemeBarrierClaims,
  checkSchemeDeterminism,
  checkSchemeHookCalls,
  checkSchemeNoMathRandom,
  checkSchemeNoPluginErrors,
  checkSchemeObserverHooks,
  checkSchemeReplay,
  checkSchemeSequences,
  checkSchemeSharedState,
  withExitHeavy,
} from './runs.js';

/** The option set resolves to the scheme's defaults. */
function isDefault(plugin: SchemePlugin<any>, so: unknown): boolean {
  try {
    return resolveSchemeOptions(plugin as SchemePlugin<unknown>, so) === null;
  } catch {
    return false;
  }
}

/** Runs driven through the step API per workload in the observer-hook check. */
const OBSERVER_RUNS = 3;

function isRunner(v: unknown): v is TestRunner {
  const r = v as Partial<TestRunner> | null;
  return typeof r === 'object' && r !== null && typeof r.describe === 'function' && typeof r.it === 'function' && typeof r.expect === 'function';
}

/**
 * The test runner when none is passed: vitest's (the running vitest worker's module, which it
 * keeps on globalThis.__vitest_index__ for in-source tests), else the globals a runner such as
 * jest (or vitest with `globals: true`) installs.
 */
export function ambientRunner(): TestRunner {
  const g = globalThis as Record<string, unknown>;
  for (const candidate of [g.__vitest_index__, g]) if (isRunner(candidate)) return { describe: candidate.describe, it: candidate.it, expect: candidate.expect };
  throw new Error(
    'describeSchemeConformance: no test runner found (not running under vitest, and no global describe / it / expect): ' +
      'pass yours, describeSchemeConformance(plugin, { runner: { describe, it, expect } }) or describeSchemeConformance(plugin, { describe, it, expect }, options)',
  );
}

/**
 * Register the scheme conformance suite for `plugin`: `describeSchemeConformance(plugin)` or
 * `(plugin, options)` inside a vitest test file (the runner is found, or given as
 * `options.runner`), or `(plugin, { describe, it, expect }, options)` as describeArchConformance
 * takes it.
 */
export function describeSchemeConformance(plugin: SchemePlugin<any>, options?: SchemeConformanceOptions): void;
export function describeSchemeConformance(plugin: SchemePlugin<any>, runner: TestRunner, options?: SchemeConformanceOptions): void;
export function describeSchemeConformance(plugin: SchemePlugin<any>, second?: TestRunner | SchemeConformanceOptions, third?: SchemeConformanceOptions): void {
  const options: SchemeConformanceOptions = (isRunner(second) ? third : second) ?? {};
  const runner = isRunner(second) ? second : (options.runner ?? ambientRunner());
  const { describe, it, expect } = runner;
  const o = resolveSchemeConformanceOptions(plugin, options);
  const t = o.timeout;
  const ref = o.arches[0]!;
  const extra = o.arches.slice(1);
  const wl = workloadLabel(o.workload);
  const cell = (schemeOptions: unknown, arch: SchemeConformanceArch, memory: MemoryModel, cpus: number, workload = o.workload): SchemeCellSpec => ({
    scheme: plugin,
    schemeOptions,
    arch,
    cpus,
    workload,
    ...(memory !== 'sc' ? { memory } : {}),
    ...(o.preempt !== undefined ? { preempt: o.preempt } : {}),
  });
  /** Every (arch, memory model) pair the scheme runs on. */
  const archMemories = o.arches.flatMap((a) => memoryModelsOf(a).map((memory) => [a, memory] as const));
  const refCpus = cpuCountsFor(ref, o.cpuCounts);
  const tsoArches = memoryModelsOf(ref).includes('tso') ? [ref] : extra.filter((a) => memoryModelsOf(a).includes('tso'));

  describe(`scheme conformance: ${String(plugin?.name)}@${String(plugin?.version)}`, () => {
    it('descriptor is valid (validateSchemePlugin), shadows no built-in scheme, and a cell records it', () => checkSchemeDescriptor(plugin, expect), t);
    it(
      'kconfig: a possible Kconfig (never MMU_LAZY_TLB_REFCOUNT=y with MMU_LAZY_TLB_SHOOTDOWN=y; other: single lines, no symbol twice or against the fields)',
      () => checkSchemeKconfig(plugin),
      t,
    );
    it('claims: well formed; every barrier other kernel code borrows from the lazy-mm helpers is declared', () => checkSchemeClaims(plugin), t);
    it(
      'options: {} parses to JSON-safe defaults that re-parse to themselves, form the default cell and are not refused',
      () => checkSchemeDefaultOptions(plugin, expect, o.schemeOptions),
      t,
    );
    it('options: each option has a description, a default, and listed values that form cells (name:key=value)', () => checkSchemeOptionValues(plugin), t);
    it('options: garbage is rejected with a clear SchemeOptionsError', () => checkSchemeGarbageOptions(plugin, o.strictOptions, o.invalidOptions), t);
    it(
      "use sites: well formed; ids unique and not the core's or an arch's; a cell reports them after the core's and the arch's; patchedSites well formed",
      () => checkSchemeUseSites(plugin, expect, o.arches, o.schemeOptions),
      t,
    );

    for (const so of o.schemeOptions) {
      const body = (): void => {
        it('setup() returns complete hooks (validateSchemeHooks) for every arch and memory model', () => checkSchemeSetup(plugin, expect, so, o.arches), t);

        const probeCells = archMemories.flatMap(([a, memory]) =>
          withExitHeavy(o.workload).map((w) => cell(so, a, memory, cpuCountsFor(a, o.cpuCounts)[0]!, w)),
        );
        it(
          `hook calls: void hooks return nothing, lazy_refs is a stable count >= 0, no hook throws (${o.hookSeeds} seeds of ${withExitHeavy(o.workload).join(' and ')} per arch)`,
          () => {
            checkSchemeHookCalls(plugin, probeCells, o.hookSeeds);
          },
          t,
        );
        it(
          'observer hooks: after every step describe_cpu is a one-line string and lazy_refs a count >= 0, both stable pure reads',
          () => {
            for (const w of withExitHeavy(o.workload)) checkSchemeObserverHooks(cell(so, ref, 'sc', refCpus[0]!, w), OBSERVER_RUNS);
          },
          t,
        );
        it(
          'determinism: same cell + seed => same outcome, steps, costs, decisions and trace; other simulators, seed order and tracing change nothing',
          () => {
            for (const [a, memory] of archMemories) {
              for (const cpus of cpuCountsFor(a, o.cpuCounts))
                for (const w of withExitHeavy(o.workload)) checkSchemeDeterminism(cell(so, a, memory, cpus, w), expect, o.determinismSeeds);
            }
          },
          t,
        );
        it(
          'no Math.random during setup or runs',
          () => {
            for (const w of withExitHeavy(o.workload)) checkSchemeNoMathRandom(cell(so, ref, 'sc', refCpus[0]!, w), o.determinismSeeds);
          },
          t,
        );
        for (const [a, memory] of archMemories) {
          for (const cpus of cpuCountsFor(a, o.cpuCounts)) {
            it(
              `no plugin errors: ${archLabel(a)} ${memory}, ${cpus} CPUs, ${o.seeds} seeds of the ${wl} workload (violations are findings, not failures)`,
              () => {
                checkSchemeNoPluginErrors(cell(so, a, memory, cpus), o.seeds, o.log);
              },
              t,
            );
          }
        }
        for (const cpus of refCpus) {
          it(
            `accounting (I4): ${archLabel(ref)} sc, ${cpus} CPUs, ${o.accountingSeeds} seeds each of ${withExitHeavy(o.workload).join(' and ')}: lazy_refs matches the scheme's mm_count references (safety oracles off)`,
            () => {
              checkSchemeAccounting(cell(so, ref, 'sc', cpus), o.accountingSeeds);
            },
            t,
          );
        }
        if (tsoArches.length === 0) {
          it(
            `accounting (I4) under tso: skipped, the ${archLabel(ref)} arch offers only ${memoryModelsOf(ref).join(', ')} and no arch in options.arches offers tso`,
            () => {
              expect(memoryModelsOf(ref).includes('tso') || extra.some((a) => memoryModelsOf(a).includes('tso')), 'no arch of the suite offers tso').toBe(
                false,
              );
            },
            t,
          );
        }
        for (const a of tsoArches) {
          for (const cpus of cpuCountsFor(a, o.cpuCounts)) {
            it(
              `accounting (I4) under tso: ${archLabel(a)}, ${cpus} CPUs, ${o.accountingSeeds} seeds each of ${withExitHeavy(o.workload).join(' and ')} (safety oracles off)`,
              () => {
                checkSchemeAccounting(cell(so, a, 'tso', cpus), o.accountingSeeds);
              },
              t,
            );
          }
        }
        it(
          `sequence hooks (mmput, cleanup_lazy_tlbs): a returned pc has a resume hook, pcs are 1..65535, every sequence ends (${o.sequenceSeeds} seeds of exit-heavy)`,
          () => {
            checkSchemeSequences(
              plugin,
              archMemories.flatMap(([a, memory]) => cpuCountsFor(a, o.cpuCounts).map((cpus) => cell(so, a, memory, cpus, 'exit-heavy'))),
              o.sequenceSeeds,
            );
          },
          t,
        );
        it(
          'shared state: reset() declares SchemePlugin.sharedState; stores go to declared slots, in range, from the executing CPU, one writer per element',
          () => {
            checkSchemeSharedState(plugin, probeCells, o.hookSeeds);
          },
          t,
        );
        it(
          'claims: each borrowed barrier the scheme says it provides is a full barrier where it is relied on',
          () => {
            checkSchemeBarrierClaims(
              plugin,
              refCpus.map((cpus) => cell(so, ref, 'sc', cpus)),
              o.hookSeeds,
            );
          },
          t,
        );
        if (plugin.declaresState === true) {
          it(
            'declared state (declaresState): a run restored to a saved point goes on as the run that never left it (exhaustive search snapshots only declared state)',
            () => {
              for (const [a, memory] of archMemories) {
                const c = cell(so, a, memory, cpuCountsFor(a, o.cpuCounts)[0]!);
                checkDeclaredStateOf(makeSchemeSim(c), `${plugin.name} on ${archLabel(a)} (${memory})`, expect, o.replaySeeds * 2);
              }
            },
            t,
          );
        }
        it(
          'replayArtifact reproduces recorded runs with the scheme plugin (ok and failing), tracing off and on',
          () => {
            checkSchemeReplay(cell(so, ref, 'sc', refCpus[0]!), expect, o.replaySeeds);
          },
          t,
        );
      };
      if (o.schemeOptions.length > 1) describe(`options ${schemeOptionsLabel(plugin, so)}${isDefault(plugin, so) ? ' (defaults)' : ''}`, body);
      else body();
    }
  });
}
