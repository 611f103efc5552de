/**
 * Load-time checks of a scheme plugin: the descriptor (core's validateSchemePlugin, and what
 * it leaves open: a name that shadows a built-in scheme, blank texts), the Kconfig it stands
 * for, its claims, its options schema (defaults, listed values that form cells and survive the
 * CLI's `name:key=value` form, garbage refused), its use sites, and the hooks setup() returns
 * for every arch and memory model it may be set up for.
 */
import {
  CORE_USE_SITES,
  CORE_VERSION,
  INVARIANT_IDS,
  MAX_USE_SITES,
  PluginLoadError,
  SUPPORTED_SCHEME_ABIS,
  SchemeOptionsError,
  Simulator,
  builtinScheme,
  canonicalJson,
  formatScheme,
  parseArchOptions,
  referenceArch,
  resolveSchemeOptions,
  validateSchemeHooks,
  validateSchemePlugin,
  type SchemePlugin,
} from '@lazytlb/core';
import { garbageOptionCases } from '../descriptor.js';
import type { ConformanceExpect } from '../runner.js';
import { memoryModelsOf, type SchemeConformanceArch } from './cell.js';

type AnyScheme = SchemePlugin<any>;

/** The scheme has no rq->prev_mm (restructures.noPrevMm): no mmdrop_lazy_tlb at finish_task_switch. */
export function hasNoPrevMm(plugin: AnyScheme): boolean {
  return (plugin as { restructures?: { noPrevMm?: boolean } }).restructures?.noPrevMm === true;
}

/**
 * Barriers other kernel code borrows from the lazy-mm helpers (kernel-reference §12.3; core's
 * scheme/builtin/barriers.ts): every scheme must say whether it provides each, and how, or
 * what replaces it. With `provided: true` the suite checks that the helper executes a full
 * barrier at the call site the borrower relies on (see probe.ts); a scheme without rq->prev_mm
 * (restructures.noPrevMm) has no mmdrop_lazy_tlb at finish_task_switch to check.
 */
export const BORROWED_BARRIERS: readonly {
  readonly id: string;
  readonly hook: 'mmdrop_lazy_tlb' | 'mmgrab_lazy_tlb';
  readonly site: string;
  readonly borrower: string;
}[] = [
  {
    id: 'mmdrop_lazy_tlb-smp_mb',
    hook: 'mmdrop_lazy_tlb',
    site: 'finish_task_switch',
    borrower: "membarrier: the full barrier between a kernel -> user switch's rq->curr store and user code (mmdrop_lazy_tlb_sched in finish_task_switch)",
  },
  {
    id: 'mmgrab-atomic',
    hook: 'mmgrab_lazy_tlb',
    site: 'context_switch',
    borrower: 'switch_mm_cid (v6.4-v6.18): smp_mb__after_mmgrab() after mmgrab_lazy_tlb in context_switch',
  },
];

const TEXT = (v: unknown): boolean => typeof v === 'string' && v.trim() !== '';

/** validateSchemePlugin accepts it (and returns it); a cell builds with it; no built-in scheme is shadowed. */
export function checkSchemeDescriptor(plugin: AnyScheme, expect: ConformanceExpect): void {
  const validated = validateSchemePlugin(plugin, `${String(plugin?.name)} (conformance)`);
  expect(validated, 'validateSchemePlugin returns the descriptor itself').toBe(plugin);
  expect(
    (SUPPORTED_SCHEME_ABIS as readonly number[]).includes(plugin.abi),
    `abi ${plugin.abi} (this core loads scheme ABI ${SUPPORTED_SCHEME_ABIS.join(', ')})`,
  ).toBe(true);
  const problems: string[] = [];
  const builtin = builtinScheme(plugin.name);
  if (builtin !== undefined && builtin !== plugin) {
    problems.push(
      `name "${plugin.name}" is a built-in scheme's: cells, CLI flags and results would mix the two up; name yours after its design (e.g. "${plugin.name}-percpu")`,
    );
  }
  for (const f of ['description', 'source'] as const) if (!TEXT(plugin[f])) problems.push(`${f} is blank`);
  if (problems.length > 0) throw new Error(`scheme plugin ${plugin.name}: descriptor problems:\n  - ${problems.join('\n  - ')}`);
  const sim = new Simulator({ plugin: referenceArch, scheme: plugin.name, schemePlugin: plugin, cpus: 1 });
  expect(sim.cell.scheme, 'a cell of the scheme records its name').toBe(plugin.name);
  expect(sim.cell.schemeVersion, 'a cell of a scheme plugin records its version (a built-in scheme: none)').toBe(
    builtin === plugin ? undefined : plugin.version,
  );
}

const KCONFIG_ASSIGNMENT = /^(?:CONFIG_)?([A-Z][A-Z0-9_]*)=(\S+)/;

/**
 * The Kconfig the scheme stands for is possible: MMU_LAZY_TLB_REFCOUNT=y with
 * MMU_LAZY_TLB_SHOOTDOWN=y is not (arch/Kconfig: REFCOUNT "depends on !SHOOTDOWN"), and
 * core refuses such a plugin. `other` entries (shown as they are in the LKML header of a
 * finding) are non-blank single lines; one that starts SYMBOL=value names each symbol once and
 * does not contradict the two symbols the fields hold.
 */
export function checkSchemeKconfig(plugin: AnyScheme): void {
  const k = plugin.kconfig as unknown as Record<string, unknown> | undefined;
  const problems: string[] = [];
  if (typeof k !== 'object' || k === null)
    throw new Error(`scheme plugin ${plugin.name}: kconfig must be an object { MMU_LAZY_TLB_REFCOUNT, MMU_LAZY_TLB_SHOOTDOWN, other? }`);
  for (const s of ['MMU_LAZY_TLB_REFCOUNT', 'MMU_LAZY_TLB_SHOOTDOWN'])
    if (typeof k[s] !== 'boolean') problems.push(`${s} must be a boolean, got ${JSON.stringify(k[s])}`);
  if (k.MMU_LAZY_TLB_REFCOUNT === true && k.MMU_LAZY_TLB_SHOOTDOWN === true) {
    problems.push(
      'MMU_LAZY_TLB_REFCOUNT=y with MMU_LAZY_TLB_SHOOTDOWN=y is impossible: in arch/Kconfig MMU_LAZY_TLB_REFCOUNT is "def_bool y, depends on ' +
        '!MMU_LAZY_TLB_SHOOTDOWN" (shoot-lazies replaces the lazy refcount). A scheme that keeps references and also shoots lazies says REFCOUNT=n, ' +
        'SHOOTDOWN=y and names what it adds in kconfig.other',
    );
    let refused = false;
    try {
      new Simulator({ plugin: referenceArch, scheme: plugin.name, schemePlugin: plugin, cpus: 1 });
    } catch (e) {
      refused = e instanceof PluginLoadError;
    }
    if (!refused) problems.push('and core did not refuse a cell of it with a PluginLoadError');
  }
  const other = k.other;
  if (other !== undefined) {
    if (!Array.isArray(other)) problems.push('other must be an array of strings ("SYMBOL=value", e.g. "MMU_LAZY_TLB_IMPLICIT_SHOOTDOWN=y")');
    else {
      const seen = new Set<string>();
      for (const s of other as unknown[]) {
        if (typeof s !== 'string' || s.trim() === '' || /[\n\r]/.test(s)) {
          problems.push(`other: ${JSON.stringify(s)} must be a non-blank single line (e.g. "MMU_LAZY_TLB_IMPLICIT_SHOOTDOWN=y")`);
          continue;
        }
        const m = KCONFIG_ASSIGNMENT.exec(s.trim());
        if (m === null) continue;
        const [, sym, value] = m as unknown as [string, string, string];
        if (sym === 'MMU_LAZY_TLB_REFCOUNT' || sym === 'MMU_LAZY_TLB_SHOOTDOWN') {
          const field = k[sym] === true ? 'y' : 'n';
          if (value !== field) problems.push(`other: "${s}" contradicts kconfig.${sym} (${field})`);
        }
        if (seen.has(sym)) problems.push(`other: ${sym} is given twice`);
        seen.add(sym);
      }
    }
  }
  if (problems.length > 0) throw new Error(`scheme plugin ${plugin.name}: kconfig is not a possible Kconfig:\n  - ${problems.join('\n  - ')}`);
}

/**
 * Claims are well formed: barrier and arch-claim ids unique and one line, texts not blank,
 * every barrier other code borrows from the lazy-mm helpers (BORROWED_BARRIERS) declared,
 * arch claims checked by an oracle of this core.
 */
export function checkSchemeClaims(plugin: AnyScheme): void {
  const c = plugin.claims as unknown as { danglingPremise?: unknown; barriers?: unknown; arch?: unknown } | undefined;
  if (typeof c !== 'object' || c === null) throw new Error(`scheme plugin ${plugin.name}: claims must be an object { danglingPremise, barriers, arch }`);
  const problems: string[] = [];
  if (typeof c.danglingPremise !== 'boolean') problems.push(`danglingPremise must be a boolean, got ${JSON.stringify(c.danglingPremise)}`);
  const list = (name: string, v: unknown): Record<string, unknown>[] => {
    if (!Array.isArray(v)) {
      problems.push(`${name} must be an array`);
      return [];
    }
    return v as Record<string, unknown>[];
  };
  const ids = (name: string, entries: Record<string, unknown>[], texts: readonly string[]): void => {
    const seen = new Set<string>();
    entries.forEach((e, i) => {
      const at = `${name}[${i}]${typeof e?.id === 'string' ? ` "${e.id}"` : ''}`;
      if (typeof e !== 'object' || e === null) {
        problems.push(`${at} is not an object`);
        return;
      }
      if (!TEXT(e.id) || e.id !== (e.id as string).trim() || /[\n\r\t]/.test(e.id as string))
        problems.push(`${at}: id must be a non-empty one-line string without surrounding blanks`);
      else if (seen.has(e.id as string)) problems.push(`${at}: id is declared twice`);
      else seen.add(e.id as string);
      for (const f of texts) if (!TEXT(e[f])) problems.push(`${at}: ${f} must not be blank`);
    });
  };
  const barriers = list('barriers', c.barriers);
  ids('barriers', barriers, ['reliedOnBy', 'how']);
  barriers.forEach((b, i) => {
    if (typeof b?.provided !== 'boolean') problems.push(`barriers[${i}]: provided must be a boolean`);
  });
  for (const known of BORROWED_BARRIERS) {
    if (!barriers.some((b) => b?.id === known.id)) {
      problems.push(
        `barriers: "${known.id}" is not declared. ${known.borrower} relies on ${known.hook}; say whether this scheme provides it ` +
          `({ id: "${known.id}", reliedOnBy, provided: true, how }) or what replaces it (provided: false, how)`,
      );
    }
  }
  const arch = list('arch', c.arch);
  ids('arch', arch, ['description']);
  arch.forEach((a, i) => {
    if (!(INVARIANT_IDS as readonly unknown[]).includes(a?.checkedBy))
      problems.push(`arch[${i}]: checkedBy ${JSON.stringify(a?.checkedBy)} is not an oracle of this core (${INVARIANT_IDS.join(', ')})`);
  });
  if (problems.length > 0) throw new Error(`scheme plugin ${plugin.name}: claims are not well formed:\n  - ${problems.join('\n  - ')}`);
}

// ---- options ------------------------------------------------------------------------------

interface ZodDef {
  readonly type?: string;
  readonly innerType?: unknown;
  readonly shape?: Record<string, unknown>;
  readonly entries?: Record<string, unknown>;
  readonly values?: readonly unknown[];
}

function defOf(s: unknown): ZodDef | undefined {
  return (s as { _zod?: { def?: ZodDef } } | null)?._zod?.def;
}

/** The fields of an options schema that is a zod object, else null. */
export function optionFields(plugin: AnyScheme): Record<string, unknown> | null {
  const d = defOf(plugin.options);
  return d?.type === 'object' && d.shape !== undefined ? d.shape : null;
}

const WRAPPERS = new Set(['default', 'optional', 'prefault', 'readonly', 'nonoptional', 'catch']);

/** The values an option field can take when they can be listed (enum, boolean, literal), else null. */
export function listOptionValues(field: unknown): readonly unknown[] | null {
  let d = defOf(field);
  for (let i = 0; i < 8 && d !== undefined && WRAPPERS.has(d.type ?? ''); i++) d = defOf(d.innerType);
  switch (d?.type) {
    case 'enum':
      return Object.values(d.entries ?? {});
    case 'boolean':
      return [false, true];
    case 'literal':
      return d.values ?? null;
    default:
      return null;
  }
}

/** The scheme's defaults (options.parse({})), or null when the schema refuses {}. */
function defaultsOf(plugin: AnyScheme): Record<string, unknown> | null {
  const r = plugin.options?.safeParse?.({});
  return r?.success === true ? (r.data as Record<string, unknown>) : null;
}

/**
 * The default option sets of the dynamic checks: {} and each listed non-default value of each
 * option on its own (skipping ones the scheme refuses structurally).
 */
export function listedOptionSets(plugin: AnyScheme): unknown[] {
  const out: unknown[] = [{}];
  try {
    const fields = optionFields(plugin);
    const defaults = defaultsOf(plugin);
    if (fields === null || defaults === null) return out;
    for (const [key, field] of Object.entries(fields)) {
      for (const v of listOptionValues(field) ?? []) {
        if (v === defaults[key]) continue;
        try {
          if (resolveSchemeOptions(plugin as SchemePlugin<unknown>, { [key]: v }) !== null) out.push({ [key]: v });
        } catch {
          // refused (structurally, or the value is broken: checkSchemeOptionValues says which)
        }
      }
    }
  } catch {
    // a schema the suite cannot introspect: only {} (checkSchemeOptionValues reports it)
  }
  return out;
}

/**
 * `{}` parses to defaults that survive JSON (artifacts record the options) and re-parse to
 * themselves (replay re-parses them); the default option set is not refused structurally;
 * given explicitly, the defaults make the same cell as {} (resolveSchemeOptions drops them);
 * every option set of the dynamic checks resolves, idempotently.
 */
export function checkSchemeDefaultOptions(plugin: AnyScheme, expect: ConformanceExpect, optionSets: readonly unknown[]): void {
  const r = plugin.options.safeParse({});
  if (!r.success) throw new Error(`scheme plugin ${plugin.name}: its options schema must accept {} (every option needs a default): ${r.error.message}`);
  const defaults = r.data as unknown;
  const json = JSON.parse(JSON.stringify(defaults ?? null)) as unknown;
  expect(json, `defaults ${JSON.stringify(json)} are JSON-safe (artifacts record options)`).toEqual(defaults);
  expect(canonicalJson(plugin.options.parse(json)), 'the defaults re-parse to themselves (replay re-parses them)').toBe(canonicalJson(defaults));
  const refusal: unknown = plugin.structuralRefusal?.(defaults) ?? null;
  if (refusal !== null)
    throw new Error(`scheme plugin ${plugin.name}: structuralRefusal refuses the default options: ${String(refusal)} (the defaults must form a cell)`);
  expect(resolveSchemeOptions(plugin as SchemePlugin<unknown>, {}), '{} resolves to no options (the default cell)').toBe(null);
  expect(resolveSchemeOptions(plugin as SchemePlugin<unknown>, defaults), 'the defaults given explicitly resolve to no options (the same cell as {})').toBe(
    null,
  );
  for (const given of optionSets) {
    const resolved = resolveSchemeOptions(plugin as SchemePlugin<unknown>, given);
    const again = resolveSchemeOptions(plugin as SchemePlugin<unknown>, resolved ?? {});
    expect(again, `options ${JSON.stringify(given)} resolve to ${JSON.stringify(resolved)}, which resolves to itself`).toEqual(resolved);
    expect(JSON.parse(JSON.stringify(resolved)), `options ${JSON.stringify(given)} resolve to JSON-safe values`).toEqual(resolved);
  }
}

const OPTION_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What the CLI makes of a value written as `key=value` (apps/sweep coerceOptionValue). */
export function coerceCliValue(raw: string): unknown {
  const v = raw.trim();
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (v !== '' && /^-?(\d+(\.\d+)?|\.\d+)(e[+-]?\d+)?$/i.test(v)) return Number(v);
  return v;
}

/**
 * The options are a zod object of named options, each with a description (shown when an
 * option is refused), a default, a key and values that survive the CLI form
 * `name:key=value`; each listed value (enum, boolean, literal) is accepted and forms a cell
 * whose label names it (or is refused by structuralRefusal, which returns a string or null).
 */
export function checkSchemeOptionValues(plugin: AnyScheme): void {
  const fields = optionFields(plugin);
  if (fields === null) {
    throw new Error(
      `scheme plugin ${plugin.name}: options must be a zod object of named options (z.object({ ... }).strict()), so that they can be written name:key=value`,
    );
  }
  const defaults = defaultsOf(plugin) ?? {};
  const problems: string[] = [];
  for (const [key, field] of Object.entries(fields)) {
    const at = `option "${key}"`;
    if (!OPTION_KEY.test(key)) problems.push(`${at}: the key must be letters, digits and _ (the CLI writes ${plugin.name}:${key}=...)`);
    const description = (field as { description?: unknown }).description;
    if (!TEXT(description)) problems.push(`${at} has no description (.describe('...') on the outermost schema: it is what an error for a refused value lists)`);
    if (defaults[key] === undefined) problems.push(`${at} has no default (options.parse({}) leaves it undefined; give it .default(...))`);
    const values = listOptionValues(field) ?? (defaults[key] !== undefined ? [defaults[key]] : []);
    for (const v of values) {
      const text = String(v);
      if (typeof v === 'string' && (/[,=:\s]/.test(v) || v === '')) {
        problems.push(`${at}: value ${JSON.stringify(v)} cannot be written ${plugin.name}:${key}=${text} (no ',', '=', ':' or blanks)`);
        continue;
      }
      if (coerceCliValue(text) !== v) {
        problems.push(`${at}: value ${JSON.stringify(v)} does not survive the CLI: ${key}=${text} reads back as ${JSON.stringify(coerceCliValue(text))}`);
        continue;
      }
      let resolved: Readonly<Record<string, unknown>> | null;
      try {
        resolved = resolveSchemeOptions(plugin as SchemePlugin<unknown>, { [key]: v });
      } catch (e) {
        const parsed = plugin.options.safeParse({ [key]: v });
        const refusal: unknown = parsed.success ? plugin.structuralRefusal?.(parsed.data) : undefined;
        if (parsed.success && typeof refusal === 'string' && refusal.trim() !== '') continue; // refused structurally, with a reason
        problems.push(`${at}: value ${JSON.stringify(v)} is not accepted: ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      if (v === defaults[key]) {
        if (resolved !== null)
          problems.push(`${at}: its default ${JSON.stringify(v)} given explicitly resolves to ${JSON.stringify(resolved)}, not to the default cell`);
        continue;
      }
      if (canonicalJson(resolved) !== canonicalJson({ [key]: v })) {
        problems.push(`${at}: ${key}=${text} resolves to ${JSON.stringify(resolved)}, expected ${JSON.stringify({ [key]: v })}`);
        continue;
      }
      try {
        const sim = new Simulator({ plugin: referenceArch, scheme: plugin.name, schemePlugin: plugin, schemeOptions: { [key]: v }, cpus: 1 });
        const label = formatScheme(plugin.name, sim.cell.schemeOptions);
        if (label !== `${plugin.name}:${key}=${text}`) problems.push(`${at}: the cell of ${key}=${text} is labelled ${label}`);
      } catch (e) {
        problems.push(`${at}: ${key}=${text} does not form a cell: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    for (const v of values) {
      const parsed = plugin.options.safeParse({ [key]: v });
      if (!parsed.success || plugin.structuralRefusal === undefined) continue;
      let refusal: unknown;
      try {
        refusal = plugin.structuralRefusal(parsed.data);
      } catch (e) {
        problems.push(`${at}: structuralRefusal threw for ${key}=${String(v)}: ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      if (refusal !== null && (typeof refusal !== 'string' || refusal.trim() === '')) {
        problems.push(`${at}: structuralRefusal returned ${JSON.stringify(refusal)} for ${key}=${String(v)} (a reason string, or null when fine)`);
      }
    }
  }
  if (problems.length > 0) throw new Error(`scheme plugin ${plugin.name}: options are not well formed:\n  - ${problems.join('\n  - ')}`);
}

function schemeRejection(plugin: AnyScheme, value: unknown): SchemeOptionsError | string {
  try {
    resolveSchemeOptions(plugin as SchemePlugin<unknown>, value);
  } catch (e) {
    if (e instanceof SchemeOptionsError) return e;
    return `threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} instead of a SchemeOptionsError`;
  }
  return 'was accepted';
}

/** Garbage options are refused with a SchemeOptionsError naming the scheme and the issue, before any run. */
export function checkSchemeGarbageOptions(plugin: AnyScheme, strict: boolean, extra: readonly unknown[]): void {
  const problems: string[] = [];
  for (const [value, mustName] of garbageOptionCases(strict, extra)) {
    const r = schemeRejection(plugin, value);
    if (typeof r === 'string') {
      problems.push(`options ${JSON.stringify(value)} ${r}`);
      continue;
    }
    const schemaError = r.message.includes(`invalid options for scheme ${plugin.name}`) && /\n {2}- /.test(r.message);
    const structural = r.message.startsWith(`scheme ${plugin.name}: `);
    if (!schemaError && !structural) problems.push(`the error for ${JSON.stringify(value)} does not name the scheme and the issue: ${r.message}`);
    if (mustName !== null && !r.message.includes(mustName)) {
      problems.push(`the error for the unknown option "${mustName}" does not name it (use a strict zod object): ${r.message}`);
    }
  }
  let cellRefused = false;
  try {
    new Simulator({ plugin: referenceArch, scheme: plugin.name, schemePlugin: plugin, schemeOptions: 42, cpus: 1 });
  } catch (e) {
    cellRefused = e instanceof SchemeOptionsError;
  }
  if (!cellRefused) problems.push('new Simulator({ schemeOptions: 42 }) was not refused with a SchemeOptionsError');
  if (problems.length > 0)
    throw new Error(`scheme plugin ${plugin.name}: invalid options must be refused with a clear SchemeOptionsError:\n  - ${problems.join('\n  - ')}`);
}

const SITE_TEXTS = ['source', 'reads', 'consequence'] as const;

/**
 * useSites: well formed (one-line ids, a kind, non-blank texts), unique, not the core's or an
 * arch's it runs with, at most MAX_USE_SITES with those; a cell reports them after the core's
 * and the arch's, in declaration order (RunResult.siteIds). patchedSites(options), for every
 * option set, returns an array of distinct ids without throwing (core ignores an id a cell
 * does not declare, so only the form can be checked here).
 */
export function checkSchemeUseSites(
  plugin: AnyScheme,
  expect: ConformanceExpect,
  arches: readonly SchemeConformanceArch[],
  optionSets: readonly unknown[] = [{}],
): void {
  const sites: unknown = plugin.useSites ?? [];
  if (!Array.isArray(sites)) throw new Error(`scheme plugin ${plugin.name}: useSites must be an array of UseSiteDoc`);
  const problems: string[] = [];
  const taken = new Map<string, string>(CORE_USE_SITES.map((u) => [u.id, 'a core site (CORE_USE_SITES)']));
  for (const a of arches) for (const u of a.plugin.useSites ?? []) taken.set(u.id, `arch ${a.plugin.name}'s site`);
  const seen = new Set<string>();
  (sites as Record<string, unknown>[]).forEach((u, i) => {
    const at = `useSites[${i}]${typeof u?.id === 'string' ? ` "${u.id}"` : ''}`;
    if (typeof u !== 'object' || u === null) {
      problems.push(`${at} is not an object`);
      return;
    }
    if (!TEXT(u.id) || u.id !== (u.id as string).trim() || /[\n\r\t]/.test(u.id as string))
      problems.push(`${at}: id must be a non-empty one-line string without surrounding blanks`);
    else {
      const owner = taken.get(u.id as string);
      if (owner !== undefined) problems.push(`${at}: id is ${owner}; name the scheme's site by its function or compare`);
      if (seen.has(u.id as string)) problems.push(`${at}: id is declared twice`);
      seen.add(u.id as string);
    }
    if (u.kind !== 'dereference' && u.kind !== 'stale-compare' && u.kind !== 'warn') problems.push(`${at}: kind must be dereference, stale-compare or warn`);
    for (const f of SITE_TEXTS) if (!TEXT(u[f])) problems.push(`${at}: ${f} must not be blank`);
  });
  for (const a of arches) {
    const n = CORE_USE_SITES.length + (a.plugin.useSites?.length ?? 0) + (sites as unknown[]).length;
    if (n > MAX_USE_SITES)
      problems.push(`with arch ${a.plugin.name}, core + arch + scheme declare ${n} use sites: at most ${MAX_USE_SITES} (a run records them in a 32-bit mask)`);
  }
  const patched = (plugin as { patchedSites?: unknown }).patchedSites;
  if (patched !== undefined) {
    for (const given of optionSets) {
      const at = `patchedSites(${JSON.stringify(given)})`;
      let ids: unknown;
      try {
        ids = (patched as (o: unknown) => unknown).call(plugin, plugin.options.parse(given ?? {}));
      } catch (e) {
        problems.push(`${at} threw: ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      if (!Array.isArray(ids)) {
        problems.push(`${at} returned ${typeof ids}: an array of use-site ids (core, arch or scheme)`);
        continue;
      }
      const seen2 = new Set<unknown>();
      for (const id of ids as unknown[]) {
        if (typeof id !== 'string' || id.trim() === '' || id !== id.trim()) problems.push(`${at}: ${JSON.stringify(id)} is not a use-site id`);
        else if (seen2.has(id)) problems.push(`${at}: "${id}" is listed twice`);
        seen2.add(id);
      }
    }
  }
  if (problems.length > 0) throw new Error(`scheme plugin ${plugin.name}: use sites are not well formed:\n  - ${problems.join('\n  - ')}`);
  const sim = new Simulator({ plugin: referenceArch, scheme: plugin.name, schemePlugin: plugin, cpus: 1 });
  expect(sim.sites, "a cell reports the core's use sites, then the arch's, then the scheme's in declaration order").toEqual([
    ...CORE_USE_SITES.map((u) => u.id),
    ...(referenceArch.useSites ?? []).map((u) => u.id),
    ...(plugin.useSites ?? []).map((u) => u.id),
  ]);
}

/** setup() returns complete hooks (validateSchemeHooks) for every arch and memory model the scheme runs with. */
export function checkSchemeSetup(plugin: AnyScheme, expect: ConformanceExpect, schemeOptions: unknown, arches: readonly SchemeConformanceArch[]): void {
  const options: unknown = plugin.options.parse(schemeOptions ?? {});
  for (const a of arches) {
    for (const memory of memoryModelsOf(a)) {
      const env = { coreVersion: CORE_VERSION, abi: plugin.abi, memory, arch: a.plugin.name, archOptions: parseArchOptions(a.plugin, a.archOptions) };
      let hooks: unknown;
      try {
        hooks = plugin.setup(options, env);
      } catch (e) {
        throw new Error(
          `scheme plugin ${plugin.name}: setup(${JSON.stringify(options)}, ${JSON.stringify(env)}) threw: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
      expect(validateSchemeHooks(plugin as SchemePlugin<unknown>, hooks), `validateSchemeHooks returns the hooks (${a.plugin.name}, ${memory})`).toBe(hooks);
    }
  }
}
