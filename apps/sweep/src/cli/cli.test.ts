/**
 * The `lazytlb` executable end to end (compiled dist/cli.js in a child process, as a user
 * runs it): exit codes, bad input messages, --out atomicity, replay of written artifacts,
 * shards + merge, and Ctrl-C + --resume.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Artifact, createSimulator, hashString128, makeArtifact, referenceArch, runSeed } from '@lazytlb/core';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const SCRATCH = mkdtempSync(join(tmpdir(), 'lazytlb-cwd-'));

function lazytlb(args: string[], env: NodeJS.ProcessEnv = {}) {
  // In a scratch directory: a sweep without --out writes lazytlb-out/<timestamp> under the working directory.
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000, cwd: SCRATCH });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'lazytlb-cli-'));
}

/** results.json without the fields that legitimately differ between equal sweeps. */
function stable(dir: string): unknown {
  const r = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Record<string, unknown>;
  delete r.timing;
  return r;
}

const SMALL = ['sweep', '--arch', 'reference', '--scheme', 'refcount,none', '--cpus', '2', '--runs', '300', '--no-progress'];

describe('lazytlb sweep', () => {
  it('exits 1 with violations, 0 without, and prints the verdict table', () => {
    const bad = lazytlb([...SMALL, '--threads', '1']);
    expect(bad.code).toBe(1);
    // the table names the violations, the hazards and the use sites that fired
    expect(bad.stdout).toMatch(/^arch\s+scheme\s+cpus\s+workload\s+strategy\s+runs\s+verdict\s+violations \(runs\)\s+hazards \(runs\)\s+use sites \(runs\)/);
    expect(bad.stdout).toMatch(/reference\s+none\s+2\s+default\s+pct:3\s+300\s+VIOLATES\s+I\d+:\d+.*\s+I3:\d+\s+.*__mmdrop:\d+/);
    expect(bad.stdout).toMatch(/reference\s+refcount\s+2\s+default\s+pct:3\s+300\s+SAFE\s+-\s+-\s+-/);
    const good = lazytlb(['sweep', '--arch', 'reference', '--scheme', 'refcount', '--cpus', '2', '--runs', '200', '--no-progress', '--threads', '1']);
    expect(good.code).toBe(0);
    // hazards only (reference `none` on the idle-heavy workload: I3 hazards and the __mmdrop WARN, no violation): verdict HAZARD, exit 0
    const hz = lazytlb([
      'sweep',
      '--arch',
      'reference',
      '--scheme',
      'none',
      '--cpus',
      '2',
      '--workload',
      'idle-heavy',
      '--runs',
      '100',
      '--no-progress',
      '--threads',
      '1',
      '--no-shrink',
    ]);
    expect(hz.code).toBe(0);
    expect(hz.stdout).toMatch(/reference\s+none\s+2\s+idle-heavy\s+pct:3\s+100\s+HAZARD\s+-\s+I3:\d+\s+__mmdrop:\d+/);
    expect(hz.stdout).toMatch(/: 0 safe, 1 hazard, 0 violating, 0 error cell\(s\)/);
  });

  it('--scheme NAME:k=v and --preempt: cells labelled with the options and the model, a preempt column', () => {
    const r = lazytlb([
      'sweep',
      '--arch',
      'reference',
      '--scheme',
      'refcount,shootdown:mask=online',
      '--preempt',
      'full,rt',
      '--cpus',
      '2',
      '--runs',
      '40',
      '--no-progress',
      '--threads',
      '1',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { cells: { scheme: string; schemeOptions: object; preempt: string; raw: { cellId: string } }[] };
    expect(j.cells.map((c) => [c.scheme, c.schemeOptions, c.preempt])).toEqual([
      ['refcount', {}, 'full'],
      ['refcount', {}, 'rt'],
      ['shootdown', { mask: 'online' }, 'full'],
      ['shootdown', { mask: 'online' }, 'rt'],
    ]);
    // a `full` cell's id is the one of a sweep without the axis
    expect(JSON.parse(j.cells[0]!.raw.cellId)).not.toHaveProperty('preempt');
    expect(JSON.parse(j.cells[3]!.raw.cellId)).toMatchObject({ schemeOptions: { mask: 'online' }, preempt: 'rt' });
    const t = lazytlb([
      'sweep',
      '--arch',
      'reference',
      '--scheme',
      'shootdown:mask=online',
      '--preempt',
      'rt',
      '--cpus',
      '2',
      '--runs',
      '20',
      '--no-progress',
      '--threads',
      '1',
    ]);
    expect(t.stdout).toMatch(/^arch\s+scheme\s+preempt\s+cpus/);
    expect(t.stdout).toMatch(/reference\s+shootdown:mask=online\s+rt\s+2\s+default/);
    const bad = lazytlb(['sweep', '--arch', 'reference', '--scheme', 'shootdown:mask=everyone', '--runs', '5']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--scheme shootdown:mask=everyone: invalid options for scheme shootdown: mask: .*allowed: mask \(/);
    const badPreempt = lazytlb(['sweep', '--arch', 'reference', '--preempt', 'lazy', '--runs', '5']);
    expect(badPreempt.code).toBe(2);
    expect(badPreempt.stderr).toMatch(/--preempt lazy: expected a preemption model \(CONFIG_PREEMPT_\*\): none, voluntary, full, rt/);
  });

  it('prints results.json on stdout with --json (and nothing else there)', () => {
    const r = lazytlb([...SMALL, '--threads', '1', '--json']);
    const j = JSON.parse(r.stdout) as { schema: string; cells: { verdict: string }[] };
    expect(j.schema).toBe('lazytlb.results/3');
    expect(j.cells.map((c) => c.verdict)).toEqual(['safe', 'violates']);
  });

  it('writes results.json, report.md and replayable, shrunk failures; identical for 1 and 2 threads', () => {
    const a = tmp();
    const b = tmp();
    expect(lazytlb([...SMALL, '--threads', '1', '--out', a]).code).toBe(1);
    expect(lazytlb([...SMALL, '--threads', '2', '--out', b]).code).toBe(1);
    expect(stable(b)).toEqual(stable(a));
    const results = JSON.parse(readFileSync(join(a, 'results.json'), 'utf8')) as {
      cells: { firstFailures: { class: string; key: string; artifact: string; steps: number; shrunkSteps: number | null }[] }[];
    };
    const ff = results.cells[1]!.firstFailures;
    expect(new Set(ff.map((f) => f.class))).toEqual(new Set(['violation', 'hazard', 'use-site']));
    for (const f of ff) {
      expect(f.shrunkSteps).not.toBeNull();
      expect(f.shrunkSteps!).toBeLessThanOrEqual(f.steps);
      if (f.class === 'violation') expect(f.shrunkSteps!).toBeLessThan(f.steps);
      // the written artifact replays to the same finding (hazards and use sites: up to where it fires)
      const replay = lazytlb(['replay', join(a, f.artifact)]);
      expect(replay.code).toBe(0);
      expect(replay.stdout).toContain(f.class === 'hazard' ? `lazytlb: hazard ${f.key} ` : `${f.key} `);
      expect(replay.stdout).toContain('reproduced exactly');
      const shrunk = lazytlb(['replay', join(a, f.artifact.replace(/\.json$/, '.shrunk.json')), '--format', 'json']);
      expect(shrunk.code).toBe(0);
    }
    expect(readFileSync(join(a, 'report.md'), 'utf8')).toContain('## Verdicts');
  });

  it('merging shards 1/2 and 2/2 gives the single-machine result', () => {
    const whole = tmp();
    const s1 = tmp();
    const s2 = tmp();
    const merged = tmp();
    lazytlb([...SMALL, '--threads', '1', '--out', whole]);
    lazytlb([...SMALL, '--threads', '1', '--shard', '1/2', '--out', s1]);
    // the second shard takes its index from a Kubernetes Indexed Job's environment (0-based)
    lazytlb([...SMALL, '--threads', '2', '--shards', '2', '--out', s2], { JOB_COMPLETION_INDEX: '1' });
    const m = lazytlb(['merge', s1, s2, '--out', merged]);
    expect(m.code).toBe(1);
    expect(stable(merged)).toEqual(stable(whole));
    for (const name of ['1-hazard-I3.json', '1-I14.json', '1-site-__mmdrop.json', '1-hazard-I3.shrunk.json']) {
      expect(readFileSync(join(merged, 'failures', name), 'utf8')).toBe(readFileSync(join(whole, 'failures', name), 'utf8'));
    }
  });

  it('a lazytlb.results/1 directory: merge and --resume refuse it with the version that wrote it (exit 2)', () => {
    const v2 = tmp();
    const v1 = tmp();
    lazytlb(['sweep', '--arch', 'reference', '--scheme', 'refcount', '--cpus', '2', '--runs', '20', '--no-progress', '--threads', '1', '--out', v2]);
    lazytlb(['sweep', '--arch', 'reference', '--scheme', 'refcount', '--cpus', '2', '--runs', '20', '--no-progress', '--threads', '1', '--out', v1]);
    const j = JSON.parse(readFileSync(join(v1, 'results.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(v1, 'results.json'), JSON.stringify({ ...j, schema: 'lazytlb.results/1', toolVersion: '0.1.0' }));
    const m = lazytlb(['merge', v2, v1, '--out', tmp()]);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/cannot merge results of different schema versions .*lazytlb\.results\/1 \(lazytlb 0\.1\.0\)/);
    const r = lazytlb(['sweep', '--resume', v1, '--no-progress']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /results schema lazytlb\.results\/1 \(written by lazytlb 0\.1\.0\) is not lazytlb\.results\/3: .*Re-run the sweep with this version/,
    );
  });

  it('--coverage: growth per cell in results.json and report.md; shards merged give the single-machine coverage', () => {
    const args = [...SMALL, '--coverage', '--no-shrink'];
    const whole = tmp();
    const s1 = tmp();
    const s2 = tmp();
    const merged = tmp();
    lazytlb([...args, '--threads', '2', '--out', whole]);
    lazytlb([...args, '--threads', '1', '--shard', '1/2', '--out', s1]);
    lazytlb([...args, '--threads', '2', '--shard', '2/2', '--out', s2]);
    expect(lazytlb(['merge', s1, s2, '--out', merged, '--no-shrink']).code).toBe(1);
    expect(stable(merged)).toEqual(stable(whole));
    const r = JSON.parse(readFileSync(join(whole, 'results.json'), 'utf8')) as {
      cells: { coverage: { distinctStates: number; growth: { runs: number }[] } }[];
    };
    for (const c of r.cells) expect(c.coverage.growth.at(-1)!.runs).toBe(300);
    expect(readFileSync(join(merged, 'report.md'), 'utf8')).toContain('## Coverage');
    // a shard without --coverage does not merge with one with it
    const plain = tmp();
    lazytlb([...SMALL, '--no-shrink', '--threads', '1', '--shard', '2/2', '--out', plain]);
    const bad = lazytlb(['merge', s1, plain, '--out', tmp()]);
    expect(bad.stderr).toMatch(/coverage off vs on/);
    expect(bad.code).not.toBe(0);
    expect(bad.code).not.toBe(1);
  });

  it('Ctrl-C writes partial results marked interrupted (exit 130); --resume finishes to the same result', async () => {
    const whole = tmp();
    const part = tmp();
    const args = ['--arch', 'reference', '--scheme', 'refcount,none', '--cpus', '2,4', '--runs', '60000', '--no-shrink', '--threads', '2'];
    lazytlb(['sweep', ...args, '--no-progress', '--out', whole]);
    const child = spawn(process.execPath, [CLI, 'sweep', ...args, '--out', part], { stdio: 'pipe' });
    // Interrupt once the sweep is under way: its first progress line (stderr is not a TTY here).
    await new Promise<void>((r) => child.stderr.on('data', (d: Buffer) => d.toString().includes('runs/s') && r()));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(130);
    const partial = JSON.parse(readFileSync(join(part, 'results.json'), 'utf8')) as { interrupted: boolean; totals: { runs: number } };
    expect(partial.interrupted).toBe(true);
    expect(partial.totals.runs).toBeLessThan(4 * 60000);
    const resumed = lazytlb(['sweep', '--resume', part, '--no-progress', '--no-shrink', '--threads', '1', ...args.slice(0, -3)]);
    expect(resumed.code).toBe(1);
    expect(stable(part)).toEqual(stable(whole));
  }, 120_000);
});

describe('bad input', () => {
  it('a matrix file error names the file, line, column, field and what is allowed; exit 2', () => {
    const dir = tmp();
    const file = join(dir, 'm.yaml');
    writeFileSync(file, 'arch: [x86-native]\nscheme: [refcount, lazy]\ncpus: [2]\n');
    const r = lazytlb(['sweep', '--matrix', file, '--no-progress']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/m\.yaml:2:\d+: scheme\[1\]: .*refcount.*shootdown.*none/);
  });

  it('the invalid Kconfig combination says why; exit 2', () => {
    const dir = tmp();
    const file = join(dir, 'm.json');
    writeFileSync(file, JSON.stringify({ arch: ['reference'], scheme: [{ MMU_LAZY_TLB_REFCOUNT: true, MMU_LAZY_TLB_SHOOTDOWN: true }] }, null, 2));
    const r = lazytlb(['sweep', '--matrix', file, '--no-progress']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('depends on !MMU_LAZY_TLB_SHOOTDOWN');
  });

  it('an unknown arch lists the installed ones; an invalid option says why; exit 2', () => {
    const r = lazytlb(['sweep', '--arch', 'sparc64', '--runs', '10', '--no-progress']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown arch "sparc64".*reference, x86-native, x86-paravirt, powerpc, arm64/);
    const o = lazytlb(['sweep', '--arch', 'x86-native:cpumask=sometimes', '--runs', '10', '--no-progress']);
    expect(o.code).toBe(2);
    expect(o.stderr).toMatch(/cpumask/);
    expect(o.stderr).toMatch(/lazy-trim/);
  });

  it('a sweep that fails validation leaves an existing --out untouched', () => {
    const out = tmp();
    mkdirSync(join(out, 'failures'));
    writeFileSync(join(out, 'results.json'), 'precious');
    const r = lazytlb(['sweep', '--arch', 'reference', '--cpus', '64', '--runs', '10', '--out', out, '--no-progress']);
    expect(r.code).toBe(2);
    expect(readFileSync(join(out, 'results.json'), 'utf8')).toBe('precious');
  });

  it('--version prints the tool and core versions and the behaviour fingerprints of core and every bundled plugin; no command is a usage error', () => {
    const v = lazytlb(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^lazytlb \S+ \(core \S+\)\nmodel fingerprint [0-9a-f]{16} /);
    for (const part of ['core', 'arch x86-native@', 'arch arm64@', 'scheme hazptr@'])
      expect(v.stdout).toMatch(new RegExp(`\\n  ${part}\\S*\\s+[0-9a-f]{16}\\n`));
    expect(lazytlb(['-V']).stdout).toBe(v.stdout);
    const none = lazytlb([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: lazytlb');
  });

  it('usage errors exit 2: bad flag values, an unknown option, a missing artifact', () => {
    expect(lazytlb(['sweep', '--threads', 'zero']).code).toBe(2);
    expect(lazytlb(['sweep', '--shard', '3/2']).code).toBe(2);
    expect(lazytlb(['sweep', '--bogus']).code).toBe(2);
    const missing = lazytlb(['replay', '/nonexistent/artifact.json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('/nonexistent/artifact.json');
    expect(existsSync(CLI)).toBe(true);
  });

  it('lists arches with their option schemas', () => {
    const r = lazytlb(['arches']);
    expect(r.code).toBe(0);
    for (const name of ['reference', 'x86-native', 'x86-paravirt', 'powerpc', 'arm64']) expect(r.stdout).toContain(name);
    expect(r.stdout).toContain('cpumask');
    // the memory models each arch runs under (sweep --memory)
    expect(r.stdout).toMatch(/^x86-native [^\n]*\n[^\n]*\n {2}max CPUs \d+[^\n]*, memory models sc, tso$/m);
    expect(r.stdout).toMatch(/^powerpc [^\n]*\n[^\n]*\n {2}max CPUs \d+[^\n]*, memory models sc$/m);
  });
});

/** Whether core's artifacts record a cell's memory model (its Artifact schema has `cell.memory`): only then is a tso finding replayable. */

describe('lazytlb sweep --memory', () => {
  const MEM = ['sweep', '--arch', 'x86-native', '--scheme', 'refcount,none', '--memory', 'sc,tso', '--cpus', '2', '--runs', '300', '--no-progress'];
  const out = tmp();
  const run = lazytlb([...MEM, '--threads', '2', '--out', out]);
  type Cell = {
    index: number;
    scheme: string;
    memory: string;
    verdict: string;
    id: string;
    raw: { cellId: string; actors: number };
    firstFailures: { class: string; key: string; artifact: string; shrunkSteps: number | null }[];
  };
  const results = (): { cells: Cell[] } => JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { cells: Cell[] };

  it('a memory axis of cells: a memory column, memory per cell, sc cells as without the axis', () => {
    expect(run.code).toBe(1); // x86-native under none violates, under sc and tso alike
    expect(run.stdout).toMatch(/^arch\s+scheme\s+memory\s+cpus\s+workload/);
    expect(run.stdout).toMatch(/x86-native\s+refcount\s+sc\s+2\s+default\s+pct:3\s+300\s+SAFE/);
    expect(run.stdout).toMatch(/x86-native\s+refcount\s+tso\s+2\s+default\s+pct:3\s+300\s+SAFE/);
    expect(run.stdout).toMatch(/x86-native\s+none\s+tso\s+2\s+default\s+pct:3\s+300\s+VIOLATES/);
    const cells = results().cells;
    expect(cells.map((c) => [c.scheme, c.memory])).toEqual([
      ['refcount', 'sc'],
      ['refcount', 'tso'],
      ['none', 'sc'],
      ['none', 'tso'],
    ]);
    for (const c of cells) {
      if (c.memory === 'sc') expect(JSON.parse(c.raw.cellId)).not.toHaveProperty('memory');
      else expect(JSON.parse(c.raw.cellId)).toMatchObject({ memory: 'tso' });
    }
    // the store-buffer drain is one more explorer actor per CPU
    expect(cells[1]!.raw.actors).toBe(cells[0]!.raw.actors + 2);
    // an sc cell is the cell of a sweep without the axis (same id, same runs)
    const plain = lazytlb([
      'sweep',
      '--arch',
      'x86-native',
      '--scheme',
      'refcount,none',
      '--cpus',
      '2',
      '--runs',
      '300',
      '--no-progress',
      '--threads',
      '1',
      '--no-shrink',
      '--json',
    ]);
    const p = (JSON.parse(plain.stdout) as { cells: Cell[] }).cells;
    expect(p.map((c) => [c.id, c.verdict, c.memory])).toEqual([cells[0]!, cells[2]!].map((c) => [c.id, c.verdict, 'sc']));
    expect(plain.stdout).not.toMatch(/memory=tso/);
    // report.md: a memory column; report.html: columns labelled " memory=tso"
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/^\| # \| arch \| options \| scheme \| memory \| CPUs \|/m);
    expect(md).toMatch(/^\| 3 \| x86-native \| [^|]+ \| none \| tso \| 2 \|/m);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('none memory=tso × 2 CPUs');
    expect(html).toContain('&lt;sb&gt; store buffer drain');
  });

  it("a tso finding's artifact records the memory model and replays exactly; so does its shrunk artifact", () => {
    const tso = results().cells.filter((c) => c.memory === 'tso' && c.firstFailures.length > 0);
    expect(tso.length).toBeGreaterThan(0);
    for (const f of tso.flatMap((c) => c.firstFailures)) {
      const a = JSON.parse(readFileSync(join(out, f.artifact), 'utf8')) as { cell: { memory?: string } };
      expect(a.cell.memory).toBe('tso');
      const replay = lazytlb(['replay', join(out, f.artifact)]);
      expect(replay.code).toBe(0);
      expect(replay.stdout).toContain('  memory:    tso');
      expect(replay.stdout).toContain('reproduced exactly');
      expect(f.shrunkSteps).not.toBeNull();
      const shrunk = lazytlb(['replay', join(out, f.artifact.replace(/\.json$/, '.shrunk.json'))]);
      expect(shrunk.code).toBe(0);
      expect(shrunk.stdout).toContain('  memory:    tso');
      const perfetto = JSON.parse(lazytlb(['replay', join(out, f.artifact), '--format', 'perfetto']).stdout) as { otherData: { memory: string } };
      expect(perfetto.otherData.memory).toBe('tso');
    }
  });

  it('an arch that does not offer the memory model: exit 2 before anything runs, naming the flag or file field, the arch and the reason', () => {
    const dir = tmp();
    const outDir = join(dir, 'out');
    const r = lazytlb(['sweep', '--arch', 'powerpc', '--memory', 'tso', '--runs', '5', '--no-progress', '--out', outDir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^lazytlb: command line: --memory tso: memory model tso is not offered by every arch of the matrix: arch (plugin )?powerpc .+/);
    expect(r.stderr).not.toContain('internal error');
    expect(existsSync(outDir)).toBe(false);
    const file = join(dir, 'm.yaml');
    writeFileSync(file, 'arch: [x86-native, arm64]\nmemory: [sc, tso]\ncpus: [2]\n');
    const f = lazytlb(['sweep', '--matrix', file, '--no-progress', '--out', outDir]);
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/m\.yaml:2:14: memory\[1\]: memory model tso is not offered by every arch of the matrix: arch (plugin )?arm64/);
    expect(existsSync(outDir)).toBe(false);
  });

  it('bad --memory values, duplicates and --matrix with --memory are usage errors (exit 2)', () => {
    const bad = lazytlb(['sweep', '--arch', 'x86-native', '--memory', 'pso', '--runs', '5', '--no-progress']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--memory pso: expected a memory model: sc, tso/);
    const dup = lazytlb(['sweep', '--arch', 'x86-native', '--memory', 'tso', '--memory', 'tso', '--runs', '5', '--no-progress']);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/--memory tso: tso is listed twice \(also memory\[0\]\)/);
    const file = join(tmp(), 'm.yaml');
    writeFileSync(file, 'arch: x86-native\n');
    const both = lazytlb(['sweep', '--matrix', file, '--memory', 'tso', '--no-progress']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--matrix FILE cannot be combined with .*--memory/);
  });
});

describe('lazytlb replay --format perfetto', () => {
  const sim = createSimulator({ plugin: referenceArch, scheme: 'none', cpus: 2, workload: 'default' });
  const cell = hashString128(sim.cellId);
  let artifact: Artifact | undefined;
  for (let i = 0; artifact === undefined && i < 5000; i++) {
    const r = sim.run(runSeed(cell, i));
    if (r.outcome === 'violation') artifact = makeArtifact(sim, runSeed(cell, i), r, i);
  }
  const dir = tmp();
  const path = join(dir, 'fail.json');
  writeFileSync(path, JSON.stringify(artifact));

  it('prints trace-event JSON, or writes it to --out FILE', () => {
    const r = lazytlb(['replay', path, '--format', 'perfetto']);
    expect(r.code).toBe(0);
    const t = JSON.parse(r.stdout) as { traceEvents: { ph: string; name: string; args?: { name?: string } }[] };
    expect(t.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args?.name)).toEqual(['CPU0', 'CPU1']);
    expect(t.traceEvents.filter((e) => e.ph === 'i' && (e as { cat?: string }).cat === 'violation')).toHaveLength(1);
    const out = join(dir, 'trace.json');
    const w = lazytlb(['replay', path, '--format', 'perfetto', '--out', out]);
    expect(w.code).toBe(0);
    expect(w.stdout).toBe('');
    expect(w.stderr).toContain(`wrote ${out}`);
    expect(readFileSync(out, 'utf8')).toBe(r.stdout);
  });

  it('rejects an unknown format listing the allowed ones (exit 2)', () => {
    const r = lazytlb(['replay', path, '--format', 'chrome']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Allowed choices are lkml, json, perfetto/);
  });
});
