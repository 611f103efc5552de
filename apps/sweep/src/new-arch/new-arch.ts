/**
 * `lazytlb new-arch NAME`: generate an arch plugin package from the template in
 * templates/arch-plugin (shipped with the CLI). Every `*.tmpl` file is copied with its
 * placeholders substituted: __NAME__ (the arch name), __IDENT__/__PASCAL__/__UPPER__ (it as an
 * identifier), __DIR__ (the package directory relative to the repository), __CORE_PEER__,
 * __CORE_DEV__, __TESTKIT_DEV__ (workspace: ranges inside the lazytlb monorepo, registry
 * ranges outside it) and __TSCONFIG_BASE__.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORE_VERSION } from '@lazytlb/core';
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
}

export interface NewArchResult {
  /** The package directory (absolute). */
  readonly dir: string;
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
 * (workspace: ranges inside the lazytlb monorepo, registry ranges outside it) and __TSCONFIG_BASE__.
 */
export function packageVars(repo: string | null, dir: string, fallbackDir: string): Record<string, string> {
  const [major, minor] = CORE_VERSION.split('-')[0]!.split('.');
  return {
    DIR: repo !== null ? relative(repo, dir).split(sep).join('/') : fallbackDir,
    CORE_PEER: repo !== null ? 'workspace:>=0.1.0 <1.0.0' : '>=0.1.0 <1.0.0',
    CORE_DEV: repo !== null ? 'workspace:^' : `^${major}.${minor}.0`,
    TESTKIT_DEV: repo !== null ? 'workspace:^' : `^${major}.${minor}.0`,
    // The truth-table script counts runs with @lazytlb/explore's runCell (an optional peer: the plugin itself needs only core).
    EXPLORE_PEER: repo !== null ? 'workspace:>=0.1.0 <1.0.0' : '>=0.1.0 <1.0.0',
    EXPLORE_DEV: repo !== null ? 'workspace:^' : `^${major}.${minor}.0`,
    TSCONFIG_BASE: repo !== null ? relative(dir, join(repo, 'tsconfig.base.json')).split(sep).join('/') : './tsconfig.base.json',
  };
}

/** Generate the package; throws UsageError for a bad name or an existing directory without `force`. */
export function newArch(o: NewArchOptions): NewArchResult {
  validateArchName(o.name);
  const cwd = o.cwd ?? process.cwd();
  const parent = resolve(cwd, o.dir ?? 'plugins');
  const dir = join(parent, o.name);
  if (existsSync(dir)) {
    if (o.force !== true) throw new UsageError(`new-arch: ${dir} already exists; pass --force to overwrite it`);
    if (!statSync(dir).isDirectory()) throw new UsageError(`new-arch: ${dir} exists and is not a directory`);
  }
  const templateDir = o.templateDir ?? TEMPLATE_DIR;
  if (!existsSync(templateDir)) throw new UsageError(`new-arch: template directory ${templateDir} not found (broken installation?)`);

  const repo = findMonorepoRoot(parent);
  const id = identForms(o.name);
  const vars: Record<string, string> = {
    NAME: o.name,
    IDENT: id.ident,
    PASCAL: id.pascal,
    UPPER: id.upper,
    ...packageVars(repo, dir, `plugins/${o.name}`),
  };
  const files = writeTemplate(templateDir, dir, vars, repo);
  return { dir, files, workspace: repo !== null };
}

/** What `lazytlb new-arch` prints after generating. */
export function formatNewArch(r: NewArchResult, name: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, r.dir) || '.';
  const lines = [`lazytlb: created @lazytlb/arch-${name} in ${rel}:`, ...r.files.map((f) => `  ${f}`), '', 'next:'];
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
