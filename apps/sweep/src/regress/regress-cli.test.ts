/**
 * `lazytlb regress` end to end (compiled dist/cli.js in a child process, in a scratch working
 * directory): a relative DIR prints relative paths; exit 0 / 1 / 2 / 3; every usage error is one
 * line on stderr; --json on stdout parses.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SmallSweep, smallSweep } from '../test-support/small-sweep.js';
import { RegressReport } from './regress.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

let sweep: SmallSweep;
let cwd: string;
beforeAll(async () => {
  sweep = await smallSweep('lazytlb-regress-cli-');
  cwd = mkdtempSync(join(tmpdir(), 'lazytlb-regress-cwd-'));
  // what a project commits: a sweep's failures/ under regressions/
  cpSync(join(sweep.dir, 'failures'), join(cwd, 'regressions'), { recursive: true });
}, 120_000);
afterAll(() => {
  rmSync(sweep.dir, { recursive: true, force: true });
  rmSync(cwd, { recursive: true, force: true });
});

function lazytlb(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000, cwd });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const oneLine = (stderr: string): void => {
  expect(stderr).toMatch(/^lazytlb: [^\n]+\n$/);
};

describe('lazytlb regress (CLI)', () => {
  it('exit 0 when every artifact reproduces; paths as given (relative)', () => {
    const r = lazytlb(['regress', 'regressions']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.slice(0, -1).every((l) => /^ok {4}regressions\/\S+\.json +\S+ \S+ reproduces /.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/^regress regressions: ok: (\d+) artifacts, \1 reproduce$/);
  });

  it('exit 1 naming the file when one no longer reproduces; --json parses', () => {
    const dir = join(cwd, 'edited');
    cpSync(join(cwd, 'regressions'), dir, { recursive: true });
    const name = readFileSync(join(sweep.dir, 'results.json'), 'utf8').match(/"artifact": "failures\/([^"]+-I\d+\.json)"/)![1]!;
    const a = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { outcome: { step: number } };
    writeFileSync(join(dir, name), JSON.stringify({ ...a, outcome: { ...a.outcome, step: a.outcome.step + 1 } }));
    const r = lazytlb(['regress', 'edited']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(new RegExp(`(^|\\n)FAIL  edited/${name.replace('.', '\\.')} +\\S+ violation differs: `));
    expect(r.stdout).toMatch(/\nregress edited: FAILED: \d+ artifacts, \d+ reproduce, 1 differs\nsee one: lazytlb replay edited\//);
    const j = lazytlb(['regress', 'edited', '--json']);
    expect(j.code).toBe(1);
    const report = RegressReport.parse(JSON.parse(j.stdout));
    expect(report.counts.differs).toBe(1);
    expect(report.artifacts.find((x) => x.status === 'differs')!.path).toBe(`edited/${name}`);
  });

  it('exit 3 for a corrupt artifact (one line naming it), exit 2 for usage errors (one line each)', () => {
    const dir = join(cwd, 'corrupt');
    mkdirSync(dir);
    cpSync(join(cwd, 'regressions'), join(dir, 'ok'), { recursive: true });
    writeFileSync(join(dir, 'broken.json'), '{"schema": "lazytlb.artifact/3", "cell": ');
    const r = lazytlb(['regress', 'corrupt']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^ERROR corrupt\/broken\.json +not JSON: [^\n]+\n/);
    mkdirSync(join(cwd, 'empty'));
    for (const [args, re] of [
      [['regress', 'empty'], /no failure artifacts under it/],
      [['regress', 'no-such-dir'], /no-such-dir: no such directory/],
      [['regress', 'corrupt/broken.json'], /not a directory/],
      [['regress', 'regressions', '--plugin', 'no-such-plugin.js'], /no-such-plugin\.js/],
    ] as const) {
      const u = lazytlb([...args]);
      expect(u.code).toBe(2);
      expect(u.stdout).toBe('');
      oneLine(u.stderr);
      expect(u.stderr).toMatch(re);
    }
    // no DIR: commander's usage error
    expect(lazytlb(['regress']).code).toBe(2);
  });
});
