/**
 * `lazytlb sweep`: build the matrix (embedded default, --matrix FILE or flags), run it on the
 * worker pool, shrink the first failure of each invariant in each cell, write --out DIR
 * atomically, print the verdict table (or results.json with --json), exit by verdict.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  type BuildOptions, buildResults, expandMatrix, type MatrixSpec, parseShard, type PluginRegistry, type ResultsFile, runSweep, type Shard, shardFromEnv,
  shrinkFirstFailures, shrunkBuildOptions, type ShrunkEntry, type SweepResult,
} from '@lazytlb/explore';
import { DEFAULT_MATRIX } from '../matrix/default.js';
import { matrixFromFlags, type MatrixFlags } from '../matrix/flags.js';
import { parseMatrixFile } from '../matrix/parse-file.js';
import { createRegistry } from '../plugins/bundled.js';
import { readResultDir } from '../results/read.js';
import { TOOL_VERSION } from '../results/version.js';
import { resultsJson, writeFileAtomic, writeResultDir } from '../results/write.js';
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

async function buildMatrix(o: SweepCommandOptions, registry: PluginRegistry): Promise<MatrixSpec> {
  const axisFlags = o.arch ?? o.scheme ?? o.preempt ?? o.memory ?? o.cpus ?? o.workload ?? o.strategy ?? o.mutation;
  const flags: MatrixFlags = {
    arch: o.arch, scheme: o.scheme, preempt: o.preempt, memory: o.memory, cpus: o.cpus, workload: o.workload, strategy: o.strategy, mutation: o.mutation,
    runs: o.runs, timeBudget: o.timeBudget, seed: o.seed, stepBudget: o.stepBudget,
  };
  if (o.matrix !== undefined) {
    if (axisFlags !== undefined) throw new UsageError('--matrix FILE cannot be combined with --arch/--scheme/--preempt/--memory/--cpus/--workload/--strategy/--mutation (put them in the file)');
    const fromFile = await parseMatrixFile(o.matrix, { registry });
    // --runs / --time-budget / --seed / --step-budget override the file
    const over = await matrixFromFlags({ runs: o.runs, timeBudget: o.timeBudget, seed: o.seed, stepBudget: o.stepBudget }, { registry });
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
  return matrixFromFlags(flags, { registry });
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
  // Every --plugin file must load as an arch or a scheme plugin, used or not (exit 2 naming the file and fields).
  const registry = await createRegistry(o.plugin ?? []);
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
  const matrix = await buildMatrix(o, registry);
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
      registry,
      toolVersion: TOOL_VERSION,
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
  const shrunk = o.shrink === false || result.interrupted ? new Map<string, ShrunkEntry>() : await shrinkFirstFailures(result, registry, log);
  const buildOpts = shrunkBuildOptions(shrunk);
  let file: ResultsFile;
  if (out !== undefined) {
    mkdirSync(out, { recursive: true });
    file = writeResultDir(out, result, registry, buildOpts);
    writeShrunk(out, shrunk);
    log(`lazytlb: wrote ${join(out, 'results.json')}, report.md, report.html and failures/\n`);
  } else {
    file = buildResults(result, buildOpts);
  }
  if (o.json === true) process.stdout.write(resultsJson(file));
  else process.stdout.write(formatVerdictTable(file));
  return exitCodeOf(file, result.interrupted);
}
