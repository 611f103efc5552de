/**
 * Fault injection, end to end (dist/cli.js in child processes): a sweep killed at random points
 * of every phase, a full disk, a read-only output, huge numbers. After each fault the output
 * directory is checked (every file valid; the directory is the previous sweep's or one complete
 * new one; no stray temporary or partial directories once the next run repaired it), and then
 * `--resume` (or a re-run, when the directory is still the previous sweep's) must give what an
 * uninterrupted sweep gives.
 *
 * Phases are aimed at with the CLI's test-only hooks (src/io/fault.ts): LAZYTLB_FAULT_PHASES=1
 * prints `lazytlb: phase <run|verify|write-1|shrink|write-2|done> at <ms>` on stderr, and
 * LAZYTLB_FAULT_WRITE_DELAY_MS stretches every file write and the swap so that a kill lands
 * mid-write. Per phase (run, verify, write-1, shrink, write-2): 3 SIGKILLs and 3 SIGINT/SIGTERM
 * (alternating), half of them over a previous sweep's directory: 30 kills, two at a time. Offsets
 * are a seeded fraction of each phase's duration, measured on the reference sweep:
 * LAZYTLB_FAULT_SEED=N reproduces the fractions (where they land still depends on timing; each
 * kill, the phase it landed in and what was found are printed at the end).
 *
 * The full-disk and read-only tests mount tmpfs file systems: they need root and mount(8). In CI
 * (CI=true) they fail when they cannot mount; elsewhere they are skipped, saying why.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArtifact } from '@lazytlb/core';
import { parseResults, type ResultsFile } from '@lazytlb/explore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

/** Kills per phase: this many SIGKILLs, and this many SIGINT/SIGTERM (alternating). */
const KILLS_PER_PHASE = 3;
const GRACEFUL_PER_PHASE = 3;
const KILL_PHASES = ['run', 'verify', 'write-1', 'shrink', 'write-2'] as const;
type KillPhase = (typeof KILL_PHASES)[number];
/** The markers of an uninterrupted sweep (swap: between the two renames of each write). */
const ALL_PHASES = ['run', 'verify', 'write-1', 'swap', 'shrink', 'write-2', 'swap', 'done'] as const;
/** Trials at once (each sweep uses one worker thread). */
const CONCURRENCY = 2;
const WRITE_DELAY_MS = 20;
const FAULT_ENV = { LAZYTLB_FAULT_PHASES: '1', LAZYTLB_FAULT_WRITE_DELAY_MS: String(WRITE_DELAY_MS) };

/** Two cells (one violating: first failures to shrink; one safe), 15 batches each: about 2.5 s in all on an idle 2-core machine. */
const MATRIX = ['--arch', 'reference', '--scheme', 'none,refcount', '--cpus', '2', '--runs', '150', '--batch-size', '10', '--threads', '1', '--no-progress'];
// --force: it replaces the previous sweep (another seed) that trials start from; --resume ignores it.
const SWEEP = ['sweep', ...MATRIX, '--seed', 'fault', '--force'];
/** The sweep already in --out before a faulty one: the same matrix and file names, another seed. */
const PREVIOUS = ['sweep', ...MATRIX, '--seed', 'previous'];

const SEED = Number(process.env.LAZYTLB_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------
// Running the CLI

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  pid: number;
  /** Phase markers: when the child entered the phase (its Date.now()) and when the line arrived (ms after spawn). */
  marks: { phase: string; entered: number; at: number }[];
  /** The kill: when it was sent (Date.now(); ms after spawn) and the last phase marker seen before it (null: the process ended first). */
  kill: { sent: number; at: number; landed: string } | null;
  ms: number;
}

interface Kill {
  readonly phase: string;
  /** Kill after the nth marker of `phase` (default 1). */
  readonly nth?: number;
  readonly signal: NodeJS.Signals;
  readonly afterMs: number;
}

const tmp = (what: string): string => mkdtempSync(join(tmpdir(), `lazytlb-fault-${what}-`));
const made: string[] = [];
/** tmpfs mount points, unmounted in afterAll before the scratch directories are removed. */
const mounted: string[] = [];
const scratch = (what: string): string => {
  const d = tmp(what);
  made.push(d);
  return d;
};

function cli(args: readonly string[], env: Record<string, string> = {}, kill?: Kill): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let scanned = 0;
    const marks: Exit['marks'] = [];
    let sent: Exit['kill'] = null;
    let timer: NodeJS.Timeout | undefined;
    const watchdog = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stdout.on('data', (d: Buffer) => void (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      for (let nl = stderr.indexOf('\n', scanned); nl >= 0; nl = stderr.indexOf('\n', scanned)) {
        const m = /^lazytlb: phase (\S+) at (\d+)$/.exec(stderr.slice(scanned, nl));
        scanned = nl + 1;
        if (m === null) continue;
        marks.push({ phase: m[1]!, entered: Number(m[2]), at: performance.now() - t0 });
        if (kill !== undefined && m[1] === kill.phase && timer === undefined && marks.filter((x) => x.phase === kill.phase).length === (kill.nth ?? 1)) {
          timer = setTimeout(() => {
            if (child.exitCode !== null || child.signalCode !== null) return;
            sent = { sent: Date.now(), at: performance.now() - t0, landed: marks[marks.length - 1]!.phase };
            child.kill(kill.signal);
          }, kill.afterMs);
        }
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(watchdog);
      resolve({ code, signal, stdout, stderr, pid: child.pid!, marks, kill: sent, ms: performance.now() - t0 });
    });
  });
}

/** Run `fn` over `items`, `n` at a time; results in order; the first failure is rethrown after all ended. */
async function pool<T, R>(items: readonly T[], n: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  const errors: unknown[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) {
        try {
          out[i] = await fn(items[i]!, i);
        } catch (e) {
          errors.push(e);
        }
      }
    }),
  );
  if (errors.length > 0) throw errors[0];
  return out;
}

// ---------------------------------------------------------------------------------------------
// Checking a directory

/** Every file under `dir` (relative paths, sorted) with its bytes. */
function tree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const r = rel === '' ? name : `${rel}/${name}`;
      if (statSync(join(dir, r)).isDirectory()) walk(r);
      else out.set(r, readFileSync(join(dir, r)));
    }
  };
  walk('');
  return out;
}

function sameTree(a: Map<string, Buffer>, b: Map<string, Buffer>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (!b.get(k)?.equals(v)) return false;
  return true;
}

const readResults = (dir: string): ResultsFile => parseResults(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')), join(dir, 'results.json'));

/** results.json without `timing` (the only part two runs of one sweep may differ in). */
function timeless(r: ResultsFile): unknown {
  const { timing: _timing, ...rest } = r;
  return JSON.parse(JSON.stringify(rest));
}

/** results.json without `timing` and with every first failure as the unshrunk write (write-1) has it. */
function unshrunk(r: ResultsFile): unknown {
  const t = timeless(r) as { cells: { firstFailures: Record<string, unknown>[] }[] };
  for (const c of t.cells) for (const f of c.firstFailures) Object.assign(f, { shrunkSteps: null, shrunk: null, bugDepth: null });
  return t;
}

/** report.md without its last line (when and how long: timing). */
const reportBody = (md: string): string => md.replace(/\n_[^\n]*_\n$/, '\n');

/**
 * A committed output directory is valid: exactly results.json, report.md, report.html and
 * failures/; results.json parses (parseResults); every failures/*.json parses (parseArtifact);
 * every first failure's artifact exists, and its .shrunk.json exactly when it says it was
 * shrunk; no temporary file. Returns results.json.
 */
function checkValid(dir: string): ResultsFile {
  expect(readdirSync(dir).sort(), dir).toEqual(['failures', 'report.html', 'report.md', 'results.json']);
  const r = readResults(dir);
  const failures = readdirSync(join(dir, 'failures'));
  expect(
    failures.filter((f) => !/^\d+-[\w.-]+\.json$/.test(f) || /\.tmp-/.test(f)),
    `${dir}/failures: stray files`,
  ).toEqual([]);
  for (const f of failures) parseArtifact(JSON.parse(readFileSync(join(dir, 'failures', f), 'utf8')), join(dir, 'failures', f));
  const shrunkFiles = new Set<string>();
  for (const c of r.cells) {
    for (const f of c.firstFailures) {
      expect(existsSync(join(dir, f.artifact)), `${dir}: ${f.artifact} (cell ${c.index} ${f.key})`).toBe(true);
      const shrunk = f.artifact.replace(/\.json$/, '.shrunk.json');
      if (f.shrunkSteps !== null) {
        expect(existsSync(join(dir, shrunk)), `${dir}: ${shrunk}`).toBe(true);
        shrunkFiles.add(shrunk.slice('failures/'.length));
      }
    }
  }
  // A .shrunk.json that no first failure of this results.json claims is another sweep's.
  expect(
    failures.filter((f) => f.endsWith('.shrunk.json') && !shrunkFiles.has(f)),
    `${dir}: .shrunk.json of another sweep`,
  ).toEqual([]);
  expect(readFileSync(join(dir, 'report.md'), 'utf8')).toMatch(/^# lazytlb sweep/);
  expect(readFileSync(join(dir, 'report.html'), 'utf8')).toMatch(/<\/html>\n$/);
  return r;
}

interface Reference {
  /** The uninterrupted sweep (SWEEP). */
  dir: string;
  tree: Map<string, Buffer>;
  results: ResultsFile;
  /** Its phase durations (ms), with the fault hooks on. */
  durations: Record<string, number>;
  /** The previous sweep (PREVIOUS) that trials start from: its directory, bytes and seed. */
  previous: string;
  previousTree: Map<string, Buffer>;
}
let ref: Reference;

/** `dir` is the uninterrupted sweep's: results.json (minus timing), every artifact byte for byte, report.md (minus timing). */
function expectReference(dir: string, what: string): void {
  const r = checkValid(dir);
  expect(timeless(r), `${what}: results.json`).toEqual(timeless(ref.results));
  const t = tree(dir);
  const failures = (m: Map<string, Buffer>): string[] => [...m.keys()].filter((k) => k.startsWith('failures/'));
  expect(failures(t), `${what}: failures/`).toEqual(failures(ref.tree));
  for (const k of failures(t)) expect(t.get(k)!.equals(ref.tree.get(k)!), `${what}: ${k} differs from the reference`).toBe(true);
  expect(reportBody(t.get('report.md')!.toString()), `${what}: report.md`).toBe(reportBody(ref.tree.get('report.md')!.toString()));
}

/**
 * `dir` holds this sweep's results, complete or not, and they agree with the reference as far
 * as they go. Interrupted (a signal while running): fewer runs (checkValid checked the files;
 * --resume checks the rest). Otherwise: results.json is the reference's but for the shrinking
 * (none, some or all first failures shrunk, each shrunk one as the reference shrank it), and
 * every file in failures/ is byte for byte the reference's.
 */
function expectThisSweep(dir: string, what: string, r: ResultsFile): 'interrupted' | 'unshrunk' | 'partly shrunk' | 'complete' {
  expect(r.matrix.seed).toBe('fault');
  if (r.interrupted) {
    expect(r.complete).toBe(false);
    expect(r.totals.runs, `${what}: an interrupted sweep has fewer runs`).toBeLessThan(ref.results.totals.runs);
    return 'interrupted';
  }
  expect(unshrunk(r), `${what}: results.json`).toEqual(unshrunk(ref.results));
  const t = tree(dir);
  for (const [k, v] of t)
    if (k.startsWith('failures/')) expect(v.equals(ref.tree.get(k) ?? Buffer.alloc(0)), `${what}: ${k} differs from the reference's`).toBe(true);
  for (const [i, c] of r.cells.entries()) {
    for (const [j, f] of c.firstFailures.entries())
      if (f.shrunkSteps !== null) expect(f, `${what}: cell ${i} ${f.key}`).toEqual(ref.results.cells[i]!.firstFailures[j]);
  }
  const shrunk = r.cells.flatMap((c) => c.firstFailures).filter((f) => f.shrunkSteps !== null).length;
  const all = ref.results.cells.flatMap((c) => c.firstFailures).filter((f) => f.shrunkSteps !== null).length;
  if (shrunk === all) {
    expect(timeless(r), `${what}: results.json`).toEqual(timeless(ref.results));
    return 'complete';
  }
  // Partly shrunk only after a signal while shrinking: each entry is the reference's or unshrunk.
  return shrunk === 0 ? 'unshrunk' : 'partly shrunk';
}

// ---------------------------------------------------------------------------------------------

/** What each kill did, printed in afterAll with a tally. */
const kills: { phase: string; signal: NodeJS.Signals; landed: string; state: string; line: string }[] = [];

beforeAll(async () => {
  console.log(`fault-injection seed ${SEED} (LAZYTLB_FAULT_SEED=${SEED} reproduces the kill offsets)`);
  const dir = scratch('ref');
  const prev = scratch('prev');
  const [r, p] = await Promise.all([cli([...SWEEP, '--out', join(dir, 'out')], FAULT_ENV), cli([...PREVIOUS, '--out', join(prev, 'out')])]);
  expect(r.code, r.stderr).toBe(1);
  expect(p.code, p.stderr).toBe(1);
  expect(r.marks.map((m) => m.phase)).toEqual([...ALL_PHASES]);
  // A write phase lasts until the next phase (its swap included).
  const durations: Record<string, number> = {};
  for (const [i, m] of r.marks.entries()) {
    if (m.phase !== 'swap') durations[m.phase] = (r.marks.slice(i + 1).find((x) => x.phase !== 'swap')?.entered ?? m.entered) - m.entered;
  }
  ref = {
    dir: join(dir, 'out'),
    tree: tree(join(dir, 'out')),
    results: checkValid(join(dir, 'out')),
    durations,
    previous: join(prev, 'out'),
    previousTree: tree(join(prev, 'out')),
  };
  checkValid(ref.previous);
  expect(ref.results.cells.flatMap((c) => c.firstFailures).every((f) => f.shrunkSteps !== null)).toBe(true);
  console.log(
    `reference sweep: ${Math.round(r.ms)} ms; phases (ms): ${Object.entries(durations)
      .map(([k, v]) => `${k} ${Math.round(v)}`)
      .join(', ')}`,
  );
}, 120_000);

afterAll(() => {
  if (kills.length > 0) {
    const tally = (key: (k: (typeof kills)[number]) => string): string => {
      const n = new Map<string, number>();
      for (const k of kills) n.set(key(k), (n.get(key(k)) ?? 0) + 1);
      return [...n].map(([k, v]) => `${k} ${v}`).join(', ');
    };
    console.log(
      [
        `${kills.length} kills (phase aimed at, signal, offset → last phase marker before it, exit, the directory right after it, recovery):`,
        ...[...KILL_PHASES, 'swap-1', 'swap-2'].flatMap((p) => kills.filter((k) => k.phase === p).map((k) => k.line)),
        `signals: ${tally((k) => k.signal)}`,
        `landed in: ${tally((k) => k.landed)}`,
        `directory after the kill: ${tally((k) => k.state.replace(/ \(.*$/, ''))}`,
      ].join('\n'),
    );
  }
  for (const d of mounted.reverse()) if (sh('umount', [d]) !== null) sh('umount', ['-l', d]);
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// (a) kills at random points of every phase

interface Trial {
  /** A phase, or the nth swap (SWAP_TRIALS). */
  phase: KillPhase | 'swap';
  nth?: number;
  signal: NodeJS.Signals;
  /** Fraction of the phase's duration (on the reference sweep) after its marker. */
  fraction: number;
  /** Start from a directory holding the previous sweep (else from none). */
  withPrevious: boolean;
}

/** Drawn up front, in a fixed order, so the seed alone fixes every trial. */
const TRIALS: Record<KillPhase, Trial[]> = (() => {
  const rand = mulberry32(SEED);
  const out = {} as Record<KillPhase, Trial[]>;
  let graceful = 0;
  for (const phase of KILL_PHASES) {
    out[phase] = [];
    for (let i = 0; i < KILLS_PER_PHASE; i++) out[phase].push({ phase, signal: 'SIGKILL', fraction: rand(), withPrevious: i % 2 === 0 });
    for (let i = 0; i < GRACEFUL_PER_PHASE; i++)
      out[phase].push({ phase, signal: graceful++ % 2 === 0 ? 'SIGINT' : 'SIGTERM', fraction: rand(), withPrevious: i % 2 === 1 });
  }
  return out;
})();

async function trial(t: Trial): Promise<string> {
  const parent = scratch('kill');
  const out = join(parent, 'out');
  if (t.withPrevious) cpSync(ref.previous, out, { recursive: true });
  // 0.9: phases run a little faster or slower than on the reference; a kill after the end is no fault.
  // A swap: 2·N ms into the 5·N ms the hook holds it between its renames.
  const afterMs = t.phase === 'swap' ? 2 * WRITE_DELAY_MS : Math.floor(0.9 * t.fraction * ref.durations[t.phase]!);
  const label = t.phase === 'swap' ? `swap-${t.nth}` : t.phase;
  const what = `${t.signal} ${afterMs} ms into ${label}${t.withPrevious ? ' (over a previous sweep)' : ''}`;
  const k = await cli([...SWEEP, '--out', out], FAULT_ENV, { phase: t.phase, ...(t.nth !== undefined ? { nth: t.nth } : {}), signal: t.signal, afterMs });
  const landed = k.kill?.landed ?? 'after exit';
  const names = readdirSync(parent).sort();

  // The exit. SIGKILL: killed by it. SIGINT / SIGTERM: handled (the handler's line on stderr),
  // then 130 / 143, whenever it came before the sweep was done; only a signal that raced the
  // very end may find the handlers gone (exit 1, or killed by the signal).
  const done = k.marks.find((m) => m.phase === 'done');
  if (k.kill === null) expect(k.code, `${what}: ended before the kill: ${k.stderr}`).toBe(1);
  else if (t.signal === 'SIGKILL') {
    if (k.signal !== 'SIGKILL') expect(done !== undefined && k.code === 1, `${what}: exit ${k.code}`).toBe(true);
  } else {
    const graceful = t.signal === 'SIGTERM' ? 143 : 130;
    const handled = /^lazytlb: (interrupted|terminated): finishing the work in flight/m.test(k.stderr);
    expect(k.stderr, what).not.toMatch(/internal error|\n\s+at /);
    if (handled) expect(k.code, `${what}: ${k.stderr}`).toBe(graceful);
    else {
      expect(done, `${what}: the signal was not handled: exit ${k.signal ?? k.code}: ${k.stderr}`).toBeDefined();
      // Not handled although the child received it before it was done (by the clock they share): lost.
      expect(done!.entered - k.kill.sent, `${what}: the signal was lost (exit ${k.signal ?? k.code})`).toBeLessThan(10);
      expect(k.code === 1 || k.signal === t.signal, `${what}: exit ${k.signal ?? k.code}`).toBe(true);
    }
  }

  // What a reader sees right after the fault: OUT, or (killed between the two renames of a swap) OUT.previous-PID of the dead process.
  const stray = names.filter((n) => n !== 'out');
  for (const n of stray) expect(n, `${what}: ${names.join(' ')}`).toMatch(new RegExp(`^out\\.(partial|previous)-${k.pid}$`));
  if (t.signal !== 'SIGKILL') expect(names, `${what}: a process that stopped on a signal leaves only OUT`).toEqual(['out']);
  const seen = existsSync(out) ? out : stray.includes(`out.previous-${k.pid}`) ? join(parent, `out.previous-${k.pid}`) : null;
  let state: string;
  if (seen === null) {
    expect(t.withPrevious, `${what}: the previous sweep is gone: ${names.join(' ')}`).toBe(false);
    expect(t.signal, what).toBe('SIGKILL');
    state = 'none yet';
  } else {
    const r = checkValid(seen);
    if (r.matrix.seed === 'previous') {
      expect(t.withPrevious, what).toBe(true);
      expect(sameTree(tree(seen), ref.previousTree), `${what}: the previous sweep's directory changed`).toBe(true);
      state = 'previous';
    } else {
      state = expectThisSweep(seen, what, r);
      // SIGKILL writes nothing: only what a whole commit wrote, the results before (write-1) or after shrinking (write-2).
      if (t.signal === 'SIGKILL') expect(['unshrunk', 'complete'], what).toContain(state);
    }
    if (seen !== out) state += ', mid-swap';
  }
  if (t.phase === 'swap' && k.kill !== null) {
    // Sent (by the clock the two processes share) well inside the window between the renames: OUT
    // was renamed away and not yet replaced (over a previous directory), or the partial was complete and not yet renamed.
    const swap = k.marks.filter((m) => m.phase === 'swap')[t.nth! - 1]!;
    if (k.kill.sent - swap.entered < 5 * WRITE_DELAY_MS - 10) {
      if (t.withPrevious || t.nth === 2) expect(state, `${what}: sent ${k.kill.sent - swap.entered} ms into the swap`).toMatch(/mid-swap$/);
      else expect(state, what).toBe('none yet');
    }
  }

  // Recovery: --resume when OUT holds (some of) this sweep; when it still holds the previous one,
  // --resume must refuse it (another seed) after repairing it, unchanged; then a plain re-run.
  let recovery: string;
  if (state.startsWith('previous')) {
    const refused = await cli([...SWEEP, '--resume', out]);
    expect(refused.code, `${what}: --resume over the previous sweep: ${refused.stderr}`).toBe(2);
    expect(refused.stderr).toMatch(/cannot resume: the previous sweep differs/);
    if (state.endsWith('mid-swap'))
      expect(refused.stderr).toMatch(/lazytlb: restored .*\/out from .*\/out\.previous-\d+ \(a previous run was killed while replacing it\)/);
    expect(readdirSync(parent), `${what}: after --resume's repair`).toEqual(['out']);
    expect(sameTree(tree(out), ref.previousTree), `${what}: the previous sweep after the repair`).toBe(true);
    const again = await cli([...SWEEP, '--out', out]);
    expect(again.code, again.stderr).toBe(1);
    recovery = '--resume refused, re-run';
  } else if (state === 'none yet') {
    const again = await cli([...SWEEP, '--out', out]);
    expect(again.code, again.stderr).toBe(1);
    recovery = 're-run';
  } else {
    const resumed = await cli([...SWEEP, '--resume', out]);
    expect(resumed.code, `${what}: --resume: ${resumed.stderr}`).toBe(1);
    if (state.endsWith('mid-swap'))
      expect(resumed.stderr).toMatch(/lazytlb: restored .*\/out from .*\/out\.previous-\d+ \(a previous run was killed while replacing it\)/);
    recovery = '--resume';
  }
  expect(readdirSync(parent), `${what}: strays after the next run`).toEqual(['out']);
  expectReference(out, `${what}, then ${recovery}`);
  const line = `  ${label.padEnd(7)} ${t.signal.padEnd(7)} +${String(afterMs).padStart(4)} ms → ${landed.padEnd(10)} exit ${k.signal ?? k.code}; ${state}${stray.length > 0 ? ` (+ ${stray.map((s) => s.replace(/-\d+$/, '-PID')).join(', ')})` : ''}; ${recovery} = reference`;
  kills.push({ phase: label, signal: t.signal, landed, state, line });
  return line;
}

/** SIGKILL between the two renames: of the first write over a previous sweep, and of the second write. */
const SWAP_TRIALS: Trial[] = [
  { phase: 'swap', nth: 1, signal: 'SIGKILL', fraction: 0, withPrevious: true },
  { phase: 'swap', nth: 2, signal: 'SIGKILL', fraction: 0, withPrevious: false },
];

describe('kills at random points of every phase: every file valid, the previous sweep or one whole new one, --resume gives the uninterrupted result', () => {
  it.each(KILL_PHASES.map((p) => [p]))(
    '%s',
    async (phase) => {
      await pool(TRIALS[phase], CONCURRENCY, trial);
    },
    180_000,
  );

  it('between the two renames of a swap (SIGKILL): the next run restores OUT from OUT.previous-PID', async () => {
    await pool(SWAP_TRIALS, CONCURRENCY, trial);
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------
// (b), (c) full disk and read-only output: tmpfs mounts

function sh(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error !== undefined) return `${cmd}: ${r.error.message}`;
  return r.status === 0 ? null : `${cmd} ${args.join(' ')}: ${(r.stderr || r.stdout).trim() || `exit ${r.status}`}`;
}

/** Why tmpfs cannot be mounted here (null: it can). */
const MOUNT_PROBLEM: string | null = (() => {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root';
  const d = tmp('probe');
  try {
    const e = sh('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', d]);
    if (e !== null) return e;
    return sh('umount', [d]);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
})();
if (MOUNT_PROBLEM !== null && !IN_CI)
  console.warn(`fault injection: the full-disk and read-only tests are skipped (${MOUNT_PROBLEM}); in CI (CI=true) they fail instead`);
/** Skipped locally when tmpfs cannot be mounted; in CI they run and fail with the reason. */
const itMounts = MOUNT_PROBLEM === null || IN_CI ? it : it.skip;

function mountTmpfs(what: string, options: string): string {
  if (MOUNT_PROBLEM !== null) throw new Error(`fault injection needs root and mount(8) for tmpfs file systems (CI=true requires it): ${MOUNT_PROBLEM}`);
  const d = scratch(what);
  const e = sh('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', d]);
  if (e !== null) throw new Error(`cannot mount a tmpfs: ${e}`);
  mounted.push(d);
  return d;
}

const oneLine = (stderr: string): void => expect(stderr.trim().split('\n'), stderr).toHaveLength(1);

describe('a full disk', () => {
  itMounts(
    "writing fails: exit 2, one line saying where results.json went (it is the sweep's), nothing of --out changes",
    async () => {
      // 256 KiB: report.html (echarts inlined, ~1 MB) cannot fit.
      const small = mountTmpfs('full', 'size=256k');
      // Room for the previous sweep and half another: the new one fails part way, beside it.
      const bytes = [...ref.previousTree.values()].reduce((a, b) => a + b.length, 0);
      const half = mountTmpfs('half', `size=${Math.ceil((1.5 * bytes) / 1024) + 64}k`);
      cpSync(ref.previous, join(half, 'out'), { recursive: true });
      const rescue = scratch('rescue');
      for (const [root, previous] of [
        [small, false],
        [half, true],
      ] as const) {
        const out = join(root, 'out');
        const r = await cli([...SWEEP, '--out', out], { TMPDIR: rescue });
        console.log(`full disk${previous ? ', over a previous sweep' : ''}: exit ${r.code}: ${r.stderr.trim()}`);
        expect(r.code, r.stderr).toBe(2);
        oneLine(r.stderr);
        const m = /^lazytlb: cannot write \S+\/out: ENOSPC: [^\n]*\(the directory is unchanged; results\.json was written to (\S+) instead\)\n$/.exec(r.stderr);
        expect(m, r.stderr).not.toBeNull();
        expect(m![1]!.startsWith(rescue)).toBe(true);
        // The rescued results.json is this sweep's, as write-1 has it.
        const rescued = parseResults(JSON.parse(readFileSync(m![1]!, 'utf8')), m![1]);
        expect(unshrunk(rescued)).toEqual(unshrunk(ref.results));
        rmSync(m![1]!);
        if (previous) {
          expect(readdirSync(root).filter((n) => n !== 'lost+found')).toEqual(['out']);
          expect(sameTree(tree(out), ref.previousTree), 'the previous sweep changed').toBe(true);
        } else {
          expect(readdirSync(root).filter((n) => n !== 'lost+found')).toEqual([]);
        }
      }
    },
    120_000,
  );
});

describe('a read-only output', () => {
  itMounts(
    'is refused before the sweep runs (exit 2, one line); a swap a kill interrupted there is not an internal error',
    async () => {
      const ro = mountTmpfs('ro', 'size=4m');
      cpSync(ref.previous, join(ro, 'out'), { recursive: true });
      // What killed runs leave: a partial directory of a dead process, and OUT missing beside OUT.previous-PID.
      mkdirSync(join(ro, 'out.partial-999999998'));
      cpSync(ref.previous, join(ro, 'gone.previous-999999999'), { recursive: true });
      const before = tree(ro);
      const e = sh('mount', ['-o', 'remount,ro', ro]);
      if (e !== null) throw new Error(`cannot remount the tmpfs read-only: ${e}`);
      const big = ['sweep', '--arch', 'reference', '--scheme', 'none,refcount', '--cpus', '2', '--runs', '1000000', '--no-progress'];
      const cases: [string[], RegExp][] = [
        [[...big, '--out', join(ro, 'out')], /^lazytlb: --out \S+\/out: cannot write there: EROFS: /],
        [[...big, '--out', join(ro, 'new', 'deeper', 'out')], /^lazytlb: --out \S+: cannot create its parent directory \S+: EROFS: /],
        [[...big, '--resume', join(ro, 'out')], /^lazytlb: --resume \S+\/out: cannot write there: EROFS: /],
        [
          [...big, '--out', join(ro, 'gone')],
          /^lazytlb: --out \S+\/gone: cannot restore it from \S+\/gone\.previous-999999999 \(a previous run was killed while replacing it\): EROFS: /,
        ],
      ];
      for (const [args, why] of cases) {
        const r = await cli(args);
        console.log(`read-only: exit ${r.code} after ${Math.round(r.ms)} ms: ${r.stderr.trim()}`);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toMatch(why);
        oneLine(r.stderr);
        expect(r.ms, 'refused up front, not after 10^6 runs per cell').toBeLessThan(20_000);
      }
      expect(sameTree(tree(ro), before), 'the read-only place changed').toBe(true);
    },
    120_000,
  );
});

// ---------------------------------------------------------------------------------------------
// (d) huge numbers

describe('huge numbers', () => {
  const SAFE = ['sweep', '--arch', 'reference', '--scheme', 'refcount', '--cpus', '2', '--threads', '1', '--no-progress'];

  it('--runs 2^53 − 1 --time-budget 3s starts at once and stops at the budget with a valid partial result', async () => {
    const out = join(scratch('huge'), 'out');
    const r = await cli([...SAFE, '--runs', '9007199254740991', '--time-budget', '3s', '--out', out], FAULT_ENV);
    expect(r.code, r.stderr).toBe(0);
    const at = (p: string): number => r.marks.find((m) => m.phase === p)!.entered;
    expect(r.marks[0]!.at, 'planning 2^53 − 1 runs is lazy: the sweep starts at once').toBeLessThan(10_000);
    expect(at('verify') - at('run')).toBeGreaterThanOrEqual(2_900);
    expect(at('verify') - at('run'), 'stops at the budget').toBeLessThan(8_000);
    const f = checkValid(out);
    expect(f).toMatchObject({ interrupted: false, complete: false, timeBudgetHit: true, matrix: { runs: 9007199254740991 } });
    expect(f.totals.runs).toBeGreaterThan(0);
    console.log(
      `--runs 2^53 − 1 --time-budget 3s: running ${Math.round(r.marks[0]!.at)} ms after spawn, stopped ${at('verify') - at('run')} ms later, ${f.totals.runs} runs, exit ${r.code} after ${Math.round(r.ms)} ms`,
    );
  }, 60_000);

  it('--runs 2^53 (and other flags past what they can hold) are usage errors: exit 2, one line naming the flag', async () => {
    const cases: [string[], RegExp][] = [
      [['--runs', '9007199254740992'], /--runs/],
      [['--runs', '10', '--batch-size', '9007199254740992'], /--batch-size 9007199254740992/],
      [['--runs', '10', '--shard', '0/9007199254740992'], /invalid shard "0\/9007199254740992"/],
      [['--runs', '10', '--cpus', '9007199254740991'], /--cpus 9007199254740991: at most \d+ CPUs/],
      [['--runs', '10', '--threads', '9007199254740991'], /--threads 9007199254740991: at most \d+ here/],
    ];
    for (const [flags, why] of cases) {
      const r = await cli([...SAFE, ...flags]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(why);
      oneLine(r.stderr);
    }
  });

  it('SIGINT right after a 2^53 − 1-run sweep starts is honoured at once; --resume with a budget continues it', async () => {
    const out = join(scratch('huge-int'), 'out');
    const r = await cli([...SAFE, '--runs', '9007199254740991', '--out', out], FAULT_ENV, { phase: 'run', signal: 'SIGINT', afterMs: 200 });
    expect(r.code, r.stderr).toBe(130);
    expect(r.ms - r.kill!.at, 'from SIGINT to exit').toBeLessThan(10_000);
    const f = checkValid(out);
    expect(f).toMatchObject({ interrupted: true, complete: false });
    console.log(`--runs 2^53 − 1, SIGINT 200 ms into the run: exit 130 ${Math.round(r.ms - r.kill!.at)} ms after the signal, ${f.totals.runs} runs written`);
    const resumed = await cli([...SAFE, '--runs', '9007199254740991', '--time-budget', '1s', '--resume', out], FAULT_ENV);
    expect(resumed.code, resumed.stderr).toBe(0);
    const g = checkValid(out);
    expect(g).toMatchObject({ interrupted: false, timeBudgetHit: true });
    expect(g.totals.runs).toBeGreaterThan(f.totals.runs);
  }, 60_000);
});
