/**
 * `lazytlb sweep`: build the matrix (embedded default, --matrix FILE or flags), run it on the
 * worker pool, shrink the first failure of each invariant in each cell, write --out DIR
 * atomically, print the verdict table (or results.json with --json), exit by verdict.
 */
import { existsSync, readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  buildResults,
  schemeLabel,
  expandMatrix,
  type MatrixSpec,
  parseShard,
  type PluginRegistry,
  type ResultsFile,
  runSweep,
  type Shard,
  shardFromEnv,
  shrinkFirstFailures,
  shrunkBuildOptions,
  type ShrunkEntry,
  type SweepResult,
  verifyFirstFailures,
} from '@lazytlb/explore';
import { DEFAULT_MATRIX } from '../matrix/default.js';
import { matrixFromFlags, type MatrixFlags } from '../matrix/flags.js';
import { parseMatrixFile } from '../matrix/parse-file.js';
import { createRegistry } from '../plugins/bundled.js';
import { readResultDir } from '../results/read.js';
import { TOOL_VERSION } from '../results/version.js';
import { OutputDir } from '../results/output-dir.js';
import { resultsJson, writeFileAtomic, writeResultDir } from '../results/write.js';
import { EXIT_INTERRUPTED, EXIT_TERMINATED, UsageError } from './exit-codes.js';
import { faultPhase } from '../io/fault.js';
import { ProgressReporter } from './progress.js';
import { formatVerdictTable } from './verdict-table.js';
import { positiveInt, threadsFlag } from './args.js';
import { type FailOn, findingsExitCode, parseFailOn } from './fail-on.js';
import { checkOutContents, checkSameSweep, defaultOutDir } from './out-guard.js';
import { replayHints } from '../report/replay-hint.js';
import { DurationError, formatDuration, parseDuration } from '../matrix/duration.js';
import { junitXml } from '../report/junit.js';

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
  /** violations (default) | incomplete | hazards | never: what makes a completed sweep exit non-zero (cli/fail-on.ts). */
  readonly failOn?: string;
  /** --checkpoint-every DURATION: write a resumable checkpoint of the output directory this often. */
  readonly checkpointEvery?: string;
  /** --force: replace an --out that holds something else (another sweep, an interrupted run, other files). */
  readonly force?: boolean;
  /** --junit FILE: one test case per cell, for CI systems. */
  readonly junit?: string;
  /** --max-executions N: the executions budget of every exhaustive cell (strategy maxExecutions). */
  readonly maxExecutions?: string;
}

/** The matrix of the flags or the file, with --max-executions given to every exhaustive strategy. */
async function buildMatrix(o: SweepCommandOptions, registry: PluginRegistry): Promise<MatrixSpec> {
  const m = await matrixOf(o, registry);
  if (o.maxExecutions === undefined) return m;
  const n = positiveInt('--max-executions', o.maxExecutions)!;
  if (!m.strategies.some((s) => s.kind === 'exhaustive'))
    throw new UsageError(
      '--max-executions is the budget of exhaustive cells: give --strategy exhaustive or exhaustive:P (or put maxExecutions in the matrix file)',
    );
  return { ...m, strategies: m.strategies.map((s) => (s.kind === 'exhaustive' ? { ...s, maxExecutions: n } : s)) };
}

async function matrixOf(o: SweepCommandOptions, registry: PluginRegistry): Promise<MatrixSpec> {
  const axisFlags = o.arch ?? o.scheme ?? o.preempt ?? o.memory ?? o.cpus ?? o.workload ?? o.strategy ?? o.mutation;
  const flags: MatrixFlags = {
    arch: o.arch,
    scheme: o.scheme,
    preempt: o.preempt,
    memory: o.memory,
    cpus: o.cpus,
    workload: o.workload,
    strategy: o.strategy,
    mutation: o.mutation,
    runs: o.runs,
    timeBudget: o.timeBudget,
    seed: o.seed,
    stepBudget: o.stepBudget,
  };
  if (o.matrix !== undefined) {
    if (axisFlags !== undefined)
      throw new UsageError(
        '--matrix FILE cannot be combined with --arch/--scheme/--preempt/--memory/--cpus/--workload/--strategy/--mutation (put them in the file)',
      );
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

function exitCodeOf(file: ResultsFile, interrupted: boolean, failOn: FailOn): number {
  if (interrupted) return EXIT_INTERRUPTED;
  return findingsExitCode(file, failOn);
}

export async function sweepCommand(o: SweepCommandOptions): Promise<number> {
  // Every --plugin file must load as an arch or a scheme plugin, used or not (exit 2 naming the file and fields).
  const registry = await createRegistry(o.plugin ?? []);
  const failOn = parseFailOn(o.failOn);
  const threads = threadsFlag(o.threads);
  const batchSize = positiveInt('--batch-size', o.batchSize);
  const shard = shardOf(o);
  let resume: SweepResult | undefined;
  // Checked now, not after the sweep: a file, a path under a file, a read-only place (one line, exit 2).
  // --resume DIR first: preparing it repairs a swap a killed run left half done, before it is read.
  const resumeDir = o.resume !== undefined ? OutputDir.prepare(o.resume, '--resume') : null;
  if (o.resume !== undefined) {
    if (!existsSync(join(o.resume, 'results.json'))) throw new UsageError(`--resume ${o.resume}: no results.json there`);
    resume = readResultDir(o.resume);
  }
  const checkpointMs = checkpointEvery(o.checkpointEvery);
  const junitPath = o.junit;
  if (junitPath !== undefined) checkJunitPath(junitPath);
  const force = o.force === true;
  const sameAsResume = o.resume !== undefined && o.out !== undefined && resolve(o.out) === resolve(o.resume);
  // prepare() before the check: it repairs a swap a killed run left half done, so the check sees what is really there.
  let outDir = o.out !== undefined ? OutputDir.prepare(o.out) : resumeDir;
  if (o.out !== undefined && !sameAsResume) checkOutContents(o.out, force);
  const matrix = await buildMatrix(o, registry);
  const cells = expandMatrix(matrix);
  if (cells.length === 0) throw new UsageError('the matrix has no cells');
  // Without --out (and without --resume): a new lazytlb-out/<timestamp>, so nothing computed is thrown away.
  const madeDefault = outDir === null ? defaultOutDir(new Date()) : null;
  if (madeDefault !== null) outDir = OutputDir.prepare(madeDefault);
  const out: OutputDir = outDir!;
  const outPath = o.out ?? o.resume ?? madeDefault!;
  const checkOut = o.out !== undefined && !sameAsResume;

  // Ctrl-C or SIGTERM (Kubernetes, Slurm preemption, spot instances): finish the batches in flight,
  // write what was done (resumable), then stop; a second signal stops at once.
  const controller = new AbortController();
  let signalled: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(exitCodeOfSignal(sig)); // second signal: stop now
    signalled = sig;
    process.stderr.write(
      `\nlazytlb: ${sig === 'SIGTERM' ? 'terminated' : 'interrupted'}: finishing the work in flight and writing what was done (${sig} again to quit now)\n`,
    );
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    // The runs a resumed sweep had done are left out of its rates and ETA (they took no time here).
    const baseRuns = resume?.aggregates.reduce((n, a) => n + a.runs, 0) ?? 0;
    const progress = o.progress === false ? null : new ProgressReporter(process.stderr, { baseRuns });
    let checkpoints = 0;
    let swept: SweepResult;
    faultPhase('run'); // test-only markers (io/fault.ts): no-ops unless LAZYTLB_FAULT_PHASES=1
    try {
      swept = await runSweep({
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
        // An --out holding another sweep's results is refused before any run (matrix hash known only now).
        onPrepared: ({ matrixHash }) => {
          if (checkOut) checkSameSweep(outPath, force, { matrixHash, shard: shard !== null && shard.count > 1 ? `${shard.index}/${shard.count}` : 'none' });
        },
        ...(checkpointMs !== undefined
          ? {
              checkpoint: {
                everyMs: checkpointMs,
                write: (partial: SweepResult) => {
                  // A checkpoint that cannot be written is reported, not fatal: the sweep goes on and the final write decides.
                  try {
                    faultPhase('checkpoint');
                    out.commit((dir) => {
                      writeResultDir(dir, partial, registry, {});
                      writeShrunk(dir, new Map());
                    });
                    checkpoints++;
                  } catch (e) {
                    process.stderr.write(`\nlazytlb: checkpoint not written: ${(e as Error).message}\n`);
                  }
                },
              },
            }
          : {}),
        ...(progress !== null ? { onProgress: (p) => progress.update(p) } : {}),
      });
    } finally {
      progress?.done();
    }

    const log = (s: string): void => void process.stderr.write(s);
    // Every first failure replayed twice before anything is shrunk: a nondeterministic plugin is filed, not chased.
    faultPhase('verify');
    const verified = await verifyFirstFailures(swept, registry);
    const result = verified.result;
    const write = (shrunk: ReadonlyMap<string, ShrunkEntry>): ResultsFile => {
      const buildOpts = shrunkBuildOptions(shrunk);
      let file: ResultsFile | undefined;
      out.commit(
        (dir) => {
          file = writeResultDir(dir, result, registry, buildOpts);
          writeShrunk(dir, shrunk);
        },
        () => resultsJson(buildResults(result, buildOpts)),
      );
      return file!;
    };
    // Results first: whatever happens while shrinking (a signal, a crash), every completed run is on disk.
    faultPhase('write-1');
    let file = write(new Map());
    await signalsDelivered();
    const wantShrink = o.shrink !== false && !result.interrupted && file.cells.some((c) => c.firstFailures.some((f) => f.class !== 'error'));
    if (wantShrink && !controller.signal.aborted) {
      faultPhase('shrink');
      const shrunk = await shrinkFirstFailures(result, registry, log, controller.signal, verified.unstable);
      faultPhase('write-2');
      file = write(shrunk);
      if (controller.signal.aborted)
        log(`lazytlb: ${signalled ?? 'interrupted'} while shrinking: the results are complete; ${shrunk.size} first failure(s) were shrunk before it\n`);
    }
    faultPhase('done');
    // Cells a plugin could not set up: one line each (the verdict table says ERROR; this says why).
    for (const c of result.cells)
      if (c.setupError !== undefined) log(`lazytlb: cell ${c.index} (${c.spec.arch.name}, ${schemeLabel(c.spec)}, ${c.spec.cpus} CPUs): ${c.setupError}\n`);
    if (junitPath !== undefined) writeJunit(junitPath, file, failOn, outPath);
    log(
      `lazytlb: wrote ${join(outPath, 'results.json')}, report.md, report.html and failures/${checkpoints > 0 ? ` (and ${checkpoints} checkpoint(s) while running)` : ''}${junitPath !== undefined ? `; JUnit: ${junitPath}` : ''}\n`,
    );
    // From a failure to its replay: one line each, on stdout (stderr with --json, which keeps stdout for the JSON).
    const hints = replayHints(file, outPath);
    if (o.json === true) {
      process.stdout.write(resultsJson(file));
      for (const h of hints) log(`${h}\n`);
    } else {
      process.stdout.write(formatVerdictTable(file));
      for (const h of hints) process.stdout.write(`${h}\n`);
    }
    await signalsDelivered();
    if (signalled !== null) return exitCodeOfSignal(signalled);
    return exitCodeOf(file, result.interrupted, failOn);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // A default directory the sweep never wrote (it failed before): not left behind empty.
    if (madeDefault !== null) rmEmptyDir(madeDefault);
  }
}

function rmEmptyDir(dir: string): void {
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  } catch {
    /* gone or not readable: nothing to tidy */
  }
}

/**
 * Let a signal that arrived during synchronous work (writing a directory blocks the event loop)
 * reach onSignal before deciding: Node delivers it on the loop's next turn, and once the
 * handlers are removed it would be lost (Ctrl-C while the shrunk results were written: exit 1
 * as if nothing happened; while the first results were written: shrinking started anyway).
 */
async function signalsDelivered(): Promise<void> {
  // Two turns: the first immediate runs in this turn's check phase, the second after the next
  // poll phase, which is where a pending signal is read.
  for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** 130 after SIGINT, 143 after SIGTERM (128 + the signal number, as a shell reports a process killed by it). */
function exitCodeOfSignal(sig: NodeJS.Signals): number {
  return sig === 'SIGTERM' ? EXIT_TERMINATED : EXIT_INTERRUPTED;
}

/** --checkpoint-every DURATION (at least 1 s: each checkpoint rewrites the whole output directory). */
function checkpointEvery(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (e) {
    if (e instanceof DurationError) throw new UsageError(`--checkpoint-every ${text}: ${e.message.replace(/^invalid duration "[^"]*": /, '')}`);
    throw e;
  }
  if (ms < 1000)
    throw new UsageError(`--checkpoint-every ${text}: at least 1s (each checkpoint rewrites the output directory; ${formatDuration(ms)} is too often)`);
  return ms;
}

/** --junit FILE is checked before the sweep runs: its directory must exist, and it must not be a directory. */
export function checkJunitPath(path: string): void {
  const dir = dirname(resolve(path));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--junit ${path}: directory ${dir} does not exist`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(`--junit ${path}: is a directory, not a file`);
}

/** --junit FILE, written atomically (a CI system may read it while another step runs). */
export function writeJunit(path: string, file: ResultsFile, failOn: FailOn, outDir: string): void {
  try {
    writeFileAtomic(path, junitXml(file, { failOn, outDir }));
  } catch (e) {
    throw new UsageError(`--junit ${path}: cannot write it: ${(e as Error).message}`);
  }
}
