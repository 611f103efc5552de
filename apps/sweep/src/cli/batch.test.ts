/**
 * What a batch scheduler and a CI log need from `lazytlb sweep`: a default output directory,
 * replay hints on stdout, --out that is never replaced by surprise, and checkpoints that a kill
 * at any moment (SIGKILL, SIGTERM) turns into a resume equal byte for byte to the uninterrupted
 * sweep.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArtifact } from '@lazytlb/core';
import { parseResults } from '@lazytlb/explore';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const tmp = (): string => mkdtempSync(join(tmpdir(), 'lazytlb-batch-'));

function lazytlb(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd, env: { ...process.env, ...env }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** results.json without `timing` (wall clock, threads, batches): everything else must be equal byte for byte. */
function stable(dir: string): string {
  const r = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Record<string, unknown>;
  delete r.timing;
  return JSON.stringify(r, null, 2);
}

/** Every artifact of a results directory, by name, as bytes. */
function failures(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of readdirSync(join(dir, 'failures')).sort()) out.set(n, readFileSync(join(dir, 'failures', n), 'utf8'));
  return out;
}

const SMALL = ['sweep', '--arch', 'reference', '--scheme', 'refcount,none', '--cpus', '2', '--runs', '300', '--threads', '1', '--no-progress'];

describe('default output directory and replay hints', () => {
  it('without --out writes lazytlb-out/<timestamp> and prints one replay line per first failure, whose command replays it', () => {
    const cwd = tmp();
    const r = lazytlb(SMALL, cwd);
    expect(r.code, r.stderr).toBe(1);
    const runs = readdirSync(join(cwd, 'lazytlb-out'));
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/);
    const out = join('lazytlb-out', runs[0]!);
    expect(r.stderr).toContain(`lazytlb: wrote ${join(out, 'results.json')}, report.md, report.html and failures/`);
    const file = parseResults(JSON.parse(readFileSync(join(cwd, out, 'results.json'), 'utf8')), 'results.json');
    const firsts = file.cells.flatMap((c) => c.firstFailures);
    expect(firsts.length).toBeGreaterThan(0);
    const hints = r.stdout.split('\n').filter((l) => / seed [0-9a-f]{32}: lazytlb replay /.test(l));
    expect(hints).toHaveLength(firsts.length);
    for (const f of firsts) {
      const line = hints.find((h) => h.startsWith(`${f.key} ${f.class} in cell `) && h.includes(`seed ${f.seed}:`));
      expect(line, `${f.key}: ${hints.join('\n')}`).toBeDefined();
      const cmd = /: lazytlb replay (\S+)$/.exec(line!)![1]!;
      // The shrunk artifact when there is one, and the file exists.
      expect(cmd).toBe(join(out, f.shrunk !== null ? f.artifact.replace(/\.json$/, '.shrunk.json') : f.artifact));
      expect(existsSync(join(cwd, cmd)), cmd).toBe(true);
    }
    // The first hint's command, run as printed (from the same directory), replays the failure.
    const cmd = /: lazytlb replay (\S+)$/.exec(hints[0]!)![1]!;
    const replay = lazytlb(['replay', cmd], cwd);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toContain(hints[0]!.split(' ')[0]!);
    // By seed, without the artifact: the same output as the (unshrunk) artifact's replay.
    const cell = file.cells.find((c) => c.firstFailures.length > 0)!;
    const f = cell.firstFailures[0]!;
    const bySeed = lazytlb(['replay', '--cell', cell.id, '--results', out, '--seed', f.seed], cwd);
    expect(bySeed.code, bySeed.stderr).toBe(0);
    expect(bySeed.stdout).toBe(lazytlb(['replay', join(out, f.artifact)], cwd).stdout);
    const bad = lazytlb(['replay', '--cell', cell.id, '--seed', f.seed], cwd);
    expect([bad.code, bad.stderr]).toEqual([2, 'lazytlb: an id needs --results DIR (or give the cell as JSON)\n']);
  });

  it('--json keeps stdout for the JSON (hints on stderr) and every artifact it names exists', () => {
    const cwd = tmp();
    const r = lazytlb([...SMALL, '--json'], cwd);
    expect(r.code, r.stderr).toBe(1);
    const file = parseResults(JSON.parse(r.stdout), 'stdout');
    const out = join(cwd, 'lazytlb-out', readdirSync(join(cwd, 'lazytlb-out'))[0]!);
    for (const f of file.cells.flatMap((c) => c.firstFailures)) {
      expect(existsSync(join(out, f.artifact)), f.artifact).toBe(true);
      if (f.shrunk !== null) expect(existsSync(join(out, f.artifact.replace(/\.json$/, '.shrunk.json')))).toBe(true);
    }
    expect(r.stderr).toMatch(/^I\d+ violation in cell \d+ \(reference, none, 2 CPUs, pct:3\), seed [0-9a-f]{32}: lazytlb replay lazytlb-out\/\S+$/m);
  });

  it('--junit FILE: sweep and merge write one test case per cell, violations as failures naming the replay command', () => {
    const cwd = tmp();
    const shards = [1, 2].map((i) => {
      const r = lazytlb([...SMALL, '--shard', `${i}/2`, '--out', `s${i}`, '--junit', `s${i}.xml`, '--fail-on', 'never'], cwd);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`; JUnit: s${i}.xml`);
      return readFileSync(join(cwd, `s${i}.xml`), 'utf8');
    });
    const m = lazytlb(['merge', 's1', 's2', '--out', 'merged', '--junit', 'merged.xml'], cwd);
    expect(m.code, m.stderr).toBe(1);
    const xml = readFileSync(join(cwd, 'merged.xml'), 'utf8');
    const file = parseResults(JSON.parse(readFileSync(join(cwd, 'merged', 'results.json'), 'utf8')), 'results.json');
    expect(xml.match(/<testcase /g)).toHaveLength(file.cells.length);
    const violating = file.cells.filter((c) => c.verdict === 'violates');
    expect(violating.length).toBeGreaterThan(0);
    expect(xml).toContain(`failures="${violating.length}"`);
    for (const f of violating.flatMap((c) => c.firstFailures.filter((x) => x.class === 'violation'))) expect(xml).toContain(f.seed);
    expect(xml).toMatch(/lazytlb replay merged\/failures\/\S+\.json/);
    // a shard runs a share of every cell's runs: each shard's report has a case per cell
    for (const s of shards) expect(s.match(/<testcase /g)).toHaveLength(file.cells.length);
  });

  it('sweeps started together get a directory each (none replaces another)', async () => {
    const cwd = tmp();
    const kids = [0, 1, 2].map(() => spawn(process.execPath, [CLI, ...SMALL, '--no-shrink'], { cwd, stdio: 'ignore' }));
    const codes = await Promise.all(kids.map((c) => new Promise((resolve) => c.on('exit', resolve))));
    expect(codes).toEqual([1, 1, 1]);
    const dirs = readdirSync(join(cwd, 'lazytlb-out'));
    expect(dirs).toHaveLength(3);
    for (const d of dirs) expect(existsSync(join(cwd, 'lazytlb-out', d, 'results.json')), d).toBe(true);
  });
});

describe('--out is never replaced by surprise', () => {
  it("refuses other files, another sweep's results and an interrupted run (exit 2, one line, nothing changed); --force replaces", () => {
    const cwd = tmp();
    const home = join(cwd, 'home');
    mkdirSync(home);
    writeFileSync(join(home, 'thesis.tex'), 'precious\n');
    let r = lazytlb([...SMALL, '--out', home], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `lazytlb: --out ${home}: is not empty and holds no lazytlb results (1 entries would be replaced); give --force to replace it, or another --out\n`,
    );
    expect(readFileSync(join(home, 'thesis.tex'), 'utf8')).toBe('precious\n');

    const out = join(cwd, 'out');
    expect(lazytlb([...SMALL, '--out', out, '--no-shrink'], cwd).code).toBe(1);
    const before = readFileSync(join(out, 'results.json'), 'utf8');
    // the same sweep again: allowed (it writes the same results)
    expect(lazytlb([...SMALL, '--out', out, '--no-shrink'], cwd).code).toBe(1);
    r = lazytlb([...SMALL, '--out', out, '--seed', 'other'], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^lazytlb: --out \S+: holds another sweep's results \(matrix hash [0-9a-f]{32}, this sweep's is [0-9a-f]{32}\); give --force to replace it, or another --out\n$/,
    );
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).matrix).toEqual(JSON.parse(before).matrix);
    r = lazytlb([...SMALL, '--out', out, '--shard', '1/2'], cwd);
    expect(r.stderr).toMatch(/holds shard none of this sweep, this is shard 1\/2/);
    // an interrupted run: resume is explicit
    const results = JSON.parse(before) as { interrupted: boolean };
    results.interrupted = true;
    writeFileSync(join(out, 'results.json'), JSON.stringify(results, null, 2));
    r = lazytlb([...SMALL, '--out', out], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`lazytlb: --out ${out}: holds an interrupted run of this sweep: continue it with --resume ${out} (or --force to start over)\n`);
    r = lazytlb([...SMALL, '--out', out, '--seed', 'other', '--force', '--no-shrink'], cwd);
    expect(r.code, r.stderr).toBe(1);
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).matrix.seed).toBe('other');
  });

  it('bad --checkpoint-every and --junit places: one line, exit 2, before anything runs', () => {
    const cwd = tmp();
    for (const [args, msg] of [
      [['--checkpoint-every', 'soon'], /^lazytlb: --checkpoint-every soon: expected a duration such as "500ms", "90s"/],
      [
        ['--checkpoint-every', '200ms'],
        /^lazytlb: --checkpoint-every 200ms: at least 1s \(each checkpoint rewrites the output directory; 200ms is too often\)\n$/,
      ],
      [['--junit', join(cwd, 'no', 'such', 'dir', 'j.xml')], /^lazytlb: --junit \S+: directory \S+ does not exist\n$/],
      [['--junit', cwd], /^lazytlb: --junit \S+: is a directory, not a file\n$/],
    ] as const) {
      const r = lazytlb([...SMALL, ...args], cwd);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(existsSync(join(cwd, 'lazytlb-out'))).toBe(false);
  });
});

/** A seeded choice of moments (mulberry32): the test is random across moments, the same every run. */
function moments(seed: number, n: number, lo: number, hi: number): number[] {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: n }, () => Math.round(lo + next() * (hi - lo)));
}

/** Several batches per second on one thread, long enough (about 6 s unloaded) for checkpoints to land mid-run. */
const LONG = [
  'sweep',
  '--arch',
  'reference',
  '--scheme',
  'none,refcount',
  '--cpus',
  '2,3',
  '--runs',
  '6000',
  '--batch-size',
  '100',
  '--threads',
  '1',
  '--no-progress',
  '--no-shrink',
];

interface Killed {
  code: number | null;
  signal: NodeJS.Signals | null;
  checkpoints: number;
  stderr: string;
}

/** Run LONG with checkpoints every second; `signal` it `afterMs` after its first checkpoint. */
function killAfterCheckpoint(out: string, signal: NodeJS.Signals, afterMs: number): Promise<Killed> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...LONG, '--checkpoint-every', '1s', '--out', out], {
      env: { ...process.env, LAZYTLB_FAULT_PHASES: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let armed = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!armed && /phase checkpoint at/.test(stderr)) {
        armed = true;
        setTimeout(() => child.kill(signal), afterMs);
      }
    });
    child.on('error', reject);
    child.on('exit', (code, sig) => resolve({ code, signal: sig, checkpoints: (stderr.match(/phase checkpoint at/g) ?? []).length, stderr }));
  });
}

describe('--checkpoint-every: a kill at any moment loses at most the last interval', () => {
  it('SIGKILL and SIGTERM at seeded random moments, then --resume: results and artifacts equal the uninterrupted sweep byte for byte', async () => {
    const cwd = tmp();
    const ref = join(cwd, 'ref');
    const r = lazytlb([...LONG, '--out', ref], cwd);
    expect(r.code, r.stderr).toBe(1);
    const delays = moments(14, 4, 0, 2500);
    const signals: NodeJS.Signals[] = ['SIGKILL', 'SIGTERM', 'SIGKILL', 'SIGTERM'];
    for (const [i, afterMs] of delays.entries()) {
      const sig = signals[i]!;
      const out = join(cwd, `k${i}`);
      const k = await killAfterCheckpoint(out, sig, afterMs);
      const what = `${sig} ${afterMs} ms after the first checkpoint (${k.checkpoints} written)`;
      if (sig === 'SIGKILL') expect(k.signal ?? k.code, `${what}: ${k.stderr}`).toBe(k.signal === null ? 1 : 'SIGKILL');
      else expect(k.code, `${what}: ${k.stderr}`).toBe(k.stderr.includes('terminated: finishing') ? 143 : 1);
      // What the kill left: a results.json that parses, every artifact it names on disk.
      const left = parseResults(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')), out);
      for (const f of left.cells.flatMap((c) => c.firstFailures)) parseArtifact(JSON.parse(readFileSync(join(out, f.artifact), 'utf8')));
      if (k.signal === 'SIGKILL') {
        expect(left.interrupted, what).toBe(true);
        expect(left.totals.runs, what).toBeGreaterThan(0); // the checkpoint's runs were kept
      }
      if (left.interrupted) {
        const resumed = lazytlb([...LONG, '--resume', out], cwd);
        expect(resumed.code, `${what}: --resume: ${resumed.stderr}`).toBe(1);
      }
      expect(stable(out), what).toBe(stable(ref));
      expect(failures(out), what).toEqual(failures(ref));
    }
  }, 240_000);
});
