/**
 * `lazytlb regress DIR` on the artifacts of a real small sweep: all of them reproduce (exit 0);
 * an artifact edited so that its failure is gone, or recorded at another step, or whose schedule
 * no longer fits, fails naming the file (exit 1); another model is refused (exit 2) unless
 * --allow-model-mismatch; a corrupt or invalid file is an error naming it (exit 3); a directory
 * without artifacts is a usage error; --json is the documented report.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Artifact } from '@lazytlb/core';
import { classifyError } from '@lazytlb/explore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SmallSweep, smallSweep } from '../test-support/small-sweep.js';
import { formatRegress, jsonFilesUnder, regress, regressCommand, type RegressCommandOptions, RegressReport } from './regress.js';

let sweep: SmallSweep;
let scratch: string;
beforeAll(async () => {
  sweep = await smallSweep('lazytlb-regress-');
  scratch = mkdtempSync(join(tmpdir(), 'lazytlb-regress-t-'));
}, 120_000);
afterAll(() => {
  rmSync(sweep.dir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

let n = 0;
/** A copy of the sweep's output directory to edit. */
function copy(): string {
  const dir = join(scratch, `copy-${n++}`);
  cpSync(sweep.dir, dir, { recursive: true });
  return dir;
}

/** The path (relative to the sweep directory) of the first failure artifact of a violation. */
function violationArtifact(): string {
  for (const c of sweep.results.cells) {
    const f = c.firstFailures.find((x) => x.class === 'violation');
    if (f !== undefined) return f.artifact;
  }
  throw new Error('the small sweep found no violation');
}

function edit(path: string, f: (a: Artifact) => unknown): void {
  writeFileSync(path, JSON.stringify(f(JSON.parse(readFileSync(path, 'utf8')) as Artifact), null, 2));
}

async function command(dir: string, o: RegressCommandOptions = {}): Promise<{ code: number; out: string }> {
  let out = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      out += String(chunk);
      cb();
    },
  });
  const code = await regressCommand(dir, o, stream);
  return { code, out };
}

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return { code: classifyError(e), message: (e as Error).message };
  }
  throw new Error('expected it to fail');
}

describe('lazytlb regress', () => {
  it("every artifact of a sweep's output directory reproduces: exit 0, one ok line each in path order, results.json ignored", async () => {
    const files = jsonFilesUnder(sweep.dir);
    const artifacts = files.filter((f) => f.startsWith('failures/'));
    expect(artifacts.length).toBeGreaterThan(1);
    expect(files).toEqual([...artifacts, 'results.json']);
    const { code, out } = await command(sweep.dir);
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(artifacts.length + 1);
    artifacts.forEach((a, i) => {
      expect(lines[i]).toMatch(
        new RegExp(
          `^ok {4}${join(sweep.dir, a).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +\\S+ (violation|hazard|use-site|error) reproduces (at step \\d+ on CPU\\d|after \\d+ steps) \\(reference, (none|refcount), 2 CPUs, (random|pct:3), seed [0-9a-f]{32}\\)$`,
        ),
      );
    });
    expect(lines.at(-1)).toBe(`regress ${sweep.dir}: ok: ${artifacts.length} artifacts, ${artifacts.length} reproduce; 1 other JSON file ignored`);
  });

  it('a failure that is gone (its invariant disabled, its schedule cut short) now passes: exit 1 naming the file', async () => {
    const dir = copy();
    const rel = violationArtifact();
    const a = JSON.parse(readFileSync(join(dir, rel), 'utf8')) as Artifact;
    const inv = a.outcome.invariant!;
    edit(join(dir, rel), (x) => ({ ...x, cell: { ...x.cell, disabledInvariants: [inv] } }));
    mkdirSync(join(dir, 'more'));
    const cut = join(dir, 'more', 'cut.json');
    writeFileSync(cut, JSON.stringify({ ...a, decisions: Buffer.from(a.decisions, 'base64').subarray(0, 10).toString('base64') }));
    const r = await regress(dir);
    expect(r.exitCode).toBe(1);
    const byPath = new Map(r.artifacts.map((x) => [x.path, x]));
    const gone = byPath.get(join(dir, rel))!;
    expect(gone.status).toBe('passes');
    expect(gone.detail).toBe(
      `${inv} violation now passes: its ${a.outcome.steps} recorded steps run without it (recorded ${inv} violation at step ${a.outcome.step} on CPU${a.outcome.cpu}; the run goes on)`,
    );
    expect(gone.replayed).toMatchObject({ kind: 'ok', steps: a.outcome.steps });
    expect(byPath.get(cut)).toMatchObject({ status: 'passes', replayed: { kind: 'ok', steps: 10 } });
    expect(r.artifacts.filter((x) => x.status !== 'reproduces').map((x) => x.path)).toEqual([join(dir, rel), cut]);
    const text = formatRegress(r);
    expect(`\n${text}`).toContain(`\nFAIL  ${join(dir, rel)} `);
    expect(text).toMatch(/\nregress .*: FAILED: \d+ artifacts, \d+ reproduce, 2 now pass; 1 other JSON file ignored\n/);
    expect(text.endsWith(`see one: lazytlb replay ${join(dir, rel)}\n`)).toBe(true);
    expect((await command(dir)).code).toBe(1);
  });

  it('a failure recorded at another step, or a schedule that no longer fits, differs: exit 1', async () => {
    const dir = copy();
    const rel = violationArtifact();
    const a = JSON.parse(readFileSync(join(dir, rel), 'utf8')) as Artifact;
    edit(join(dir, rel), (x) => ({ ...x, outcome: { ...x.outcome, step: x.outcome.step! + 1 } }));
    // a recorded decision naming an actor that is never enabled
    const bytes = Buffer.from(a.decisions, 'base64');
    bytes[3] = 250;
    writeFileSync(join(dir, 'failures', 'z-schedule.json'), JSON.stringify({ ...a, decisions: bytes.toString('base64') }));
    const r = await regress(dir);
    expect(r.exitCode).toBe(1);
    const step = r.artifacts.find((x) => x.path === join(dir, rel))!;
    expect(step.status).toBe('differs');
    expect(step.detail).toBe(
      `${a.outcome.invariant} violation differs: recorded ${a.outcome.invariant} violation at step ${a.outcome.step! + 1} on CPU${a.outcome.cpu}, the replay ended ${a.outcome.invariant} violation at step ${a.outcome.step} on CPU${a.outcome.cpu}`,
    );
    const sched = r.artifacts.find((x) => x.path.endsWith('z-schedule.json'))!;
    expect(sched.status).toBe('differs');
    expect(sched.replayed).toBeNull();
    expect(sched.detail).toMatch(
      /violation differs: its recorded schedule no longer fits the run \(step 3: recorded actor 250 is not enabled \(enabled: [\d,]+\); recorded /,
    );
  });

  it('another model is refused (exit 2) unless --allow-model-mismatch (replayed, classified, what differs said)', async () => {
    const dir = copy();
    const rel = violationArtifact();
    edit(join(dir, rel), (x) => ({ ...x, fingerprints: { ...x.fingerprints, core: '0123456789abcdef' } }));
    const refused = await regress(dir);
    expect(refused.exitCode).toBe(2);
    const e = refused.artifacts.find((x) => x.path === join(dir, rel))!;
    expect(e.status).toBe('model-mismatch');
    expect(e.replayed).toBeNull();
    expect(e.detail).toMatch(
      /violation not replayed: recorded with another model \(lazytlb .*\): .*core.*0123456789abcdef.* \(--allow-model-mismatch replays it anyway\)$/,
    );
    expect(`\n${formatRegress(refused)}`).toContain(`\nSKIP  ${join(dir, rel)} `);
    const allowed = await regress(dir, { allowModelMismatch: true });
    expect(allowed.exitCode).toBe(0);
    const ok = allowed.artifacts.find((x) => x.path === join(dir, rel))!;
    expect(ok.status).toBe('reproduces');
    expect(ok.modelMismatch).toEqual([expect.stringContaining('0123456789abcdef')]);
    expect(ok.detail).toMatch(/reproduces at step \d+ on CPU\d \[another model, replayed anyway: .*0123456789abcdef.*\]$/);
    // a regression outranks a refusal: exit 1
    const other = violationArtifact();
    writeFileSync(join(dir, 'failures', 'cut.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(sweep.dir, other), 'utf8')), decisions: '' }));
    expect((await regress(dir)).exitCode).toBe(1);
  });

  it('a corrupt, an invalid or an old artifact, or an arch that is not loaded: an error naming the file, one line (exit 3)', async () => {
    const dir = copy();
    const rel = violationArtifact();
    writeFileSync(join(dir, 'failures', 'corrupt.json'), '{"schema": "lazytlb.artifact/3", ');
    edit(join(dir, rel), (x) => ({ ...x, cell: { ...x.cell, cpus: 'two' }, seed: undefined }));
    const a = JSON.parse(readFileSync(join(sweep.dir, rel), 'utf8')) as Artifact;
    writeFileSync(join(dir, 'failures', 'old.json'), JSON.stringify({ ...a, schema: 'lazytlb.artifact/1' }));
    writeFileSync(join(dir, 'failures', 'arch.json'), JSON.stringify({ ...a, cell: { ...a.cell, arch: { ...a.cell.arch, name: 'no-such-arch' } } }));
    const r = await regress(dir);
    expect(r.exitCode).toBe(3);
    const err = (name: string) => r.artifacts.find((x) => x.path === join(dir, name))!;
    expect(err('failures/corrupt.json')).toMatchObject({ status: 'error', finding: null, recorded: null, detail: expect.stringMatching(/^not JSON: /) });
    expect(err(rel)).toMatchObject({
      status: 'error',
      detail: 'invalid artifact: cell.cpus: Invalid input: expected number, received string; seed: Invalid input: expected string, received undefined',
    });
    expect(err('failures/old.json').detail).toMatch(/^artifact schema lazytlb\.artifact\/1 is not lazytlb\.artifact\/3: it was written by lazytlb 0\.1/);
    expect(err('failures/arch.json')).toMatchObject({
      status: 'error',
      finding: expect.stringMatching(/violation$/),
      cell: expect.stringMatching(/^no-such-arch, /),
    });
    expect(err('failures/arch.json').detail).toMatch(/violation cannot be replayed: unknown arch "no-such-arch"/);
    const text = formatRegress(r);
    for (const name of ['failures/corrupt.json', rel, 'failures/old.json', 'failures/arch.json']) {
      expect(text).toMatch(new RegExp(`(^|\\n)ERROR ${join(dir, name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +\\S[^\\n]*\\n`));
    }
    expect(text).toMatch(/: FAILED: \d+ artifacts, \d+ reproduce, 4 could not be checked; 1 other JSON file ignored\n$/);
  });

  it('a directory without artifacts, a missing one, a file: usage errors (one line)', async () => {
    const empty = join(scratch, 'empty');
    mkdirSync(empty);
    const onlyResults = join(scratch, 'only-results');
    mkdirSync(join(onlyResults, '.hidden'), { recursive: true });
    cpSync(join(sweep.dir, 'results.json'), join(onlyResults, 'results.json'));
    // dot-directories are not searched
    cpSync(join(sweep.dir, violationArtifact()), join(onlyResults, '.hidden', 'a.json'));
    const cases: [string, RegExp][] = [
      [empty, /^regress .*empty: no failure artifacts under it \(no JSON files\); a sweep writes them to OUT\/failures\/$/],
      [onlyResults, /^regress .*only-results: no failure artifacts under it \(1 other JSON file, none a lazytlb\.artifact\/3 failure artifact\)/],
      [join(scratch, 'nope'), /^regress .*nope: no such directory \(ENOENT/],
      [join(sweep.dir, 'results.json'), /^regress .*results\.json: not a directory \(to replay one artifact: lazytlb replay .*results\.json\)$/],
    ];
    for (const [dir, re] of cases) {
      const e = await failure(regress(dir));
      expect([e.code, e.message]).toEqual(['usage', expect.stringMatching(re)]);
      expect(e.message).not.toContain('\n');
    }
  });

  it('--json: the documented report (zod-checked), the exit code in it', async () => {
    const dir = copy();
    const rel = violationArtifact();
    edit(join(dir, rel), (x) => ({ ...x, outcome: { ...x.outcome, steps: x.outcome.steps + 1 } }));
    const { code, out } = await command(dir, { json: true });
    expect(code).toBe(1);
    const report = RegressReport.parse(JSON.parse(out));
    expect(report.exitCode).toBe(1);
    expect(report.dir).toBe(dir);
    expect(report.allowModelMismatch).toBe(false);
    expect(report.ignored).toEqual([join(dir, 'results.json')]);
    expect(report.counts).toEqual({ reproduces: report.artifacts.length - 1, passes: 0, differs: 1, 'model-mismatch': 0, error: 0 });
    expect(report.artifacts.map((x) => x.path)).toEqual([...report.artifacts.map((x) => x.path)].sort());
    const d = report.artifacts.find((x) => x.status === 'differs')!;
    expect(d).toMatchObject({
      path: join(dir, rel),
      recorded: { kind: 'violation' },
      replayed: { kind: 'violation' },
      seed: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
  });
});
