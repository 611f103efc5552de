/**
 * Writing the reports of a results file (results/write.ts's writeResultDir calls writeReports, so
 * sweep, resume and merge outputs all get both): report.md (markdown.ts) and report.html — the data
 * model (data.ts) with the swimlanes of the shrunk first failures (swimlane.ts), rendered by the
 * template (html.ts) with the echarts library inlined: the package's own build of only the parts
 * the report uses (echarts-bundle.ts), read at write time. Each written atomically.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { PluginRegistry, ResultsFile, ShrunkFailure } from '@lazytlb/explore';
import { buildReportData, type ReportData } from './data.js';
import { echartsBundleSource } from './echarts-bundle.js';
import { renderReportHtml } from './html.js';
import { renderReport } from './markdown.js';
import { buildSwimlanes } from './swimlane.js';

/** The text of the echarts library report.html inlines (dist/report/echarts-report.min.js, read once per process). */
export function echartsSource(): string {
  return echartsBundleSource();
}

export interface ReportHtmlOptions {
  /** Where the arch and scheme plugins that replay the shrunk artifacts come from (the sweep's registry: its loaded plugins). */
  readonly registry: PluginRegistry;
}

/** report.html's data for a results file and its shrunk first failures (by artifact path). */
export function reportData(file: ResultsFile, shrunk: ReadonlyMap<string, ShrunkFailure> | undefined, opts: ReportHtmlOptions): ReportData {
  const { swimlanes, notes } = buildSwimlanes(file, shrunk, opts.registry);
  return buildReportData(file, swimlanes, notes);
}

/** The text of report.html. */
export function reportHtml(file: ResultsFile, shrunk: ReadonlyMap<string, ShrunkFailure> | undefined, opts: ReportHtmlOptions): string {
  return renderReportHtml(reportData(file, shrunk, opts), echartsSource());
}

/** Write DIR/report.html atomically. */
export function writeReportHtml(dir: string, file: ResultsFile, shrunk: ReadonlyMap<string, ShrunkFailure> | undefined, opts: ReportHtmlOptions): void {
  writeFileAtomic(join(dir, 'report.html'), reportHtml(file, shrunk, opts));
}

/** Write DIR/report.md and DIR/report.html (each atomically): the two renderings of one results file. */
export function writeReports(dir: string, file: ResultsFile, shrunk: ReadonlyMap<string, ShrunkFailure> | undefined, opts: ReportHtmlOptions): void {
  writeFileAtomic(join(dir, 'report.md'), renderReport(file));
  writeReportHtml(dir, file, shrunk, opts);
}
