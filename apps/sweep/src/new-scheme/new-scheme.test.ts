/**
 * `lazytlb new-scheme`: the generated package (inside a lazytlb monorepo and outside one), the
 * name check and the refusal to overwrite, the CLI, and end to end: a generated package builds
 * with tsc, passes its own tests (and the testkit's scheme conformance suite), and sweeps with
 * `lazytlb sweep --plugin`. The end-to-end package lives in a temp directory whose
 * node_modules links the workspace's packages and tools (no install, no lockfile change).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../cli/exit-codes.js';
import { lazytlbVersions } from '../new-arch/new-arch.js';
import { formatNewScheme, newScheme, SCHEME_NAME_RE } from './new-scheme.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const APP = fileURLToPath(new URL('../../', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

function run(cmd: string, args: string[], cwd: string, timeout = 120_000) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd, timeout, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, output: `${r.stdout}\n${r.stderr}` };
}
const lazytlb = (args: string[], cwd: string) => run(process.execPath, [CLI, ...args], cwd);

/** A directory laid out like the lazytlb monorepo (what findMonorepoRoot looks for). */
function fakeMonorepo(): string {
  const d = mkdtempSync(join(tmpdir(), 'lazytlb-new-scheme-'));
  writeFileSync(join(d, 'pnpm-workspace.yaml'), 'packages:\n  - "packages/*"\n  - "plugins/*"\n');
  mkdirSync(join(d, 'packages/core'), { recursive: true });
  writeFileSync(join(d, 'packages/core/package.json'), JSON.stringify({ name: '@lazytlb/core', version: '0.1.0' }));
  writeFileSync(join(d, 'tsconfig.base.json'), '{}\n');
  writeFileSync(join(d, 'LICENSE'), 'MIT License\n');
  return d;
}

/** Every file under `dir`, relative, sorted. */
function treeFiles(dir: string, sub = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, sub))) {
    const rel = sub === '' ? e : `${sub}/${e}`;
    if (statSync(join(dir, rel)).isDirectory()) out.push(...treeFiles(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

const GENERATED = [
  'LICENSE',
  'README.md',
  'package.json',
  'src/conformance.test.ts',
  'src/index.ts',
  'src/scheme.test.ts',
  'tsconfig.build.json',
  'tsconfig.json',
  'vitest.config.ts',
];

describe('newScheme', () => {
  it('generates a workspace package plugins/scheme-NAME inside the monorepo, like the arch template', () => {
    const repo = fakeMonorepo();
    const r = newScheme({ name: 'my-scheme2', cwd: repo });
    expect(r.dir).toBe(join(repo, 'plugins/scheme-my-scheme2'));
    expect(r.workspace).toBe(true);
    expect(r.files).toEqual(GENERATED);
    const pkg = JSON.parse(readFileSync(join(r.dir, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('@lazytlb/scheme-my-scheme2');
    expect(pkg.type).toBe('module');
    expect(pkg.peerDependencies).toEqual({ '@lazytlb/core': 'workspace:>=0.1.0 <1.0.0' });
    expect(pkg.devDependencies['@lazytlb/testkit']).toBe('workspace:^');
    expect(pkg.repository.directory).toBe('plugins/scheme-my-scheme2');
    expect(pkg.exports['.'].import).toBe('./dist/index.js');
    expect(JSON.parse(readFileSync(join(r.dir, 'tsconfig.json'), 'utf8')).extends).toBe('../../tsconfig.base.json');
    const index = readFileSync(join(r.dir, 'src/index.ts'), 'utf8');
    expect(index).toContain("kind: 'scheme',");
    expect(index).toContain("name: 'my-scheme2',");
    expect(index).toContain('export function createMyScheme2Hooks(');
    expect(index).toContain('export default myScheme2Scheme;');
    expect(index).toContain("k.schemeMmgrab(cpu, mm, 'mmgrab_lazy_tlb');");
    expect(index).toContain("k.schemeMmdrop(cpu, mm, 'mmdrop_lazy_tlb');");
    expect(index).toContain('return k.lazyHolders(mm);');
    expect(index).not.toMatch(/TODO|FIXME/);
    expect(readFileSync(join(r.dir, 'src/conformance.test.ts'), 'utf8')).toMatch(/^describeSchemeConformance\(plugin\);$/m);
    const readme = readFileSync(join(r.dir, 'README.md'), 'utf8');
    expect(readme).toMatch(/^# @lazytlb\/scheme-my-scheme2\n/);
    for (const hook of [
      'reset',
      'mmgrab_lazy_tlb',
      'mmdrop_lazy_tlb',
      'lazy_refs',
      'mmput',
      'cleanup_lazy_tlbs',
      'shoot_lazy_tlb',
      'lazy_kick',
      'context_switch_to_user',
      'finish_task_switch',
      'resume',
      'describe_cpu',
    ]) {
      expect(readme, hook).toMatch(new RegExp(`^\\| \`${hook}[(?]`, 'm'));
    }
    for (const f of r.files) expect(readFileSync(join(r.dir, f), 'utf8'), f).not.toMatch(/__[A-Z_]+__/);
  });

  it('outside the monorepo: registry ranges and its own tsconfig.base.json; --dir', () => {
    const d = mkdtempSync(join(tmpdir(), 'lazytlb-new-scheme-'));
    const r = newScheme({ name: 'rcu-lazy', cwd: d, dir: 'out' });
    expect(r.dir).toBe(join(d, 'out/scheme-rcu-lazy'));
    expect(r.workspace).toBe(false);
    expect(r.files).toContain('tsconfig.base.json');
    expect(r.files).not.toContain('LICENSE');
    const pkg = JSON.parse(readFileSync(join(r.dir, 'package.json'), 'utf8'));
    expect(pkg.peerDependencies['@lazytlb/core']).toBe('>=0.1.0 <1.0.0');
    expect(pkg.devDependencies['@lazytlb/core']).toMatch(/^\^\d+\.\d+\.0$/);
  });

  it('--scope: an out-of-tree @SCOPE/lazytlb-scheme-NAME: no lazytlb repository URL, registry ranges of the current versions, loaded with --plugin', () => {
    const repo = fakeMonorepo();
    const r = newScheme({ name: 'rcu-lazy', cwd: repo, scope: '@myorg' });
    expect(r.dir).toBe(join(repo, 'plugins/scheme-rcu-lazy'));
    expect(r.packageName).toBe('@myorg/lazytlb-scheme-rcu-lazy');
    expect(r.workspace).toBe(false);
    expect(r.files).toEqual([...GENERATED.filter((f) => f !== 'LICENSE'), 'tsconfig.base.json'].sort());
    expect(treeFiles(r.dir)).toEqual(r.files);
    const pkg = JSON.parse(readFileSync(join(r.dir, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('@myorg/lazytlb-scheme-rcu-lazy');
    for (const k of ['repository', 'homepage', 'bugs']) expect(pkg, k).not.toHaveProperty(k);
    const v = lazytlbVersions();
    expect(pkg.devDependencies).toMatchObject({ '@lazytlb/core': `^${v.core}`, '@lazytlb/testkit': `^${v.testkit}` });
    expect(pkg.peerDependencies).toEqual({ '@lazytlb/core': '>=0.1.0 <1.0.0' });
    for (const f of r.files) {
      const t = readFileSync(join(r.dir, f), 'utf8');
      expect(t, f).not.toMatch(/github\.com\/lazytlb|lazytlb\/lazytlb|git\+https|workspace:/);
      expect(t, f).not.toMatch(/@lazytlb\/scheme-rcu-lazy/);
      expect(t, f).not.toMatch(/__[A-Z_]+__/);
    }
    const readme = readFileSync(join(r.dir, 'README.md'), 'utf8');
    expect(readme).toMatch(/^# @myorg\/lazytlb-scheme-rcu-lazy\n/);
    expect(readme).toContain('load it with\n`--plugin node_modules/@myorg/lazytlb-scheme-rcu-lazy/dist/index.js`');
    expect(readFileSync(join(r.dir, 'src/scheme.test.ts'), 'utf8')).toContain("validateSchemePlugin(plugin, '@myorg/lazytlb-scheme-rcu-lazy')");
    expect(formatNewScheme(r, 'rcu-lazy', repo)).toMatch(/^lazytlb: created @myorg\/lazytlb-scheme-rcu-lazy in plugins\/scheme-rcu-lazy:\n/);
    // without a scope: found by name when installed next to the CLI
    const plain = newScheme({ name: 'rcu-lazy2', cwd: repo });
    expect(plain.packageName).toBe('@lazytlb/scheme-rcu-lazy2');
    expect(readFileSync(join(plain.dir, 'README.md'), 'utf8')).toContain(
      'Installed as `@lazytlb/scheme-rcu-lazy2` next to the CLI, `--scheme rcu-lazy2` finds it without\n`--plugin`.',
    );
    // a bad scope: a usage error naming new-scheme, nothing written
    expect(() => newScheme({ name: 'other', cwd: repo, scope: 'myorg' })).toThrow(
      /^new-scheme: invalid --scope "myorg": .* the package becomes @myorg\/lazytlb-scheme-NAME$/,
    );
    expect(() => newScheme({ name: 'other', cwd: repo, scope: '@My Org' })).toThrow(UsageError);
    expect(existsSync(join(repo, 'plugins/scheme-other'))).toBe(false);
  });

  it('validates the name (bundled scheme names too) and refuses to overwrite without force', () => {
    for (const bad of ['Hazptr', '2hp', 'haz_ptr', 'haz--ptr', 'hazptr-', '', 'a b', '../x']) {
      expect(() => newScheme({ name: bad, cwd: tmpdir() }), bad).toThrow(UsageError);
      expect(SCHEME_NAME_RE.test(bad)).toBe(false);
    }
    expect(() => newScheme({ name: 'Hazptr' })).toThrow(/invalid scheme name "Hazptr": use lowercase letters, digits and single dashes/);
    expect(() => newScheme({ name: 'refcount', cwd: tmpdir() })).toThrow(/"refcount" is a bundled scheme's name \(refcount, shootdown, none/);
    // the scheme packages the CLI bundles too
    expect(() => newScheme({ name: 'hazptr', cwd: tmpdir() })).toThrow(
      /"hazptr" is a bundled scheme's name \(refcount, shootdown, none, hazptr, lazy-mm-scan, implicit-shootdown\)/,
    );
    const repo = fakeMonorepo();
    newScheme({ name: 'scan', cwd: repo });
    writeFileSync(join(repo, 'plugins/scheme-scan/src/index.ts'), '// edited\n');
    expect(() => newScheme({ name: 'scan', cwd: repo })).toThrow(/plugins\/scheme-scan already exists; pass --force to overwrite it/);
    expect(readFileSync(join(repo, 'plugins/scheme-scan/src/index.ts'), 'utf8')).toBe('// edited\n');
    newScheme({ name: 'scan', cwd: repo, force: true });
    expect(readFileSync(join(repo, 'plugins/scheme-scan/src/index.ts'), 'utf8')).toContain("name: 'scan'");
  });
});

describe('lazytlb new-scheme (CLI)', () => {
  it('generates, prints the files and next steps, exit 0; a bad name or an existing directory exits 2', () => {
    const repo = fakeMonorepo();
    const r = lazytlb(['new-scheme', 'rcu-lazy'], repo);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('created @lazytlb/scheme-rcu-lazy in plugins/scheme-rcu-lazy');
    expect(r.stdout).toContain('  src/index.ts');
    expect(r.stdout).toContain('lazytlb sweep --plugin plugins/scheme-rcu-lazy/dist/index.js --scheme rcu-lazy');
    const again = lazytlb(['new-scheme', 'rcu-lazy'], repo);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/plugins\/scheme-rcu-lazy already exists; pass --force to overwrite it/);
    const bad = lazytlb(['new-scheme', 'Haz_Ptr'], repo);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^lazytlb: new-scheme: invalid scheme name "Haz_Ptr"/);
    expect(lazytlb(['new-scheme'], repo).code).toBe(2);
  });
});

describe('a generated scheme package, end to end', () => {
  const base = mkdtempSync(join(tmpdir(), 'lazytlb-new-scheme-e2e-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  const pkg = join(base, 'scheme-e2e-lazy');
  const tool = (name: string): string => realpathSync(join(APP, 'node_modules', name));

  it('builds with tsc, passes its own tests and sweeps with lazytlb sweep --plugin', () => {
    const r = newScheme({ name: 'e2e-lazy', cwd: base, dir: '.' });
    expect(r.dir).toBe(pkg);
    // node_modules: the workspace's packages and tools, linked (what `npm install` would give)
    const links: Record<string, string> = {
      '@lazytlb/core': join(ROOT, 'packages/core'),
      '@lazytlb/testkit': join(ROOT, 'packages/testkit'),
      zod: tool('zod'),
      typescript: tool('typescript'),
      vitest: tool('vitest'),
      '@types/node': tool('@types/node'),
    };
    for (const [name, target] of Object.entries(links)) {
      const at = join(pkg, 'node_modules', name);
      mkdirSync(dirname(at), { recursive: true });
      symlinkSync(target, at, 'dir');
    }
    const tsc = join(tool('typescript'), 'bin/tsc');
    const build = run(process.execPath, [tsc, '-p', 'tsconfig.build.json'], pkg);
    expect(build.output, 'tsc build').not.toMatch(/error TS/);
    expect(build.code).toBe(0);
    expect(existsSync(join(pkg, 'dist/index.js'))).toBe(true);
    expect(existsSync(join(pkg, 'dist/index.d.ts'))).toBe(true);

    const vitest = join(tool('vitest'), 'vitest.mjs');
    const own = run(process.execPath, [vitest, 'run', 'src/scheme.test.ts'], pkg, 300_000);
    expect(own.output, "the scheme's own tests").toMatch(/Tests\s+4 passed/);
    expect(own.code).toBe(0);

    const list = lazytlb(['schemes', '--plugin', join(pkg, 'dist/index.js')], base);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`e2e-lazy 0.1.0  — --plugin ${join(pkg, 'dist/index.js')}`);

    const out = join(base, 'out');
    const sweep = lazytlb(
      [
        'sweep',
        '--plugin',
        join(pkg, 'dist/index.js'),
        '--arch',
        'reference',
        '--scheme',
        'e2e-lazy',
        '--cpus',
        '2,4',
        '--runs',
        '300',
        '--threads',
        '2',
        '--no-progress',
        '--out',
        out,
      ],
      base,
    );
    expect(sweep.stderr).not.toMatch(/error/i);
    expect(sweep.code).toBe(0);
    const cells = (
      JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as {
        cells: { scheme: string; schemeVersion?: string; cpus: number; runs: number; verdict: string }[];
      }
    ).cells;
    expect(cells.map((c) => [c.scheme, c.schemeVersion, c.cpus, c.runs, c.verdict])).toEqual([
      ['e2e-lazy', '0.1.0', 2, 300, 'safe'],
      ['e2e-lazy', '0.1.0', 4, 300, 'safe'],
    ]);
  }, 600_000);

  // The generated src/conformance.test.ts runs the testkit's scheme conformance suite (describeSchemeConformance).
  it("passes the testkit's scheme conformance suite (and typechecks with it)", () => {
    const tsc = join(tool('typescript'), 'bin/tsc');
    const types = run(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit'], pkg);
    expect(types.output, 'tsc --noEmit').not.toMatch(/error TS/);
    const vitest = join(tool('vitest'), 'vitest.mjs');
    const all = run(process.execPath, [vitest, 'run'], pkg, 600_000);
    expect(all.output, 'vitest run').toMatch(/Test Files\s+2 passed/);
    expect(all.code).toBe(0);
  }, 600_000);
});
