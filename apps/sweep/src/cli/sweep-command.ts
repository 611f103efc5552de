/**
 * `lazytlb sweep`: build the matrix (embedded default, --matrix FILE or flags), run it on the
 * worker pool, shrink the first failure of each invariant in each cell, write --out DIR
 * atomically, print the verdict table (or results.json with --json), exit by verdict.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ArchPlugin, SchemePlugin } from '@lazytlb/core';
import { parseShard, shardFromEnv, type Shard } from '../engine/plan.js';
import { runSweep } from '../engine/sweep.js';
import type { SweepResult } from '../engine/types.js';
import { DEFAULT_MATRIX } from '../matrix/default.js';
import { expandMatrix } from '../matrix/expand.js';
import { matrixFromFlags, type MatrixFlags } from '../matrix/flags.js';
import { parseMatrixFile } from '../matrix/parse-file.js';
import type { MatrixSpec } from '../matrix/types.js';
import { loadPluginPaths, resolvePlugin } from '../plugins/resolve.js';
import { schemePluginForArtifact } from '../plugins/schemes.js';
import { type BuildOptions, buildResults, failurePath, type ShrunkFailure } from '../results/build.js';
import { readResultDir } from '../results/read.js';
import type { ResultsFile } from '../results/schema.js';
import { resultsJson, writeFileAtomic, writeResultDir } from '../results/write.js';
import { memoryMismatch } from '../shrink/cell.js';
import { shrinkArtifact } from '../shrink/shrink.js';
import { EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_VIOLATIONS, UsageError } from './exit-codes.js';
import { ProgressReporter } from './progress.js';
import { formatVerdictTable } from './verdict-table.js';

export interface SweepCommandOptions {
  readonly matrix?: string;
  readonly arch?: string[];
  readonly plugin?: string[];
  readonly scheme?: string[];
  readonly preempt?: string[];
  readonly memory?: string[];
  readonly cpus?: string[];
  readonly workload?: string[];
  readonly strategy?: string[];
  readonly mutation?: string[];
  readonly runs?: string;
  readonly timeBudget?: string;
  readonly seed?: string;
  readonly stepBudget?: string;
  readonly threads?: string;
  readonly batchSize?: string;
  readonly out?: string;
  readonly json?: boolean;
  readonly shard?: string;
  readonly shards?: string;
  readonly resume?: string;
  /** --coverage: sketch each cell's abstract states (results.json `coverage`, report.md's Coverage section). */
  readonly coverage?: boolean;
  readonly shrink?: boolean;
  readonly progress?: boolean;
}

function positiveInt(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`${flag} ${text}: expected a positive integer`);
  return Number(text);
}

async function buildMatrix(o: SweepCommandOptions, pluginPaths: readonly string[]): Promise<MatrixSpec> {
  const axisFlags = o.arch ?? o.scheme ?? o.preempt ?? o.memory ?? o.cpus ?? o.workload ?? o.strategy ?? o.mutation;
  const flags: MatrixFlags = {
    arch: o.arch, scheme: o.scheme, preempt: o.preempt, memory: o.memory, cpus: o.cpus, workload: o.workload, strategy: o.strategy, mutation: o.mutation,
    runs: o.runs, timeBudget: o.timeBudget, seed: o.seed, stepBudget: o.stepBudget,
  };
  if (o.matrix !== undefined) {
    if (axisFlags !== undefined) throw new UsageError('--matrix FILE cannot be combined with --arch/--scheme/--preempt/--memory/--cpus/--workload/--strategy/--mutation (put them in the file)');
    const fromFile = await parseMatrixFile(o.matrix, { pluginPaths });
    // --runs / --time-budget / --seed / --step-budget override the file
    const over = await matrixFromFlags({ runs: o.runs, timeBudget: o.timeBudget, seed: o.seed, stepBudget: o.stepBudget }, { pluginPaths });
    return {
      ...fromFile,
      ...(o.runs !== undefined ? { runs: over.runs } : {}),
      ...(o.timeBudget !== undefined ? { timeBudgetMs: over.timeBudgetMs } : {}),
      ...(o.seed !== undefined ? { seed: over.seed } : {}),
      ...(o.stepBudget !== undefined ? { stepBudget: over.stepBudget } : {}),
    };
  }
  if (axisFlags === undefined && o.runs === undefined && o.timeBudget === undefined && o.seed === undefined && o.stepBudget === undefined) {
    return DEFAULT_MATRIX;
  }
  return matrixFromFlags(flags, { pluginPaths });
}

function shardOf(o: SweepCommandOptions): Shard | null {
  if (o.shard !== undefined) {
    if (o.shards !== undefined) throw new UsageError('give either --shard I/N or --shards N (index from the environment), not both');
    try {
      return parseShard(o.shard);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  if (o.shards !== undefined) {
    const n = positiveInt('--shards', o.shards)!;
    const s = shardFromEnv(n);
    if (s === null) {
      throw new UsageError(`--shards ${n}: no shard index in the environment (JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID or AWS_BATCH_JOB_ARRAY_INDEX)`);
    }
    return s;
  }
  return null;
}

/** A shrunk first failure: its steps, the new artifact, sizes before/after and bug depth. */
export interface ShrunkEntry extends ShrunkFailure {
  readonly steps: number;
  readonly artifact: unknown;
}

/**
 * Shrink the first failures (violations, hazards and use sites; not errors); returns shrunk
 * artifacts by their results.json artifact path. A failure that cannot be shrunk keeps its
 * original artifact (logged).
 */
export async function shrinkFirstFailures(r: SweepResult, pluginPaths: readonly string[], log: (s: string) => void) {
  const shrunk = new Map<string, ShrunkEntry>();
  const plugins = new Map<string, ArchPlugin<unknown>>();
  const schemes = new Map<string, SchemePlugin<unknown> | undefined>();
  let n = 0;
  for (const [i, a] of r.aggregates.entries()) {
    for (const f of Object.values(a.firstFailures)) {
      if (f.class === 'error') continue; // shrink findings, not errors
      const lost = memoryMismatch(r.cells[i]!.config, f.artifact);
      if (lost !== null) {
        log(`lazytlb: cannot shrink ${failurePath(i, f)}: ${lost}\n`);
        continue;
      }
      const name = f.artifact.cell.arch.name;
      let plugin = plugins.get(name);
      if (plugin === undefined) {
        plugin = await resolvePlugin(name, pluginPaths);
        plugins.set(name, plugin);
      }
      let s;
      try {
        // A scheme plugin's cell (schemeVersion) shrinks with that plugin, resolved as the sweep resolved it.
        const sk = `${f.artifact.cell.scheme}@${f.artifact.cell.schemeVersion ?? ''}`;
        let scheme = schemes.get(sk);
        if (!schemes.has(sk)) schemes.set(sk, (scheme = await schemePluginForArtifact(f.artifact, pluginPaths)));
        s = shrinkArtifact(f.artifact, { arch: plugin, ...(scheme !== undefined ? { scheme } : {}) }, { maxAttempts: 2000 });
      } catch (e) {
        log(`lazytlb: cannot shrink ${failurePath(i, f)}: ${(e as Error).message}\n`);
        continue;
      }
      const d = s.bugDepth;
      shrunk.set(failurePath(i, f), {
        steps: s.afterSteps,
        artifact: s.artifact,
        shrunk: { before: { ...s.before, options: [...s.before.options] }, after: { ...s.after, options: [...s.after.options] } },
        bugDepth: d === null ? null : { depth: d.depth, preemptions: d.preemptions, pct: d.pctDepth },
      });
      n++;
    }
  }
  if (n > 0) log(`lazytlb: shrank ${n} first failure(s)\n`);
  return shrunk;
}

/** results.json build options for shrunk first failures (steps, sizes, bug depths). */
export function shrunkBuildOptions(shrunk: ReadonlyMap<string, ShrunkEntry>): BuildOptions {
  return { shrunkSteps: new Map([...shrunk].map(([path, s]) => [path, s.steps] as const)), shrunk };
}

export function writeShrunk(dir: string, shrunk: ReadonlyMap<string, { steps: number; artifact: unknown }>): void {
  const keep = new Set<string>();
  for (const [path, s] of shrunk) {
    const file = path.replace(/\.json$/, '.shrunk.json');
    keep.add(file.slice('failures/'.length));
    writeFileAtomic(join(dir, file), `${JSON.stringify(s.artifact, null, 2)}\n`);
  }
  for (const name of readdirSync(join(dir, 'failures'))) {
    if (name.endsWith('.shrunk.json') && !keep.has(name)) rmSync(join(dir, 'failures', name), { force: true });
  }
}

function exitCodeOf(file: ResultsFile, interrupted: boolean): number {
  if (interrupted) return EXIT_INTERRUPTED;
  if (file.cells.some((c) => c.verdict === 'error')) return EXIT_ERROR;
  if (file.cells.some((c) => c.verdict === 'violates')) return EXIT_VIOLATIONS;
  // Hazards only (no violation): exit 0, as the run's premise allows them; the table names them.
  return EXIT_OK;
}

export async function sweepCommand(o: SweepCommandOptions): Promise<number> {
  const pluginPaths = o.plugin ?? [];
  // Every --plugin file must load as an arch or a scheme plugin, used or not (exit 2 naming the file and fields).
  await loadPluginPaths(pluginPaths);
  const threads = positiveInt('--threads', o.threads);
  const batchSize = positiveInt('--batch-size', o.batchSize);
  const shard = shardOf(o);
  let resume: SweepResult | undefined;
  let out = o.out;
  if (o.resume !== undefined) {
    if (!existsSync(join(o.resume, 'results.json'))) throw new UsageError(`--resume ${o.resume}: no results.json there`);
    resume = readResultDir(o.resume);
    out ??= o.resume;
  }
  const matrix = await buildMatrix(o, pluginPaths);
  const cells = expandMatrix(matrix);
  if (cells.length === 0) throw new UsageError('the matrix has no cells');

  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED); // second Ctrl-C: stop now
    process.stderr.write('\nlazytlb: interrupted: finishing the batches in flight (Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const progress = o.progress === false ? null : new ProgressReporter();
  let result: SweepResult;
  try {
    result = await runSweep({
      cells,
      matrixSeed: matrix.seed,
      runs: matrix.runs,
      ...(threads !== undefined ? { threads } : {}),
      pluginPaths,
      ...(batchSize !== undefined ? { batchSize } : {}),
      shard,
      ...(matrix.timeBudgetMs !== undefined ? { timeBudgetMs: matrix.timeBudgetMs } : {}),
      ...(resume !== undefined ? { resume } : {}),
      coverage: o.coverage === true || (resume?.coverage ?? false),
      signal: controller.signal,
      ...(progress !== null ? { onProgress: (p) => progress.update(p) } : {}),
    });
  } finally {
    process.off('SIGINT', onSigint);
    progress?.done();
  }

  const log = (s: string): void => void process.stderr.write(s);
  const shrunk = o.shrink === false || result.interrupted ? new Map<string, ShrunkEntry>() : await shrinkFirstFailures(result, pluginPaths, log);
  const buildOpts = shrunkBuildOptions(shrunk);
  let file: ResultsFile;
  if (out !== undefined) {
    mkdirSync(out, { recursive: true });
    file = writeResultDir(out, result, buildOpts);
    writeShrunk(out, shrunk);
    log(`lazytlb: wrote ${join(out, 'results.json')}, report.md, report.html and failures/\n`);
  } else {
    file = buildResults(result, buildOpts);
  }
  if (o.json === true) process.stdout.write(resultsJson(file));
  else process.stdout.write(formatVerdictTable(file));
  return exitCodeOf(file, result.interrupted);
}
