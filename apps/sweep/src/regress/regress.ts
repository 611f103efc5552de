/**
 * `lazytlb regress DIR [--plugin PATH]... [--allow-model-mismatch] [--json]`: replay every failure
 * artifact under DIR (a regression suite, like proptest's regression files) and fail when one no
 * longer reproduces.
 *
 * Which files: every `*.json` under DIR, recursively (names starting with `.` and `node_modules`
 * skipped, directory symlinks not followed), in sorted path order. A JSON object whose `schema`
 * is `lazytlb.artifact/*` (or that has an artifact's `cell`, `seed` and `decisions`) is an
 * artifact and must validate; a file that is not JSON is an error too (it cannot be told apart
 * from a broken artifact); any other JSON (results.json, mutants.json, a matrix) is ignored and
 * counted. A sweep's output directory can be given as it is: its failures/ are replayed, both
 * the first failures and their `.shrunk.json`.
 *
 * Each artifact is replayed exactly as `lazytlb replay` does (core's replayArtifact, the same
 * plugins from the same registry, clocks and random sources trapped) and classified:
 *   reproduces      ended exactly as recorded (outcome, step count, invariant, CPU, step, findings)
 *   passes          the recorded failure is gone: the run ends ok, or runs its recorded decisions
 *                   to the end without failing (a fixed bug: the schedule that broke it now goes on)
 *   differs         something else: another violation or error, the same one at another step, or
 *                   a recorded decision the model no longer allows (the schedule no longer fits)
 *   model-mismatch  recorded by a model whose behaviour fingerprints differ: not replayed unless
 *                   --allow-model-mismatch (then it is replayed and classified as above, with what
 *                   differs noted)
 *   error           cannot be checked: unreadable or invalid file, its arch or scheme plugin does
 *                   not load, a plugin that is nondeterministic, a model error
 *
 * Exit: 0 every artifact reproduces; 3 any error (some could not be checked); else 1 any passes
 * or differs (the regression suite no longer holds); else 2 any refused model mismatch (as
 * `lazytlb replay` refuses one: use the version that recorded them, re-record, or pass
 * --allow-model-mismatch); 2 also for usage: DIR missing or not a directory, or no artifact
 * under it.
 *
 * Output: one line per artifact and a summary (stdout), or with --json the report below
 * (RegressReport, validated before it is printed).
 */
import { type Dirent, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Artifact,
  ARTIFACT_SCHEMA,
  ArtifactError,
  artifactModelMismatch,
  artifactSimulatorOptions,
  Outcome,
  outcomeOf,
  parseArtifact,
  ReplayDivergence,
  ReplayExplorer,
  type ReplayResult,
  replayArtifact,
  seedFromHex,
  Simulator,
  strategyToString,
} from '@lazytlb/core';
import { type PluginRegistry, withDeterminismTrap } from '@lazytlb/explore';
import { z } from 'zod';
import { UsageError } from '../errors/usage-error.js';
import { createRegistry } from '../plugins/bundled.js';
import { shellQuote } from '../report/replay-hint.js';

export const REGRESS_SCHEMA = 'lazytlb.regress/1';

export const REGRESS_STATUSES = ['reproduces', 'passes', 'differs', 'model-mismatch', 'error'] as const;
export type RegressStatus = (typeof REGRESS_STATUSES)[number];

/** One artifact's verdict. */
export const RegressEntry = z
  .object({
    /** The file, as DIR joined with its path under DIR (what `lazytlb replay` takes). */
    path: z.string(),
    status: z.enum(REGRESS_STATUSES),
    /** What it records: `I1 violation`, `I3 hazard`, `__mmdrop use-site`, `deadlock error`; null when the file is not a valid artifact. */
    finding: z.string().nullable(),
    /** The cell, short: `reference, none, 2 CPUs, pct:3`; null when the file is not a valid artifact. */
    cell: z.string().nullable(),
    seed: z.string().nullable(),
    /** The recorded outcome; null when the file is not a valid artifact. */
    recorded: Outcome.nullable(),
    /** How the replay ended; null when it was not replayed or its schedule stopped fitting the run. */
    replayed: Outcome.nullable(),
    /** The verdict in words (one line): what reproduced, what it ended as instead, or why it could not be checked. */
    detail: z.string(),
    /** How the replaying model differs from the recording one (one sentence each); empty when it does not. */
    modelMismatch: z.array(z.string()),
  })
  .strict();
export type RegressEntry = z.infer<typeof RegressEntry>;

const Count = z.number().int().min(0);

/** `lazytlb regress --json`. */
export const RegressReport = z
  .object({
    schema: z.literal(REGRESS_SCHEMA),
    /** DIR as given. */
    dir: z.string(),
    allowModelMismatch: z.boolean(),
    /** Artifacts per status (every status present). */
    counts: z
      .object({
        reproduces: Count,
        passes: Count,
        differs: Count,
        'model-mismatch': Count,
        error: Count,
      })
      .strict(),
    /** The command's exit code (0 every artifact reproduces, 1 some no longer do, 2 only refused model mismatches, 3 errors). */
    exitCode: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]),
    /** Every artifact, in path order. */
    artifacts: z.array(RegressEntry),
    /** JSON files under DIR that are not artifacts (results.json, ...), in path order. */
    ignored: z.array(z.string()),
  })
  .strict();
export type RegressReport = z.infer<typeof RegressReport>;

export interface RegressOptions {
  /** --plugin PATHs (arch or scheme plugins the artifacts need, when not bundled). */
  readonly pluginPaths?: readonly string[];
  readonly allowModelMismatch?: boolean;
  /** The registry to resolve plugins from (default: createRegistry(pluginPaths)). */
  readonly registry?: PluginRegistry;
}

/** `*.json` files under `dir`, relative to it with `/` separators, sorted (code-unit order: the same on every machine). */
export function jsonFilesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const entries: Dirent[] = readdirSync(rel === '' ? dir : join(dir, rel), { withFileTypes: true });
    for (const d of entries) {
      if (d.name.startsWith('.') || d.name === 'node_modules') continue;
      const r = rel === '' ? d.name : `${rel}/${d.name}`;
      if (d.isDirectory()) walk(r);
      else if (d.name.endsWith('.json')) {
        // a symlink to a file counts; to a directory, not followed (no cycles)
        if (d.isFile() || (d.isSymbolicLink() && isFile(join(dir, r)))) out.push(r);
      }
    }
  };
  walk('');
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Whether a parsed JSON value is meant to be an artifact (then it must validate). */
function looksLikeArtifact(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  if (typeof o.schema === 'string') return o.schema.startsWith('lazytlb.artifact/');
  return 'cell' in o && 'seed' in o && 'decisions' in o;
}

/** An error message on one line (zod's issue lists become `; `-separated). */
export function oneLine(message: string): string {
  return message
    .replace(/:\n\s*- /, ': ')
    .replace(/\n\s*- /g, '; ')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

/** `I1 violation`, `I3 hazard`, `__mmdrop use-site`, `deadlock error`: what an artifact records, as the replay hints name it. */
export function findingOf(a: Artifact): string {
  if (a.target !== undefined) return 'hazard' in a.target ? `${a.target.hazard} hazard` : `${a.target.site} use-site`;
  const o = a.outcome;
  if (o.kind === 'violation') return `${o.invariant ?? '?'} violation`;
  if (o.kind === 'budget' || o.kind === 'deadlock' || o.kind === 'plugin-error') return `${o.kind} error`;
  return o.kind;
}

/** `reference, none, 2 CPUs, pct:3` (and the mutations, when any). */
export function cellOf(a: Artifact): string {
  const c = a.cell;
  const opts = Object.entries(c.schemeOptions ?? {})
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(',');
  const workload = 'explicit' in c.workload ? 'explicit workload' : c.workload.profile;
  return [
    c.arch.name,
    `${c.scheme}${opts !== '' ? `:${opts}` : ''}`,
    `${c.cpus} CPU${c.cpus === 1 ? '' : 's'}`,
    ...(workload !== 'default' ? [workload] : []),
    strategyToString(c.strategy),
    ...(c.mutations !== undefined ? [`mutation ${c.mutations.join('+')}`] : []),
  ].join(', ');
}

/** How a run ended, in words: `I1 violation at step 119`, `ok after 120 steps`, `stopped at I3 hazard after 131 steps`. */
export function describeOutcome(o: Outcome): string {
  switch (o.kind) {
    case 'violation':
      return `${o.invariant ?? '?'} violation ${whereOf(o)}`;
    case 'stopped': {
      const found = [...(o.hazards ?? []).map((h) => `${h} hazard`), ...(o.useSites ?? []).map((s) => `${s} use-site`)];
      return `stopped after ${o.steps} steps${found.length > 0 ? ` (${found.join(', ')})` : ''}`;
    }
    case 'plugin-error':
      return `plugin error${o.hook !== undefined ? ` in ${o.hook}` : ''} after ${o.steps} steps`;
    case 'budget':
      return `step budget exceeded after ${o.steps} steps`;
    default:
      return `${o.kind} after ${o.steps} steps`;
  }
}

/** Where a run ended: `at step 119 on CPU1` (a violation), else `after 131 steps`. */
function whereOf(o: Outcome): string {
  return o.kind === 'violation' ? `at step ${o.step ?? o.steps - 1}${o.cpu !== undefined ? ` on CPU${o.cpu}` : ''}` : `after ${o.steps} steps`;
}

const FAILING: ReadonlySet<Outcome['kind']> = new Set(['violation', 'deadlock', 'plugin-error', 'budget']);

/** A replay that did not reproduce: passes (the recorded failure is gone, nothing else failed) or differs. */
function notReproduced(a: Artifact, got: Outcome): { status: 'passes' | 'differs'; detail: string } {
  const finding = findingOf(a);
  const recorded = describeOutcome(a.outcome);
  if (!FAILING.has(got.kind) && got.kind !== 'stopped') {
    return { status: 'passes', detail: `${finding} now passes: recorded ${recorded}, the replay ended ${describeOutcome(got)}` };
  }
  return { status: 'differs', detail: `${finding} differs: recorded ${recorded}, the replay ended ${describeOutcome(got)}` };
}

/**
 * The schedule ran out or stopped fitting (ReplayDivergence): replay it again letting the run end
 * where the recorded decisions end. Runs all of them without failing: passes (the failure is
 * gone from this schedule); a recorded decision not allowed any more: differs.
 */
function diagnoseDivergence(a: Artifact, replay: () => Outcome): { status: 'passes' | 'differs'; detail: string; replayed: Outcome | null } {
  const finding = findingOf(a);
  try {
    const got = replay();
    if (got.kind === 'ok') {
      return {
        status: 'passes',
        detail: `${finding} now passes: its ${got.steps} recorded steps run without it (recorded ${describeOutcome(a.outcome)}; the run goes on)`,
        replayed: got,
      };
    }
    return { ...notReproduced(a, got), replayed: got };
  } catch (e) {
    if (!(e instanceof ReplayDivergence)) throw e;
    return {
      status: 'differs',
      detail: `${finding} differs: its recorded schedule no longer fits the run (${oneLine(e.message)}; recorded ${describeOutcome(a.outcome)})`,
      replayed: null,
    };
  }
}

type Classified = Omit<RegressEntry, 'path' | 'finding' | 'cell' | 'seed' | 'recorded'>;

/** Replay one parsed artifact and classify it. */
async function classify(a: Artifact, registry: PluginRegistry, allowModelMismatch: boolean): Promise<Classified> {
  const finding = findingOf(a);
  const plugin = await registry.arch(a.cell.arch.name);
  const scheme = await registry.schemeForArtifact(a);
  // Checks the plugins are the artifact's (names), as replay does; the options the diagnostic replay runs with.
  const simOptions = artifactSimulatorOptions(a, plugin, scheme);
  const mismatch = withDeterminismTrap(() => artifactModelMismatch(a, plugin, scheme));
  if (mismatch.length > 0 && !allowModelMismatch) {
    return {
      status: 'model-mismatch',
      replayed: null,
      detail: `${finding} not replayed: recorded with another model (lazytlb ${a.toolVersion}): ${oneLine(mismatch.join('; '))} (--allow-model-mismatch replays it anyway)`,
      modelMismatch: mismatch,
    };
  }
  const note = mismatch.length > 0 ? ` [another model, replayed anyway: ${oneLine(mismatch.join('; '))}]` : '';
  let r: ReplayResult;
  try {
    r = withDeterminismTrap(() =>
      replayArtifact(a, plugin, { ...(scheme !== undefined ? { scheme } : {}), ...(mismatch.length > 0 ? { allowModelMismatch: true } : {}) }),
    );
  } catch (e) {
    // A schedule that ran out or does not fit: ReplayDivergence (core wraps it in an ArtifactError on a model that differs; the plugins were checked above).
    if (!(e instanceof ReplayDivergence || (e instanceof ArtifactError && mismatch.length > 0))) throw e;
    const decisions = new Uint8Array(Buffer.from(a.decisions, 'base64'));
    const d = diagnoseDivergence(a, () =>
      withDeterminismTrap(() =>
        outcomeOf(
          new Simulator(simOptions).run(seedFromHex(a.seed), {
            explorer: new ReplayExplorer(decisions, {
              onEnd: 'stop',
              ...(a.choices !== undefined ? { choices: new Uint8Array(Buffer.from(a.choices, 'base64')) } : {}),
            }),
            ...(a.target !== undefined ? { stopAt: a.target } : {}),
          }),
        ),
      ),
    );
    return { status: d.status, replayed: d.replayed, detail: `${d.detail}${note}`, modelMismatch: mismatch };
  }
  const got = outcomeOf(r.result);
  if (r.reproduced) return { status: 'reproduces', replayed: got, detail: `${finding} reproduces ${whereOf(got)}${note}`, modelMismatch: mismatch };
  const n = notReproduced(a, got);
  return { status: n.status, replayed: got, detail: `${n.detail}${note}`, modelMismatch: mismatch };
}

/** The exit code of a report: 3 errors, 1 regressions, 2 refused model mismatches only, 0 all reproduce. */
export function regressExitCode(counts: Readonly<Record<RegressStatus, number>>): 0 | 1 | 2 | 3 {
  if (counts.error > 0) return 3;
  if (counts.passes > 0 || counts.differs > 0) return 1;
  if (counts['model-mismatch'] > 0) return 2;
  return 0;
}

/** Replay every artifact under `dir` (see the file comment). Throws a UsageError when `dir` is missing, not a directory or holds no artifact. */
export async function regress(dir: string, opts: RegressOptions = {}): Promise<RegressReport> {
  let st;
  try {
    st = statSync(dir);
  } catch (e) {
    throw new UsageError(`regress ${dir}: no such directory (${oneLine((e as Error).message)})`);
  }
  if (!st.isDirectory()) throw new UsageError(`regress ${dir}: not a directory (to replay one artifact: lazytlb replay ${shellQuote(dir)})`);
  let files: string[];
  try {
    files = jsonFilesUnder(dir);
  } catch (e) {
    throw new UsageError(`regress ${dir}: cannot list it: ${oneLine((e as Error).message)}`);
  }
  // The --plugin files load now, used or not (one line, as every command): before any replay.
  const registry = opts.registry ?? (await createRegistry(opts.pluginPaths ?? []));
  const allow = opts.allowModelMismatch === true;
  const artifacts: RegressEntry[] = [];
  const ignored: string[] = [];
  for (const rel of files) {
    const path = join(dir, rel);
    const bad = (detail: string): RegressEntry => ({
      path,
      status: 'error',
      finding: null,
      cell: null,
      seed: null,
      recorded: null,
      replayed: null,
      detail: oneLine(detail),
      modelMismatch: [],
    });
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      artifacts.push(bad(e instanceof SyntaxError ? `not JSON: ${e.message}` : `cannot read it: ${(e as Error).message}`));
      continue;
    }
    if (!looksLikeArtifact(value)) {
      ignored.push(path);
      continue;
    }
    let a: Artifact;
    try {
      a = parseArtifact(value, 'artifact');
    } catch (e) {
      // `invalid artifact: FIELD: ...`, `artifact: artifact schema lazytlb.artifact/1 is not ...` (the line names the file)
      artifacts.push(bad((e as Error).message.replace(/^artifact: /, '')));
      continue;
    }
    const known = { path, finding: findingOf(a), cell: cellOf(a), seed: a.seed, recorded: a.outcome };
    try {
      artifacts.push({ ...known, ...(await classify(a, registry, allow)) });
    } catch (e) {
      artifacts.push({
        ...known,
        status: 'error',
        replayed: null,
        detail: `${known.finding} cannot be replayed: ${oneLine((e as Error).message)}`,
        modelMismatch: [],
      });
    }
  }
  if (artifacts.length === 0) {
    const others =
      ignored.length > 0
        ? ` (${ignored.length} other JSON file${ignored.length === 1 ? '' : 's'}, none a ${ARTIFACT_SCHEMA} failure artifact)`
        : ' (no JSON files)';
    throw new UsageError(`regress ${dir}: no failure artifacts under it${others}; a sweep writes them to OUT/failures/`);
  }
  const counts = Object.fromEntries(REGRESS_STATUSES.map((s) => [s, artifacts.filter((x) => x.status === s).length])) as Record<RegressStatus, number>;
  return RegressReport.parse({ schema: REGRESS_SCHEMA, dir, allowModelMismatch: allow, counts, exitCode: regressExitCode(counts), artifacts, ignored });
}

const TAG: Readonly<Record<RegressStatus, string>> = { reproduces: 'ok', passes: 'FAIL', differs: 'FAIL', 'model-mismatch': 'SKIP', error: 'ERROR' };

/** The text report: one line per artifact, a summary line, and how to look at the first that failed. */
export function formatRegress(r: RegressReport): string {
  const width = Math.min(60, Math.max(...r.artifacts.map((a) => a.path.length)));
  const lines = r.artifacts.map((a) => {
    const where = a.cell !== null && a.seed !== null ? ` (${a.cell}, seed ${a.seed})` : '';
    return `${TAG[a.status].padEnd(5)} ${a.path.padEnd(width)}  ${a.detail}${where}`;
  });
  const c = r.counts;
  const parts = [
    `${c.reproduces} reproduce${c.reproduces === 1 ? 's' : ''}`,
    ...(c.passes > 0 ? [`${c.passes} now pass${c.passes === 1 ? 'es' : ''}`] : []),
    ...(c.differs > 0 ? [`${c.differs} differ${c.differs === 1 ? 's' : ''}`] : []),
    ...(c['model-mismatch'] > 0 ? [`${c['model-mismatch']} recorded by another model, not replayed (--allow-model-mismatch)`] : []),
    ...(c.error > 0 ? [`${c.error} could not be checked`] : []),
  ];
  const ignored = r.ignored.length > 0 ? `; ${r.ignored.length} other JSON file${r.ignored.length === 1 ? '' : 's'} ignored` : '';
  const verdict = r.exitCode === 0 ? 'ok' : 'FAILED';
  lines.push(`regress ${r.dir}: ${verdict}: ${r.artifacts.length} artifact${r.artifacts.length === 1 ? '' : 's'}, ${parts.join(', ')}${ignored}`);
  const first = r.artifacts.find((a) => a.status === 'passes' || a.status === 'differs');
  if (first !== undefined) lines.push(`see one: lazytlb replay ${shellQuote(first.path)}`);
  return `${lines.join('\n')}\n`;
}

export interface RegressCommandOptions {
  readonly plugin?: readonly string[];
  readonly allowModelMismatch?: boolean;
  readonly json?: boolean;
}

/** The `regress` command: prints the report (text or --json) and resolves to its exit code; usage errors throw (exit 2). */
export async function regressCommand(dir: string, o: RegressCommandOptions, stdout: NodeJS.WritableStream = process.stdout): Promise<number> {
  const r = await regress(dir, { pluginPaths: o.plugin ?? [], ...(o.allowModelMismatch === true ? { allowModelMismatch: true } : {}) });
  stdout.write(o.json === true ? `${JSON.stringify(r, null, 2)}\n` : formatRegress(r));
  return r.exitCode;
}
