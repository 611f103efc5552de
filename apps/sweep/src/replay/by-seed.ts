/**
 * `lazytlb replay --cell CELL --seed SEED [--results DIR]`: one run of a swept cell, by its seed,
 * without an artifact. The cell is the sweep's resolved cell (results.json `raw.cellId`, or a
 * cell `id` looked up in --results); it is built by the function every sweep builds its cells
 * with (explore's simulatorFor: the registry, --plugin paths, scheme plugins, the determinism
 * trap) and must come out as the very same cell id, so the run is the sweep's run. Its artifact
 * is made by core's makeArtifact, as the sweep made the first failures', and rendered by the
 * renderers of `replay ARTIFACT`: a recorded first failure prints byte for byte as its artifact
 * replays.
 *
 * Profile and `canonical:NAME` cells (an explicit workload, built as resolved) replay by seed; an
 * exhaustive cell does not (its executions are told apart by their decisions: the refusal names
 * the artifact to replay instead).
 *
 * Exit status: a run is printed whatever its outcome (0); only a seed that results.json records
 * as a cell's first failure and that now ends otherwise is a replay that did not reproduce (1),
 * as `replay ARTIFACT` of that failure would be.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Artifact,
  Artifact as ArtifactSchema,
  artifactModelMismatch,
  builtinScheme,
  type CellConfig,
  canonicalJson,
  CORE_VERSION,
  INVARIANTS,
  makeArtifact,
  outcomeOf,
  PluginLoadError,
  type RunResult,
  runSeed,
  seedFromHex,
  type Simulator,
  strategyToString,
} from '@lazytlb/core';
import {
  type CellSpec,
  inputError,
  LazytlbError,
  mismatchError,
  parseResults,
  pluginLoadError,
  type ResultsFile,
  simulatorFor,
  usageError,
  withDeterminismTrap,
} from '@lazytlb/explore';
import { createRegistry } from '../plugins/bundled.js';
import { REPLAY_FORMATS, ReplayError, type ReplayFormat, type ReplayOptions, renderReplay } from './replay.js';

export interface SeedReplayOptions extends ReplayOptions {
  /** A sweep's results.json, or the directory holding it: resolves a cell id, and gives the sweep's record of the seed. */
  readonly results?: string;
}

/** The first failure results.json records for this run (when it records one), and where its artifact is. */
export interface RecordedFailure {
  readonly key: string;
  readonly artifact: string;
}

export interface SeedReplayRendered {
  readonly text: string;
  /** How the run ended. */
  readonly outcome: RunResult['outcome'];
  readonly steps: number;
  /** Ended as results.json records this seed's first failure; null: nothing recorded for how this run ends. */
  readonly reproduced: boolean | null;
  readonly recorded: RecordedFailure | null;
  /** The run's index in the sweep, when --results shows it is one of the cell's runs. */
  readonly runIndex: number | null;
  /** What the CLI says on stderr besides the run (one line each). */
  readonly notes: readonly string[];
  readonly modelMismatch: readonly string[];
}

const HEX32 = /^[0-9a-f]{32}$/;

/** Parse --seed: a run's seed as results.json and artifacts write it. */
export function parseSeedFlag(seed: string): string {
  const s = seed.trim().toLowerCase();
  if (!HEX32.test(s)) throw usageError(`--seed takes a run's seed, 32 hex digits (results.json firstFailures[].seed, an artifact's seed), got "${seed}"`);
  return s;
}

/** results.json, or DIR/results.json. */
export function readResultsAt(path: string): { file: ResultsFile; path: string } {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    throw inputError(`cannot read --results ${path}: ${(e as Error).message}`, path);
  }
  const file = isDir ? join(path, 'results.json') : path;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw inputError(`cannot read ${file}: ${(e as Error).message}`, file);
  }
  return { file: parseResults(json, file), path: file };
}

type ResultsCell = ResultsFile['cells'][number];

interface ResolvedCell {
  readonly config: CellConfig;
  /** The cell in --results (by id, or by its cell JSON), when there is one. */
  readonly inResults: ResultsCell | null;
}

/** The cell of --cell: a cell id (looked up in --results), the cell's JSON, or a file holding that JSON. */
export function resolveCell(arg: string, results: { file: ResultsFile; path: string } | null): ResolvedCell {
  const text = arg.trim();
  if (HEX32.test(text.toLowerCase())) {
    const id = text.toLowerCase();
    if (results === null) throw usageError('an id needs --results DIR (or give the cell as JSON)');
    const c = results.file.cells.find((x) => x.id === id);
    if (c === undefined) throw inputError(`no cell with id ${id} in ${results.path} (${results.file.cells.length} cells; ids are cells[].id)`, results.path);
    return { config: parseCellJson(c.raw.cellId, `cell ${id} of ${results.path}`), inResults: c };
  }
  let json = text;
  let source = '--cell';
  if (!text.startsWith('{') && !text.startsWith('"')) {
    try {
      json = readFileSync(text, 'utf8');
      source = text;
    } catch (e) {
      throw usageError(
        `--cell takes a cell id (32 hex digits), the cell as JSON (results.json raw.cellId) or a file holding it; cannot read "${text}": ${(e as Error).message}`,
      );
    }
  }
  const config = parseCellJson(json, source);
  const id = canonicalJson(config);
  return { config, inResults: results?.file.cells.find((c) => c.raw.cellId === id) ?? null };
}

/** Parse a cell's JSON (raw.cellId: an object, or that object as a JSON string, as it is quoted in results.json) and validate it as an artifact's cell. */
function parseCellJson(text: string, source: string): CellConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
    if (typeof value === 'string') value = JSON.parse(value);
  } catch (e) {
    throw usageError(`${source} is not JSON: ${(e as Error).message}`);
  }
  // An artifact's cell is the resolved cell (CellConfig) as makeArtifact writes it, so its schema validates one.
  const r = ArtifactSchema.shape.cell.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw usageError(`${source} is not a resolved cell (results.json raw.cellId): ${issues}`);
  }
  // The value as given (zod's output reorders keys; the ids are canonical JSON anyway).
  return value as CellConfig;
}

/** The sweep's spec of a resolved cell: what prepareCells and the workers build with simulatorFor. */
function cellSpecOf(c: CellConfig): CellSpec {
  // An explicit workload (a `canonical:NAME` cell's, or a shrunk artifact's) is built as resolved: core's Simulator takes `{ explicit }`.
  const w = c.workload as { profile: CellSpec['workload']['profile']; params: CellSpec['workload']['params'] } | { explicit: unknown };
  return {
    index: 0,
    arch: { name: c.arch.name, options: (c.arch.options ?? {}) as CellSpec['arch']['options'] },
    scheme: c.scheme,
    ...(c.schemeOptions !== undefined ? { schemeOptions: c.schemeOptions } : {}),
    ...(c.preempt !== undefined ? { preempt: c.preempt } : {}),
    ...(c.memory !== undefined ? { memory: c.memory } : {}),
    cpus: c.cpus,
    workload: 'explicit' in w ? (w as unknown as CellSpec['workload']) : { profile: w.profile, params: w.params },
    strategy: c.strategy,
    stepBudget: c.stepBudget,
    ...(c.mutations !== undefined ? { mutations: c.mutations } : {}),
    ...(c.disabledInvariants !== undefined ? { disabledInvariants: c.disabledInvariants } : {}),
  };
}

/** Why `got` (the cell these plugins build) is not `want` (the swept cell): plugin versions first, as a resume says it. */
function cellDifference(want: CellConfig, got: CellConfig): string {
  if (want.arch.version !== got.arch.version)
    return `it was swept with arch plugin ${want.arch.name}@${want.arch.version}, this is ${got.arch.name}@${got.arch.version} (another plugin version is another cell)`;
  if (want.schemeVersion !== got.schemeVersion) {
    const v = (c: CellConfig): string => (c.schemeVersion !== undefined ? `${c.scheme}@${c.schemeVersion}` : `${c.scheme} (core's built-in)`);
    return `it was swept with scheme ${v(want)}, this is ${v(got)} (another plugin version is another cell)`;
  }
  const keys = [...new Set([...Object.keys(want), ...Object.keys(got)])].sort();
  const field = keys.find(
    (k) => canonicalJson((want as unknown as Record<string, unknown>)[k]) !== canonicalJson((got as unknown as Record<string, unknown>)[k]),
  );
  return `it resolves to another cell (${field ?? 'a field'} differs: the plugin's options or defaults changed since the sweep?)`;
}

async function buildSimulator(config: CellConfig, pluginPaths: readonly string[]): Promise<Simulator> {
  const registry = await createRegistry(pluginPaths);
  let sim: Simulator;
  try {
    sim = await simulatorFor(cellSpecOf(config), registry);
  } catch (e) {
    if (e instanceof LazytlbError) throw e;
    // As prepareCells files them: a plugin that does not set up is a bad plugin; anything else, a cell these plugins refuse.
    if (e instanceof PluginLoadError) throw pluginLoadError(`cannot build the cell: ${(e as Error).message}`, config.arch.name);
    throw usageError(`cannot build the cell: ${(e as Error).message}`);
  }
  const id = canonicalJson(config);
  if (sim.cellId !== id) throw mismatchError(`the cell cannot be run as it was swept: ${cellDifference(config, sim.cell)}`);
  return sim;
}

/** The recorded first failures of this run, how it ended first (a hazard's or use site's artifact stops the run early). */
function recordedFailures(c: ResultsCell, seed: string): ResultsCell['firstFailures'] {
  const mine = c.firstFailures.filter((f) => f.seed === seed);
  return [...mine.filter((f) => f.class === 'violation' || f.class === 'error'), ...mine.filter((f) => f.class === 'hazard' || f.class === 'use-site')];
}

/** The run index of `seed` among the cell's runs of the sweep (run i has seed runSeed(cellHash, i)), or null. */
function runIndexOf(c: ResultsCell, runs: number, seed: string): number | null {
  const known = c.firstFailures.find((f) => f.seed === seed);
  if (known !== undefined) return known.runIndex;
  const base = seedFromHex(c.raw.cellHash);
  const want = seedFromHex(seed);
  for (let i = 0; i < runs; i++) {
    const s = runSeed(base, i);
    if (s.every((w, j) => w >>> 0 === want[j]! >>> 0)) return i;
  }
  return null;
}

/** How the run ended as runBatch files it: the first-failure key and message results.json records. */
function endOf(sim: Simulator, r: RunResult): { key: string; message: string | null } | null {
  if (r.outcome === 'violation') {
    const v = r.violation!;
    return { key: v.invariant, message: `${v.invariant} ${INVARIANTS[v.invariant].name}: ${v.message}` };
  }
  if (r.outcome === 'budget') return { key: 'budget', message: `step budget of ${sim.cell.stepBudget} exceeded` };
  // A plugin error's message names the hook in runBatch's words; its key (plugin-error or nondeterminism) and steps identify it.
  if (r.outcome === 'plugin-error' || r.outcome === 'deadlock') return { key: r.outcome, message: null };
  return null;
}

/** Run one seed of a cell and render it (see the module comment). */
export async function replaySeed(cellArg: string, seedArg: string, opts: SeedReplayOptions = {}): Promise<SeedReplayRendered> {
  const format: ReplayFormat = opts.format ?? 'lkml';
  if (!REPLAY_FORMATS.includes(format)) throw usageError(`unknown format "${String(format)}": allowed ${REPLAY_FORMATS.join(', ')}`);
  const seed = parseSeedFlag(seedArg);
  const results = opts.results !== undefined ? readResultsAt(opts.results) : null;
  const { config, inResults } = resolveCell(cellArg, results);
  if (config.strategy.kind === 'exhaustive') {
    // An exhaustive cell's executions are a search's, told apart by their decisions, not by seeds: a seed names none of them.
    const artifacts = inResults?.firstFailures.map((f) => f.artifact) ?? [];
    throw usageError(
      `${inResults !== null ? `cell ${inResults.index}` : 'the cell'} is an exhaustive cell (strategy ${strategyToString(config.strategy)}): its executions are not runs by seed; ` +
        `replay a finding from its artifact (decisions and in-step choices)${artifacts.length > 0 ? `: lazytlb replay ${opts.results !== undefined ? `${opts.results}/` : ''}${artifacts[0]}` : ' (lazytlb replay ARTIFACT)'}`,
    );
  }
  const sim = await buildSimulator(config, opts.pluginPaths ?? []);
  const cellName = inResults !== null ? `cell ${inResults.id}` : 'the cell';
  const notes: string[] = [];

  let runIndex: number | null = null;
  let recorded: ResultsCell['firstFailures'][number] | undefined;
  if (inResults !== null && results !== null) {
    runIndex = runIndexOf(inResults, results.file.matrix.runs, seed);
    if (runIndex === null)
      notes.push(`seed ${seed} is not one of the ${results.file.matrix.runs} runs of ${cellName} in ${results.path} (a seed of another sweep?)`);
    recorded = recordedFailures(inResults, seed)[0];
  } else if (results !== null) {
    notes.push(`the cell is not one of the ${results.file.cells.length} cells of ${results.path}: nothing recorded to compare the run with`);
  }

  const scheme = builtinScheme(sim.schemePlugin.name) === sim.schemePlugin ? undefined : sim.schemePlugin;
  // Trapped as in a sweep; makeArtifact fingerprints the model in here too, as a sweep's workers do.
  const { r, made } = withDeterminismTrap(() => {
    const s = seedFromHex(seed);
    const run = sim.run(s, { trace: true, keepDecisions: true });
    return { r: run, made: makeArtifact(sim, s, run, runIndex ?? undefined) };
  });

  // The model the sweep recorded (results.json fingerprints) is the one its artifacts carry; refuse another, as replay does.
  let artifact: Artifact = made;
  let modelMismatch: string[] = [];
  if (results !== null && inResults !== null) {
    const fp = results.file.fingerprints;
    const arch = fp.plugins[`arch ${config.arch.name}`];
    const schemeFp = scheme !== undefined ? fp.plugins[`scheme ${scheme.name}`] : undefined;
    if (arch !== undefined && (scheme === undefined || schemeFp !== undefined)) {
      artifact = {
        ...made,
        toolVersion: results.file.coreVersion,
        fingerprints: { core: fp.core, arch, ...(schemeFp !== undefined ? { scheme: schemeFp } : {}) },
      };
      modelMismatch = withDeterminismTrap(() => artifactModelMismatch(artifact, sim.plugin, scheme));
    }
    if (modelMismatch.length > 0 && opts.allowModelMismatch !== true) {
      throw inputError(
        `${cellName} was swept with another model (lazytlb ${results.file.coreVersion}; this is ${CORE_VERSION}): ${modelMismatch.join('; ')}. ` +
          'Its runs may go otherwise now: use the lazytlb version and plugins of that sweep, or replay with --allow-model-mismatch to run it anyway.',
        results.path,
      );
    }
  }

  let reproduced: boolean | null = null;
  if (recorded !== undefined && (recorded.class === 'violation' || recorded.class === 'error')) {
    const end = endOf(sim, r);
    reproduced =
      end !== null &&
      (end.key === recorded.key || (end.key === 'plugin-error' && recorded.key === 'nondeterminism')) &&
      r.steps === recorded.steps &&
      (end.message === null || end.message === recorded.message);
  } else if (recorded !== undefined) {
    // Only a hazard or a use site was recorded for this run: its artifact stops there, this run goes on to its end.
    notes.push(`${results!.path} records this run as the first ${recorded.key} of ${cellName}, stopped there (${recorded.artifact}); this is the whole run`);
  }
  if (r.outcome === 'ok') notes.push(`run ${seed}${runIndex !== null ? ` (run ${runIndex})` : ''} of ${cellName} passes: it ended ok after ${r.steps} steps`);

  const text = renderReplay(format, {
    artifact,
    trace: r.trace ?? [],
    outcome: outcomeOf(r),
    reproduced,
    findings: sim.findings(),
    modelMismatch,
    ...(scheme !== undefined ? { scheme } : {}),
    ...(opts.width !== undefined ? { width: opts.width } : {}),
  });
  if (reproduced === false) {
    throw new ReplayError(
      `run ${seed} of ${cellName} did not reproduce: ${results!.path} records its first ${recorded!.key} (${recorded!.artifact}) at ${recorded!.steps} steps, ` +
        `this run ended ${r.outcome} after ${r.steps}\n\n${text}`,
      1,
    );
  }
  return {
    text,
    outcome: r.outcome,
    steps: r.steps,
    reproduced,
    recorded: recorded !== undefined ? { key: recorded.key, artifact: recorded.artifact } : null,
    runIndex,
    notes,
    modelMismatch,
  };
}
