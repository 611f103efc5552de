/**
 * The lazy-mm schemes (model-spec §6): which of CONFIG_MMU_LAZY_TLB_REFCOUNT and
 * CONFIG_MMU_LAZY_TLB_SHOOTDOWN are set, plus each scheme's options (`NAME:k=v,...`) and what
 * it promises about lazy pointers.
 */
import { z } from 'zod';
import type { SchemePlugin } from '../scheme/abi.js';
import { BUILTIN_SCHEMES, builtinScheme } from '../scheme/builtin/index.js';

/** The schemes shipped with core (scheme plugins: scheme/builtin/). Others come as plugins. */
export const SCHEMES = ['refcount', 'shootdown', 'none'] as const;
export const Scheme = z.enum(SCHEMES);
export type Scheme = z.infer<typeof Scheme>;

/** A scheme name: a built-in one or a scheme plugin's. */
export const SchemeName = z.string().regex(/^[a-z][a-z0-9-]*$/, 'a scheme name is lowercase letters, digits and dashes, starting with a letter');

export const SCHEME_DESCRIPTIONS: Record<Scheme, string> = Object.fromEntries(BUILTIN_SCHEMES.map((s) => [s.name, s.description])) as Record<Scheme, string>;

/** Options of each built-in scheme (their plugins' zod schemas). */
export const SCHEME_OPTIONS: Record<Scheme, z.ZodType> = Object.fromEntries(BUILTIN_SCHEMES.map((s) => [s.name, s.options])) as Record<Scheme, z.ZodType>;

/** Scheme options that differ from the scheme's defaults, e.g. { mask: 'online' } for shootdown. */
export type SchemeOptions = Readonly<Record<string, unknown>>;

/**
 * Whether a dangling lazy pointer is part of a built-in scheme's premise (its plugin's
 * claims.danglingPremise). `refcount` and `shootdown` promise that no lazy pointer outlives
 * the mm (the Kconfig help text; DEBUG_VM_SHOOT_LAZIES WARNs on it), so a lazy pointer naming
 * a freed mm (I3) is a violation under them. `none` (Andy's argument in the seed thread) lets
 * it dangle as long as nothing uses it: under it I3 is a hazard, recorded while the run goes
 * on, and only uses of the freed mm (I14) end a run.
 */
export const SCHEME_DANGLING_PREMISE: Record<Scheme, boolean> = Object.fromEntries(BUILTIN_SCHEMES.map((s) => [s.name, s.claims.danglingPremise])) as Record<
  Scheme,
  boolean
>;

/** Kconfig form of a scheme, as a kernel developer would write it. */
export const Kconfig = z
  .object({
    MMU_LAZY_TLB_REFCOUNT: z.boolean(),
    MMU_LAZY_TLB_SHOOTDOWN: z.boolean(),
  })
  .strict();
export type Kconfig = z.infer<typeof Kconfig>;

export class InvalidKconfigError extends Error {
  override name = 'InvalidKconfigError';
}

/** Map Kconfig symbols to a scheme; REFCOUNT=y with SHOOTDOWN=y is rejected as arch/Kconfig does. */
export function schemeFromKconfig(k: Kconfig): Scheme {
  if (k.MMU_LAZY_TLB_REFCOUNT && k.MMU_LAZY_TLB_SHOOTDOWN) {
    throw new InvalidKconfigError(
      'invalid Kconfig: MMU_LAZY_TLB_REFCOUNT=y with MMU_LAZY_TLB_SHOOTDOWN=y. In arch/Kconfig, ' +
        'MMU_LAZY_TLB_REFCOUNT is "def_bool y, depends on !MMU_LAZY_TLB_SHOOTDOWN": shoot-lazies replaces the ' +
        'lazy refcount, it cannot be combined with it. Allowed: refcount (REFCOUNT=y, SHOOTDOWN=n), shootdown ' +
        '(REFCOUNT=n, SHOOTDOWN=y), none (REFCOUNT=n, SHOOTDOWN=n).',
    );
  }
  if (k.MMU_LAZY_TLB_REFCOUNT) return 'refcount';
  return k.MMU_LAZY_TLB_SHOOTDOWN ? 'shootdown' : 'none';
}

export function kconfigOf(s: Scheme): Kconfig {
  return { MMU_LAZY_TLB_REFCOUNT: s === 'refcount', MMU_LAZY_TLB_SHOOTDOWN: s === 'shootdown' };
}

/** A scheme given either by name or as Kconfig symbols. */
export const SchemeInput = z.union([SchemeName, Kconfig]);
export type SchemeInput = z.infer<typeof SchemeInput>;

/** The scheme's name (Kconfig symbols map to a built-in scheme). */
export function resolveScheme(input: SchemeInput): string {
  return typeof input === 'string' ? input : schemeFromKconfig(input);
}

export class SchemeOptionsError extends Error {
  override name = 'SchemeOptionsError';
}

/**
 * Validate a scheme's options (a built-in scheme by name, or a scheme plugin) and drop the ones
 * equal to their defaults, so `shootdown` and `shootdown:mask=cpumask` are the same cell.
 * Returns null when nothing is left.
 */
export function resolveSchemeOptions(scheme: string | SchemePlugin<unknown>, options: unknown): SchemeOptions | null {
  const plugin = typeof scheme === 'string' ? builtinScheme(scheme) : scheme;
  if (plugin === undefined) {
    throw new SchemeOptionsError(`unknown scheme "${String(scheme)}": core's built-in schemes are ${SCHEMES.join(', ')}; others are scheme plugins`);
  }
  const schema = plugin.options;
  const r = schema.safeParse(options ?? {});
  if (!r.success) {
    const shape = (schema as unknown as { shape?: Record<string, z.ZodType> }).shape ?? {};
    const allowed = Object.entries(shape)
      .map(([k, v]) => `${k} (${v.description ?? 'see lazytlb schemes'})`)
      .join('; ');
    const issues = r.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new SchemeOptionsError(
      `invalid options for scheme ${plugin.name}:\n${issues}\n  allowed: ${allowed === '' ? 'none (this scheme takes no options)' : allowed}`,
    );
  }
  const refusal = plugin.structuralRefusal?.(r.data) ?? null;
  if (refusal !== null) throw new SchemeOptionsError(`scheme ${plugin.name}: ${refusal}`);
  const defaults = schema.parse({}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r.data as Record<string, unknown>)) if (defaults[k] !== v) out[k] = v;
  return Object.keys(out).length > 0 ? out : null;
}

/** "shootdown:mask=online" as a label (options sorted); the inverse of the CLI form. */
export function formatScheme(scheme: string, options: SchemeOptions | null | undefined): string {
  const o = Object.entries(options ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  return o.length > 0 ? `${scheme}:${o.map(([k, v]) => `${k}=${String(v)}`).join(',')}` : scheme;
}

/** The preemption models (CONFIG_PREEMPT_*); `full` is the default of a cell. */
export const PreemptModel = z.enum(['none', 'voluntary', 'full', 'rt']);
export type PreemptModel = z.infer<typeof PreemptModel>;
export const DEFAULT_PREEMPT: PreemptModel = 'full';
