/** The scheme conformance suite and its building blocks. */
export { ambientRunner, describeSchemeConformance } from './describe.js';
export { resolveSchemeConformanceOptions, type ResolvedSchemeConformanceOptions, type SchemeConformanceOptions } from './options.js';
export {
  archLabel,
  cpuCountsFor,
  makeSchemeSim,
  memoryModelsOf,
  reportSchemeRun,
  schemeCellLabel,
  schemeOptionsLabel,
  type SchemeCellSpec,
  type SchemeConformanceArch,
} from './cell.js';
export {
  BORROWED_BARRIERS,
  checkSchemeClaims,
  checkSchemeDefaultOptions,
  checkSchemeDescriptor,
  checkSchemeGarbageOptions,
  checkSchemeKconfig,
  checkSchemeOptionValues,
  checkSchemeSetup,
  checkSchemeUseSites,
  listOptionValues,
  listedOptionSets,
} from './descriptor.js';
export {
  ACCOUNTING_DISABLED,
  ACCOUNTING_ORACLES,
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
  schemeFingerprint,
  type OutcomeCounts,
  type SchemeRunFingerprint,
} from './runs.js';
export { probeScheme, type ProbeTopic, type SchemeProbeReport } from './probe.js';
