/**
 * `lazytlb new-arch NAME`: generate an arch plugin package from the template in
 * templates/arch-plugin (shipped with the CLI). Every `*.tmpl` file is copied with its
 * placeholders substituted: __NAME__ (the arch name), __IDENT__/__PASCAL__/__UPPER__ (it as an
 * identifier), __PKG__ (the package name), __DIR__ (the package directory relative to the
 * repository), __CORE_PEER__, __CORE_DEV__, __TESTKIT_DEV__ (workspace: ranges inside the
 * lazytlb monorepo, registry ranges of the current @lazytlb/* versions outside it),
 * __TSCONFIG_BASE__ and __LAZYTLB_URL__.
 *
 * `--scope @myorg` makes an out-of-tree plugin: `@myorg/lazytlb-arch-NAME`, registry ranges
 * even inside the monorepo (its own tsconfig.base.json, not lazytlb's LICENSE), and no
 * repository, homepage or bugs URL of the lazytlb repository anywhere in it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORE_VERSION } from '@lazytlb/core';
import { EXPLORE_VERSION } from '@lazytlb/explore';
import { UsageError } from '../errors/usage-error.js';

/** What validateArchPlugin accepts as a name: lowercase letters, digits and dashes, starting with a letter. */
export const ARCH_NAME_RE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** The template directory: <package>/templates/arch-plugin (from src/new-arch or dist/new-arch). */
export const TEMPLATE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../templates/arch-plugin');

export interface NewArchOptions {
  readonly name: string;
  /** Parent directory of the package (default `plugins`), relative to `cwd`. */
  readonly dir?: string;
  /** Write into an existing package directory, overwriting the generated files (others are left alone). */
  readonly force?: boolean;
  readonly cwd?: string;
  readonly templateDir?: string;
  /** An npm scope (`@myorg`) for an out-of-tree plugin: the package is `@myorg/lazytlb-arch-NAME` (see the module comment). */
  readonly scope?: string;
}

export interface NewArchResult {
  /** The package directory (absolute). */
  readonly dir: string;
  /** The package name: `@lazytlb/arch-NAME`, or `@myorg/lazytlb-arch-NAME` with a scope. */
  readonly packageName: string;
  /** Files written, relative to `dir`, sorted. */
  readonly files: readonly string[];
  /** Whether the package was set up for the lazytlb monorepo (workspace: ranges). */
  readonly workspace: boolean;
}

/** Check an arch name; throws a UsageError (exit 2) that says what is allowed. */
export function validateArchName(name: string): void {
  if (!ARCH_NAME_RE.test(name)) {
    throw new UsageError(
      `new-arch: invalid arch name ${JSON.stringify(name)}: use lowercase letters, digits and single dashes, starting with a letter ` +
        '(e.g. arm64, riscv, loongarch); it becomes --arch NAME and the package @lazytlb/arch-NAME',
    );
  }
}

/** What --scope accepts: `@` and an npm scope name (lowercase letters, digits, `-`, `.`, `_`, `~`; not starting with `.` or `_`). */
export const SCOPE_RE = /^@[a-z0-9~-][a-z0-9._~-]*$/;

/** The lazytlb repository's URLs: what an in-tree package points to, and a scoped one never does. */
export const LAZYTLB_REPO_URL = 'https://github.com/lazytlb/lazytlb';
/** Where a scoped (out-of-tree) package's README links lazytlb: the CLI's npm page. */
export const LAZYTLB_NPM_URL = 'https://www.npmjs.com/package/@lazytlb/sweep';

/** Check a --scope; throws a UsageError (exit 2) that says what is allowed. `command`: new-arch or new-scheme. */
export function validateScope(scope: string, command: string, kind: 'arch' | 'scheme'): void {
  const example = `@myorg/lazytlb-${kind}-NAME`;
  if (!SCOPE_RE.test(scope) || scope.length > 100) {
    throw new UsageError(
      `${command}: invalid --scope ${JSON.stringify(scope)}: an npm scope is @ followed by lowercase letters, digits, '-', '.', '_' or '~' ` +
        `(not starting with '.' or '_'), e.g. @myorg; the package becomes ${example}`,
    );
  }
  if (scope === '@lazytlb') {
    throw new UsageError(
      `${command}: --scope @lazytlb is lazytlb's own scope: leave --scope out for an @lazytlb/${kind}-NAME package of the lazytlb repository`,
    );
  }
}

/** The generated package's name: `@lazytlb/KIND-NAME`, or `SCOPE/lazytlb-KIND-NAME` with a scope. */
export function pluginPackageName(kind: 'arch' | 'scheme', name: string, scope?: string): string {
  return scope === undefined ? `@lazytlb/${kind}-${name}` : `${scope}/lazytlb-${kind}-${name}`;
}

/**
 * The current versions of the @lazytlb packages a generated plugin depends on outside the
 * monorepo (registry ranges `^VERSION`): core and explore as this CLI has them; testkit from
 * the monorepo this CLI runs in or an installed copy, else core's (they are released together).
 */
export function lazytlbVersions(): { core: string; explore: string; testkit: string } {
  let testkit: string | undefined;
  const repo = findMonorepoRoot(dirname(fileURLToPath(import.meta.url)));
  const candidates: (() => string)[] = [];
  if (repo !== null) candidates.push(() => join(repo, 'packages/testkit/package.json'));
  candidates.push(() => createRequire(import.meta.url).resolve('@lazytlb/testkit/package.json'));
  for (const at of candidates) {
    try {
      const pkg = JSON.parse(readFileSync(at(), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@lazytlb/testkit' && typeof pkg.version === 'string') {
        testkit = pkg.version;
        break;
      }
    } catch {
      /* not there */
    }
  }
  return { core: CORE_VERSION, explore: EXPLORE_VERSION, testkit: testkit ?? CORE_VERSION };
}

/** The lazytlb monorepo root above `dir` (a pnpm-workspace.yaml next to packages/core of @lazytlb/core), or null. */
export function findMonorepoRoot(dir: string): string | null {
  let d = resolve(dir);
  for (;;) {
    const core = join(d, 'packages/core/package.json');
    if (existsSync(join(d, 'pnpm-workspace.yaml')) && existsSync(core)) {
      try {
        if ((JSON.parse(readFileSync(core, 'utf8')) as { name?: string }).name === '@lazytlb/core') return d;
      } catch {
        /* not ours */
      }
    }
    const up = dirname(d);
    if (up === d) return null;
    d = up;
  }
}

function listTemplates(root: string, sub = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, sub))) {
    const rel = sub === '' ? e : `${sub}/${e}`;
    if (statSync(join(root, rel)).isDirectory()) out.push(...listTemplates(root, rel));
    else if (rel.endsWith('.tmpl')) out.push(rel);
  }
  return out.sort();
}

function identParts(name: string): string[] {
  return name.split('-');
}

/**
 * Copy every `*.tmpl` file of `templateDir` into `dir` with its __PLACEHOLDERS__ substituted
 * from `vars` (an unknown placeholder is an error); inside the monorepo (`repo`) the package
 * extends the root tsconfig.base.json instead of getting its own copy, and gets the root
 * LICENSE. Returns the files written, relative to `dir`, sorted. Shared by new-arch and new-scheme.
 */
export function writeTemplate(templateDir: string, dir: string, vars: Readonly<Record<string, string>>, repo: string | null): string[] {
  const substitute = (text: string, file: string): string =>
    text.replace(/__([A-Z]+(?:_[A-Z]+)*)__/g, (m, key: string) => {
      const v = vars[key];
      if (v === undefined) throw new Error(`template ${file}: unknown placeholder ${m}`);
      return v;
    });
  const files: string[] = [];
  const out = new Map<string, string>();
  for (const t of listTemplates(templateDir)) {
    const target = t.slice(0, -'.tmpl'.length);
    // Inside the monorepo the package extends the root tsconfig.base.json; outside it gets its own copy.
    if (target === 'tsconfig.base.json' && repo !== null) continue;
    out.set(target, substitute(readFileSync(join(templateDir, t), 'utf8'), t));
  }
  // The license the other packages ship, inside the monorepo.
  if (repo !== null && existsSync(join(repo, 'LICENSE'))) out.set('LICENSE', readFileSync(join(repo, 'LICENSE'), 'utf8'));
  for (const [rel, text] of out) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
    files.push(rel);
  }
  return files.sort();
}

/** Identifier forms of a dashed name: my-arch2 -> { ident: myArch2, pascal: MyArch2, upper: MY_ARCH2 }. */
export function identForms(name: string): { ident: string; pascal: string; upper: string } {
  const parts = identParts(name);
  const pascal = parts.map((p) => p[0]!.toUpperCase() + p.slice(1)).join('');
  return { ident: pascal[0]!.toLowerCase() + pascal.slice(1), pascal, upper: parts.join('_').toUpperCase() };
}

/**
 * The placeholders every generated package has: __DIR__ (the package directory relative to
 * the repository, `fallbackDir` outside it), __CORE_PEER__, __CORE_DEV__, __TESTKIT_DEV__, __EXPLORE_PEER__, __EXPLORE_DEV__
 * (workspace: ranges inside the lazytlb monorepo, registry ranges of the current versions outside it: lazytlbVersions),
 * __TSCONFIG_BASE__, __LAZYTLB_URL__ (the repository, or the CLI's npm page for a scoped package).
 * `repo` is null outside the monorepo and for a scoped (out-of-tree) package.
 */
export function packageVars(repo: string | null, dir: string, fallbackDir: string, scope?: string): Record<string, string> {
  const v = lazytlbVersions();
  return {
    DIR: repo !== null ? relative(repo, dir).split(sep).join('/') : fallbackDir,
    CORE_PEER: repo !== null ? 'workspace:>=0.1.0 <1.0.0' : '>=0.1.0 <1.0.0',
    CORE_DEV: repo !== null ? 'workspace:^' : `^${v.core}`,
    TESTKIT_DEV: repo !== null ? 'workspace:^' : `^${v.testkit}`,
    // The truth-table script counts runs with @lazytlb/explore's runCell (an optional peer: the plugin itself needs only core).
    EXPLORE_PEER: repo !== null ? 'workspace:>=0.1.0 <1.0.0' : '>=0.1.0 <1.0.0',
    EXPLORE_DEV: repo !== null ? 'workspace:^' : `^${v.explore}`,
    TSCONFIG_BASE: repo !== null ? relative(dir, join(repo, 'tsconfig.base.json')).split(sep).join('/') : './tsconfig.base.json',
    LAZYTLB_URL: scope === undefined ? LAZYTLB_REPO_URL : LAZYTLB_NPM_URL,
  };
}

/** A scoped package's package.json without the lazytlb repository's `repository`, `homepage` and `bugs` (the template's). */
export function dropRepositoryFields(dir: string): void {
  const p = join(dir, 'package.json');
  const pkg = JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
  delete pkg.repository;
  delete pkg.homepage;
  delete pkg.bugs;
  writeFileSync(p, `${JSON.stringify(pkg, null, 2)}\n`);
}

/** Generate the package; throws UsageError for a bad name or an existing directory without `force`. */
export function newArch(o: NewArchOptions): NewArchResult {
  validateArchName(o.name);
  if (o.scope !== undefined) validateScope(o.scope, 'new-arch', 'arch');
  const cwd = o.cwd ?? process.cwd();
  const parent = resolve(cwd, o.dir ?? 'plugins');
  const dir = join(parent, o.name);
  if (existsSync(dir)) {
    if (o.force !== true) throw new UsageError(`new-arch: ${dir} already exists; pass --force to overwrite it`);
    if (!statSync(dir).isDirectory()) throw new UsageError(`new-arch: ${dir} exists and is not a directory`);
  }
  const templateDir = o.templateDir ?? TEMPLATE_DIR;
  if (!existsSync(templateDir)) throw new UsageError(`new-arch: template directory ${templateDir} not found (broken installation?)`);

  // A scoped package is out of tree: set up as outside the monorepo wherever it is generated.
  const repo = o.scope === undefined ? findMonorepoRoot(parent) : null;
  const id = identForms(o.name);
  const packageName = pluginPackageName('arch', o.name, o.scope);
  const vars: Record<string, string> = {
    NAME: o.name,
    IDENT: id.ident,
    PASCAL: id.pascal,
    UPPER: id.upper,
    PKG: packageName,
    ...packageVars(repo, dir, `plugins/${o.name}`, o.scope),
  };
  const files = writeTemplate(templateDir, dir, vars, repo);
  if (o.scope !== undefined) dropRepositoryFields(dir);
  return { dir, packageName, files, workspace: repo !== null };
}

/** What `lazytlb new-arch` prints after generating. */
export function formatNewArch(r: NewArchResult, name: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, r.dir) || '.';
  const lines = [`lazytlb: created ${r.packageName} in ${rel}:`, ...r.files.map((f) => `  ${f}`), '', 'next:'];
  if (r.workspace) lines.push('  npx -y pnpm@10.34.8 install        # link the new workspace package (updates pnpm-lock.yaml)');
  else lines.push(`  cd ${rel} && npm install`);
  lines.push(
    `  (cd ${rel} && npx tsc -p tsconfig.build.json && npx vitest run)   # build, conformance + scenario tests`,
    `  lazytlb sweep --plugin ${rel}/dist/index.js --arch ${name} --runs 2000`,
    `  then model arch/${name}/ hook by hook in src/index.ts (docs/writing-an-arch-plugin.md)`,
    '',
  );
  return lines.join('\n');
}
