/**
 * @lazytlb/core: the mm/scheduler model of Linux lazy TLB mm handling, the arch plugin ABI
 * (v1), explorer strategies, invariant oracles, cost counters, traces and exact replay.
 */
export { ABI_VERSION, SUPPORTED_ABIS, defineArchPlugin } from './abi/plugin.js';
export type {
  ArchAbi,
  ArchCapabilities,
  ArchHooks,
  ArchInvariantDoc,
  ArchPlugin,
  ArchSetupEnv,
  MutationCell,
  MutationDoc,
  NextPc,
  SequenceHook,
  SharedStateDoc,
} from './abi/plugin.js';
export type { ArchKernel } from './abi/arch-kernel.js';
export { PluginLoadError, PluginSetupError, memoryModelRefusal, parseArchOptions, validateArchPlugin, validateHooks } from './abi/validate.js';
export { MAX_SCHEME_SHARED, MEMORY_MODELS, SB_CAPACITY, type MemoryModel, type SharedArray } from './machine/store-buffer.js';

export * as constants from './machine/constants.js';
export {
  FLUSH_FREED_TABLES,
  FLUSH_FULLMM,
  FLUSH_MM,
  FLUSH_RANGE,
  INIT_MM,
  IPI_ARCH_BASE,
  IPI_CHECK_LAZY,
  IPI_SHOOT_LAZY,
  MAX_CPUS,
  NO_MM,
  NO_TASK,
  REASON_ARCH,
  REASON_FLUSH,
  REASON_SHOOTDOWN,
} from './machine/constants.js';
export { Kernel, ModelError, cpumaskWeight } from './model/kernel.js';

export {
  DEFAULT_PREEMPT,
  InvalidKconfigError,
  Kconfig,
  PreemptModel,
  SCHEME_DANGLING_PREMISE,
  SCHEME_DESCRIPTIONS,
  SCHEME_OPTIONS,
  SCHEMES,
  Scheme,
  SchemeInput,
  SchemeName,
  SchemeOptionsError,
  formatScheme,
  kconfigOf,
  resolveScheme,
  resolveSchemeOptions,
  schemeFromKconfig,
  type SchemeOptions,
} from './config/scheme.js';
export {
  LAZY_ARCH,
  LAZY_CONTEXT_SWITCH,
  LAZY_CPU_UP,
  LAZY_EXEC_MMAP,
  LAZY_EXIT_MM,
  LAZY_FINISH_CPU,
  LAZY_FINISH_TASK_SWITCH,
  LAZY_IDLE_TASK_EXIT,
  LAZY_KTHREAD_UNUSE_MM,
  LAZY_KTHREAD_USE_MM,
  LAZY_SCHED_FORCE_INIT_MM,
  LAZY_SITE_NAMES,
  SCHEME_ABI_VERSION,
  SUPPORTED_SCHEME_ABIS,
  defineSchemePlugin,
} from './scheme/abi.js';
export type {
  SchemeAbi,
  SchemeArchClaim,
  SchemeBarrierDoc,
  SchemeClaims,
  SchemeHooks,
  SchemeInvariantDoc,
  SchemeKconfig,
  SchemePlugin,
  SchemeSequenceHook,
  SchemeSetupEnv,
} from './scheme/abi.js';
export type { SchemeKernel } from './scheme/scheme-kernel.js';
export { BUILTIN_SCHEMES, builtinScheme, noneScheme, refcountScheme, shootdownScheme } from './scheme/builtin/index.js';
export { MEMBARRIER_BARRIER, MM_CID_BARRIER, REFCOUNT_N_BARRIERS } from './scheme/builtin/barriers.js';
export { refcountNHooks } from './scheme/builtin/refcount-n.js';
export { validatePlugin, validateSchemeHooks, validateSchemePlugin, type AnyPlugin } from './scheme/validate.js';
export { CORE_USE_SITES, MAX_USE_SITES, type UseSiteDoc, type UseSiteKind } from './findings/sites.js';
export { HAZARD_IDS, type HazardId } from './model/kernel.js';
export { OBJECTS_PER_SLAB } from './model/slab.js';

export {
  CORE_MUTATIONS,
  MUT_HOTPLUG_NO_FORCE_INIT_MM,
  MUT_IDLE_TASK_EXIT_MMDROP,
  MUT_KERNEL_EXECVE_PREEMPT,
  MUT_KTHREAD_USE_MM_IRQS_ON,
  MUT_MMGRAB_LAZY_NONATOMIC,
  coreMutation,
  type CoreMutation,
} from './mutations/catalog.js';
export { MutationError, mutationsFor, resolveMutations, type ResolvedMutations } from './mutations/resolve.js';

export * as costs from './cost/counters.js';
export { COST_NAMES, costsToObject, type CostName, type Costs } from './cost/counters.js';

export { INVARIANT_IDS, INVARIANTS, invariantName, type InvariantId, type Violation } from './invariants/catalog.js';

export { FirstScheduleExplorer, PctExplorer, RandomExplorer, StrategySpec, createExplorer, parseStrategy, strategyToString } from './explorer/strategy.js';
export type { Explorer } from './explorer/explorer.js';
export { ReplayDivergence, ReplayExplorer, type ReplayExplorerOptions } from './explorer/replay.js';
export { LenientReplayExplorer } from './explorer/lenient-replay.js';
export { RecordingExplorer, preemptionPoints } from './explorer/recording.js';
export { GuidedExplorer, type Chooser } from './explorer/guided.js';

export { Sfc32 } from './prng/sfc32.js';
export { hashString128, runSeed, seedFromHex, seedToHex, type RunSeed } from './prng/seed.js';

export { OpWeights, WorkloadParams, checkRenamedParams, type WorkloadParamsInput } from './workload/params.js';
export { ExplicitTask, ExplicitWorkload, ExplicitWorkloadLoader, NAME_PATTERN, WorkloadError, type ExplicitWorkloadInput } from './workload/explicit.js';
export {
  OP_WORDS,
  canonicalOpWord,
  decodeOp,
  encodeOp,
  formatOp,
  parseOp,
  type FormatOpOptions,
  type OpName,
  type OpNames,
  type OpRefs,
  type OpWord,
  type WorkloadOp,
} from './workload/ops.js';
export {
  decompileProgram,
  decompileRun,
  decompileTasks,
  explicitWorkloadOf,
  traceNames,
  type DecompiledTask,
  type DecompiledWorkload,
} from './run/decompile.js';
export { PROFILE_NAMES, ProfileName, WorkloadSpec, resolveWorkload, type WorkloadName } from './workload/profiles.js';
export {
  CANONICAL_NAMES,
  CANONICAL_PREFIX,
  CANONICAL_WORKLOADS,
  canonicalWorkload,
  canonicalWorkloadFor,
  isCanonicalRef,
  isKnownCanonicalRef,
  type CanonicalName,
  type CanonicalWorkload,
  type CanonicalWorkloadRef,
} from './workload/canonical.js';

export { canonicalJson } from './run/canonical.js';
export {
  DEFAULT_STEP_BUDGET,
  Simulator,
  createSimulator,
  type CellConfig,
  type FindingTarget,
  type OutcomeKind,
  type PluginErrorInfo,
  type RunFinding,
  type RunOptions,
  type RunResult,
  type SimulatorOptions,
} from './run/simulator.js';
export { BOOKKEEPING, BOOKKEEPING_SCALARS, StateHasher } from './model/state-hash.js';
export {
  ARTIFACT_SCHEMA,
  ARTIFACT_SCHEMA_V2,
  Artifact,
  ArtifactError,
  Fingerprints,
  Outcome,
  SOURCE_HASH_PREFIX,
  Target,
  artifactModelMismatch,
  artifactSimulatorOptions,
  findingIds,
  isSourceHashArtifact,
  makeArtifact,
  outcomeOf,
  parseArtifact,
  replayArtifact,
  type ReplayOptions,
  type ReplayResult,
} from './artifact/artifact.js';

export { fingerprint, fingerprintInt32, fmix32 } from './coverage/fingerprint.js';
export {
  HLL_BASE64_LENGTH,
  HLL_P,
  HLL_REGISTERS,
  HyperLogLog,
  SketchError,
  hllAdd,
  hllEstimate,
  hllIsEmpty,
  hllMergeInto,
  hllParse,
  hllSerialize,
} from './coverage/hll.js';

export { Tracer, type ActorKind, type TracedKernel, type TraceEvent } from './trace/tracer.js';
export { formatTraceColumns, type FormatOptions } from './trace/format.js';

export { REF_IPI_FLUSH, ReferenceArchOptions, referenceArch } from './reference-arch/reference-arch.js';

export { CORE_VERSION } from './generated/version.js';

export { archCorpus, CORPUS_STEP_BUDGET, CORPUS_VERSION, coreCorpus, optionVariants, schemeCorpus, type CorpusCell } from './behaviour/corpus.js';
export {
  archFingerprint,
  behaviourFingerprints,
  coreFingerprint,
  fingerprintMismatch,
  schemeFingerprint,
  type BehaviourFingerprints,
} from './behaviour/fingerprint.js';
