/**
 * The Kubernetes recipe (recipes/kubernetes/indexed-job.yaml): every document is validated
 * against the Kubernetes OpenAPI schema (kubernetes-models 4.5.1: Kubernetes v1.33.0, compiled
 * to validate functions); what the schema cannot say is asserted here (the pinned version is
 * this package's, the flags, the downward API, the exit-code policy); the matrix is parsed by the
 * CLI's own parser; and the shard and merge scripts are run by /bin/sh, with stubs for `npm` and
 * `lazytlb` (the resume decision, exec and SIGTERM) and with the built CLI on a small matrix
 * (4 shards and the merge, as the Jobs run them). Nothing here runs against a cluster.
 *
 * The schema checks types, enums, required fields and quantity formats; it does not reject
 * unknown fields (Kubernetes' OpenAPI schemas do not forbid extra properties), so a misspelt key
 * passes it — the last test pins that down so nobody reads more into "schema-validated".
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type IJob, Job } from 'kubernetes-models/batch/v1/Job';
import { ConfigMap, type IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { type IPersistentVolumeClaim, PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseMatrixText } from '../matrix/parse-file.js';

const MANIFEST = fileURLToPath(new URL('../../recipes/kubernetes/indexed-job.yaml', import.meta.url));
const PACKAGE_JSON = fileURLToPath(new URL('../../package.json', import.meta.url));
const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const VERSION = (JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string }).version;

type Doc = { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } } & Record<string, unknown>;

/** The model class of each apiVersion/kind the recipe may use; anything else fails the test. */
const MODELS: Record<string, (o: Doc) => { validate(): void }> = {
  'v1/ConfigMap': (o) => new ConfigMap(o as ConstructorParameters<typeof ConfigMap>[0]),
  'v1/PersistentVolumeClaim': (o) => new PersistentVolumeClaim(o as ConstructorParameters<typeof PersistentVolumeClaim>[0]),
  'batch/v1/Job': (o) => new Job(o as ConstructorParameters<typeof Job>[0]),
};

function loadDocs(): Doc[] {
  const docs = parseAllDocuments(readFileSync(MANIFEST, 'utf8'), { uniqueKeys: true, prettyErrors: false });
  if (!Array.isArray(docs)) throw new Error('indexed-job.yaml: no YAML documents');
  for (const d of docs) expect(d.errors.map((e) => e.message)).toEqual([]);
  // A document of comments only (the header before the first ---) is not an object.
  return docs.map((d) => d.toJS() as unknown).filter((d): d is Doc => d !== null && d !== undefined) as Doc[];
}

/** Validate one document with the model class of its apiVersion/kind (throws on a schema error or an unknown kind). */
function validate(doc: Doc): void {
  const key = `${String(doc.apiVersion)}/${String(doc.kind)}`;
  const model = MODELS[key];
  if (model === undefined) throw new Error(`no schema model for ${key}`);
  model(doc).validate();
}

function named<T>(docs: Doc[], kind: string, name: string): T {
  const d = docs.find((x) => x.kind === kind && x.metadata?.name === name);
  if (d === undefined) throw new Error(`indexed-job.yaml has no ${kind} ${name}`);
  return d as unknown as T;
}

function containerOf(job: IJob) {
  const containers = job.spec!.template.spec!.containers;
  expect(containers).toHaveLength(1);
  return containers[0]!;
}

/** The container's shell script: command ["/bin/sh", "-c"], args [script]. */
function scriptOf(job: IJob): string {
  const c = containerOf(job);
  expect(c.command).toEqual(['/bin/sh', '-c']);
  expect(c.args).toHaveLength(1);
  return c.args![0]!;
}

const docs = loadDocs();
const sweepJob = named<IJob>(docs, 'Job', 'lazytlb-sweep');
const mergeJob = named<IJob>(docs, 'Job', 'lazytlb-merge');
const matrixMap = named<IConfigMap>(docs, 'ConfigMap', 'lazytlb-matrix');
const claim = named<IPersistentVolumeClaim>(docs, 'PersistentVolumeClaim', 'lazytlb-results');

describe('recipes/kubernetes/indexed-job.yaml against the Kubernetes OpenAPI schema', () => {
  it('holds a ConfigMap, a PersistentVolumeClaim and two Jobs, each valid for its kind', () => {
    expect(docs.map((d) => `${String(d.kind)}/${String(d.metadata?.name)}`)).toEqual([
      'ConfigMap/lazytlb-matrix',
      'PersistentVolumeClaim/lazytlb-results',
      'Job/lazytlb-sweep',
      'Job/lazytlb-merge',
    ]);
    for (const d of docs) expect(() => validate(d), `${String(d.kind)} ${String(d.metadata?.name)}`).not.toThrow();
  });

  it('rejects a broken copy: a wrong type, a wrong enum value, a missing required field, a bad quantity, an unknown kind', () => {
    const broken = (edit: (j: Record<string, any>) => void): Doc => {
      const j = structuredClone(sweepJob) as unknown as Record<string, any>;
      edit(j);
      return j as Doc;
    };
    expect(() => validate(broken((j) => (j.spec.completions = 'four')))).toThrow(/spec\/completions must be integer/);
    expect(() => validate(broken((j) => (j.spec.completionMode = 'Sharded')))).toThrow(/spec\/completionMode must be equal to one of the allowed values/);
    expect(() => validate(broken((j) => (j.spec.podFailurePolicy.rules[0].action = 'Retry')))).toThrow(/podFailurePolicy\/rules\/0\/action/);
    expect(() => validate(broken((j) => delete j.spec.template.spec.containers[0].env[0].valueFrom.resourceFieldRef.resource))).toThrow(
      /resourceFieldRef must have required property resource/,
    );
    expect(() => validate(broken((j) => (j.spec.template.spec.containers[0].resources.limits.cpu = 'four')))).toThrow(
      /limits\/cpu must match format "quantity"/,
    );
    expect(() => validate(broken((j) => (j.spec.template.spec.containers = 'sweep')))).toThrow(/containers must be array/);
    expect(() => validate(broken((j) => (j.kind = 'CronJob')))).toThrow(/no schema model for batch\/v1\/CronJob/);
  });

  it('installs exactly this package version in both Jobs, on node:20-slim', () => {
    for (const job of [sweepJob, mergeJob]) {
      expect(containerOf(job).image).toBe('node:20-slim');
      const script = scriptOf(job);
      const installs = [...script.matchAll(/npm install -g (.*)$/gm)].map((m) => m[1]!.trim());
      expect(installs).toEqual([`--no-fund --no-audit --loglevel=error @lazytlb/sweep@${VERSION}`]);
      // No other reference to the package (a range, @latest, a second install).
      expect([...script.matchAll(/@lazytlb\/sweep\S*/g)].map((m) => m[0])).toEqual([`@lazytlb/sweep@${VERSION}`]);
    }
  });

  it('is an Indexed Job of 4 shards whose command sweeps with --shards 4, --threads "$CPUS", --fail-on never, checkpoints and --resume', () => {
    const spec = sweepJob.spec!;
    expect(spec.completionMode).toBe('Indexed');
    expect(spec.completions).toBe(4);
    expect(spec.parallelism).toBe(4);
    expect(spec.backoffLimitPerIndex).toBeGreaterThanOrEqual(1);
    expect(spec.template.spec!.restartPolicy).toBe('Never');
    const script = scriptOf(sweepJob);
    expect(script).toMatch(
      /exec lazytlb sweep --matrix \/config\/matrix\.json --shards 4 --threads "\$CPUS" \\\n\s*--fail-on never --checkpoint-every 5m --out "\$OUT" "\$@"/,
    );
    expect(script).toContain(`OUT="/results/shard-\${JOB_COMPLETION_INDEX}"`);
    expect(script).toContain('set -- --resume "$OUT"');
    // The shards' directories are the merge's inputs.
    expect(scriptOf(mergeJob)).toMatch(
      /exec lazytlb merge \/results\/shard-0 \/results\/shard-1 \/results\/shard-2 \/results\/shard-3 \\\n\s*--out \/results\/merged --fail-on never/,
    );
  });

  it('takes CPUS from the container CPU limit through the downward API, with requests and limits set', () => {
    const c = containerOf(sweepJob);
    expect(c.env?.find((e) => e.name === 'CPUS')?.valueFrom).toEqual({
      resourceFieldRef: { containerName: c.name, resource: 'limits.cpu', divisor: '1' },
    });
    expect(c.resources?.limits?.cpu).toBeDefined();
    expect(c.resources?.requests?.cpu).toBeDefined();
    expect(c.resources?.limits?.memory).toBeDefined();
  });

  it('fails the Job on exit 2 or 3, ignores disruptions, and gives SIGTERM time to write partial results', () => {
    for (const job of [sweepJob, mergeJob]) {
      const c = containerOf(job);
      expect(job.spec!.podFailurePolicy!.rules).toEqual([
        { action: 'FailJob', onExitCodes: { containerName: c.name, operator: 'In', values: [2, 3] } },
        { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      ]);
      expect(job.spec!.template.spec!.restartPolicy).toBe('Never');
    }
    expect(sweepJob.spec!.template.spec!.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(60);
  });

  it('mounts the matrix ConfigMap at /config and one ReadWriteMany claim at /results in both Jobs; the merge starts suspended', () => {
    expect(claim.spec!.accessModes).toEqual(['ReadWriteMany']);
    for (const job of [sweepJob, mergeJob]) {
      const pod = job.spec!.template.spec!;
      const results = pod.volumes!.find((v) => v.persistentVolumeClaim?.claimName === claim.metadata!.name);
      expect(results).toBeDefined();
      expect(containerOf(job).volumeMounts).toContainEqual({ name: results!.name, mountPath: '/results' });
    }
    const matrixVolume = sweepJob.spec!.template.spec!.volumes!.find((v) => v.configMap?.name === matrixMap.metadata!.name);
    expect(containerOf(sweepJob).volumeMounts).toContainEqual({ name: matrixVolume!.name, mountPath: '/config', readOnly: true });
    expect(mergeJob.spec!.suspend).toBe(true);
    expect(sweepJob.spec!.suspend).toBeUndefined();
  });

  it("holds a matrix the CLI's own parser accepts", async () => {
    const text = matrixMap.data!['matrix.json']!;
    expect(() => JSON.parse(text)).not.toThrow();
    const m = await parseMatrixText(text, 'matrix.json');
    expect(m.arches.length * m.schemes.length * m.cpus.length).toBeGreaterThanOrEqual(4);
  });

  it('does not reject unknown fields: the OpenAPI schema allows extra properties (a misspelt key is not caught here)', () => {
    const j = structuredClone(sweepJob) as unknown as Record<string, any>;
    j.spec.completionz = 4;
    expect(() => validate(j as Doc)).not.toThrow();
  });
});

// ---- the scripts, run by /bin/sh (the container's shell runs them the same way) ----

const made: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'lazytlb-k8s-'));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** The script with /results and /config moved under `root` (the volumes' mount paths). */
function relocate(script: string, root: string): string {
  return script.replaceAll('/results', join(root, 'results')).replaceAll('/config', join(root, 'config'));
}

function writeExe(path: string, text: string): void {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

/** A bin directory with `npm` logging its arguments and `lazytlb` either a stub or the built CLI. */
function binDir(root: string, lazytlb: 'stub' | 'real'): string {
  const bin = join(root, 'bin');
  mkdirSync(bin, { recursive: true });
  writeExe(join(bin, 'npm'), `#!/bin/sh\necho "$@" >> "${join(root, 'npm.log')}"\n`);
  writeExe(
    join(bin, 'lazytlb'),
    lazytlb === 'real'
      ? `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`
      : [
          '#!/bin/sh',
          `printf '%s\\n' "$@" > "${join(root, 'args')}"`,
          `if [ -n "$STUB_WAIT" ]; then trap 'exit 143' TERM; : > "${join(root, 'ready')}"; while :; do sleep 0.02; done; fi`,
          'exit "$STUB_EXIT"',
          '',
        ].join('\n'),
  );
  return bin;
}

/** The pod's environment: the bin directory first, JOB_COMPLETION_INDEX, CPUS; the stub's knobs off unless `extra` sets them. */
function shardEnv(bin: string, index: number, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const path = `${bin}:${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
  return { ...process.env, PATH: path, JOB_COMPLETION_INDEX: String(index), CPUS: '3', STUB_EXIT: '0', STUB_WAIT: '', ...extra };
}

function runShard(root: string, index: number, extra: NodeJS.ProcessEnv = {}) {
  const bin = binDir(root, 'stub');
  const r = spawnSync('/bin/sh', ['-c', relocate(scriptOf(sweepJob), root)], { encoding: 'utf8', env: shardEnv(bin, index, extra), timeout: 30_000 });
  const args = existsSync(join(root, 'args')) ? readFileSync(join(root, 'args'), 'utf8').trimEnd().split('\n') : [];
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, args };
}

function writeResults(dir: string, interrupted: boolean): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.json'), JSON.stringify({ schema: 'lazytlb.results/3', interrupted }));
}

describe('the shard script (stubbed npm and lazytlb)', () => {
  const sweepArgs = (out: string) => [
    'sweep',
    '--matrix',
    out.replace(/results\/shard-\d+$/, 'config/matrix.json'),
    '--shards',
    '4',
    '--threads',
    '3',
    '--fail-on',
    'never',
    '--checkpoint-every',
    '5m',
    '--out',
    out,
  ];

  it('installs the pinned package, then sweeps its shard into a new directory without --resume', () => {
    const root = tmp();
    const r = runShard(root, 2);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(root, 'npm.log'), 'utf8')).toBe(`install -g --no-fund --no-audit --loglevel=error @lazytlb/sweep@${VERSION}\n`);
    expect(r.args).toEqual(sweepArgs(join(root, 'results', 'shard-2')));
  });

  it('resumes an interrupted run of its shard, and only that', () => {
    const root = tmp();
    const out = join(root, 'results', 'shard-1');
    writeResults(out, true);
    writeResults(join(root, 'results', 'shard-0'), false);
    const r = runShard(root, 1);
    expect(r.code, r.stderr).toBe(0);
    expect(r.args).toEqual([...sweepArgs(out), '--resume', out]);
    expect(r.stdout).toContain(`${out} holds an interrupted run: resuming it`);
  });

  it('sweeps into a completed run of its shard without --resume (the CLI allows re-running the same sweep)', () => {
    const root = tmp();
    const out = join(root, 'results', 'shard-3');
    writeResults(out, false);
    writeResults(`${out}.previous-9`, true); // OUT exists: the CLI restores no previous directory, so neither does the script
    expect(runShard(root, 3).args).toEqual(sweepArgs(out));
  });

  it('resumes when a killed swap left only OUT.previous-PID holding an interrupted run', () => {
    const root = tmp();
    const out = join(root, 'results', 'shard-0');
    writeResults(`${out}.previous-1`, true);
    expect(runShard(root, 0).args).toEqual([...sweepArgs(out), '--resume', out]);
  });

  it("exits with the CLI's own exit code (exec), which the podFailurePolicy reads", () => {
    for (const code of [0, 2, 3, 143]) expect(runShard(tmp(), 0, { STUB_EXIT: String(code) }).code).toBe(code);
  });

  it('fails (exit 1, counted and retried) when npm install fails, before sweeping', () => {
    const root = tmp();
    const bin = binDir(root, 'stub');
    writeExe(join(bin, 'npm'), '#!/bin/sh\nexit 1\n');
    const r = spawnSync('/bin/sh', ['-c', relocate(scriptOf(sweepJob), root)], { encoding: 'utf8', env: shardEnv(bin, 0) });
    expect(r.status).toBe(1);
    expect(existsSync(join(root, 'args'))).toBe(false);
  });

  it("delivers the kubelet's SIGTERM to the CLI itself (the shell execs it), which exits 143", async () => {
    const root = tmp();
    const bin = binDir(root, 'stub');
    const child = spawn('/bin/sh', ['-c', relocate(scriptOf(sweepJob), root)], { env: shardEnv(bin, 0, { STUB_WAIT: '1' }), stdio: 'ignore' });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    for (let i = 0; i < 500 && !existsSync(join(root, 'ready')); i++) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(join(root, 'ready'))).toBe(true);
    child.kill('SIGTERM');
    expect(await exited).toEqual({ code: 143, signal: null });
  });
});

describe('the shard and merge scripts with the built CLI (a small matrix in place of the ConfigMap)', () => {
  it('4 shards and the merge exit 0 under --fail-on never although the sweep finds violations; the merge is complete', () => {
    const root = tmp();
    mkdirSync(join(root, 'config'));
    writeFileSync(
      join(root, 'config', 'matrix.json'),
      JSON.stringify({ arch: 'reference', scheme: ['refcount', 'none'], cpus: [2], runs: 300, seed: 'k8s-test' }),
    );
    const bin = binDir(root, 'real');
    for (let i = 0; i < 4; i++) {
      const r = spawnSync('/bin/sh', ['-c', relocate(scriptOf(sweepJob), root)], {
        encoding: 'utf8',
        env: shardEnv(bin, i, { CPUS: '1' }),
        timeout: 60_000,
      });
      expect(r.status, r.stderr).toBe(0);
    }
    const m = spawnSync('/bin/sh', ['-c', relocate(scriptOf(mergeJob), root)], { encoding: 'utf8', env: shardEnv(bin, 0), timeout: 60_000 });
    expect(m.status, m.stderr).toBe(0);
    const merged = JSON.parse(readFileSync(join(root, 'results', 'merged', 'results.json'), 'utf8')) as {
      complete: boolean;
      interrupted: boolean;
      totals: { runs: number; violates: number };
    };
    expect(merged).toMatchObject({ complete: true, interrupted: false, totals: { runs: 600 } });
    expect(merged.totals.violates).toBeGreaterThan(0);
  });
});
