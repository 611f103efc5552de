/**
 * The plugins the `lazytlb` CLI ships (its arch and scheme packages) and the registry every
 * command builds from them, its `--plugin PATH`s and the installed `@lazytlb/arch-*` /
 * `@lazytlb/scheme-*` packages next to it. One registry per command, passed down; nothing is
 * cached in a module.
 */
import { readdirSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import arm64 from '@lazytlb/arch-arm64';
import powerpc from '@lazytlb/arch-powerpc';
import x86Native from '@lazytlb/arch-x86-native';
import x86Paravirt from '@lazytlb/arch-x86-paravirt';
import { type ArchPlugin, BUILTIN_SCHEMES, referenceArch, type SchemePlugin } from '@lazytlb/core';
import { type BundledPlugin, PluginRegistry } from '@lazytlb/explore';
import hazptr from '@lazytlb/scheme-hazptr';
import implicitShootdown from '@lazytlb/scheme-implicit-shootdown';
import lazyMmScan from '@lazytlb/scheme-lazy-mm-scan';

const bundle = (plugin: BundledPlugin['plugin'], module: string): BundledPlugin =>
  module === '@lazytlb/core' ? { plugin, module } : { plugin, module, url: import.meta.resolve(module) };

/** The arch plugins shipped with the CLI, in listing order. */
export const BUNDLED: readonly { readonly plugin: ArchPlugin<any>; readonly module: string }[] = [
  { plugin: referenceArch, module: '@lazytlb/core' },
  { plugin: x86Native, module: '@lazytlb/arch-x86-native' },
  { plugin: x86Paravirt, module: '@lazytlb/arch-x86-paravirt' },
  { plugin: powerpc, module: '@lazytlb/arch-powerpc' },
  { plugin: arm64, module: '@lazytlb/arch-arm64' },
];
export const BUNDLED_NAMES: readonly string[] = BUNDLED.map((b) => b.plugin.name);

/**
 * The scheme plugins shipped with the CLI, in listing order: core's built-ins, then the scheme
 * packages this app depends on (one line each, plus a package.json dependency), e.g.
 *   { plugin: hazptr, module: '@lazytlb/scheme-hazptr' },
 */
export const BUNDLED_SCHEMES: readonly { readonly plugin: SchemePlugin<any>; readonly module: string }[] = [
  ...BUILTIN_SCHEMES.map((plugin) => ({ plugin, module: '@lazytlb/core' })),
  { plugin: hazptr, module: '@lazytlb/scheme-hazptr' },
  { plugin: lazyMmScan, module: '@lazytlb/scheme-lazy-mm-scan' },
  { plugin: implicitShootdown, module: '@lazytlb/scheme-implicit-shootdown' },
];
export const BUNDLED_SCHEME_NAMES: readonly string[] = BUNDLED_SCHEMES.map((b) => b.plugin.name);

/** Installed packages next to the CLI named node_modules/@lazytlb/<prefix>* (e.g. `arch-`, `scheme-`), bundled ones left out. */
export function installedLazytlbPackages(prefix: string): string[] {
  const bundled = new Set([...BUNDLED, ...BUNDLED_SCHEMES].map((b) => b.module));
  const out = new Set<string>();
  for (const base of [resolvePath('node_modules/@lazytlb'), resolvePath(new URL('.', import.meta.url).pathname, '../../node_modules/@lazytlb')]) {
    try {
      for (const d of readdirSync(base)) if (d.startsWith(prefix)) out.add(`@lazytlb/${d}`);
    } catch {
      /* no such directory */
    }
  }
  for (const m of bundled) out.delete(m);
  return [...out].sort();
}

/** The command's registry: bundled plugins, every --plugin PATH (each loaded and validated now), installed packages on demand. */
export function createRegistry(pluginPaths: readonly string[] = []): Promise<PluginRegistry> {
  return PluginRegistry.create({
    bundled: [...BUNDLED, ...BUNDLED_SCHEMES].map((b) => bundle(b.plugin, b.module)),
    paths: pluginPaths,
    resolvePackage: (spec) => import.meta.resolve(spec),
    installedPackages: (prefix) => installedLazytlbPackages(prefix),
  });
}
