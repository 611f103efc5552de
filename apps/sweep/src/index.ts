/**
 * @lazytlb/sweep: the `lazytlb` CLI and its building blocks (matrix parsing, the worker-pool
 * engine, results, replay and shrinking), usable from code.
 */
export { main, buildProgram, reportError } from './cli/program.js';
export { EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, EXIT_VIOLATIONS, UsageError } from './cli/exit-codes.js';
export type { ArchSpec, CellSpec, MatrixSpec, SchemeSpec } from './matrix/types.js';
export { DEFAULT_MATRIX, DEFAULT_RUNS } from './matrix/default.js';
export { expandMatrix, cellKey } from './matrix/expand.js';
export { matrixFromFlags } from './matrix/flags.js';
export { parseMatrixFile, parseMatrixText } from './matrix/parse-file.js';
export { MatrixError } from './matrix/errors.js';
export { parseDuration } from './matrix/duration.js';
export { runSweep, type SweepOptions, type SweepProgress } from './engine/sweep.js';
export type { FailureClass, FirstFailure, SweepResult } from './engine/types.js';
export { coverageBucket, coverageSummary, type CoverageSummary, type StateSketches } from './engine/coverage.js';
export { buildResults, pctReport, perEventCosts } from './results/build.js';
export { mergeResultDirs } from './results/merge.js';
export { readResultDir } from './results/read.js';
export {
  CellCoverage, CellResult, EventCosts, MemoryModel, parseResults, PctReport, PerEventCosts, RESULTS_SCHEMA, ResultsError, ResultsFile, VERDICTS,
} from './results/schema.js';
export { writeResultDir } from './results/write.js';
export { reportData, reportHtml, writeReportHtml } from './report/write.js';
export { buildReportData, type ReportData } from './report/data.js';
export { renderReportHtml } from './report/html.js';
export { costTrend, type CostTrend, cpuGroups, type CpuGroup, type CpuSeries, fitLine, type LineFit } from './report/cost-vs-cpus.js';
export { listArches } from './plugins/list.js';
export { formatSchemes, listSchemes, type SchemeInfo } from './plugins/list-schemes.js';
export { loadPluginPath, resolvePlugin, UnknownArchError } from './plugins/resolve.js';
export {
  BUNDLED_SCHEMES, resolveSchemePlugin, resolveSchemeWithSource, SchemeNotLoadedError, schemePluginForArtifact, UnknownSchemeError,
} from './plugins/schemes.js';
export { newScheme, type NewSchemeResult } from './new-scheme/new-scheme.js';
export { replayFile } from './replay/replay.js';
export { formatLkml } from './replay/lkml.js';
export { toPerfetto, formatPerfetto, type PerfettoTrace } from './replay/perfetto.js';
export { shrinkArtifact } from './shrink/shrink.js';
export { bugDepth } from './shrink/bug-depth.js';
export { findingOf, type Finding } from './shrink/target.js';
export { runMutants, type MutantsOptions, type MutantsRun } from './mutants/run.js';
export { loadCatalog, type CatalogEntry } from './mutants/catalog.js';
export { MUTANTS_SCHEMA, MutantsFile } from './mutants/schema.js';
