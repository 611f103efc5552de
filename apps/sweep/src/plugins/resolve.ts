/**
 * Finding an arch plugin by name: a bundled one (`reference` from @lazytlb/core, and the
 * workspace packages `x86-native`, `x86-paravirt`, `powerpc`, `arm64`), else a module given with
 * `--plugin PATH` whose descriptor has that name, else an installed package
 * (`@lazytlb/arch-NAME`, then `NAME`). Every plugin is checked with core's validateArchPlugin.
 *
 * A `--plugin PATH` module is an arch OR a scheme plugin: core's validatePlugin tells them
 * apart by the descriptor's `kind` (`"scheme"`; absent or `"arch"`: an arch). The arch
 * resolver here skips scheme plugins; schemes.ts resolves scheme names the same way.
 */
import { readdirSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import arm64 from '@lazytlb/arch-arm64';
import powerpc from '@lazytlb/arch-powerpc';
import x86Native from '@lazytlb/arch-x86-native';
import x86Paravirt from '@lazytlb/arch-x86-paravirt';
import { type AnyPlugin, type ArchPlugin, PluginLoadError, referenceArch, validateArchPlugin, validatePlugin } from '@lazytlb/core';

/** Where a plugin came from. */
export type PluginSource = { readonly kind: 'bundled'; readonly module: string } | { readonly kind: 'path'; readonly path: string } | { readonly kind: 'package'; readonly module: string };

export interface LoadedPlugin {
  readonly plugin: ArchPlugin<unknown>;
  readonly source: PluginSource;
}

export class UnknownArchError extends Error {
  override name = 'UnknownArchError';
  constructor(
    readonly arch: string,
    readonly available: readonly string[],
  ) {
    super(
      `unknown arch "${arch}". Installed arches: ${available.join(', ')}. ` +
        'Give a bundled name, an installed package (@lazytlb/arch-NAME or NAME) or load one with --plugin PATH (`lazytlb arches` lists them with their options).',
    );
  }
}

export const BUNDLED: readonly { readonly plugin: ArchPlugin<any>; readonly module: string }[] = [
  { plugin: referenceArch, module: '@lazytlb/core' },
  { plugin: x86Native, module: '@lazytlb/arch-x86-native' },
  { plugin: x86Paravirt, module: '@lazytlb/arch-x86-paravirt' },
  { plugin: powerpc, module: '@lazytlb/arch-powerpc' },
  { plugin: arm64, module: '@lazytlb/arch-arm64' },
];

export const BUNDLED_NAMES: readonly string[] = BUNDLED.map((b) => b.plugin.name);

const pathCache = new Map<string, Promise<AnyPlugin>>();

/**
 * Load and validate the plugin module at `path` (a --plugin PATH): an arch or a scheme plugin,
 * as its descriptor's `kind` says (core's validatePlugin). Errors name the file and the
 * failing fields; a descriptor without `kind` that is not a valid arch plugin also says how a
 * scheme plugin is told apart.
 */
export function loadPluginPath(path: string): Promise<AnyPlugin> {
  const abs = resolvePath(path);
  let p = pathCache.get(abs);
  if (p === undefined) {
    p = (async () => {
      let mod: unknown;
      try {
        mod = await import(pathToFileURL(abs).href);
      } catch (e) {
        throw new PluginLoadError(`cannot load --plugin ${path}: ${(e as Error).message}`);
      }
      const candidate = (mod as { default?: unknown } | null)?.default ?? mod;
      const kind = (candidate as { kind?: unknown } | null)?.kind;
      try {
        return validatePlugin(mod, path);
      } catch (e) {
        if (e instanceof PluginLoadError && kind === undefined && /^invalid arch plugin /.test(e.message)) {
          throw new PluginLoadError(
            `${e.message}\n  (--plugin ${path} is neither a valid arch plugin nor a scheme plugin: its descriptor has no \`kind\`, so it was ` +
              'read as an arch plugin; a scheme plugin\'s descriptor says kind: "scheme")',
          );
        }
        throw e;
      }
    })();
    pathCache.set(abs, p);
    p.catch(() => pathCache.delete(abs));
  }
  return p;
}

/** The arch plugin at a --plugin PATH, or null when the module is a scheme plugin. */
export async function loadArchPluginPath(path: string): Promise<ArchPlugin<unknown> | null> {
  const p = await loadPluginPath(path);
  return p.kind === 'arch' ? p.plugin : null;
}

/** Load and validate every --plugin PATH up front (so a broken file is reported even when nothing names its plugin). */
export async function loadPluginPaths(paths: readonly string[]): Promise<AnyPlugin[]> {
  const out: AnyPlugin[] = [];
  for (const p of paths) out.push(await loadPluginPath(p));
  return out;
}

export function isModuleNotFound(e: unknown, spec: string): boolean {
  const err = e as { code?: string; message?: string };
  return (err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND') && (err.message ?? '').includes(spec);
}

/** Installed packages next to the CLI named node_modules/@lazytlb/<prefix>* (e.g. `arch-`, `scheme-`), by package name. */
export function installedLazytlbPackages(prefix: string, exclude: readonly string[] = []): string[] {
  const out = new Set<string>();
  for (const base of [resolvePath('node_modules/@lazytlb'), resolvePath(new URL('.', import.meta.url).pathname, '../../node_modules/@lazytlb')]) {
    try {
      for (const d of readdirSync(base)) if (d.startsWith(prefix)) out.add(`@lazytlb/${d}`);
    } catch {
      /* no such directory */
    }
  }
  for (const m of exclude) out.delete(m);
  return [...out].sort();
}

/** Installed arch packages next to the CLI (node_modules/@lazytlb/arch-*), by package name. */
export function installedArchPackages(): string[] {
  return installedLazytlbPackages('arch-', BUNDLED.map((b) => b.module));
}

/** Names the resolver can find without guessing: bundled, --plugin paths and installed @lazytlb/arch-* packages. */
export async function availableArchNames(pluginPaths: readonly string[]): Promise<string[]> {
  const names = [...BUNDLED_NAMES];
  for (const p of pluginPaths) {
    try {
      const a = await loadArchPluginPath(p);
      if (a !== null) names.push(a.name);
    } catch {
      /* reported when that plugin is used */
    }
  }
  for (const pkg of installedArchPackages()) {
    try {
      names.push(validateArchPlugin(await import(pkg), pkg).name);
    } catch {
      /* not a valid plugin */
    }
  }
  return [...new Set(names)];
}

/** Plugins resolved so far in this process (not bundled ones), by name: see resolvedPlugin. */
const resolvedByName = new Map<string, ArchPlugin<unknown>>();

/**
 * A plugin by name without loading anything: a bundled one, or one this process already
 * resolved (the sweep resolves every arch it runs, so report.html's replays find them here).
 */
export function resolvedPlugin(name: string): ArchPlugin<unknown> | undefined {
  return BUNDLED.find((b) => b.plugin.name === name)?.plugin ?? resolvedByName.get(name);
}

/** Resolve an arch name to a validated plugin, with where it came from. */
export async function resolvePluginWithSource(name: string, pluginPaths: readonly string[]): Promise<LoadedPlugin> {
  const r = await resolveUncached(name, pluginPaths);
  if (r.source.kind !== 'bundled') resolvedByName.set(name, r.plugin);
  return r;
}

async function resolveUncached(name: string, pluginPaths: readonly string[]): Promise<LoadedPlugin> {
  const bundled = BUNDLED.find((b) => b.plugin.name === name);
  if (bundled !== undefined) return { plugin: validateArchPlugin(bundled.plugin, bundled.module), source: { kind: 'bundled', module: bundled.module } };
  for (const path of pluginPaths) {
    const plugin = await loadArchPluginPath(path);
    if (plugin !== null && plugin.name === name) return { plugin, source: { kind: 'path', path } };
  }
  const candidates = name.startsWith('@') || name.startsWith('lazytlb-') ? [name] : [`@lazytlb/arch-${name}`, name];
  for (const spec of candidates) {
    let mod: unknown;
    try {
      mod = await import(spec);
    } catch (e) {
      if (isModuleNotFound(e, spec)) continue;
      throw new PluginLoadError(`cannot load arch package ${spec}: ${(e as Error).message}`);
    }
    return { plugin: validateArchPlugin(mod, spec), source: { kind: 'package', module: spec } };
  }
  throw new UnknownArchError(name, await availableArchNames(pluginPaths));
}

/** Resolve an arch name to a validated plugin; an unknown name lists the available arches. */
export async function resolvePlugin(name: string, pluginPaths: readonly string[]): Promise<ArchPlugin<unknown>> {
  return (await resolvePluginWithSource(name, pluginPaths)).plugin;
}
