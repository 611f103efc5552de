/** The shared arch conformance suite and its building blocks. */
export { describeArchConformance } from './describe.js';
export type { ConformanceOptions, ResolvedConformanceOptions } from './options.js';
export { resolveConformanceOptions } from './options.js';
export type { ConformanceExpect, ConformanceMatchers, TestRunner } from './runner.js';
export { type CellSpec, cellLabel, makeSim, reportRun, schemeLabel, seedsOf } from './cell.js';
export { checkCleanRuns, TRACED_CLEAN_RUNS, whyNotClean, WORKLOAD_ACTIVITIES } from './clean-runs.js';
export { checkDefaultOptions, checkDescriptor, checkGarbageOptions, checkMutations, checkSetupHooks, checkUseSites } from './descriptor.js';
export { checkDeterminism, fingerprint, type RunFingerprint } from './determinism.js';
export {
  checkBootState,
  checkHookTypesDuringRuns,
  checkOptionalHooks,
  OPTIONAL_HOOKS,
  OPTIONAL_RUN_HOOKS,
  type OptionalHookCalls,
  type OptionalRunHook,
} from './hook-contracts.js';
export { checkNoMathRandom, MathRandomCalled, withMathRandomForbidden } from './no-random.js';
export { checkReplay } from './replay.js';
export { checkSerialization } from './serialization.js';
export * from './scheme/index.js';
