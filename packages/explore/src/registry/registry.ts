/**
 * The plugins an exploration may use, in one object passed to whatever needs them (no
 * module-global state): core's reference arch and built-in schemes, the plugins a caller bundles
 * (the CLI: its arch and scheme packages), plugins loaded from paths (arch or scheme, as the
 * descriptor's `kind` says: core's validatePlugin) and, on demand, installed packages
 * (`@lazytlb/arch-NAME` / `NAME` for arches, `@lazytlb/scheme-NAME` for schemes).
 *
 * Worker threads rebuild the same registry from `spec` (module URLs and paths: serialisable),
 * so a batch resolves a cell's plugins exactly as the main thread did.
 */
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type AnyPlugin,
  type Artifact,
  type ArchPlugin,
  BUILTIN_SCHEMES,
  PluginLoadError,
  referenceArch,
  type SchemePlugin,
  validateArchPlugin,
  validatePlugin,
  validateSchemePlugin,
} from '@lazytlb/core';
import { LazytlbError, pluginLoadError, usageError } from '../errors/lazytlb-error.js';
import { describeImportError } from './import-error.js';

/** Where a plugin came from. */
export type PluginSource =
  | { readonly kind: 'bundled'; readonly module: string }
  | { readonly kind: 'path'; readonly path: string }
  | { readonly kind: 'package'; readonly module: string };

export interface Registered<P> {
  readonly plugin: P;
  readonly source: PluginSource;
}

/** A plugin shipped with the caller: the plugin object, its package name, and the URL a worker imports it from. */
export interface BundledPlugin {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly plugin: ArchPlugin<any> | SchemePlugin<any>;
  readonly module: string;
  /** The module's URL (import.meta.resolve(module) in the caller); absent for core's own plugins. */
  readonly url?: string;
}

/** What rebuilds a registry in another thread: module URLs (bundled and resolved packages) and plugin paths. */
export interface RegistrySpec {
  readonly modules: readonly { readonly module: string; readonly url: string; readonly kind: 'bundled' | 'package' }[];
  readonly paths: readonly string[];
}

export interface RegistryOptions {
  readonly bundled?: readonly BundledPlugin[];
  /** Plugin modules by path (each loaded and validated now: a broken file is an error even when nothing uses it). */
  readonly paths?: readonly string[];
  /**
   * Resolve an installed package name to a module URL (the caller's `import.meta.resolve`, so
   * packages resolve from the caller's node_modules); absent: installed packages are not looked up.
   */
  readonly resolvePackage?: (spec: string) => string;
  /** Installed package names to list (e.g. node_modules/@lazytlb/arch-*); absent: none. */
  readonly installedPackages?: (prefix: 'arch-' | 'scheme-') => readonly string[];
}

const CORE_MODULE = '@lazytlb/core';

/** What a scheme's provenance means, as listings and replay headers say it. */
export const PROVENANCE_TEXT: Readonly<Record<SchemePlugin['provenance'], string>> = {
  mainline: 'merged mainline kernel code',
  proposal: 'a posted proposal that did not merge, modelled from its patches',
  reconstructed: 'no code was found; modelled from a summary',
};

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
    const opts = keys.map((k) => {
      const values = enumValues(shape[k]);
      return values !== null ? `${k}=${values.join('|')}` : k;
    });
    parts.push(`${p.name}: ${opts.join(', ')}`);
  }
  if (none.length > 0) parts.push(`${none.join(', ')}: no options`);
  return parts.join('; ');
}

function enumValues(t: unknown): string[] | null {
  // z.enum(...).default(...): the enum's values under the default wrapper.
  let cur = t as { options?: unknown; def?: { innerType?: unknown } } | undefined;
  for (let i = 0; i < 4 && cur !== undefined; i++) {
    if (Array.isArray(cur.options)) return cur.options.map(String);
    cur = cur.def?.innerType as typeof cur;
  }
  return null;
}

export function unknownArchMessage(arch: string, available: readonly string[]): string {
  return (
    `unknown arch "${arch}". Installed arches: ${available.join(', ')}. ` +
    'Give a bundled name, an installed package (@lazytlb/arch-NAME or NAME) or load one with --plugin PATH (`lazytlb arches` lists them with their options).'
  );
}

export function unknownSchemeMessage(scheme: string, available: readonly SchemePlugin<unknown>[]): string {
  return `unknown scheme "${scheme}": known schemes ${available.map((p) => p.name).join(', ')} (options: ${schemeOptionsHelp(available)}); ${LOAD_SCHEME_HELP}`;
}

function isModuleNotFound(e: unknown, spec: string): boolean {
  const err = e as { code?: string; message?: string };
  return (err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND') && (err.message ?? '').includes(spec);
}

async function loadPathPlugin(path: string): Promise<AnyPlugin> {
  const abs = resolvePath(path);
  let mod: unknown;
  try {
    mod = await import(pathToFileURL(abs).href);
  } catch (e) {
    throw pluginLoadError(`cannot load --plugin ${path}: ${describeImportError(e, abs)}`, path);
  }
  const candidate = (mod as { default?: unknown } | null)?.default ?? mod;
  const kind = (candidate as { kind?: unknown } | null)?.kind;
  try {
    return validatePlugin(mod, path);
  } catch (e) {
    if (e instanceof PluginLoadError && kind === undefined && /^invalid arch plugin /.test(e.message)) {
      throw pluginLoadError(
        `${e.message}\n  (--plugin ${path} is neither a valid arch plugin nor a scheme plugin: its descriptor has no \`kind\`, so it was ` +
          'read as an arch plugin; a scheme plugin\'s descriptor says kind: "scheme")',
        path,
      );
    }
    if (e instanceof PluginLoadError) throw pluginLoadError(e.message, path);
    throw e;
  }
}

export class PluginRegistry {
  private readonly archList: Registered<ArchPlugin<unknown>>[] = [];
  private readonly schemeList: Registered<SchemePlugin<unknown>>[] = [];
  private readonly modules: { module: string; url: string; kind: 'bundled' | 'package' }[] = [];
  private readonly paths: string[] = [];

  private constructor(private readonly opts: RegistryOptions) {}

  /** Core's plugins, the bundled ones and every path plugin, each validated (a broken path is a plugin-load error naming it). */
  static async create(opts: RegistryOptions = {}): Promise<PluginRegistry> {
    const r = new PluginRegistry(opts);
    r.add({ plugin: referenceArch, module: CORE_MODULE });
    for (const s of BUILTIN_SCHEMES) r.add({ plugin: s, module: CORE_MODULE });
    for (const b of opts.bundled ?? []) if (b.module !== CORE_MODULE || !r.has(b.plugin)) r.add(b);
    for (const p of opts.paths ?? []) {
      const loaded = await loadPathPlugin(p);
      r.paths.push(p);
      if (loaded.kind === 'arch') r.archList.push({ plugin: loaded.plugin, source: { kind: 'path', path: p } });
      else r.schemeList.push({ plugin: loaded.plugin, source: { kind: 'path', path: p } });
    }
    return r;
  }

  /** The registry `spec` describes (in a worker thread): the same plugins, loaded from the same modules and paths. */
  static async fromSpec(spec: RegistrySpec): Promise<PluginRegistry> {
    const bundled: BundledPlugin[] = [];
    for (const m of spec.modules) {
      let mod: unknown;
      try {
        mod = await import(m.url);
      } catch (e) {
        throw pluginLoadError(`cannot load plugin module ${m.module} (${m.url}): ${(e as Error).message}`, m.module);
      }
      const p = validatePlugin(mod, m.module);
      bundled.push({ plugin: p.plugin as BundledPlugin['plugin'], module: m.module, url: m.url });
    }
    const r = await PluginRegistry.create({ bundled, paths: spec.paths });
    // Packages keep their source kind (a listing in a worker says the same as in the main thread).
    r.modules.length = 0;
    r.modules.push(...spec.modules);
    return r;
  }

  private has(plugin: object): boolean {
    return this.archList.some((a) => a.plugin === plugin) || this.schemeList.some((s) => s.plugin === plugin);
  }

  private add(b: BundledPlugin): void {
    const v = validatePlugin(b.plugin, b.module);
    if (v.kind === 'arch') this.archList.push({ plugin: v.plugin, source: { kind: 'bundled', module: b.module } });
    else this.schemeList.push({ plugin: v.plugin, source: { kind: 'bundled', module: b.module } });
    if (b.url !== undefined) this.modules.push({ module: b.module, url: b.url, kind: 'bundled' });
  }

  /** What a worker needs to rebuild this registry (bundled modules, packages resolved so far, paths). */
  get spec(): RegistrySpec {
    return { modules: this.modules.map((m) => ({ ...m })), paths: [...this.paths] };
  }

  /** Arch plugins known without importing anything new: core's, bundled, paths, packages resolved so far. */
  loadedArches(): readonly Registered<ArchPlugin<unknown>>[] {
    return this.archList;
  }

  /** Scheme plugins known without importing anything new (first of a name wins). */
  loadedSchemes(): readonly Registered<SchemePlugin<unknown>>[] {
    return this.schemeList;
  }

  /** An arch plugin by name among the loaded ones (no import), or undefined. */
  loadedArch(name: string): ArchPlugin<unknown> | undefined {
    return this.archList.find((a) => a.plugin.name === name)?.plugin;
  }

  /** A scheme plugin by name among the loaded ones (no import), or undefined. */
  loadedScheme(name: string): SchemePlugin<unknown> | undefined {
    return this.schemeList.find((s) => s.plugin.name === name)?.plugin;
  }

  private async importPackage(spec: string): Promise<{ mod: unknown; url: string } | null> {
    const resolve = this.opts.resolvePackage;
    if (resolve === undefined) return null;
    let url: string;
    try {
      url = resolve(spec);
    } catch (e) {
      if (isModuleNotFound(e, spec) || (e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') return null;
      throw pluginLoadError(`cannot load package ${spec}: ${(e as Error).message}`, spec);
    }
    try {
      return { mod: await import(url), url };
    } catch (e) {
      if (isModuleNotFound(e, spec)) return null;
      throw pluginLoadError(`cannot load package ${spec}: ${(e as Error).message}`, spec);
    }
  }

  /** Resolve an arch name (loaded, then an installed package): its plugin and where it came from; unknown: a usage error listing the arches. */
  async archWithSource(name: string): Promise<Registered<ArchPlugin<unknown>>> {
    const known = this.archList.find((a) => a.plugin.name === name);
    if (known !== undefined) return known;
    const candidates = name.startsWith('@') || name.startsWith('lazytlb-') ? [name] : [`@lazytlb/arch-${name}`, name];
    for (const spec of candidates) {
      const m = await this.importPackage(spec);
      if (m === null) continue;
      let plugin: ArchPlugin<unknown>;
      try {
        plugin = validateArchPlugin(m.mod, spec);
      } catch (e) {
        throw pluginLoadError((e as Error).message, spec);
      }
      const r: Registered<ArchPlugin<unknown>> = { plugin, source: { kind: 'package', module: spec } };
      this.archList.push(r);
      this.modules.push({ module: spec, url: m.url, kind: 'package' });
      return r;
    }
    throw usageError(unknownArchMessage(name, await this.availableArchNames()));
  }

  async arch(name: string): Promise<ArchPlugin<unknown>> {
    return (await this.archWithSource(name)).plugin;
  }

  /** Resolve a scheme name (loaded, then @lazytlb/scheme-NAME): its plugin and where it came from; unknown: a usage error listing the schemes. */
  async schemeWithSource(name: string): Promise<Registered<SchemePlugin<unknown>>> {
    const known = this.schemeList.find((s) => s.plugin.name === name);
    if (known !== undefined) return known;
    // Scheme names are lowercase words: a package is only ever @lazytlb/scheme-NAME (`--scheme zod` must not import zod).
    if (/^[a-z][a-z0-9-]*$/.test(name)) {
      const spec = `@lazytlb/scheme-${name}`;
      const m = await this.importPackage(spec);
      if (m !== null) {
        let plugin: SchemePlugin<unknown>;
        try {
          plugin = validateSchemePlugin(m.mod, spec);
        } catch (e) {
          throw pluginLoadError((e as Error).message, spec);
        }
        if (plugin.name !== name) throw pluginLoadError(`scheme package ${spec} is scheme "${plugin.name}", not "${name}"`, spec);
        const r: Registered<SchemePlugin<unknown>> = { plugin, source: { kind: 'package', module: spec } };
        this.schemeList.push(r);
        this.modules.push({ module: spec, url: m.url, kind: 'package' });
        return r;
      }
    }
    throw usageError(
      unknownSchemeMessage(
        name,
        (await this.availableSchemes()).map((l) => l.plugin),
      ),
    );
  }

  async scheme(name: string): Promise<SchemePlugin<unknown>> {
    return (await this.schemeWithSource(name)).plugin;
  }

  /** Arch names the registry can find without guessing: loaded ones and installed @lazytlb/arch-* packages. */
  async availableArchNames(): Promise<string[]> {
    const names = this.archList.map((a) => a.plugin.name);
    for (const pkg of this.opts.installedPackages?.('arch-') ?? []) {
      if (this.modules.some((m) => m.module === pkg)) continue;
      try {
        const m = await this.importPackage(pkg);
        if (m !== null) names.push(validateArchPlugin(m.mod, pkg).name);
      } catch {
        /* not a valid plugin */
      }
    }
    return [...new Set(names)];
  }

  /** Every scheme the registry can find without guessing: loaded ones and installed @lazytlb/scheme-* packages (first of a name wins). */
  async availableSchemes(): Promise<Registered<SchemePlugin<unknown>>[]> {
    const out: Registered<SchemePlugin<unknown>>[] = [...this.schemeList];
    for (const pkg of this.opts.installedPackages?.('scheme-') ?? []) {
      if (this.modules.some((m) => m.module === pkg)) continue;
      try {
        const m = await this.importPackage(pkg);
        if (m !== null) out.push({ plugin: validateSchemePlugin(m.mod, pkg), source: { kind: 'package', module: pkg } });
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

  /**
   * The scheme plugin an artifact needs to replay: undefined for a cell of a core built-in scheme
   * (no `schemeVersion`), else that scheme plugin (any version: replay compares behaviour
   * fingerprints). `loadedOnly`: do not import anything (for report.html).
   */
  async schemeForArtifact(artifact: Pick<Artifact, 'cell'>): Promise<SchemePlugin<unknown> | undefined> {
    const c = artifact.cell;
    if (c.schemeVersion === undefined) return undefined;
    try {
      return await this.scheme(c.scheme);
    } catch (e) {
      if (e instanceof LazytlbError && e.code === 'usage') throw usageError(schemeNotLoadedMessage(c.scheme, c.schemeVersion));
      throw e;
    }
  }

  /** The same without importing anything (a loaded plugin), for report.html; throws a usage error saying how to load it. */
  loadedSchemeForArtifact(artifact: Pick<Artifact, 'cell'>): SchemePlugin<unknown> | undefined {
    const c = artifact.cell;
    if (c.schemeVersion === undefined) return undefined;
    const p = this.loadedScheme(c.scheme);
    if (p === undefined) throw usageError(schemeNotLoadedMessage(c.scheme, c.schemeVersion));
    return p;
  }
}

export function schemeNotLoadedMessage(name: string, version: string): string {
  return `it was recorded with scheme plugin ${name}@${version}, which is not loaded: pass its module with --plugin PATH (or install @lazytlb/scheme-${name})`;
}
