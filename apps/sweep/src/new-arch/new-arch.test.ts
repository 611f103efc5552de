/**
 * `lazytlb new-arch`: the generated package (inside a lazytlb monorepo and outside one), the
 * name check and the refusal to overwrite, in-process and through the compiled CLI.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../cli/exit-codes.js';
import { ARCH_NAME_RE, findMonorepoRoot, formatNewArch, lazytlbVersions, newArch, SCOPE_RE, validateScope } from './new-arch.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

function lazytlb(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A directory laid out like the lazytlb monorepo (what findMonorepoRoot looks for). */
function fakeMonorepo(): string {
  const d = mkdtempSync(join(tmpdir(), 'lazytlb-new-arch-'));
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

/** The real monorepo's version of a package (packages/NAME/package.json). */
function repoVersion(name: string): string {
  return (JSON.parse(readFileSync(fileURLToPath(new URL(`../../../../packages/${name}/package.json`, import.meta.url)), 'utf8')) as { version: string })
    .version;
}

const GENERATED = [
  'LICENSE',
  'README.md',
  'package.json',
  'scripts/truth-table.mjs',
  'src/conformance.test.ts',
  'src/index.ts',
  'src/scenarios.test.ts',
  'tsconfig.build.json',
  'tsconfig.json',
  'vitest.config.ts',
];

describe('newArch', () => {
  it('generates a workspace package inside the monorepo, like the bundled plugins', () => {
    const repo = fakeMonorepo();
    const r = newArch({ name: 'my-arch2', cwd: repo });
    expect(r.dir).toBe(join(repo, 'plugins/my-arch2'));
    expect(r.workspace).toBe(true);
    expect(r.files).toEqual(GENERATED);
    const pkg = JSON.parse(readFileSync(join(r.dir, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('@lazytlb/arch-my-arch2');
    expect(pkg.type).toBe('module');
    expect(pkg.peerDependencies).toEqual({ '@lazytlb/core': 'workspace:>=0.1.0 <1.0.0', '@lazytlb/explore': 'workspace:>=0.1.0 <1.0.0' });
    expect(pkg.peerDependenciesMeta).toEqual({ '@lazytlb/explore': { optional: true } });
    expect(pkg.devDependencies['@lazytlb/core']).toBe('workspace:^');
    expect(pkg.devDependencies['@lazytlb/testkit']).toBe('workspace:^');
    expect(pkg.repository.directory).toBe('plugins/my-arch2');
    expect(pkg.exports['.'].import).toBe('./dist/index.js');
    // the bundled plugins' package fields, scripts and dependencies
    const x86 = JSON.parse(readFileSync(fileURLToPath(new URL('../../../../plugins/x86-native/package.json', import.meta.url)), 'utf8'));
    expect(Object.keys(pkg.scripts).sort()).toEqual(Object.keys(x86.scripts).sort());
    expect(Object.keys(pkg.dependencies)).toEqual(Object.keys(x86.dependencies));
    expect(Object.keys(pkg.devDependencies).sort()).toEqual(Object.keys(x86.devDependencies).sort());
    expect(pkg.peerDependencies).toEqual(x86.peerDependencies);
    expect(readFileSync(join(r.dir, 'scripts/truth-table.mjs'), 'utf8')).toContain("import { runCell } from '@lazytlb/explore';");
    expect(JSON.parse(readFileSync(join(r.dir, 'tsconfig.json'), 'utf8')).extends).toBe('../../tsconfig.base.json');
    expect(JSON.parse(readFileSync(join(r.dir, 'tsconfig.build.json'), 'utf8')).exclude).toEqual(['src/**/*.test.ts', 'src/test-support/**']);
    const index = readFileSync(join(r.dir, 'src/index.ts'), 'utf8');
    expect(index).toContain("name: 'my-arch2'");
    expect(index).toContain('export const MY_ARCH2_IPI_FLUSH = IPI_ARCH_BASE;');
    expect(index).toContain('export function createMyArch2Hooks(');
    expect(index).toContain('export default myArch2Plugin;');
    expect(index).not.toMatch(/TODO|FIXME/);
    expect(readFileSync(join(r.dir, 'src/conformance.test.ts'), 'utf8')).toContain('describeArchConformance(plugin');
    expect(readFileSync(join(r.dir, 'README.md'), 'utf8')).toMatch(/^# @lazytlb\/arch-my-arch2\n/);
    for (const f of r.files) expect(readFileSync(join(r.dir, f), 'utf8'), f).not.toMatch(/__[A-Z_]+__/);
  });

  it('outside the monorepo: registry ranges and its own tsconfig.base.json', () => {
    const d = mkdtempSync(join(tmpdir(), 'lazytlb-new-arch-'));
    const r = newArch({ name: 'riscv', cwd: d, dir: 'out' });
    expect(r.dir).toBe(join(d, 'out/riscv'));
    expect(r.workspace).toBe(false);
    expect(r.files).toContain('tsconfig.base.json');
    expect(r.files).not.toContain('LICENSE');
    const pkg = JSON.parse(readFileSync(join(r.dir, 'package.json'), 'utf8'));
    expect(pkg.peerDependencies['@lazytlb/core']).toBe('>=0.1.0 <1.0.0');
    expect(pkg.devDependencies['@lazytlb/core']).toMatch(/^\^\d+\.\d+\.0$/);
    expect(JSON.parse(readFileSync(join(r.dir, 'tsconfig.json'), 'utf8')).extends).toBe('./tsconfig.base.json');
  });

  it('--scope: an out-of-tree @SCOPE/lazytlb-arch-NAME, even inside the monorepo: no lazytlb repository URL, registry ranges of the current versions', () => {
    const repo = fakeMonorepo();
    const r = newArch({ name: 'my-arch', cwd: repo, scope: '@my-org.dev' });
    expect(r.dir).toBe(join(repo, 'plugins/my-arch'));
    expect(r.packageName).toBe('@my-org.dev/lazytlb-arch-my-arch');
    expect(r.workspace).toBe(false);
    // its own tsconfig.base.json, not lazytlb's LICENSE
    expect(r.files).toEqual([...GENERATED.filter((f) => f !== 'LICENSE'), 'tsconfig.base.json'].sort());
    expect(treeFiles(r.dir)).toEqual(r.files);
    const pkg = JSON.parse(readFileSync(join(r.dir, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('@my-org.dev/lazytlb-arch-my-arch');
    expect(pkg).not.toHaveProperty('repository');
    expect(pkg).not.toHaveProperty('homepage');
    expect(pkg).not.toHaveProperty('bugs');
    // the published @lazytlb packages at their current versions, never workspace: ranges
    expect(lazytlbVersions()).toEqual({ core: repoVersion('core'), explore: repoVersion('explore'), testkit: repoVersion('testkit') });
    expect(pkg.devDependencies).toMatchObject({
      '@lazytlb/core': `^${repoVersion('core')}`,
      '@lazytlb/explore': `^${repoVersion('explore')}`,
      '@lazytlb/testkit': `^${repoVersion('testkit')}`,
    });
    expect(pkg.peerDependencies).toEqual({ '@lazytlb/core': '>=0.1.0 <1.0.0', '@lazytlb/explore': '>=0.1.0 <1.0.0' });
    expect(JSON.parse(readFileSync(join(r.dir, 'tsconfig.json'), 'utf8')).extends).toBe('./tsconfig.base.json');
    // the template's formatting kept (2 spaces, final newline), only the three fields gone
    const text = readFileSync(join(r.dir, 'package.json'), 'utf8');
    expect(text).toBe(`${JSON.stringify(pkg, null, 2)}\n`);
    const all = r.files.map((f) => [f, readFileSync(join(r.dir, f), 'utf8')] as const);
    for (const [f, t] of all) {
      expect(t, f).not.toMatch(/github\.com\/lazytlb|lazytlb\/lazytlb|git\+https|workspace:/);
      expect(t, f).not.toMatch(/@lazytlb\/arch-my-arch/);
      expect(t, f).not.toMatch(/__[A-Z_]+__/);
    }
    expect(readFileSync(join(r.dir, 'README.md'), 'utf8')).toMatch(/^# @my-org\.dev\/lazytlb-arch-my-arch\n/);
    expect(readFileSync(join(r.dir, 'README.md'), 'utf8')).toContain("import myArch from '@my-org.dev/lazytlb-arch-my-arch';");
    expect(readFileSync(join(r.dir, 'src/index.ts'), 'utf8')).toMatch(/^\/\*\*\n \* @my-org\.dev\/lazytlb-arch-my-arch: the my-arch arch plugin/);
    expect(formatNewArch(r, 'my-arch', repo)).toMatch(/^lazytlb: created @my-org\.dev\/lazytlb-arch-my-arch in plugins\/my-arch:\n/);
    expect(formatNewArch(r, 'my-arch', repo)).toContain('cd plugins/my-arch && npm install');
    // without a scope, the package keeps the lazytlb repository's fields
    const plain = JSON.parse(readFileSync(join(newArch({ name: 'other', cwd: repo }).dir, 'package.json'), 'utf8'));
    expect(plain.repository.url).toBe('git+https://github.com/lazytlb/lazytlb.git');
    expect(plain.homepage).toBe('https://github.com/lazytlb/lazytlb/tree/main/plugins/other#readme');
  });

  it('--scope must be @ and an npm scope name', () => {
    for (const ok of ['@myorg', '@my-org', '@a', '@org.name', '@0rg', '@my_org', '@~x']) {
      expect(SCOPE_RE.test(ok), ok).toBe(true);
      expect(() => validateScope(ok, 'new-arch', 'arch'), ok).not.toThrow();
    }
    for (const bad of ['myorg', '@', '@MyOrg', '@my org', '@my/org', '@.org', '@_org', '@org/', '@@org', 'my@org', '', '@org!', `@${'a'.repeat(100)}`]) {
      expect(() => newArch({ name: 'x', cwd: tmpdir(), scope: bad }), bad).toThrow(UsageError);
    }
    expect(() => newArch({ name: 'x', cwd: tmpdir(), scope: 'myorg' })).toThrow(
      /^new-arch: invalid --scope "myorg": an npm scope is @ followed by lowercase letters, digits, '-', '\.', '_' or '~' \(not starting with '\.' or '_'\), e\.g\. @myorg; the package becomes @myorg\/lazytlb-arch-NAME$/,
    );
    expect(() => newArch({ name: 'x', cwd: tmpdir(), scope: '@lazytlb' })).toThrow(/--scope @lazytlb is lazytlb's own scope: leave --scope out/);
    // checked before anything is written
    const d = mkdtempSync(join(tmpdir(), 'lazytlb-new-arch-'));
    expect(() => newArch({ name: 'x', cwd: d, scope: 'Bad' })).toThrow(UsageError);
    expect(existsSync(join(d, 'plugins'))).toBe(false);
  });

  it('validates the name and refuses to overwrite without force', () => {
    for (const bad of ['ARM64', '64bit', 'arm_64', 'arm--64', 'arm64-', '', 'a b', '../x']) {
      expect(() => newArch({ name: bad, cwd: tmpdir() }), bad).toThrow(UsageError);
      expect(ARCH_NAME_RE.test(bad)).toBe(false);
    }
    expect(() => newArch({ name: 'Arm64' })).toThrow(/invalid arch name "Arm64": use lowercase letters, digits and single dashes, starting with a letter/);
    const repo = fakeMonorepo();
    newArch({ name: 'sparc', cwd: repo });
    writeFileSync(join(repo, 'plugins/sparc/src/extra.ts'), 'export {};\n');
    writeFileSync(join(repo, 'plugins/sparc/src/index.ts'), '// edited\n');
    expect(() => newArch({ name: 'sparc', cwd: repo })).toThrow(/plugins\/sparc already exists; pass --force to overwrite it/);
    expect(readFileSync(join(repo, 'plugins/sparc/src/index.ts'), 'utf8')).toBe('// edited\n');
    newArch({ name: 'sparc', cwd: repo, force: true });
    expect(readFileSync(join(repo, 'plugins/sparc/src/index.ts'), 'utf8')).toContain("name: 'sparc'");
    expect(existsSync(join(repo, 'plugins/sparc/src/extra.ts'))).toBe(true);
  });

  it('finds the real monorepo from apps/sweep', () => {
    expect(findMonorepoRoot(fileURLToPath(new URL('.', import.meta.url)))).toBe(fileURLToPath(new URL('../../../../', import.meta.url)).replace(/\/$/, ''));
  });
});

describe('lazytlb new-arch (CLI)', () => {
  it('generates, prints the files and next steps, exit 0', () => {
    const repo = fakeMonorepo();
    const r = lazytlb(['new-arch', 'mips64'], repo);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('created @lazytlb/arch-mips64 in plugins/mips64');
    expect(r.stdout).toContain('  src/index.ts');
    expect(r.stdout).toContain('pnpm@10.34.8 install');
    expect(existsSync(join(repo, 'plugins/mips64/src/conformance.test.ts'))).toBe(true);
  });

  it('a bad name or an existing directory: a one-line message, exit 2', () => {
    const repo = fakeMonorepo();
    const bad = lazytlb(['new-arch', 'Arm_64'], repo);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^lazytlb: new-arch: invalid arch name "Arm_64": use lowercase letters/);
    expect(bad.stderr).not.toMatch(/at .*\.js/);
    expect(lazytlb(['new-arch', 'alpha', '--dir', 'archs'], repo).code).toBe(0);
    const again = lazytlb(['new-arch', 'alpha', '--dir', 'archs'], repo);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/archs\/alpha already exists; pass --force to overwrite it/);
    expect(lazytlb(['new-arch', 'alpha', '--dir', 'archs', '--force'], repo).code).toBe(0);
    expect(lazytlb(['new-arch'], repo).code).toBe(2);
  });

  it('--scope @myorg: the out-of-tree package; a bad scope is one line, exit 2, nothing written', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'lazytlb-scope-'));
    const r = lazytlb(['new-arch', 'mips64', '--scope', '@myorg', '--dir', '.'], cwd);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain('created @myorg/lazytlb-arch-mips64 in mips64');
    const pkg = JSON.parse(readFileSync(join(cwd, 'mips64', 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.name).toBe('@myorg/lazytlb-arch-mips64');
    expect(pkg.repository).toBeUndefined();
    const s = lazytlb(['new-scheme', 'hp', '--scope', '@myorg', '--dir', '.'], cwd);
    expect([s.code, s.stderr]).toEqual([0, '']);
    expect(s.stdout).toContain('@myorg/lazytlb-scheme-hp');
    const bad = lazytlb(['new-arch', 'alpha', '--scope', 'myorg', '--dir', '.'], cwd);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^lazytlb: new-arch: invalid --scope "myorg": [^\n]*\n$/);
    expect(existsSync(join(cwd, 'alpha'))).toBe(false);
  });
});
