/**
 * Load-time checks: the descriptor (core's validateArchPlugin: ABI version, name, semver
 * fields, capabilities, a zod options schema that accepts `{}`), the options schema's
 * behaviour on good and bad input (parseArchOptions), the hooks setup() returns
 * (validateHooks, and every optional hook present is a function), the declared use sites
 * (ArchPlugin.useSites) and the declared mutations (ArchPlugin.mutations: cells or noVictim).
 */
import {
  SUPPORTED_ABIS,
  CORE_MUTATIONS,
  CORE_USE_SITES,
  CORE_VERSION,
  MAX_USE_SITES,
  PROFILE_NAMES,
  PluginLoadError,
  SCHEMES,
  Simulator,
  canonicalJson,
  parseArchOptions,
  resolveSchemeOptions,
  validateArchPlugin,
  validateHooks,
  type ArchPlugin,
  type MutationDoc,
} from '@lazytlb/core';
import { OPTIONAL_HOOKS } from './hook-contracts.js';
import type { ConformanceExpect } from './runner.js';

/** Garbage no options schema may accept: options are an object of named settings. */
const NOT_AN_OBJECT: readonly unknown[] = [42, 'garbage', true, [1, 2, 3]];
const UNKNOWN_KEY = '__lazytlb_conformance_no_such_option__';

/**
 * The options an arch's or a scheme's options must refuse, each with the key its error must
 * name (or null): values that are not an object, an unknown key when `strict`, and `extra`.
 */
export function garbageOptionCases(strict: boolean, extra: readonly unknown[]): [unknown, string | null][] {
  return [
    ...NOT_AN_OBJECT.map((v): [unknown, string | null] => [v, null]),
    ...(strict ? [[{ [UNKNOWN_KEY]: 1 }, UNKNOWN_KEY] as [unknown, string]] : []),
    ...extra.map((v): [unknown, string | null] => [v, null]),
  ];
}

export function checkDescriptor(plugin: ArchPlugin<unknown>, expect: ConformanceExpect): void {
  const validated = validateArchPlugin(plugin, `${plugin.name} (conformance)`);
  expect(validated, 'validateArchPlugin returns the descriptor itself').toBe(plugin);
  expect((SUPPORTED_ABIS as readonly number[]).includes(plugin.abi), `abi ${plugin.abi} (this core loads ${SUPPORTED_ABIS.join(', ')})`).toBe(true);
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
    expect(canonicalJson(parseArchOptions(plugin, json)), `parsed options ${JSON.stringify(json)} re-parse to themselves (replay re-parses them)`).toBe(
      canonicalJson(parsed),
    );
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
  for (const [value, mustName] of garbageOptionCases(strict, extra)) {
    const r = rejection(plugin, value);
    if (typeof r === 'string') {
      problems.push(`options ${JSON.stringify(value)} ${r}`);
      continue;
    }
    if (!r.message.includes(`invalid options for arch ${plugin.name}`))
      problems.push(`the error for ${JSON.stringify(value)} does not name the arch: ${r.message}`);
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

/**
 * setup() returns every hook the ABI requires (and the vCPU hooks when it claims preemption);
 * an optional hook it sets is a function (core tests `=== undefined` and then calls it).
 */
export function checkSetupHooks(plugin: ArchPlugin<unknown>, expect: ConformanceExpect, archOptions: unknown): void {
  const options = parseArchOptions(plugin, archOptions);
  const hooks = plugin.setup(options, { coreVersion: CORE_VERSION, abi: plugin.abi, memory: 'sc', mutations: [] });
  expect(validateHooks(plugin, hooks), 'validateHooks returns the hooks').toBe(hooks);
  const h = hooks as unknown as Record<string, unknown>;
  const bad = OPTIONAL_HOOKS.filter((n) => h[n] !== undefined && typeof h[n] !== 'function');
  if (bad.length > 0) {
    throw new PluginLoadError(
      `arch plugin ${plugin.name}: setup() returned optional hooks that are not functions: ${bad.map((n) => `${n} (${typeof h[n]})`).join(', ')} (leave an optional hook out, or make it a function)`,
    );
  }
}

const TEXT_FIELDS = ['source', 'reads', 'consequence'] as const;

/**
 * ArchPlugin.useSites: every entry well formed (a one-line id without surrounding blanks, a
 * kind, and non-empty source / reads / consequence; a stale compare says what changes), ids
 * unique and not core ids (CORE_USE_SITES), at most MAX_USE_SITES with the core's, and a cell
 * of the plugin reports them after the core's, in declaration order (RunResult.siteIds).
 */
export function checkUseSites(plugin: ArchPlugin<unknown>, expect: ConformanceExpect): void {
  const sites: readonly unknown[] = (plugin.useSites as readonly unknown[] | undefined) ?? [];
  const problems: string[] = [];
  if (!Array.isArray(sites)) throw new Error(`arch ${plugin.name}: useSites must be an array of UseSiteDoc, got ${typeof sites}`);
  const core = new Set(CORE_USE_SITES.map((u) => u.id));
  const seen = new Set<string>();
  sites.forEach((raw, i) => {
    const u = raw as Record<string, unknown>;
    const at = `useSites[${i}]${typeof u?.id === 'string' ? ` "${u.id}"` : ''}`;
    if (typeof u !== 'object' || u === null) {
      problems.push(`${at} is not an object`);
      return;
    }
    const extra = Object.keys(u).filter((key) => !['id', 'kind', ...TEXT_FIELDS].includes(key));
    if (extra.length > 0) problems.push(`${at} has unknown fields ${extra.join(', ')}`);
    if (typeof u.id !== 'string' || u.id.trim() === '') problems.push(`${at}: id must be a non-empty string (the kernel function, as results name it)`);
    else {
      if (u.id !== u.id.trim() || /[\n\r\t]/.test(u.id)) problems.push(`${at}: id must be one line without surrounding blanks`);
      if (core.has(u.id))
        problems.push(`${at}: id is a core site (CORE_USE_SITES); name the arch's site by its caller or compare, e.g. "${u.id} (prev == next)"`);
      if (seen.has(u.id)) problems.push(`${at}: id is declared twice`);
      seen.add(u.id);
    }
    if (u.kind !== 'dereference' && u.kind !== 'stale-compare' && u.kind !== 'warn')
      problems.push(`${at}: kind must be dereference, stale-compare or warn, got ${JSON.stringify(u.kind)}`);
    for (const f of TEXT_FIELDS) {
      if (typeof u[f] !== 'string' || (u[f] as string).trim() === '') problems.push(`${at}: ${f} must be a non-empty string`);
    }
  });
  if (sites.length + CORE_USE_SITES.length > MAX_USE_SITES) {
    problems.push(
      `${sites.length} use sites: at most ${MAX_USE_SITES - CORE_USE_SITES.length} besides the core's ${CORE_USE_SITES.length} (a run records them in a 32-bit mask)`,
    );
  }
  if (problems.length > 0) throw new Error(`arch ${plugin.name}: use sites are not well formed:\n  - ${problems.join('\n  - ')}`);
  const sim = new Simulator({ plugin, scheme: 'none', cpus: 1 });
  expect(sim.sites, "a cell reports the core's use sites, then the arch's in declaration order").toEqual([
    ...CORE_USE_SITES.map((u) => u.id),
    ...(plugin.useSites ?? []).map((u) => u.id),
  ]);
}

/** Problems with one declared mutation (empty: fine). */
function mutationProblems(plugin: ArchPlugin<unknown>, m: MutationDoc): string[] {
  const out: string[] = [];
  const at = `mutation "${m.id}"`;
  if (CORE_MUTATIONS.some((c) => c.id === m.id)) out.push(`${at}: the id is a core mutation's`);
  const noVictim = typeof m.noVictim === 'string' ? m.noVictim.trim() : undefined;
  if (m.cells.length === 0 && (noVictim === undefined || noVictim === '')) {
    out.push(`${at}: cells is empty without noVictim: name the cells where the bug bites, or say in noVictim why no modelled cell can kill it`);
  }
  if (m.cells.length > 0 && m.noVictim !== undefined) out.push(`${at}: noVictim is set but cells are named: one or the other`);
  m.cells.forEach((c, i) => {
    const cat = `${at} cells[${i}]`;
    if (c.arch !== plugin.name) {
      out.push(`${cat}: arch "${c.arch}" is not this plugin (${plugin.name}); its mutations run on its own cells`);
      return;
    }
    if (!SCHEMES.includes(c.scheme)) out.push(`${cat}: unknown scheme "${String(c.scheme)}"`);
    if (c.workload !== undefined && !(PROFILE_NAMES as readonly string[]).includes(c.workload))
      out.push(`${cat}: workload "${c.workload}" is not a profile (${PROFILE_NAMES.join(', ')})`);
    if (c.cpus !== undefined && c.cpus > plugin.capabilities.maxCpus)
      out.push(`${cat}: ${c.cpus} CPUs, but the plugin models at most ${plugin.capabilities.maxCpus}`);
    try {
      if (SCHEMES.includes(c.scheme)) resolveSchemeOptions(c.scheme, c.schemeOptions);
      const base = {
        plugin,
        archOptions: c.options ?? {},
        scheme: c.scheme,
        cpus: Math.min(c.cpus ?? 4, plugin.capabilities.maxCpus),
        workload: (c.workload ?? 'default') as (typeof PROFILE_NAMES)[number],
        ...(c.schemeOptions !== undefined ? { schemeOptions: c.schemeOptions } : {}),
        ...(c.preempt !== undefined ? { preempt: c.preempt } : {}),
      };
      new Simulator(base); // the false-alarm cell (no mutation)
      new Simulator({ ...base, mutations: [m.id] });
    } catch (e) {
      out.push(`${cat}: not a valid cell: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  return out;
}

/**
 * ArchPlugin.mutations: ids are the plugin's own (not core ones); each mutation names the
 * cells where the restored bug bites (valid cells of this plugin: its options, a scheme and
 * its options, a profile, a CPU count it models; the cell builds with and without the
 * mutation), or none (`cells: []`) exactly when `noVictim` says why no modelled cell can kill
 * it faithfully.
 */
export function checkMutations(plugin: ArchPlugin<unknown>): void {
  const problems = (plugin.mutations ?? []).flatMap((m) => mutationProblems(plugin, m));
  if (problems.length > 0) throw new Error(`arch ${plugin.name}: declared mutations are not well formed:\n  - ${problems.join('\n  - ')}`);
}
