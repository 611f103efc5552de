/**
 * The CLI never loses a sweep and never leaves a half-done directory: nondeterministic plugins
 * are filed (and the results written), a bad --out is found before anything runs, an output
 * directory changes as a unit, results are written before shrinking, SIGTERM is handled like
 * Ctrl-C, and bad values are one-line usage errors (exit 2).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const SCRATCH = mkdtempSync(join(tmpdir(), 'lazytlb-cwd-'));
const fixture = (name: string): string => fileURLToPath(new URL(`../test-support/fixtures/${name}`, import.meta.url));

function lazytlb(args: string[], env: NodeJS.ProcessEnv = {}) {
  // In a scratch directory: a sweep without --out writes lazytlb-out/<timestamp> under the working directory.
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000, cwd: SCRATCH });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = (): string => mkdtempSync(join(tmpdir(), 'lazytlb-robust-'));
const results = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as {
    interrupted: boolean;
    complete: boolean;
    totals: { runs: number };
    cells: {
      verdict: string;
      errors: { kind: string; message: string }[];
      firstFailures: { key: string; message: string; artifact: string; shrunkSteps: number | null }[];
    }[];
  };
const oneLine = (stderr: string): void => expect(stderr.trim().split('\n')).toHaveLength(1);

describe('a nondeterministic plugin never loses the sweep', () => {
  it('Math.random in a hook: trapped, filed as nondeterminism naming the plugin and hook, results written, exit 3', () => {
    const out = tmp();
    const r = lazytlb([
      'sweep',
      '--plugin',
      fixture('random-plugin.mjs'),
      '--arch',
      'dice',
      '--scheme',
      'refcount',
      '--cpus',
      '2',
      '--runs',
      '200',
      '--no-progress',
      '--out',
      out,
    ]);
    expect(r.code).toBe(3);
    const c = results(out).cells[0]!;
    expect(c.verdict).toBe('error');
    expect(c.firstFailures[0]).toMatchObject({ key: 'nondeterminism' });
    expect(c.firstFailures[0]!.message).toMatch(/^arch plugin dice, hook flush_tlb_mm_range: nondeterminism: called Math\.random\(\) during a run/);
    expect(existsSync(join(out, c.firstFailures[0]!.artifact))).toBe(true);
  });

  it('hidden module state: the replay-twice check files it, keeps the failure unshrunk, writes the results, exit 3', () => {
    const out = tmp();
    const r = lazytlb([
      'sweep',
      '--plugin',
      fixture('stateful-plugin.mjs'),
      '--arch',
      'stateful',
      '--scheme',
      'refcount',
      '--cpus',
      '2',
      '--runs',
      '2000',
      '--no-progress',
      '--out',
      out,
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).not.toMatch(/internal error|ReplayDivergence|\n\s+at /);
    const c = results(out).cells[0]!;
    expect(c.verdict).toBe('error');
    expect(c.errors).toEqual([expect.objectContaining({ kind: 'nondeterminism' })]);
    expect(c.errors[0]!.message).toMatch(/^arch plugin stateful is nondeterministic: the first I2 of this cell \(run \d+, failures\/0-I2\.json\) /);
    expect(c.firstFailures.find((f) => f.key === 'I2')!.shrunkSteps).toBeNull();
    expect(readdirSync(join(out, 'failures')).filter((f) => f.endsWith('.shrunk.json'))).toEqual([]);
  });
});

describe('a plugin whose setup() throws for some cells', () => {
  it('is reported against those cells; the healthy cells run; results written; exit 3', () => {
    const out = tmp();
    const r = lazytlb([
      'sweep',
      '--plugin',
      fixture('picky-plugin.mjs'),
      '--arch',
      'picky',
      '--arch',
      'picky:leaveKeepsMaskBit=false',
      '--scheme',
      'refcount',
      '--cpus',
      '2',
      '--runs',
      '100',
      '--no-progress',
      '--out',
      out,
    ]);
    expect(r.code).toBe(3);
    const f = results(out);
    expect(f.cells.map((c) => c.verdict)).toEqual(['safe', 'error']);
    expect(f.totals.runs).toBe(100);
    expect(f.cells[1]!.errors).toEqual([
      expect.objectContaining({ kind: 'plugin-setup', message: 'arch plugin picky: setup() threw: picky: cannot set up leaveKeepsMaskBit=false' }),
    ]);
  });
});

describe('--out', () => {
  it('a file, or a path under a file, is refused before the sweep runs: one line, exit 2', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'f'), 'x');
    for (const [out, why] of [
      [join(dir, 'f'), /is a file, not a directory/],
      [join(dir, 'f', 'sub', 'x'), /is under .*\/f, which is a file/],
    ] as const) {
      const t0 = Date.now();
      const r = lazytlb(['sweep', '--arch', 'reference', '--runs', '100000', '--no-progress', '--out', out]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(why);
      oneLine(r.stderr);
      expect(Date.now() - t0).toBeLessThan(20_000); // refused up front, not after 100 000 runs per cell
    }
  });

  it('replaces a previous sweep as a unit (no stray files), and repairs a swap a kill interrupted', () => {
    const parent = tmp();
    const out = join(parent, 'out');
    const args = ['sweep', '--arch', 'reference', '--scheme', 'none', '--cpus', '2', '--runs', '200', '--no-progress', '--out', out];
    expect(lazytlb([...args, '--seed', 'one']).code).toBe(1);
    // another sweep's results are replaced only with --force (without it: batch.test.ts)
    expect(lazytlb([...args, '--seed', 'two', '--force']).code).toBe(1);
    expect(readdirSync(parent)).toEqual(['out']);
    const files = readdirSync(join(out, 'failures'));
    for (const f of results(out).cells[0]!.firstFailures) expect(files).toContain(f.artifact.slice('failures/'.length));
    // A process killed between the two renames of a swap leaves OUT.previous-PID and no OUT: the next run puts it back first.
    renameSync(out, join(parent, 'out.previous-999999999'));
    mkdirSync(join(parent, 'out.partial-999999998'));
    const r = lazytlb(['sweep', '--resume', out, '--no-progress']);
    expect(r.stderr).toMatch(/restored .*out from .*out\.previous-999999999/);
    expect(readdirSync(parent)).toEqual(['out']);
  });
});

describe('signals', () => {
  it('SIGTERM writes partial results marked interrupted (exit 143); --resume finishes them', async () => {
    const part = tmp();
    const args = ['--arch', 'reference', '--scheme', 'refcount', '--cpus', '2', '--runs', '200000', '--no-shrink', '--threads', '2'];
    const child = spawn(process.execPath, [CLI, 'sweep', ...args, '--out', part], { stdio: 'pipe' });
    await new Promise<void>((r) => child.stderr.on('data', (d: Buffer) => d.toString().includes('runs/s') && r()));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(143);
    const partial = results(part);
    expect(partial.interrupted).toBe(true);
    expect(partial.totals.runs).toBeLessThan(200000);
  }, 120_000);
});

describe('--fail-on and complete merges (batch schedulers)', () => {
  const NONE = ['sweep', '--arch', 'reference', '--scheme', 'none', '--cpus', '2', '--runs', '200', '--no-progress', '--no-shrink'];
  it('never: a completed sweep exits 0 whatever it found (results still say it); violations: 1; a bad value: 2', () => {
    const out = tmp();
    expect(lazytlb([...NONE, '--fail-on', 'never', '--out', out]).code).toBe(0);
    expect(results(out).cells[0]!.verdict).toBe('violates');
    expect(lazytlb([...NONE, '--fail-on', 'violations']).code).toBe(1);
    const bad = lazytlb([...NONE, '--fail-on', 'sometimes']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('lazytlb: --fail-on sometimes: expected violations | incomplete | hazards | never\n');
  });

  it('merge refuses a set of shards with one missing, naming it; --allow-partial merges what is there, marked incomplete', () => {
    const dir = tmp();
    const args = ['sweep', '--arch', 'reference', '--scheme', 'refcount', '--cpus', '2', '--runs', '600', '--no-progress', '--no-shrink'];
    for (const i of [1, 3]) expect(lazytlb([...args, '--shard', `${i}/3`, '--out', join(dir, `s${i}`)]).code).toBe(0);
    const m = lazytlb(['merge', join(dir, 's1'), join(dir, 's3'), '--out', join(dir, 'm'), '--no-shrink']);
    expect(m.code).toBe(2);
    expect(m.stderr).toBe(
      'lazytlb: cannot merge: shard 2/3 missing (give every shard, or --allow-partial to merge what is here; the result is then marked incomplete)\n',
    );
    expect(existsSync(join(dir, 'm'))).toBe(false);
    const p = lazytlb(['merge', join(dir, 's1'), join(dir, 's3'), '--out', join(dir, 'm'), '--no-shrink', '--allow-partial']);
    expect(p.code).toBe(0);
    expect(results(join(dir, 'm')).complete).toBe(false);
  });
});

describe('stdout', () => {
  it('--json to a stdout that cannot be written (/dev/full): one line, exit 2, not a stack or a verdict code', () => {
    const r = spawnSync(
      process.execPath,
      [CLI, 'sweep', '--arch', 'reference', '--scheme', 'refcount', '--cpus', '2', '--runs', '200', '--no-progress', '--json'],
      {
        encoding: 'utf8',
        cwd: SCRATCH,
        stdio: ['ignore', openSync('/dev/full', 'w'), 'pipe'],
      },
    );
    expect(r.status).toBe(2);
    // The results went to the default directory first (stderr says where); the error is the one last line.
    expect(r.stderr).toMatch(
      /^(lazytlb: wrote lazytlb-out\/\S+\/results\.json, report\.md, report\.html and failures\/\n)?lazytlb: cannot write to stdout: ENOSPC\n$/,
    );
  });
});

describe('bad values are one-line usage errors (exit 2)', () => {
  it.each([
    ['the same CPU count twice', ['--cpus', '2,2'], /--cpus 2: 2 is listed twice \(also cpus\[0\]\)/],
    ['an arch twice', ['--arch', 'reference', '--arch', 'reference'], /reference is listed twice/],
    ['more threads than the machine can hold', ['--threads', '100000'], /--threads 100000: at most \d+ here/],
    [
      'an unknown mutation, named once',
      ['--arch', 'reference', '--arch', 'x86-native', '--mutation', 'nosuch'],
      /unknown mutation "nosuch" for arches reference, x86-native: allowed /,
    ],
  ])('%s', (_what, flags, why) => {
    const r = lazytlb(['sweep', '--runs', '10', '--no-progress', ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(why);
    oneLine(r.stderr);
  });

  it('a bad array-job index in the environment', () => {
    const r = lazytlb(['sweep', '--arch', 'reference', '--runs', '10', '--shards', '2', '--no-progress'], { SLURM_ARRAY_TASK_ID: 'abc' });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('lazytlb: SLURM_ARRAY_TASK_ID="abc": expected a non-negative integer (the 0-based index of this array task)\n');
  });

  it('YAML: the first syntax error only, an undefined alias, an alias bomb, each naming the file', () => {
    const dir = tmp();
    const cases: [string, RegExp][] = [
      ['arch: [reference\ncpus: 2\nscheme: {x\n', /^lazytlb: .*m0\.yaml:2:1: \(syntax\): YAML syntax error: /],
      ['arch: *nope\n', /^lazytlb: .*m1\.yaml:1:7: \(syntax\): YAML syntax error: alias \*nope names no anchor/],
      [
        `a: &a [x, x, x, x, x, x, x, x, x]\n${['b', 'c', 'd', 'e'].map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcd'[i]}`).join(', ')}]`).join('\n')}\narch: reference\n`,
        /^lazytlb: .*m2\.yaml: \(syntax\): YAML syntax error: .*alias/i,
      ],
    ];
    cases.forEach(([text, why], i) => {
      const f = join(dir, `m${i}.yaml`);
      writeFileSync(f, text);
      const r = lazytlb(['sweep', '--matrix', f, '--no-progress']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(why);
      oneLine(r.stderr);
    });
  });

  it('a --plugin that does not load is an error even when --arch names a bundled arch; a syntax error names line and column', () => {
    const dir = tmp();
    const bad = join(dir, 'bad.mjs');
    writeFileSync(bad, 'export default {\n  name: "x",\n  kind: "arch" +,\n};\n');
    const r = lazytlb(['sweep', '--arch', 'reference', '--runs', '10', '--plugin', bad, '--no-progress']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`cannot load --plugin ${bad.replace(/[/.]/g, '\\$&')}: .*bad\\.mjs:3:\\d+: SyntaxError: Unexpected token`));
    const missing = lazytlb(['sweep', '--arch', 'reference', '--runs', '10', '--plugin', join(dir, 'nope.mjs'), '--no-progress']);
    expect(missing.code).toBe(2);
  });
});
