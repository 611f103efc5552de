/**
 * `lazytlb mutants`: sweep every catalogued mutation's cells with the mutation enabled (does the
 * sweep find the historical bug, how fast, with which strategy?) and the same cells without it
 * (the false-alarm check), shrink each kill, print a table or --json, write --out DIR.
 *
 * Exit codes: 0 every mutation killed (or declared without a modelled victim) and no false
 * alarm; 5 a false alarm (an unmutated cell violated); 4 a mutation with cells survived; 2 usage; 3 plugin or internal error (also: an error in an
 * unmutated cell, or a crash/model error anywhere); 130 interrupted. The first that applies, in
 * the order 130, 3, 5, 4.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createRegistry } from '../plugins/bundled.js';
import { OutputDir } from '../results/output-dir.js';
import { TOOL_VERSION } from '../results/version.js';
import { EXIT_ERROR, EXIT_FALSE_ALARM, EXIT_INTERRUPTED, EXIT_OK, EXIT_SURVIVED, UsageError } from './exit-codes.js';
import { ProgressReporter } from './progress.js';
import { DurationError, parseDuration } from '../matrix/duration.js';
import { writeFileAtomic } from '../results/write.js';
import { formatCatalog, loadCatalog } from '@lazytlb/explore';
import { type BudgetInput, runMutants } from '@lazytlb/explore';
import type { MutantsFile } from '@lazytlb/explore';
import { formatMutantsTable } from '../mutants/table.js';
import { parseVariants } from '@lazytlb/explore';
import { threadsFlag } from './args.js';

/**
 * Runs per (cell, strategy) when --budget is not given. Measured (apps/sweep/README.md, seeds
 * 0-5, all 8 catalogued mutations, 16 cells): every (mutation, cell) was killed by its best
 * strategy within 156 runs (every mutation within 10), so 5 000 leaves a margin of 32x; the
 * false-alarm check (every cell unmutated, the full 5 000 runs each) is most of the ~20 s on
 * two cores.
 */
export const DEFAULT_MUTANT_BUDGET = 5_000;

export interface MutantsCommandOptions {
  readonly budget?: string;
  readonly json?: boolean;
  readonly mutation?: string[];
  readonly threads?: string;
  readonly out?: string;
  readonly seed?: string;
  readonly strategies?: string[];
  readonly plugin?: string[];
  readonly shrink?: boolean;
  readonly depth?: boolean;
  readonly list?: boolean;
  readonly progress?: boolean;
}

/** `--budget 20000` (runs per cell and strategy) or `--budget 2m` (wall clock for the command). */
export function parseBudget(text: string | undefined): BudgetInput {
  if (text === undefined) return { kind: 'runs', runs: DEFAULT_MUTANT_BUDGET };
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const runs = Number(t);
    if (runs < 1 || !Number.isSafeInteger(runs)) throw new UsageError(`--budget ${text}: expected a positive number of runs or a duration (2m, 90s)`);
    return { kind: 'runs', runs };
  }
  try {
    return { kind: 'time', ms: parseDuration(t) };
  } catch (e) {
    if (e instanceof DurationError)
      throw new UsageError(
        `--budget ${text}: expected a number of runs per (cell, strategy) such as 20000, or ${e.message.replace(/^invalid duration "[^"]*": expected /, '')}`,
      );
    throw e;
  }
}

/** The exit code of a mutants result (see the module comment). */
export function mutantsExitCode(f: MutantsFile): number {
  if (f.interrupted) return EXIT_INTERRUPTED;
  const hard = (p: { crashes: number; modelErrors: number }): boolean => p.crashes + p.modelErrors > 0;
  if (f.controls.some((c) => hard(c.problems) || c.problems.pluginErrors + c.problems.deadlocks > 0)) return EXIT_ERROR;
  if (f.mutations.some((m) => m.cells.some((c) => c.strategies.some((s) => hard(s.problems))))) return EXIT_ERROR;
  if (f.totals.falseAlarms > 0) return EXIT_FALSE_ALARM;
  if (f.totals.survived > 0) return EXIT_SURVIVED;
  return EXIT_OK;
}

/** Write mutants.json (last) and the artifacts; stale artifacts of an earlier run there are removed. */
export function writeMutantsDir(dir: string, file: MutantsFile, artifacts: ReadonlyMap<string, unknown>): void {
  const keep = new Set<string>();
  for (const sub of ['kills', 'false-alarms']) mkdirSync(join(dir, sub), { recursive: true });
  for (const [path, a] of artifacts) {
    keep.add(path);
    writeFileAtomic(join(dir, path), `${JSON.stringify(a, null, 2)}\n`);
  }
  writeFileAtomic(join(dir, 'mutants.json'), `${JSON.stringify(file, null, 2)}\n`);
  for (const sub of ['kills', 'false-alarms']) {
    for (const name of readdirSync(join(dir, sub))) {
      if (name.endsWith('.json') && !keep.has(`${sub}/${name}`)) rmSync(join(dir, sub, name), { force: true });
    }
  }
}

export async function mutantsCommand(o: MutantsCommandOptions): Promise<number> {
  const registry = await createRegistry(o.plugin ?? []);
  // Checked before anything runs; written as a unit (results/output-dir.ts).
  const outDir = o.out !== undefined && o.list !== true ? OutputDir.prepare(o.out) : null;
  const only = (o.mutation ?? [])
    .flatMap((m) => m.split(','))
    .map((m) => m.trim())
    .filter((m) => m !== '');
  const budget = parseBudget(o.budget);
  const threads = threadsFlag(o.threads);
  const variants = parseVariants(o.strategies);
  const entries = await loadCatalog(registry, only);
  if (o.list === true) {
    process.stdout.write(
      o.json === true
        ? `${JSON.stringify(
            entries.map((e) => ({ ...e.doc, source: e.source })),
            null,
            2,
          )}\n`
        : formatCatalog(entries),
    );
    return EXIT_OK;
  }
  if (entries.length === 0) throw new UsageError('no mutation is catalogued (core, bundled plugins and --plugin PATH declare none)');

  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
    process.stderr.write('\nlazytlb: interrupted: finishing the batches in flight (Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint); // Kubernetes, Slurm preemption: handled like Ctrl-C
  const progress = o.progress === false ? null : new ProgressReporter();
  const log = (s: string): void => void process.stderr.write(s);
  let run;
  try {
    run = await runMutants({
      entries,
      variants,
      budget,
      seed: o.seed ?? '0',
      ...(threads !== undefined ? { threads } : {}),
      registry,
      toolVersion: TOOL_VERSION,
      shrink: o.shrink !== false,
      depth: o.depth !== false,
      artifactPaths: o.out !== undefined,
      signal: controller.signal,
      log,
      ...(progress !== null ? { onProgress: (p) => progress.update(p) } : {}),
    });
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    progress?.done();
  }
  const { file, artifacts } = run;
  if (outDir !== null) {
    outDir.commit(
      (dir) => writeMutantsDir(dir, file, artifacts),
      () => `${JSON.stringify(file, null, 2)}\n`,
    );
    log(`lazytlb: wrote ${join(outDir.path, 'mutants.json')}, kills/ and false-alarms/\n`);
  }
  if (file.totals.falseAlarms > 0) {
    // Loud on stderr too (stdout may be --json).
    for (const c of file.controls.filter((x) => !x.clean)) {
      log(
        `lazytlb: FALSE ALARM: unmutated ${c.label} ${c.strategy} violates ${c.firstViolation!.invariant} at run ${c.firstViolation!.runIndex}: ${c.firstViolation!.message}\n`,
      );
    }
  }
  process.stdout.write(o.json === true ? `${JSON.stringify(file, null, 2)}\n` : formatMutantsTable(file));
  return mutantsExitCode(file);
}
