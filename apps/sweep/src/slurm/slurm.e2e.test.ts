/**
 * The Slurm recipe, end to end (issue 14): a real single-node Slurm cluster runs
 * recipes/slurm/lazytlb-array.sbatch as written, and `lazytlb merge` of its four shards gives
 * the single-machine result.
 *
 * beforeAll installs Debian's slurm-wlm and munge with apt-get when missing
 * (scripts/slurm/install.sh) and starts munged, slurmctld and slurmd without systemd
 * (scripts/slurm/start.sh: proctrack/linuxproc, task/none, no accounting, everything under a
 * temporary state dir). Both need root or password-less sudo; when either fails the test fails,
 * it never skips. Then a small matrix (four cells, one violating with shrunk first failures) is
 * swept on this machine, the recipe is submitted with `sbatch --array=0-3 --wait` (the built
 * dist/cli.js as LAZYTLB, the same matrix file), and the four shard directories are merged:
 * results.json must equal the single-machine one but for `timing`, failures/ must hold the same
 * files byte for byte, report.md must be the same but for its last line (when, how long).
 * Then a longer shard gets SIGTERM on its batch shell (what --signal=B:TERM and preemption do)
 * after its first checkpoint: exit 143 with results marked interrupted, and the task submitted
 * again resumes it to exactly the uninterrupted shard's result.
 * afterAll stops the daemons by their PID files (scripts/slurm/stop.sh) and checks that none of
 * them, nor slurmctld's slurmscriptd, is left. The wall time of each step is printed.
 */
import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const RECIPE = fileURLToPath(new URL('../../recipes/slurm/lazytlb-array.sbatch', import.meta.url));
const SCRIPTS = fileURLToPath(new URL('../../../../scripts/slurm/', import.meta.url));
const SHARDS = 4;
const DAEMONS = ['munged', 'slurmctld', 'slurmd'] as const;

/** Four cells: refcount (safe) and none (violating: first failures, shrunk) at 2 and 3 CPUs. */
const MATRIX = 'arch: [reference]\nscheme: [refcount, none]\ncpus: [2, 3]\nruns: 400\nseed: slurm-e2e\n';
/** The same cells with enough runs that one shard takes seconds on one thread (7 s of CPU on the machine this was written on; the first checkpoint, and the SIGTERM, come after 1 s). */
const LONG_MATRIX = MATRIX.replace('runs: 400', 'runs: 200000').replace('slurm-e2e', 'slurm-e2e-long');

const t0 = performance.now();
const timings: [string, number][] = [];
const work = mkdtempSync(join(tmpdir(), 'lazytlb-slurm-work-'));
// Short: munged's socket lives under it (a Unix socket path has room for about 100 bytes).
const state = mkdtempSync(join(tmpdir(), 'lazytlb-slurm-'));
const matrixFile = join(work, 'matrix.yaml');
const single = join(work, 'single');
const shardsOut = join(work, 'shards');
const merged = join(work, 'merged');

/**
 * The environment of the Slurm clients and of the jobs (sbatch passes it on): this one with the
 * sbin directories on PATH and SLURM_CONF pointing at the test cluster, without the SLURM_* and
 * SBATCH_* variables of a Slurm job this test may itself run in.
 */
function slurmEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(SLURM|SBATCH|SALLOC|SRUN)_/.test(k)) env[k] = v;
  env.PATH = `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/local/sbin:/usr/sbin:/sbin`;
  env.SLURM_CONF = join(state, 'slurm.conf');
  return { ...env, ...extra };
}

function timed<T>(what: string, f: () => T): T {
  const t = performance.now();
  try {
    return f();
  } finally {
    timings.push([what, (performance.now() - t) / 1000]);
  }
}

/** Run a command; throw with its output when it does not exit 0 (never a skip). */
function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: opts.cwd ?? work, env: opts.env ?? slurmEnv(), timeout: opts.timeoutMs });
  const line = `$ ${cmd} ${args.join(' ')}`;
  if (r.error !== undefined || r.status !== 0) {
    throw new Error(
      `${line}: ${r.error !== undefined ? r.error.message : `exit ${r.status ?? `signal ${r.signal}`}`}\n--- stdout ---\n${r.stdout ?? ''}\n--- stderr ---\n${r.stderr ?? ''}`,
    );
  }
  return r;
}

/** A shell script of scripts/slurm/; its own lines (timings) are printed. */
function script(name: 'install.sh' | 'start.sh' | 'stop.sh', args: string[], timeoutMs: number): void {
  const r = run('bash', [join(SCRIPTS, name), ...args], { timeoutMs });
  process.stdout.write(r.stdout + r.stderr);
}

const lazytlb = (args: string[]) => run(process.execPath, [CLI, ...args], { timeoutMs: 120_000 });

/** A process as /proc shows it: its start time tells it from a later process with its PID. */
interface Proc {
  readonly name: string;
  readonly pid: number;
  readonly start: string;
}
/** pid's parent, state and start time (fields 4, 3 and 22 of /proc/PID/stat), or null when there is no such process. */
function stat(pid: number): { ppid: number; state: string; start: string } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: f[0]!, ppid: Number(f[1]), start: f[19]! };
  } catch {
    return null;
  }
}
const comm = (pid: number): string => readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
/** Still running: the same process (start time), not a zombie. */
function alive(p: Proc): boolean {
  const s = stat(p.pid);
  return s !== null && s.start === p.start && s.state !== 'Z';
}

/** The daemons by their PID files, and their children (slurmctld's slurmscriptd). */
function daemons(): Proc[] {
  const out: Proc[] = [];
  for (const d of DAEMONS) {
    const pid = Number(readFileSync(join(state, `${d}.pid`), 'utf8').trim());
    const s = stat(pid);
    expect(s, `${d}.pid names PID ${pid}, which is not running`).not.toBeNull();
    expect(comm(pid)).toBe(d);
    out.push({ name: d, pid, start: s!.start });
  }
  const parents = new Set(out.map((p) => p.pid));
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const s = stat(Number(e));
    if (s !== null && parents.has(s.ppid) && s.state !== 'Z') out.push({ name: `child of ${s.ppid}`, pid: Number(e), start: s.start });
  }
  return out;
}

/** Poll f every 100 ms until it gives a value (not null or undefined); throw after timeoutMs saying what was awaited. */
async function until<T>(what: string, f: () => T | null | undefined, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== null && v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** results.json without `timing` (wall clock, threads, batches): the rest is the same sweep's. */
function stable(dir: string): unknown {
  const r = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Record<string, unknown>;
  delete r.timing;
  return r;
}
/** Every artifact of a results directory, by name. */
function failures(dir: string): Map<string, string> {
  return new Map(
    readdirSync(join(dir, 'failures'))
      .sort()
      .map((n) => [n, readFileSync(join(dir, 'failures', n), 'utf8')]),
  );
}
/** report.md without its last line (when and how long). */
const report = (dir: string): string => readFileSync(join(dir, 'report.md'), 'utf8').trimEnd().split('\n').slice(0, -1).join('\n');

let started: Proc[] = [];

beforeAll(() => {
  timed('install', () => script('install.sh', [], 600_000));
  timed('start', () => script('start.sh', [state], 120_000));
  started = daemons();
  writeFileSync(matrixFile, MATRIX);
  timed('single-machine sweep', () => lazytlb(['sweep', '--matrix', matrixFile, '--out', single, '--fail-on', 'never', '--no-progress']));
}, 900_000);

afterAll(() => {
  try {
    if (existsSync(join(state, 'slurm.conf'))) timed('stop', () => script('stop.sh', [state], 120_000));
  } finally {
    timings.push(['whole test', (performance.now() - t0) / 1000]);
    process.stdout.write(`slurm e2e wall times: ${timings.map(([w, s]) => `${w} ${s.toFixed(1)} s`).join(', ')} (work dir ${work}, cluster ${state})\n`);
  }
  const left = started.filter(alive);
  expect(left, `still running after stop.sh: ${left.map((p) => `${p.name} (PID ${p.pid})`).join(', ')}`).toEqual([]);
  for (const d of DAEMONS) expect(existsSync(join(state, `${d}.pid`)), `${d}.pid`).toBe(false);
}, 120_000);

describe('the Slurm recipe on a real single-node cluster', () => {
  it('sinfo shows the node idle, with the real CPU count', () => {
    const r = run('sinfo', ['-h', '-N', '-o', '%N %t %c'], { timeoutMs: 30_000 });
    const [node, st, cpus] = r.stdout.trim().split(/\s+/);
    expect(st).toBe('idle');
    // The CPUs slurmd finds on this machine (start.sh declares the node with `slurmd -C`'s line).
    const hw = run('slurmd', ['-C'], { timeoutMs: 30_000 }).stdout;
    expect(Number(cpus)).toBe(Number(/\bCPUs=(\d+)/.exec(hw)?.[1]));
    expect(Number(cpus)).toBeGreaterThanOrEqual(1);
    const conf = readFileSync(join(state, 'slurm.conf'), 'utf8');
    expect(conf).toContain(`NodeName=${node} `);
    for (const line of [
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'AccountingStorageType=accounting_storage/none',
      'JobAcctGatherType=jobacct_gather/none',
    ])
      expect(conf).toContain(line);
  });

  it('sbatch --array=0-3 --wait runs the four shards through the CLI', () => {
    expect(`${process.execPath}${CLI}`, 'LAZYTLB is split on spaces').not.toMatch(/\s/);
    const env = slurmEnv({
      LAZYTLB: `${process.execPath} ${CLI}`,
      LAZYTLB_MATRIX: matrixFile,
      LAZYTLB_OUT: shardsOut,
      LAZYTLB_ARGS: '--no-progress',
    });
    // One CPU per task (the recipe asks for 8, more than a CI machine may have): two tasks at a time on two cores.
    const r = timed('sbatch --array=0-3 --wait', () =>
      run('sbatch', ['--array=0-3', '--wait', '--cpus-per-task=1', `--chdir=${work}`, `--output=${join(work, 'slurm-%A_%a.out')}`, RECIPE], {
        env,
        timeoutMs: 300_000,
      }),
    );
    const job = /Submitted batch job (\d+)/.exec(r.stdout)?.[1];
    expect(job, r.stdout).toBeDefined();
    for (let i = 0; i < SHARDS; i++) {
      const log = readFileSync(join(work, `slurm-${job}_${i}.out`), 'utf8');
      expect(log).toContain(`lazytlb-array: shard ${i} of ${SHARDS} (array job ${job}`);
      expect(log).toContain(`lazytlb: wrote ${join(shardsOut, `shard-${i}`, 'results.json')}`);
      const shard = JSON.parse(readFileSync(join(shardsOut, `shard-${i}`, 'results.json'), 'utf8')) as {
        shard: { index: number; count: number };
        interrupted: boolean;
        timing: { threads: number };
      };
      expect(shard.shard).toEqual({ index: i + 1, count: SHARDS });
      expect(shard.interrupted).toBe(false);
      // --threads "$SLURM_CPUS_PER_TASK"
      expect(shard.timing.threads).toBe(1);
    }
  }, 300_000);

  it('merge of the four shards gives the single-machine result', () => {
    const shards = Array.from({ length: SHARDS }, (_, i) => join(shardsOut, `shard-${i}`));
    timed('merge', () => lazytlb(['merge', ...shards, '--out', merged, '--fail-on', 'never']));
    expect(stable(merged)).toEqual(stable(single));
    const want = failures(single);
    expect(want.size).toBeGreaterThan(0);
    expect([...failures(merged).keys()]).toEqual([...want.keys()]);
    for (const [name, text] of failures(merged)) expect(text, name).toBe(want.get(name));
    expect(report(merged)).toBe(report(single));
  }, 180_000);

  it('SIGTERM to the batch shell (--signal=B:TERM, preemption) stops a shard with resumable results, exit 143; the task resubmitted resumes it to the uninterrupted result', async () => {
    const longMatrix = join(work, 'long.yaml');
    writeFileSync(longMatrix, LONG_MATRIX);
    const out = join(work, 'preempted');
    const shard = join(out, 'shard-0');
    const env = slurmEnv({
      LAZYTLB: `${process.execPath} ${CLI}`,
      LAZYTLB_MATRIX: longMatrix,
      LAZYTLB_OUT: out,
      // The later --checkpoint-every wins: a checkpoint after a second says the CLI is sweeping (its SIGTERM handler is set).
      LAZYTLB_ARGS: '--no-progress --no-shrink --checkpoint-every 1s',
    });
    // --job-name: scancel finds the task by it (sbatch's "Submitted batch job" may sit in its stdout buffer until it exits).
    const sbatch = (log: string) => [
      '--array=0',
      '--wait',
      '--cpus-per-task=1',
      '--job-name=lazytlb-preempt',
      `--chdir=${work}`,
      `--output=${join(work, log)}`,
      RECIPE,
    ];
    const t = performance.now();
    const child = spawn('sbatch', sbatch('preempted.out'), { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => void (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => void (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await until(`a checkpoint in ${shard}`, () => (existsSync(join(shard, 'results.json')) ? true : null), 120_000);
      // What Slurm does at --signal=B:TERM@60 before the time limit, and on preemption: SIGTERM to the batch shell, which is lazytlb (exec).
      run('scancel', ['--batch', '--signal=TERM', '--name=lazytlb-preempt'], { timeoutMs: 30_000 });
      const code = await exited;
      timings.push(['preempted task', (performance.now() - t) / 1000]);
      expect(code, `sbatch --wait: ${output}`).toBe(143);
      expect(readFileSync(join(work, 'preempted.out'), 'utf8')).toContain('lazytlb: terminated: finishing the work in flight');
      const partial = JSON.parse(readFileSync(join(shard, 'results.json'), 'utf8')) as { interrupted: boolean; totals: { runs: number } };
      expect(partial.interrupted).toBe(true);
      expect(partial.totals.runs).toBeLessThan(200_000);
    } finally {
      child.kill('SIGKILL');
    }

    timed('resubmitted task (resume)', () => run('sbatch', sbatch('resumed.out'), { env, timeoutMs: 300_000 }));
    expect(readFileSync(join(work, 'resumed.out'), 'utf8')).toContain(`lazytlb-array: resuming the interrupted shard in ${shard}`);
    const whole = join(work, 'uninterrupted-shard-0');
    timed('uninterrupted shard 1/4', () =>
      lazytlb(['sweep', '--matrix', longMatrix, '--shard', '1/4', '--out', whole, '--no-shrink', '--fail-on', 'never', '--no-progress']),
    );
    expect(stable(shard)).toEqual(stable(whole));
    expect(failures(shard)).toEqual(failures(whole));
  }, 600_000);
});
