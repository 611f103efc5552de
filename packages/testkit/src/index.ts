/**
 * @lazytlb/testkit: directed scenarios (LKML-style interleavings driven step by step
 * through the core model), the shared conformance suite every arch plugin runs from its own
 * tests, and the one every lazy-mm scheme plugin runs (describeSchemeConformance). The minimal asm-generic-style reference arch lives in @lazytlb/core (so core
 * can test itself); it is re-exported here for plugin authors.
 */
export { referenceArch, ReferenceArchOptions, REF_IPI_FLUSH } from '@lazytlb/core';

export {
  Scenario,
  scenario,
  SCENARIO_SEED,
  type CommandRecord,
  type CpuExpectation,
  type EventFilter,
  type FinishOptions,
  type HazardFinding,
  type MmExpectation,
  type ScenarioOptions,
  type TaskExpectation,
  type UseSiteFinding,
} from './scenario/scenario.js';
export { CpuDriver, type UntilOptions } from './scenario/cpu-driver.js';
export { ScenarioError } from './scenario/errors.js';
export { ScenarioNames, UnknownNameError, type MmRef } from './scenario/names.js';
export { formatCommand, parseCommand, parseScript, ScriptSyntaxError, type Command, type StepActor } from './scenario/script.js';
export { type MmStage, type TaskState, TASK_STATE_NAMES } from './scenario/state.js';
export { child, ioWorker, kthread, programWords, ringExitWorker, thread, toExplicitWorkload, useMmWorker, type TaskSpec } from './scenario/task-spec.js';

export * from './conformance/index.js';
