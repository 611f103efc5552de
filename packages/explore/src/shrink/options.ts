/**
 * Arch options as a shrinking dimension. Every option has a default (the plugin's schema
 * fills it from `{}`); an option set is simpler than another when it has fewer options away
 * from their defaults, and, at the same count, when option by option (sorted by name) its
 * values rank lower: the default ranks 0, then an enum's other values in declaration order,
 * and any other non-default value ranks 1 (an option marked `.meta({ shrink: 'default-only' })`,
 * such as x86's `release`, is not ranked by its values: only its default is simpler). This is a
 * deterministic total preorder, and every
 * candidate the shrinker tries (one option set to its default, or an enum option to a value
 * of lower rank) is strictly simpler than the set it came from.
 */
import type { ArchPlugin } from '@lazytlb/core';
import { z } from 'zod';

type Options = Record<string, unknown>;

interface JsonSchemaProp {
  enum?: unknown[];
  anyOf?: JsonSchemaProp[];
  /** zod `.meta({ shrink: 'default-only' })`: the option's other values are not simpler (e.g. another kernel release). */
  shrink?: string;
}

/** What the shrinker knows about a plugin's options: their defaults and enum values. */
export interface OptionSpace {
  readonly defaults: Readonly<Options>;
  /** Enum options' allowed values, in declaration order. */
  readonly enums: ReadonlyMap<string, readonly unknown[]>;
  /** Options without a default (absent means "derived", e.g. x86's cpumask from its release): their default is absence. */
  readonly optional: ReadonlySet<string>;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

export function optionSpace(plugin: ArchPlugin<any>): OptionSpace {
  const parsed = plugin.options.safeParse({});
  const defaults: Options = parsed.success && typeof parsed.data === 'object' && parsed.data !== null ? { ...(parsed.data as Options) } : {};
  const enums = new Map<string, readonly unknown[]>();
  const optional = new Set<string>();
  try {
    const js = z.toJSONSchema(plugin.options as z.ZodType, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, JsonSchemaProp> };
    for (const [name, p] of Object.entries(js.properties ?? {})) {
      const values = p.enum ?? p.anyOf?.flatMap((x) => x.enum ?? []);
      if (values !== undefined && values.length > 1 && p.shrink !== 'default-only') enums.set(name, values);
      if (!(name in defaults)) optional.add(name);
    }
  } catch {
    // Not representable as JSON Schema: shrink options to their defaults only.
  }
  return { defaults, enums, optional };
}

function asOptions(o: unknown): Options {
  return typeof o === 'object' && o !== null ? (o as Options) : {};
}

/** Rank of `value` for option `name`: 0 for the default, enum position (default skipped) or 1 otherwise. */
function rank(space: OptionSpace, name: string, value: unknown): number {
  if (same(value, space.defaults[name])) return 0;
  const values = space.enums.get(name);
  if (values === undefined) return 1;
  const others = values.filter((v) => !same(v, space.defaults[name]));
  const i = others.findIndex((v) => same(v, value));
  return i < 0 ? others.length + 1 : i + 1;
}

/** The options that differ from their defaults, as sorted `name=value` strings. */
export function nonDefaultOptions(space: OptionSpace, options: unknown): string[] {
  const o = asOptions(options);
  return Object.keys(o)
    .sort()
    .filter((k) => o[k] !== undefined && !same(o[k], space.defaults[k]))
    .map((k) => `${k}=${typeof o[k] === 'string' || typeof o[k] === 'number' || typeof o[k] === 'boolean' ? String(o[k]) : JSON.stringify(o[k])}`);
}

/** Negative when `a` is simpler than `b`, 0 when equally simple, positive otherwise. */
export function compareSimplicity(space: OptionSpace, a: unknown, b: unknown): number {
  const oa = asOptions(a);
  const ob = asOptions(b);
  const na = nonDefaultOptions(space, oa).length;
  const nb = nonDefaultOptions(space, ob).length;
  if (na !== nb) return na - nb;
  for (const k of [...new Set([...Object.keys(oa), ...Object.keys(ob)])].sort()) {
    const d = rank(space, k, oa[k] ?? space.defaults[k]) - rank(space, k, ob[k] ?? space.defaults[k]);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Simpler option sets one change away from `options`, in a fixed order: by option name, each
 * non-default option at its default first, then each enum option at the other values of lower
 * rank (lowest rank first).
 */
export function simplerOptionCandidates(space: OptionSpace, options: unknown): Options[] {
  const o = asOptions(options);
  const out: Options[] = [];
  for (const k of Object.keys(o).sort()) {
    if (o[k] === undefined || same(o[k], space.defaults[k])) continue;
    if (k in space.defaults) {
      out.push({ ...o, [k]: space.defaults[k] });
    } else if (space.optional.has(k)) {
      const { [k]: _dropped, ...rest } = o; // an option without a default: absent is its default
      out.push(rest);
    }
  }
  for (const k of Object.keys(o).sort()) {
    const values = space.enums.get(k);
    if (values === undefined) continue;
    const r = rank(space, k, o[k]);
    for (const v of values) {
      const rv = rank(space, k, v);
      if (rv > 0 && rv < r) out.push({ ...o, [k]: v });
    }
  }
  return out;
}
