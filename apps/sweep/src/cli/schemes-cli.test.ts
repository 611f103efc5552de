/**
 * Scheme plugins through the compiled `lazytlb` executable (as a user runs it): an out-of-tree
 * scheme given with --plugin sweeps end to end (results name the scheme and its version; its
 * findings shrink, replay and get report.html swimlanes), a matrix file with a plugin scheme and
 * options, a broken scheme file and an unknown scheme exit 2, a scheme whose hook throws is a
 * plugin error with its seed while the sweep completes, `lazytlb schemes` lists them, and merge
 * and resume refuse results of another scheme version.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const SCRATCH = mkdtempSync(join(tmpdir(), 'lazytlb-cwd-'));
const fixture = (name: string): string => fileURLToPath(new URL(`../plugins/test-fixtures/${name}`, import.meta.url));
const COUNTED = fixture('counted-scheme.mjs');
const BROKEN = fixture('broken-scheme.mjs');
const THROWING = fixture('throwing-scheme.mjs');

function lazytlb(args: string[], cwd?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000, cwd: cwd ?? SCRATCH });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = (): string => mkdtempSync(join(tmpdir(), 'lazytlb-schemes-cli-'));

/** The counted fixture under another version (a new release of the same scheme). */
function countedVersion(version: string): string {
  const file = join(tmp(), `counted-${version}.mjs`);
  writeFileSync(
    file,
    `import counted from ${JSON.stringify(new URL(`file://${COUNTED}`).href)};\nexport default { ...counted, version: ${JSON.stringify(version)} };\n`,
  );
  return file;
}

interface Cell {
  scheme: string;
  schemeVersion?: string;
  schemeOptions: Record<string, unknown>;
  verdict: string;
  runs: number;
  violations: Record<string, number>;
  pluginErrors: number;
  raw: { cellId: string };
  firstFailures: { class: string; key: string; seed: string; message: string; artifact: string; shrunkSteps: number | null }[];
}
const results = (dir: string): { cells: Cell[] } => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
const stable = (dir: string): unknown => ({ ...results(dir), timing: null });

const SWEEP = ['sweep', '--arch', 'reference', '--cpus', '2', '--no-progress'];

describe('lazytlb sweep --plugin SCHEME (an out-of-tree scheme plugin)', () => {
  const out = tmp();
  const a = join(out, 'a');

  it('sweeps end to end: results name the scheme and its version, findings shrink; the same for 1 and 2 threads', () => {
    const r = lazytlb([...SWEEP, '--plugin', COUNTED, '--scheme', 'refcount,counted,counted:mode=skip', '--runs', '200', '--threads', '2', '--out', a]);
    expect(r.stderr).toContain('shrank');
    expect(r.code).toBe(1); // counted:mode=skip violates I3
    expect(r.stdout).toMatch(/reference\s+counted\s+2\s+default\s+pct:3\s+200\s+SAFE/);
    expect(r.stdout).toMatch(/reference\s+counted:mode=skip\s+2\s+default\s+pct:3\s+200\s+VIOLATES\s+I3:\d+/);
    const cells = results(a).cells;
    expect(cells.map((c) => [c.scheme, c.schemeVersion, c.schemeOptions, c.verdict])).toEqual([
      ['refcount', undefined, {}, 'safe'],
      ['counted', '1.2.3', {}, 'safe'],
      ['counted', '1.2.3', { mode: 'skip' }, 'violates'],
    ]);
    expect(cells[0]).not.toHaveProperty('schemeVersion'); // a built-in scheme's cell is as before
    expect(JSON.parse(cells[2]!.raw.cellId)).toMatchObject({ scheme: 'counted', schemeVersion: '1.2.3', schemeOptions: { mode: 'skip' } });
    const i3 = cells[2]!.firstFailures.find((f) => f.key === 'I3')!;
    expect(i3.shrunkSteps).toBeGreaterThan(0);
    const art = JSON.parse(readFileSync(join(a, i3.artifact), 'utf8'));
    expect(art.cell).toMatchObject({ scheme: 'counted', schemeVersion: '1.2.3' });
    expect(existsSync(join(a, i3.artifact.replace(/\.json$/, '.shrunk.json')))).toBe(true);
    expect(readFileSync(join(a, 'report.md'), 'utf8')).toContain('\nScheme plugins: `counted` 1.2.3.\n');
    // report.html replays the plugin scheme's shrunk findings for its swimlanes
    const html = readFileSync(join(a, 'report.html'), 'utf8');
    expect(html).toContain('id="swimlane-2-I3"');
    expect(html).not.toContain('could not be replayed');
    const b = join(out, 'b');
    expect(lazytlb([...SWEEP, '--plugin', COUNTED, '--scheme', 'refcount,counted,counted:mode=skip', '--runs', '200', '--threads', '1', '--out', b]).code).toBe(
      1,
    );
    expect(stable(b)).toEqual(stable(a));
  });

  it('replays and shrinks its artifacts with --plugin (another version that behaves the same too); without it, or with one that behaves differently, exits 2', () => {
    const shrunk = join(a, 'failures/2-I3.shrunk.json');
    const r = lazytlb(['replay', shrunk, '--plugin', COUNTED]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^lazytlb: I3 lazy-pointer-live violated at step \d+/);
    expect(r.stdout).toContain(
      '  scheme:    counted:mode=skip (scheme plugin counted@1.2.3) (MMU_LAZY_TLB_REFCOUNT=y, MMU_LAZY_TLB_SHOOTDOWN=n, MMU_LAZY_TLB_COUNTED=y)\n' +
        '             reconstructed: no code was found; modelled from a summary (a test fixture of apps/sweep)\n',
    );
    expect(r.stdout).toContain('replay:    reproduced exactly');
    const json = lazytlb(['replay', shrunk, '--plugin', COUNTED, '--format', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ reproduced: true, cell: { scheme: 'counted', schemeVersion: '1.2.3' } });

    const missing = lazytlb(['replay', shrunk]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      `lazytlb: cannot replay ${shrunk}: it was recorded with scheme plugin counted@1.2.3, which is not loaded: pass its module with --plugin PATH (or install @lazytlb/scheme-counted)\n`,
    );
    // The behaviour fingerprint, not the version, says whether the replay is exact.
    expect(lazytlb(['replay', shrunk, '--plugin', countedVersion('2.0.0')]).code).toBe(0);
    const changedFile = join(tmp(), 'counted-changed.mjs');
    writeFileSync(
      changedFile,
      `import counted from ${JSON.stringify(new URL(`file://${COUNTED}`).href)};\n` +
        "export default { ...counted, version: '2.1.0', setup: (o, env) => counted.setup({ ...o, mode: o.mode === 'grab' ? 'skip' : 'grab' }, env) };\n",
    );
    const other = lazytlb(['replay', shrunk, '--plugin', changedFile]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(
      /recorded with another model .*scheme counted@1\.2\.3 \(now 2\.1\.0\) behaves differently \(fingerprint [0-9a-f]{16}, now [0-9a-f]{16}\).*--allow-model-mismatch/,
    );

    const s = lazytlb(['shrink', join(a, 'failures/2-I3.json'), '--plugin', COUNTED, '--out', join(out, 'again.json')]);
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(/shrunk \d+ -> \d+ steps/);
    expect(lazytlb(['replay', join(out, 'again.json'), '--plugin', COUNTED]).code).toBe(0);
    const noPlugin = lazytlb(['shrink', join(a, 'failures/2-I3.json'), '--out', join(out, 'x.json')]);
    expect(noPlugin.code).toBe(2);
    expect(noPlugin.stderr).toMatch(
      /^lazytlb: cannot shrink .*: it was recorded with scheme plugin counted@1\.2\.3, which is not loaded: pass its module with --plugin PATH/,
    );
  });

  it('a matrix file with a plugin scheme and options', () => {
    const dir = tmp();
    const m = join(dir, 'm.yaml');
    writeFileSync(m, 'arch: reference\ncpus: 2\nruns: 60\nscheme:\n  - counted\n  - { name: counted, options: { mode: skip, mb: false } }\n');
    const r = lazytlb(['sweep', '--matrix', m, '--plugin', COUNTED, '--no-progress', '--threads', '1', '--no-shrink', '--out', join(dir, 'o')]);
    expect(r.code).toBe(1);
    expect(results(join(dir, 'o')).cells.map((c) => [c.scheme, c.schemeVersion, c.schemeOptions])).toEqual([
      ['counted', '1.2.3', {}],
      ['counted', '1.2.3', { mode: 'skip', mb: false }],
    ]);
    writeFileSync(m, 'arch: reference\nscheme:\n  - { name: counted, options: { mb: false } }\n');
    const bad = lazytlb(['sweep', '--matrix', m, '--plugin', COUNTED, '--no-progress']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      `lazytlb: ${m}:3:31: scheme[0].options: scheme counted: mb=false needs mode=skip (under mode=grab mmdrop_lazy_tlb is mmdrop(), always a full barrier)\n`,
    );
    const unknown = lazytlb(['sweep', '--matrix', m, '--no-progress']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      new RegExp(
        `^lazytlb: ${m.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3:13: scheme\\[0\\]\\.name: unknown scheme "counted": known schemes refcount, shootdown, none, hazptr, lazy-mm-scan, implicit-shootdown `,
      ),
    );
  });

  it('merge and resume refuse results of another version of the scheme plugin', () => {
    const dir = tmp();
    const args = [...SWEEP, '--scheme', 'counted', '--runs', '100', '--threads', '1', '--no-shrink'];
    expect(lazytlb([...args, '--plugin', COUNTED, '--shard', '1/2', '--out', join(dir, 's1')]).code).toBe(0);
    const v2 = countedVersion('1.2.4');
    expect(lazytlb([...args, '--plugin', v2, '--shard', '2/2', '--out', join(dir, 's2')]).code).toBe(0);
    expect(results(join(dir, 's2')).cells[0]!.schemeVersion).toBe('1.2.4');
    const m = lazytlb(['merge', join(dir, 's1'), join(dir, 's2'), '--out', join(dir, 'm'), '--plugin', COUNTED]);
    expect(m.code).toBe(2);
    expect(m.stderr).toContain(
      `cannot merge ${join(dir, 's2')} with ${join(dir, 's1')}: not the same sweep (the matrices expand to different cells: cell 0 ran scheme counted@1.2.4 vs counted@1.2.3`,
    );
    const resume = lazytlb([...args, '--plugin', v2, '--shard', '1/2', '--resume', join(dir, 's1')]);
    expect(resume.code).toBe(2);
    expect(resume.stderr).toMatch(
      /cannot resume: the previous sweep differs: the matrix expands to different cells: cell 0 ran scheme counted@1\.2\.3 vs counted@1\.2\.4/,
    );
  });
});

describe('bad scheme input', () => {
  it('a broken scheme file: the file and its failing fields, exit 2, nothing written', () => {
    const out = join(tmp(), 'o');
    const r = lazytlb([...SWEEP, '--plugin', BROKEN, '--scheme', 'refcount', '--runs', '10', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^lazytlb: invalid scheme plugin ${BROKEN.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\n`));
    for (const field of ['version', 'provenance', 'kconfig', 'claims.arch.0.checkedBy']) expect(r.stderr).toContain(`  - ${field}: `);
    expect(r.stderr).not.toMatch(/internal error|\bat .*\.js/);
    expect(existsSync(out)).toBe(false);
  });

  it('a scheme plugin whose setup() returns no valid hooks: reported against its cell (the missing hooks), the other cells run, exit 3, no stack', () => {
    const file = join(tmp(), 'nohooks.mjs');
    writeFileSync(
      file,
      `import { refcountScheme } from ${JSON.stringify(import.meta.resolve('@lazytlb/core'))};\n` +
        "export default { ...refcountScheme, name: 'nohooks', version: '1.0.0', coreVersions: '>=0.1.0 <1.0.0', setup() { return { reset() {} }; } };\n",
    );
    const out = join(tmp(), 'o');
    const r = lazytlb([...SWEEP, '--plugin', file, '--scheme', 'nohooks,refcount', '--runs', '10', '--out', out]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      'lazytlb: cell 0 (reference, nohooks, 2 CPUs): scheme plugin nohooks: setup() returned hooks without mmgrab_lazy_tlb, mmdrop_lazy_tlb, lazy_refs (each must be a function)\n',
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const [broken, healthy] = results(out).cells;
    expect(broken).toMatchObject({ scheme: 'nohooks', runs: 0, verdict: 'error' });
    expect(healthy).toMatchObject({ scheme: 'refcount', runs: 10, verdict: 'safe' });
  });

  it('a file that is neither an arch nor a scheme plugin', () => {
    const file = join(tmp(), 'neither.mjs');
    writeFileSync(file, 'export default { name: "half", version: "1.0.0" };\n');
    const r = lazytlb([...SWEEP, '--plugin', file, '--runs', '10']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`lazytlb: invalid arch plugin ${file}:\n`);
    expect(r.stderr).toContain(`--plugin ${file} is neither a valid arch plugin nor a scheme plugin`);
  });

  it('an unknown scheme: one line listing the known schemes and how to load one, exit 2', () => {
    const r = lazytlb([...SWEEP, '--scheme', 'rcu-lazy', '--runs', '10']);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^lazytlb: command line: --scheme rcu-lazy: unknown scheme "rcu-lazy": known schemes refcount, shootdown, none, hazptr, lazy-mm-scan, implicit-shootdown \(options: [^)]*\); load another with --plugin PATH .*install @lazytlb\/scheme-NAME/,
    );
    const withPlugin = lazytlb([...SWEEP, '--plugin', COUNTED, '--scheme', 'rcu-lazy', '--runs', '10']);
    expect(withPlugin.stderr).toMatch(/known schemes refcount, shootdown, none, hazptr, lazy-mm-scan, implicit-shootdown, counted /);
  });
});

describe('a scheme plugin that throws in a hook', () => {
  it('is a plugin error with its seed and artifact; the sweep completes every run of every cell', () => {
    const out = join(tmp(), 'o');
    const r = lazytlb([...SWEEP, '--plugin', THROWING, '--scheme', 'throwing,refcount', '--runs', '300', '--threads', '2', '--out', out]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/reference\s+throwing\s+2\s+default\s+pct:3\s+300\s+ERROR\s+plugin-errors:\d+/);
    const [thrower, refcount] = results(out).cells;
    expect(thrower).toMatchObject({ scheme: 'throwing', schemeVersion: '0.0.1', runs: 300, verdict: 'error' });
    expect(thrower!.pluginErrors).toBeGreaterThan(0);
    expect(thrower!.pluginErrors).toBeLessThan(300);
    const f = thrower!.firstFailures.find((x) => x.key === 'plugin-error')!;
    expect(f.class).toBe('error');
    expect(f.seed).toMatch(/^[0-9a-f]{32}$/);
    expect(f.message).toBe('mmdrop_lazy_tlb (scheme throwing): throwing: injected failure');
    const art = JSON.parse(readFileSync(join(out, f.artifact), 'utf8'));
    expect(art.outcome).toMatchObject({ kind: 'plugin-error', hook: 'mmdrop_lazy_tlb (scheme throwing)' });
    expect(art.cell).toMatchObject({ scheme: 'throwing', schemeVersion: '0.0.1' });
    expect(refcount).toMatchObject({ scheme: 'refcount', runs: 300, verdict: 'safe' });
  });
});

describe('lazytlb schemes', () => {
  it('lists the bundled schemes, and --plugin ones, with options, provenance, Kconfig and claims', () => {
    const r = lazytlb(['schemes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^refcount \S+ {2}— bundled \(@lazytlb\/core\)\n/);
    expect(r.stdout).toContain('    mask: "cpumask" | "online" = "cpumask"\n');
    const p = lazytlb(['schemes', '--plugin', COUNTED]);
    expect(p.code).toBe(0);
    expect(p.stdout).toContain(`counted 1.2.3  — --plugin ${COUNTED}\n`);
    expect(p.stdout).toContain('  provenance: reconstructed (no code was found; modelled from a summary); follows a test fixture of apps/sweep\n');
    expect(p.stdout).toContain('  Kconfig: MMU_LAZY_TLB_REFCOUNT=y MMU_LAZY_TLB_SHOOTDOWN=n MMU_LAZY_TLB_COUNTED=y\n');
    expect(p.stdout).toContain('    mode: "grab" | "skip" = "grab"\n      grab: mmgrab per lazy user (refcount); skip: hold nothing\n');
    expect(p.stdout).toContain('    mmgrab-atomic: NOT provided: mode=skip takes no atomic\n');
    const j = lazytlb(['schemes', '--plugin', COUNTED, '--json']);
    const list = JSON.parse(j.stdout) as { name: string; claims: { danglingPremise: boolean; arch: { checkedBy: string }[] } }[];
    expect(list.map((s) => s.name)).toEqual(['refcount', 'shootdown', 'none', 'hazptr', 'lazy-mm-scan', 'implicit-shootdown', 'counted']);
    expect(list.find((s) => s.name === 'none')!.claims.danglingPremise).toBe(true);
    expect(list.find((s) => s.name === 'counted')!.claims.arch[0]!.checkedBy).toBe('I3');
    const bad = lazytlb(['schemes', '--plugin', BROKEN]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^lazytlb: invalid scheme plugin /);
    // arches skips scheme plugins given with --plugin
    const arches = lazytlb(['arches', '--plugin', COUNTED]);
    expect(arches.code).toBe(0);
    expect(arches.stdout).not.toContain('counted');
  });
});
