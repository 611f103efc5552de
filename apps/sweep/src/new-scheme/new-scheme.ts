/**
 * `lazytlb new-scheme NAME`: generate a lazy-mm scheme plugin package (`@lazytlb/scheme-NAME`,
 * in DIR/scheme-NAME) from the template in templates/scheme-plugin (shipped with the CLI), as
 * `lazytlb new-arch` does for arches: a working scheme (a copy of mainline's refcount) in
 * src/index.ts, the testkit's scheme conformance suite and the scheme's own tests, tsconfigs,
 * a vitest config and a README that explains each hook. Placeholders: __NAME__,
 * __IDENT__/__PASCAL__/__UPPER__ and the package ones (new-arch.ts packageVars).
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors/usage-error.js';
import { findMonorepoRoot, identForms, packageVars, writeTemplate } from '../new-arch/new-arch.js';
import { BUNDLED_SCHEME_NAMES } from '../plugins/bundled.js';

/** What core's SchemeName accepts, without double or trailing dashes (the package name and identifiers are derived from it). */
export const SCHEME_NAME_RE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** The template directory: <package>/templates/scheme-plugin (from src/new-scheme or dist/new-scheme). */
export const SCHEME_TEMPLATE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../templates/scheme-plugin');

export interface NewSchemeOptions {
  readonly name: string;
  /** Parent directory of the package (default `plugins`), relative to `cwd`; the package goes to DIR/scheme-NAME. */
  readonly dir?: string;
  /** Write into an existing package directory, overwriting the generated files (others are left alone). */
  readonly force?: boolean;
  readonly cwd?: string;
  readonly templateDir?: string;
}

export interface NewSchemeResult {
  /** The package directory (absolute). */
  readonly dir: string;
  /** Files written, relative to `dir`, sorted. */
  readonly files: readonly string[];
  /** Whether the package was set up for the lazytlb monorepo (workspace: ranges). */
  readonly workspace: boolean;
}

/** Check a scheme name; throws a UsageError (exit 2) that says what is allowed. */
export function validateSchemeName(name: string): void {
  if (!SCHEME_NAME_RE.test(name)) {
    throw new UsageError(
      `new-scheme: invalid scheme name ${JSON.stringify(name)}: use lowercase letters, digits and single dashes, starting with a letter ` +
        '(e.g. hazptr, lazy-mm-scan); it becomes --scheme NAME and the package @lazytlb/scheme-NAME',
    );
  }
  if (BUNDLED_SCHEME_NAMES.includes(name)) {
    throw new UsageError(
      `new-scheme: "${name}" is a bundled scheme's name (${BUNDLED_SCHEME_NAMES.join(', ')}): a plugin of that name would never be chosen; pick another`,
    );
  }
}

/** Generate the package; throws UsageError for a bad name or an existing directory without `force`. */
export function newScheme(o: NewSchemeOptions): NewSchemeResult {
  validateSchemeName(o.name);
  const cwd = o.cwd ?? process.cwd();
  const parent = resolve(cwd, o.dir ?? 'plugins');
  const dir = join(parent, `scheme-${o.name}`);
  if (existsSync(dir)) {
    if (o.force !== true) throw new UsageError(`new-scheme: ${dir} already exists; pass --force to overwrite it`);
    if (!statSync(dir).isDirectory()) throw new UsageError(`new-scheme: ${dir} exists and is not a directory`);
  }
  const templateDir = o.templateDir ?? SCHEME_TEMPLATE_DIR;
  if (!existsSync(templateDir)) throw new UsageError(`new-scheme: template directory ${templateDir} not found (broken installation?)`);
  const repo = findMonorepoRoot(parent);
  const id = identForms(o.name);
  const vars: Record<string, string> = {
    NAME: o.name,
    IDENT: id.ident,
    PASCAL: id.pascal,
    UPPER: id.upper,
    ...packageVars(repo, dir, `plugins/scheme-${o.name}`),
  };
  return { dir, files: writeTemplate(templateDir, dir, vars, repo), workspace: repo !== null };
}

/** What `lazytlb new-scheme` prints after generating. */
export function formatNewScheme(r: NewSchemeResult, name: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, r.dir) || '.';
  const lines = [`lazytlb: created @lazytlb/scheme-${name} in ${rel}:`, ...r.files.map((f) => `  ${f}`), '', 'next:'];
  if (r.workspace) lines.push('  npx -y pnpm@10.34.8 install        # link the new workspace package (updates pnpm-lock.yaml)');
  else lines.push(`  cd ${rel} && npm install`);
  lines.push(
    `  (cd ${rel} && npx tsc -p tsconfig.build.json && npx vitest run)   # build, scheme conformance and scheme tests`,
    `  lazytlb schemes --plugin ${rel}/dist/index.js`,
    `  lazytlb sweep --plugin ${rel}/dist/index.js --scheme ${name} --arch x86-native --cpus 2,4 --runs 2000`,
    `  then write your scheme hook by hook in src/index.ts (README.md explains each hook; docs/writing-a-scheme-plugin.md)`,
    '',
  );
  return lines.join('\n');
}
