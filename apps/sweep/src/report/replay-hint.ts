/**
 * From a failure to its replay: one line per first failure with the invariant, the cell, the
 * seed and the exact command that replays it (the shrunk artifact when there is one: shorter
 * to read, same failure).
 */
import { strategyToString } from '@lazytlb/core';
import { join } from 'node:path';
import type { CellResult, FirstFailureEntry, ResultsFile } from '@lazytlb/explore';

/** Quote for a POSIX shell only when needed (paths with spaces or shell characters). */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The artifact to replay (relative to the output directory): the shrunk one when the failure was shrunk. */
export function replayArtifact(f: FirstFailureEntry): string {
  return f.shrunk !== null ? f.artifact.replace(/\.json$/, '.shrunk.json') : f.artifact;
}

/** `lazytlb replay OUT/failures/2-I7.shrunk.json`. */
export function replayCommand(outDir: string, f: FirstFailureEntry): string {
  return `lazytlb replay ${shellQuote(join(outDir, replayArtifact(f)))}`;
}

function cellLabel(c: CellResult): string {
  const opts = Object.entries(c.options)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(',');
  const strategy = strategyToString(c.strategy);
  const schemeOpts = Object.entries(c.schemeOptions ?? {})
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(',');
  return `cell ${c.index} (${c.arch}${opts !== '' ? `:${opts}` : ''}, ${c.scheme}${schemeOpts !== '' ? `:${schemeOpts}` : ''}, ${c.cpus} CPUs, ${strategy})`;
}

/** One line per first failure: `I7 in cell 2 (x86-native, shootdown, 2 CPUs, pct:3), seed 717d…: lazytlb replay …`. */
export function replayHints(file: ResultsFile, outDir: string): string[] {
  const lines: string[] = [];
  for (const c of file.cells) {
    for (const f of c.firstFailures) {
      lines.push(`${f.key} ${f.class} in ${cellLabel(c)}, seed ${f.seed}: ${replayCommand(outDir, f)}`);
    }
  }
  return lines;
}
