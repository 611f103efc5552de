/**
 * @lazytlb/sweep: the `lazytlb` command line. The engine is @lazytlb/explore (use it for sweeps,
 * shrinking and replay from code); this package adds what a command line needs: argument and
 * matrix-file parsing, the bundled plugins and their registry, results directories, reports
 * (report.md, report.html), progress and exit codes.
 */
export { main, buildProgram, reportError, EXIT_CODE_OF } from './cli/program.js';
export { EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, EXIT_VIOLATIONS, UsageError } from './cli/exit-codes.js';
export { DEFAULT_MATRIX, DEFAULT_RUNS } from './matrix/default.js';
export { matrixFromFlags } from './matrix/flags.js';
export { parseMatrixFile, parseMatrixText } from './matrix/parse-file.js';
export { MatrixError } from './matrix/errors.js';
export { parseDuration } from './matrix/duration.js';
export { BUNDLED, BUNDLED_SCHEMES, createRegistry } from './plugins/bundled.js';
export { mergeResultDirs } from './results/merge-dirs.js';
export { readResultDir } from './results/read.js';
export { writeResultDir } from './results/write.js';
export { reportData, reportHtml, writeReportHtml } from './report/write.js';
export { buildReportData, type ReportData } from './report/data.js';
export { renderReportHtml } from './report/html.js';
export { costTrend, type CostTrend, cpuGroups, type CpuGroup, type CpuSeries, fitLine, type LineFit } from './report/cost-vs-cpus.js';
export { listArches } from './plugins/list.js';
export { formatSchemes, listSchemes, type SchemeInfo } from './plugins/list-schemes.js';
export { newScheme, type NewSchemeResult } from './new-scheme/new-scheme.js';
export { replayFile } from './replay/replay.js';
