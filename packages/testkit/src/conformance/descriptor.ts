/**
 * Load-time checks: the descriptor (core's validateArchPlugin: ABI version, name, semver
 * fields, capabilities, a zod options schema that accepts `{}`), the options schema's
 * behaviour on good and bad input (parseArchOptions), and the hooks setup() returns
 * (validateHooks).
 */
import {
  ABI_VERSION, CORE_VERSION, PluginLoadError, Simulator, canonicalJson, parseArchOptions, validateArchPlugin, validateHooks,
  type ArchPlugin,
} from '@lazytlb/core';
import type { ConformanceExpect } from './runner.js';

/** Garbage no options schema may accept: options are an object of named settings. */
const NOT_AN_OBJECT: readonly unknown[] = [42, 'garbage', true, [1, 2, 3]];
const UNKNOWN_KEY = '__lazytlb_conformance_no_such_option__';

export function checkDescriptor(plugin: ArchPlugin<unknown>, expect: ConformanceExpect): void {
  const validated = validateArchPlugin(plugin, `${plugin.name} (conformance)`);
  expect(validated, 'validateArchPlugin returns the descriptor itself').toBe(plugin);
  expect(plugin.abi, 'abi').toBe(ABI_VERSION);
  // Another CPU count than the plugin models must be refused when the cell is created.
  if (plugin.capabilities.maxCpus < 32) {
    let refused = false;
    try {
      new Simulator({ plugin, scheme: 'refcount', cpus: plugin.capabilities.maxCpus + 1 });
    } catch {
      refused = true;
    }
    expect(refused, `a ${plugin.capabilities.maxCpus + 1}-CPU cell must be refused (capabilities.maxCpus = ${plugin.capabilities.maxCpus})`).toBe(true);
  }
}

/**
 * `{}` (and no options at all) parse to defaults; the defaults survive JSON (they are
 * recorded in every artifact) and re-parse to themselves (replay re-parses them).
 */
export function checkDefaultOptions(plugin: ArchPlugin<unknown>, expect: ConformanceExpect, archOptions: readonly unknown[]): void {
  const defaults = parseArchOptions(plugin, {});
  expect(canonicalJson(parseArchOptions(plugin, undefined)), 'options undefined parse like {}').toBe(canonicalJson(defaults));
  for (const given of [{}, ...archOptions]) {
    const parsed = parseArchOptions(plugin, given);
    const json = JSON.parse(JSON.stringify(parsed ?? null)) as unknown;
    expect(json, `options ${JSON.stringify(given)} parse to JSON-safe values (they are recorded in artifacts)`).toEqual(parsed);
    expect(canonicalJson(parseArchOptions(plugin, json)), `parsed options ${JSON.stringify(json)} re-parse to themselves (replay re-parses them)`).toBe(canonicalJson(parsed));
  }
}

function rejection(plugin: ArchPlugin<unknown>, value: unknown): PluginLoadError | string {
  try {
    parseArchOptions(plugin, value);
  } catch (e) {
    if (e instanceof PluginLoadError) return e;
    return `threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} instead of a PluginLoadError`;
  }
  return 'was accepted';
}

/** Garbage is refused with a PluginLoadError that names the arch and the offending option. */
export function checkGarbageOptions(plugin: ArchPlugin<unknown>, strict: boolean, extra: readonly unknown[]): void {
  const problems: string[] = [];
  const cases: [unknown, string | null][] = [
    ...NOT_AN_OBJECT.map((v): [unknown, string | null] => [v, null]),
    ...(strict ? [[{ [UNKNOWN_KEY]: 1 }, UNKNOWN_KEY] as [unknown, string]] : []),
    ...extra.map((v): [unknown, string | null] => [v, null]),
  ];
  for (const [value, mustName] of cases) {
    const r = rejection(plugin, value);
    if (typeof r === 'string') {
      problems.push(`options ${JSON.stringify(value)} ${r}`);
      continue;
    }
    if (!r.message.includes(`invalid options for arch ${plugin.name}`)) problems.push(`the error for ${JSON.stringify(value)} does not name the arch: ${r.message}`);
    if (!/\n {2}- /.test(r.message)) problems.push(`the error for ${JSON.stringify(value)} lists no issue: ${r.message}`);
    if (mustName !== null && !r.message.includes(mustName)) {
      problems.push(`the error for the unknown option "${mustName}" does not name it (use a strict zod object): ${r.message}`);
    }
  }
  // The same options given to a cell are refused as well, before any run.
  let cellRefused = false;
  try {
    new Simulator({ plugin, archOptions: 42, scheme: 'refcount', cpus: 1 });
  } catch (e) {
    cellRefused = e instanceof PluginLoadError;
  }
  if (!cellRefused) problems.push('new Simulator({ archOptions: 42 }) was not refused with a PluginLoadError');
  if (problems.length > 0) {
    throw new Error(`arch ${plugin.name}: invalid options must be rejected with a clear PluginLoadError:\n  - ${problems.join('\n  - ')}`);
  }
}

/** setup() returns every hook the ABI requires (and the vCPU hooks when it claims preemption). */
export function checkSetupHooks(plugin: ArchPlugin<unknown>, expect: ConformanceExpect, archOptions: unknown): void {
  const options = parseArchOptions(plugin, archOptions);
  const hooks = plugin.setup(options, { coreVersion: CORE_VERSION, abi: ABI_VERSION, mutations: [] });
  expect(validateHooks(plugin, hooks), 'validateHooks returns the hooks').toBe(hooks);
}
