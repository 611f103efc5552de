/**
 * Writing a results directory: failures/<cell>-<kind>.json (one artifact per first failure;
 * hazards failures/<cell>-hazard-<id>.json, use sites failures/<cell>-site-<slug>.json),
 * report.md and report.html (src/report/write.ts writes both), and results.json last (it is the commit point). Every file is written to a
 * temporary name and renamed, so a reader never sees a half-written file; callers validate
 * before calling this, so a sweep that failed validation never touches --out.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type BuildOptions, buildResults, failurePath, type PluginRegistry, type ResultsFile, type SweepResult } from '@lazytlb/explore';
import { writeReports } from '../report/write.js';
import { writeFileAtomic } from '../io/atomic.js';

export { writeFileAtomic } from '../io/atomic.js';

export function resultsJson(file: ResultsFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** Write results.json, report.md, report.html and failures/ for a sweep result; returns the results object. */
export function writeResultDir(dir: string, r: SweepResult, registry: PluginRegistry, opts: BuildOptions = {}): ResultsFile {
  const file = buildResults(r, opts);
  mkdirSync(join(dir, 'failures'), { recursive: true });
  const keep = new Set<string>();
  for (const [i, a] of r.aggregates.entries()) {
    for (const f of Object.values(a.firstFailures)) {
      const name = failurePath(i, f).slice('failures/'.length);
      keep.add(name);
      writeFileAtomic(join(dir, 'failures', name), `${JSON.stringify(f.artifact, null, 2)}\n`);
    }
  }
  writeReports(dir, file, opts.shrunk, { registry });
  writeFileAtomic(join(dir, 'results.json'), resultsJson(file));
  // Artifacts of an earlier sweep into the same directory that this one does not reference.
  for (const name of readdirSync(join(dir, 'failures'))) {
    if (/^\d+-[\w-]+\.json$/.test(name) && !keep.has(name)) rmSync(join(dir, 'failures', name), { force: true });
  }
  return file;
}
