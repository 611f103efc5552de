/**
 * `lazytlb new-scheme NAME`: generate a lazy-mm scheme plugin package (`@lazytlb/scheme-NAME`,
 * in DIR/scheme-NAME) from the template in templates/scheme-plugin (shipped with the CLI), as
 * `lazytlb new-arch` does for arches: a working scheme (a copy of mainline's refcount) in
 * src/index.ts, the testkit's scheme conformance suite and the scheme's own tests, tsconfigs,
 * a vitest config and a README that explains each hook. Placeholders: __NAME__,
 * __IDENT__/__PASCAL__/__UPPER__, __PKG__, __INSTALL_NOTE__ and the package ones (new-arch.ts
 * packageVars). `--scope @myorg`: an out-of-tree `@myorg/lazytlb-scheme-NAME`, as new-arch's.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors/usage-error.js';
import { dropRepositoryFields, findMonorepoRoot, identForms, packageVars, pluginPackageName, validateScope, writeTemplate } from '../new-arch/new-arch.js';
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
  /** An npm scope (`@myorg`) for an out-of-tree plugin: the package is `@myorg/lazytlb-scheme-NAME` (new-arch.ts). */
  readonly scope?: string;
}

export interface NewSchemeResult {
  /** The package directory (absolute). */
  readonly dir: string;
  /** The package name: `@lazytlb/scheme-NAME`, or `@myorg/lazytlb-scheme-NAME` with a scope. */
  readonly packageName: string;
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
  if (o.scope !== undefined) validateScope(o.scope, 'new-scheme', 'scheme');
  const cwd = o.cwd ?? process.cwd();
  const parent = resolve(cwd, o.dir ?? 'plugins');
  const dir = join(parent, `scheme-${o.name}`);
  if (existsSync(dir)) {
    if (o.force !== true) throw new UsageError(`new-scheme: ${dir} already exists; pass --force to overwrite it`);
    if (!statSync(dir).isDirectory()) throw new UsageError(`new-scheme: ${dir} exists and is not a directory`);
  }
  const templateDir = o.templateDir ?? SCHEME_TEMPLATE_DIR;
  if (!existsSync(templateDir)) throw new UsageError(`new-scheme: template directory ${templateDir} not found (broken installation?)`);
  // A scoped package is out of tree: set up as outside the monorepo wherever it is generated.
  const repo = o.scope === undefined ? findMonorepoRoot(parent) : null;
  const id = identForms(o.name);
  const packageName = pluginPackageName('scheme', o.name, o.scope);
  const vars: Record<string, string> = {
    NAME: o.name,
    IDENT: id.ident,
    PASCAL: id.pascal,
    UPPER: id.upper,
    PKG: packageName,
    // Only @lazytlb/scheme-NAME packages are found by name (explore's registry); a scoped one is loaded with --plugin.
    INSTALL_NOTE:
      o.scope === undefined
        ? `Installed as \`${packageName}\` next to the CLI, \`--scheme ${o.name}\` finds it without\n\`--plugin\`.`
        : `Installed as \`${packageName}\`, load it with\n\`--plugin node_modules/${packageName}/dist/index.js\`: only \`@lazytlb/scheme-*\` packages are found by\n\`--scheme ${o.name}\` alone.`,
    ...packageVars(repo, dir, `plugins/scheme-${o.name}`, o.scope),
  };
  const files = writeTemplate(templateDir, dir, vars, repo);
  if (o.scope !== undefined) dropRepositoryFields(dir);
  return { dir, packageName, files, workspace: repo !== null };
}

/** What `lazytlb new-scheme` prints after generating. */
export function formatNewScheme(r: NewSchemeResult, name: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, r.dir) || '.';
  const lines = [`lazytlb: created ${r.packageName} in ${rel}:`, ...r.files.map((f) => `  ${f}`), '', 'next:'];
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
