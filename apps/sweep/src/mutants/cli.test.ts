/**
 * `lazytlb mutants` end to end (compiled dist/cli.js in a child process): exit codes 0/2/4/5,
 * the table, --json against the schema and mutants.json, replayable kill artifacts, and
 * `lazytlb sweep --mutation`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MutantsFile } from '@lazytlb/explore';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const SCRATCH = mkdtempSync(join(tmpdir(), 'lazytlb-cwd-'));
const TOY = fileURLToPath(new URL('./test-fixtures/toy-plugin.mjs', import.meta.url));

function lazytlb(args: string[]) {
  // In a scratch directory: a sweep without --out writes lazytlb-out/<timestamp> under the working directory.
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000, cwd: SCRATCH });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const MUTANTS = ['mutants', '--plugin', TOY, '--threads', '1', '--no-progress', '--strategies', 'random,pct:3'];

describe('lazytlb mutants', { timeout: 180_000 }, () => {
  it('exit 0 when every mutation is killed and nothing else violates; prints the table', () => {
    const r = lazytlb([...MUTANTS, '--mutation', 'toy-no-flush', '--budget', '200']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^mutation\s+fixed by\s+arch\/scheme\s+killed\s+runs to kill\s+seconds\s+strategy\s+invariant \(declared\)\s+depth\s+shrunk steps$/m,
    );
    expect(r.stdout).toMatch(/^toy-no-flush\s+000000000001\s+toy refcount 2cpu default\s+yes\s+1\s+[\d.]+\s+random\s+I2 \(I2\)\s+\d+\s+\d+ of \d+$/m);
    expect(r.stdout).toContain('false-alarm check: 2 unmutated (cell, strategy) pairs, 200 runs each (400 runs): no violation');
    expect(r.stdout).toContain('1/1 mutations killed, 1 by their declared invariant; 0 false alarm(s)');
  });

  it('exit 4 when a mutation survives', () => {
    const r = lazytlb([...MUTANTS, '--mutation', 'toy-noop,toy-no-flush', '--budget', '100', '--no-shrink']);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/^toy-noop\s+000000000002\s+toy refcount 2cpu default\s+NO\s+> 100\s+-\s+-\s+- \(I2\)\s+-\s+-$/m);
    expect(r.stdout).toContain('1/2 mutations killed (1 SURVIVED)');
  });

  it('exit 5 and a loud report when an unmutated cell violates (false alarm)', () => {
    const r = lazytlb([...MUTANTS, '--mutation', 'toy-on-none', '--budget', '100', '--no-shrink']);
    expect(r.code).toBe(5);
    expect(r.stdout).toContain('FALSE ALARM: 2 of 2 unmutated (cell, strategy) pairs VIOLATE without any mutation:');
    expect(r.stdout).toMatch(/^ {2}FALSE ALARM {2}toy none 2cpu default random \(cell of toy-on-none\): I\d+ at run \d+ \(seed [0-9a-f]{32}\): /m);
    expect(r.stderr).toMatch(/lazytlb: FALSE ALARM: unmutated toy none 2cpu default random violates I\d+ at run \d+/);
  });

  it.each([
    [['--budget', 'soon'], /^lazytlb: --budget soon: expected a number of runs per \(cell, strategy\) such as 20000, or a duration/],
    [['--mutation', 'nosuch'], /^lazytlb: unknown mutation "nosuch": catalogued kthread-use-mm-irqs-on, /],
    [['--strategies', 'dfs'], /^lazytlb: --strategies dfs: invalid strategy "dfs"/],
    [['--threads', '0'], /^lazytlb: --threads 0: expected a positive integer/],
  ])('exit 2 on bad usage: %j', (args, re) => {
    const r = lazytlb([...MUTANTS, ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(re);
  });

  it('--json matches the schema and --out DIR; every kill and its shrunk form replay', () => {
    const out = mkdtempSync(join(tmpdir(), 'lazytlb-mutants-'));
    const r = lazytlb([...MUTANTS, '--mutation', 'toy-rare', '--budget', '300', '--json', '--out', out]);
    expect(r.code).toBe(0);
    const printed = MutantsFile.parse(JSON.parse(r.stdout));
    const written = MutantsFile.parse(JSON.parse(readFileSync(join(out, 'mutants.json'), 'utf8')));
    expect(written).toEqual(printed);
    expect(MutantsFile.parse(JSON.parse(JSON.stringify(printed)))).toEqual(printed);
    const c = printed.mutations[0]!.cells[0]!;
    expect(c.killed).toBe(true);
    for (const path of [c.kill!.artifact!, c.kill!.shrunkArtifact!]) {
      const replay = lazytlb(['replay', join(out, path), '--plugin', TOY]);
      expect(replay.code).toBe(0);
      expect(replay.stdout).toContain('I2 ');
      expect(replay.stdout).toContain('reproduced exactly');
    }
    const artifact = JSON.parse(readFileSync(join(out, c.kill!.artifact!), 'utf8')) as { cell: { mutations?: string[] } };
    expect(artifact.cell.mutations).toEqual(['toy-rare']);
  });

  it('--list prints the catalogue', () => {
    const r = lazytlb(['mutants', '--plugin', TOY, '--list', '--mutation', 'toy-rare']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'toy-rare  (toy; breaks I2; fixed by 000000000004 toy: always flush the TLB)\n  flush_tlb_mm_range() flushes nothing at some steps\n  cell: toy refcount 2cpu default\n',
    );
    const nv = lazytlb(['mutants', '--plugin', TOY, '--list', '--mutation', 'toy-no-victim']);
    expect(nv.stdout).toContain('  no modelled victim: test fixture: the window it opens is not modelled by the toy arch');
    const rt = lazytlb(['mutants', '--list', '--mutation', 'kernel-execve-preempt,kthread-use-mm-irqs-on']);
    expect(rt.stdout).toMatch(/cell: x86-native refcount preempt=rt 2cpu kthread-heavy/);
    expect(rt.stdout).toMatch(/cell: powerpc:mmu=radix refcount 4cpu kthread-heavy \(and again with I13 off: consequence\)/);
  });

  it('a mutation without a modelled victim: a row with the reason, exit 0 when the rest is killed', () => {
    const r = lazytlb([...MUTANTS, '--mutation', 'toy-no-victim,toy-no-flush', '--budget', '50', '--no-shrink']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^toy-no-victim\s+000000000005\s+\(no modelled victim\)\s+n\/a/m);
    expect(r.stdout).toContain('No modelled victim (declared: no cell of the model can kill these faithfully; a model is never tuned to get a kill):');
    expect(r.stdout).toContain('  toy-no-victim (000000000005): test fixture: the window it opens is not modelled by the toy arch');
    expect(r.stdout).toContain('1/1 mutations killed, 1 declared without a modelled victim, 1 by their declared invariant; 0 false alarm(s)');
  });
});

describe('lazytlb sweep --mutation', { timeout: 180_000 }, () => {
  it('sweeps mutated and unmutated cells side by side; results.json and report.md show the mutation', () => {
    const out = mkdtempSync(join(tmpdir(), 'lazytlb-sweep-mut-'));
    const r = lazytlb([
      'sweep',
      '--plugin',
      TOY,
      '--arch',
      'toy',
      '--scheme',
      'refcount',
      '--cpus',
      '2',
      '--mutation',
      'none,toy-no-flush',
      '--runs',
      '100',
      '--threads',
      '1',
      '--no-progress',
      '--no-shrink',
      '--out',
      out,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^toy\s+refcount\s+2\s+default\s+pct:3\s+none\s+100\s+SAFE/m);
    expect(r.stdout).toMatch(/^toy\s+refcount\s+2\s+default\s+pct:3\s+toy-no-flush\s+100\s+VIOLATES\s+I2/m);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { cells: { mutations?: string[]; verdict: string }[] };
    expect(results.cells.map((c) => [c.mutations, c.verdict])).toEqual([
      [undefined, 'safe'],
      [['toy-no-flush'], 'violates'],
    ]);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(
      /\| 1 \| toy \| – \| refcount \| 2 \| default \| pct:3 \| `toy-no-flush` \| 100 \| \*\*violates\*\* \|/,
    );
  });

  it('a mutation the arch lacks is a usage error naming it', () => {
    const r = lazytlb(['sweep', '--plugin', TOY, '--arch', 'reference', '--mutation', 'toy-no-flush', '--runs', '10', '--no-progress']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^lazytlb: command line: --mutation toy-no-flush: arch reference lacks mutation "toy-no-flush" \(declared by toy\): allowed /);
  });
});
