/**
 * `lazytlb sweep --strategy exhaustive[:P]` from the command line: the verdict table says
 * PROVED / VIOLATES / INCOMPLETE, `--max-executions` is the cells' budget, `--fail-on
 * incomplete` fails an unfinished search, the printed replay command replays the finding, and
 * bad values are refused in one line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseResults } from '@lazytlb/explore';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const tmp = (): string => mkdtempSync(join(tmpdir(), 'lazytlb-exhaustive-cli-'));
const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });

const CELL = ['sweep', '--arch', 'reference', '--cpus', '2', '--workload', 'canonical:switch-vs-flush', '--threads', '2', '--no-progress'];

describe('lazytlb sweep --strategy exhaustive', () => {
  it('proves refcount and finds I14 under none; the replay hint replays it', () => {
    const out = tmp();
    const r = cli([...CELL, '--scheme', 'refcount,none', '--strategy', 'exhaustive:2', '--out', out, '--no-shrink']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/reference\s+refcount\s+2\s+canonical:switch-vs-flush\s+exhaustive:2\s+\d+\s+PROVED/);
    expect(r.stdout).toMatch(/reference\s+none\s+2\s+canonical:switch-vs-flush\s+exhaustive:2\s+\d+\s+VIOLATES\s+I14:\d+/);
    expect(r.stdout).toContain('1 proved, 0 incomplete cell(s)');
    const f = parseResults(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')));
    expect(f.cells.map((c) => c.verdict)).toEqual(['proved', 'violates']);
    const hint = /I14 violation in cell 1 \(reference, none, 2 CPUs, exhaustive:2\), seed [0-9a-f]{32}: lazytlb replay (\S+)/.exec(r.stdout);
    expect(hint, r.stdout).not.toBeNull();
    const replay = cli(['replay', hint![1]!]);
    expect(replay.status, replay.stderr).toBe(0);
    expect(replay.stdout).toContain('I14');
    // By seed: refused, pointing at the artifact (a seed names no execution of a search).
    const bySeed = cli(['replay', '--cell', f.cells[1]!.id, '--seed', f.cells[1]!.firstFailures[0]!.seed, '--results', out]);
    expect(bySeed.status).toBe(2);
    expect(bySeed.stderr).toBe(
      `lazytlb: cell 1 is an exhaustive cell (strategy exhaustive:2): its executions are not runs by seed; replay a finding from its artifact (decisions and in-step choices): lazytlb replay ${out}/${f.cells[1]!.firstFailures[0]!.artifact}\n`,
    );
  });

  it('--max-executions too small: INCOMPLETE, exit 0 by default and 1 under --fail-on incomplete', () => {
    const args = [...CELL, '--scheme', 'refcount', '--strategy', 'exhaustive:2', '--max-executions', '40', '--no-shrink'];
    const a = cli([...args, '--out', tmp()]);
    expect(a.status, a.stderr).toBe(0);
    expect(a.stdout).toMatch(/exhaustive:2\s+\d+\s+INCOMPLETE/);
    const b = cli([...args, '--out', tmp(), '--fail-on', 'incomplete']);
    expect(b.status, b.stderr).toBe(1);
  });

  it('refuses bad strategies and a budget without an exhaustive strategy, in one line', () => {
    const bad = cli([...CELL, '--scheme', 'refcount', '--strategy', 'exhaustive:99', '--out', tmp()]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^lazytlb: .*invalid strategy "exhaustive:99": expected .*"exhaustive:P" with P \(a preemption bound\) in 0\.\.64\n$/);
    const lonely = cli([...CELL, '--scheme', 'refcount', '--strategy', 'pct:3', '--max-executions', '10', '--out', tmp()]);
    expect(lonely.status).toBe(2);
    expect(lonely.stderr).toBe(
      'lazytlb: --max-executions is the budget of exhaustive cells: give --strategy exhaustive or exhaustive:P (or put maxExecutions in the matrix file)\n',
    );
  });
});
