/**
 * Finding a lazy-mm scheme plugin by name, the way resolve.ts finds arches: a bundled one (the
 * one list BUNDLED_SCHEMES: core's built-ins `refcount`, `shootdown`, `none`, then the scheme
 * packages shipped with the CLI), else a `--plugin PATH` module whose descriptor is a scheme
 * plugin (`kind: "scheme"`) with that name, else an installed package `@lazytlb/scheme-NAME`.
 * Every plugin is checked with core's validateSchemePlugin.
 *
 * Scheme names are SchemeName (lowercase letters, digits, dashes): the cell records the
 * plugin's name, so a package is only ever looked up as `@lazytlb/scheme-NAME`, never by a bare
 * name (`--scheme zod` must not import zod).
 */
import {
  type Artifact, BUILTIN_SCHEMES, PluginLoadError, type SchemePlugin, validateSchemePlugin,
} from '@lazytlb/core';
import hazptr from '@lazytlb/scheme-hazptr';
import implicitShootdown from '@lazytlb/scheme-implicit-shootdown';
import lazyMmScan from '@lazytlb/scheme-lazy-mm-scan';
import { installedLazytlbPackages, isModuleNotFound, loadPluginPath, type PluginSource } from './resolve.js';

/**
 * The scheme plugins shipped with the CLI, in listing order: core's built-ins, then the
 * scheme packages this app depends on (one line each, plus a package.json dependency), e.g.
 *   { plugin: hazptr, module: '@lazytlb/scheme-hazptr' },
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const BUNDLED_SCHEMES: readonly { readonly plugin: SchemePlugin<any>; readonly module: string }[] = [
  ...BUILTIN_SCHEMES.map((plugin) => ({ plugin, module: '@lazytlb/core' })),
  { plugin: hazptr, module: '@lazytlb/scheme-hazptr' },
  { plugin: lazyMmScan, module: '@lazytlb/scheme-lazy-mm-scan' },
  { plugin: implicitShootdown, module: '@lazytlb/scheme-implicit-shootdown' },
];

/** What a scheme's provenance means, as listings and replay headers say it. */
export const PROVENANCE_TEXT: Readonly<Record<SchemePlugin['provenance'], string>> = {
  mainline: 'merged mainline kernel code',
  proposal: 'a posted proposal that did not merge, modelled from its patches',
  reconstructed: 'no code was found; modelled from a summary',
};

export const BUNDLED_SCHEME_NAMES: readonly string[] = BUNDLED_SCHEMES.map((b) => b.plugin.name);

export interface LoadedScheme {
  readonly plugin: SchemePlugin<unknown>;
  readonly source: PluginSource;
}

/** How to make another scheme known (the tail of every "unknown scheme" message). */
export const LOAD_SCHEME_HELP =
  'load another with --plugin PATH (a module whose default export is a scheme plugin, kind: "scheme") or install @lazytlb/scheme-NAME (`lazytlb schemes` lists them with their options)';

/** "shootdown: mask=cpumask|online; refcount, none: no options" for the given plugins. */
export function schemeOptionsHelp(plugins: readonly SchemePlugin<unknown>[]): string {
  const parts: string[] = [];
  const none: string[] = [];
  for (const p of plugins) {
    const shape = (p.options as unknown as { shape?: Record<string, unknown> }).shape ?? {};
    const keys = Object.keys(shape);
    if (keys.length === 0) {
      none.push(p.name);
      continue;
    }
    parts.push(`${p.name}: ${keys.map((k) => {
      const values = enumValues(shape[k]);
      return values !== null ? `${k}=${values.join('|')}` : k;
    }).join(', ')}`);
  }
  if (none.length > 0) parts.push(`${none.join(', ')}: no options`);
  return parts.join('; ');
}

function enumValues(t: unknown): string[] | null {
  // z.enum(...).default(...): the enum's values under the default wrapper.
  let x = t as { options?: unknown; def?: { innerType?: unknown } } | undefined;
  for (let i = 0; i < 4 && x !== undefined; i++) {
    if (Array.isArray(x.options)) return x.options.map(String);
    x = x.def?.innerType as typeof x;
  }
  return null;
}

export class UnknownSchemeError extends Error {
  override name = 'UnknownSchemeError';
  constructor(
    readonly scheme: string,
    /** The schemes the resolver knows (bundled, --plugin, installed). */
    readonly available: readonly SchemePlugin<unknown>[],
  ) {
    super(
      `unknown scheme "${scheme}": known schemes ${available.map((p) => p.name).join(', ')} (options: ${schemeOptionsHelp(available)}); ${LOAD_SCHEME_HELP}`,
    );
  }
}

/** Installed scheme packages next to the CLI (node_modules/@lazytlb/scheme-*), by package name; bundled ones left out. */
export function installedSchemePackages(): string[] {
  return installedLazytlbPackages('scheme-', BUNDLED_SCHEMES.map((b) => b.module));
}

/** The scheme plugin at a --plugin PATH, or null when the module is an arch plugin. */
export async function loadSchemePluginPath(path: string): Promise<SchemePlugin<unknown> | null> {
  const p = await loadPluginPath(path);
  return p.kind === 'scheme' ? p.plugin : null;
}

async function importSchemePackage(spec: string): Promise<SchemePlugin<unknown> | null> {
  let mod: unknown;
  try {
    mod = await import(spec);
  } catch (e) {
    if (isModuleNotFound(e, spec)) return null;
    throw new PluginLoadError(`cannot load scheme package ${spec}: ${(e as Error).message}`);
  }
  return validateSchemePlugin(mod, spec);
}

/** Every scheme the resolver can find without guessing: bundled, --plugin paths, installed @lazytlb/scheme-* packages (first of a name wins). */
export async function availableSchemes(pluginPaths: readonly string[]): Promise<LoadedScheme[]> {
  const out: LoadedScheme[] = BUNDLED_SCHEMES.map((b) => ({ plugin: b.plugin as SchemePlugin<unknown>, source: { kind: 'bundled', module: b.module } }));
  for (const path of pluginPaths) {
    try {
      const p = await loadSchemePluginPath(path);
      if (p !== null) out.push({ plugin: p, source: { kind: 'path', path } });
    } catch {
      /* reported when that plugin is used */
    }
  }
  for (const pkg of installedSchemePackages()) {
    try {
      const p = await importSchemePackage(pkg);
      if (p !== null) out.push({ plugin: p, source: { kind: 'package', module: pkg } });
    } catch {
      /* not a valid plugin */
    }
  }
  const seen = new Set<string>();
  return out.filter((l) => {
    if (seen.has(l.plugin.name)) return false;
    seen.add(l.plugin.name);
    return true;
  });
}

/** Scheme plugins resolved so far in this process (not bundled ones), by name: see resolvedSchemePlugin. */
const resolvedByName = new Map<string, SchemePlugin<unknown>>();

/**
 * A scheme plugin by name without loading anything: a bundled one, or one this process already
 * resolved (the sweep resolves every scheme it runs, so report.html's replays find them here).
 */
export function resolvedSchemePlugin(name: string): SchemePlugin<unknown> | undefined {
  return (BUNDLED_SCHEMES.find((b) => b.plugin.name === name)?.plugin as SchemePlugin<unknown> | undefined) ?? resolvedByName.get(name);
}

/** Resolve a scheme name to a validated plugin, with where it came from; an unknown name lists the known schemes. */
export async function resolveSchemeWithSource(name: string, pluginPaths: readonly string[]): Promise<LoadedScheme> {
  const bundled = BUNDLED_SCHEMES.find((b) => b.plugin.name === name);
  if (bundled !== undefined) return { plugin: validateSchemePlugin(bundled.plugin, bundled.module), source: { kind: 'bundled', module: bundled.module } };
  for (const path of pluginPaths) {
    const plugin = await loadSchemePluginPath(path);
    if (plugin !== null && plugin.name === name) {
      resolvedByName.set(name, plugin);
      return { plugin, source: { kind: 'path', path } };
    }
  }
  if (/^[a-z][a-z0-9-]*$/.test(name)) {
    const spec = `@lazytlb/scheme-${name}`;
    const plugin = await importSchemePackage(spec);
    if (plugin !== null) {
      if (plugin.name !== name) throw new PluginLoadError(`scheme package ${spec} is scheme "${plugin.name}", not "${name}"`);
      resolvedByName.set(name, plugin);
      return { plugin, source: { kind: 'package', module: spec } };
    }
  }
  throw new UnknownSchemeError(name, (await availableSchemes(pluginPaths)).map((l) => l.plugin));
}

/** Resolve a scheme name to a validated plugin. */
export async function resolveSchemePlugin(name: string, pluginPaths: readonly string[]): Promise<SchemePlugin<unknown>> {
  return (await resolveSchemeWithSource(name, pluginPaths)).plugin;
}

/** Why an artifact's scheme plugin cannot be had, naming --plugin (a ReplayError / note text). */
export class SchemeNotLoadedError extends Error {
  override name = 'SchemeNotLoadedError';
}

/**
 * The scheme plugin an artifact needs to replay: undefined for a cell of a core built-in scheme
 * (no `schemeVersion`), else that scheme plugin, resolved like a sweep's (bundled, --plugin
 * PATH, @lazytlb/scheme-NAME) and of the version the artifact records. Throws a
 * SchemeNotLoadedError that says how to load it.
 */
export async function schemePluginForArtifact(artifact: Pick<Artifact, 'cell'>, pluginPaths: readonly string[]): Promise<SchemePlugin<unknown> | undefined> {
  const c = artifact.cell;
  if (c.schemeVersion === undefined) return undefined;
  let plugin: SchemePlugin<unknown>;
  try {
    plugin = await resolveSchemePlugin(c.scheme, pluginPaths);
  } catch (e) {
    if (e instanceof UnknownSchemeError) throw new SchemeNotLoadedError(notLoadedMessage(c.scheme, c.schemeVersion));
    throw e;
  }
  if (plugin.version !== c.schemeVersion) throw new SchemeNotLoadedError(versionMessage(c.scheme, c.schemeVersion, plugin.version));
  return plugin;
}

/** The same, without loading anything (a bundled or already resolved plugin): for report.html. */
export function loadedSchemePluginForArtifact(
  artifact: Pick<Artifact, 'cell'>, lookup: (name: string) => SchemePlugin<unknown> | undefined = resolvedSchemePlugin,
): SchemePlugin<unknown> | undefined {
  const c = artifact.cell;
  if (c.schemeVersion === undefined) return undefined;
  const plugin = lookup(c.scheme);
  if (plugin === undefined) throw new SchemeNotLoadedError(notLoadedMessage(c.scheme, c.schemeVersion));
  if (plugin.version !== c.schemeVersion) throw new SchemeNotLoadedError(versionMessage(c.scheme, c.schemeVersion, plugin.version));
  return plugin;
}

function notLoadedMessage(name: string, version: string): string {
  return `it was recorded with scheme plugin ${name}@${version}, which is not loaded: pass its module with --plugin PATH (or install @lazytlb/scheme-${name})`;
}

function versionMessage(name: string, want: string, got: string): string {
  return `it was recorded with scheme plugin ${name}@${want}, but the loaded ${name} is ${got}: pass version ${want} with --plugin PATH`;
}
