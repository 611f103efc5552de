/**
 * The lazy-mm schemes (model-spec §6): which of CONFIG_MMU_LAZY_TLB_REFCOUNT and
 * CONFIG_MMU_LAZY_TLB_SHOOTDOWN are set, plus each scheme's options (`NAME:k=v,...`) and what
 * it promises about lazy pointers.
 */
import { z } from 'zod';
import { SCHEME_NONE, SCHEME_REFCOUNT, SCHEME_SHOOTDOWN } from '../model/constants.js';

export const SCHEMES = ['refcount', 'shootdown', 'none'] as const;
export const Scheme = z.enum(SCHEMES);
export type Scheme = z.infer<typeof Scheme>;

export const SCHEME_DESCRIPTIONS: Record<Scheme, string> = {
  refcount: 'MMU_LAZY_TLB_REFCOUNT=y: lazy users hold mm_count (mainline default)',
  shootdown: 'MMU_LAZY_TLB_REFCOUNT=n, MMU_LAZY_TLB_SHOOTDOWN=y: __mmdrop IPIs mm_cpumask and lazy users switch to init_mm',
  none: 'MMU_LAZY_TLB_REFCOUNT=n, MMU_LAZY_TLB_SHOOTDOWN=n: not expressible in mainline Kconfig (the seed thread\'s x86 question)',
};

/**
 * Options of each scheme. `shootdown`'s `mask` is which CPUs cleanup_lazy_tlbs() IPIs: the
 * arch's mm_cpumask (mainline kernel/fork.c) or every online CPU (what
 * CONFIG_DEBUG_VM_SHOOT_LAZIES' on_each_cpu() does; the only variant that can work on an arch
 * that keeps no mm_cpumask for user mms, such as arm64).
 */
export const SCHEME_OPTIONS = {
  refcount: z.object({}).strict(),
  shootdown: z
    .object({
      mask: z
        .enum(['cpumask', 'online'])
        .default('cpumask')
        .describe('CPUs cleanup_lazy_tlbs() IPIs: mm_cpumask(mm) (mainline) or every online CPU (DEBUG_VM_SHOOT_LAZIES on_each_cpu)'),
    })
    .strict(),
  none: z.object({}).strict(),
} as const satisfies Record<Scheme, z.ZodType>;

export type SchemeOptions = { readonly mask?: 'cpumask' | 'online' };

/**
 * Whether a dangling lazy pointer is part of the scheme's premise. `refcount` and `shootdown`
 * promise that no lazy pointer outlives the mm (the Kconfig help text; DEBUG_VM_SHOOT_LAZIES
 * WARNs on it), so a lazy pointer naming a freed mm (I3) is a violation under them. `none`
 * (Andy's argument in the seed thread) lets it dangle as long as nothing uses it: under it I3
 * is a hazard, recorded while the run goes on, and only uses of the freed mm (I14) end a run.
 */
export const SCHEME_DANGLING_PREMISE: Record<Scheme, boolean> = { refcount: false, shootdown: false, none: true };

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
export const SchemeInput = z.union([Scheme, Kconfig]);
export type SchemeInput = z.infer<typeof SchemeInput>;

export function resolveScheme(input: SchemeInput): Scheme {
  return typeof input === 'string' ? input : schemeFromKconfig(input);
}

export class SchemeOptionsError extends Error {
  override name = 'SchemeOptionsError';
}

/**
 * Validate a scheme's options and drop the ones equal to their defaults, so `shootdown` and
 * `shootdown:mask=cpumask` are the same cell. Returns null when nothing is left.
 */
export function resolveSchemeOptions(scheme: Scheme, options: unknown): SchemeOptions | null {
  const schema = SCHEME_OPTIONS[scheme];
  const r = schema.safeParse(options ?? {});
  if (!r.success) {
    const allowed = Object.entries(schema.shape as Record<string, z.ZodType>)
      .map(([k, v]) => `${k} (${v.description ?? 'see lazytlb schemes'})`)
      .join('; ');
    const issues = r.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new SchemeOptionsError(`invalid options for scheme ${scheme}:\n${issues}\n  allowed: ${allowed === '' ? 'none (this scheme takes no options)' : allowed}`);
  }
  const defaults = schema.parse({}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r.data as Record<string, unknown>)) if (defaults[k] !== v) out[k] = v;
  return Object.keys(out).length > 0 ? (out as SchemeOptions) : null;
}

/** "shootdown:mask=online" as a label (options sorted); the inverse of the CLI form. */
export function formatScheme(scheme: Scheme, options: SchemeOptions | null | undefined): string {
  const o = Object.entries(options ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  return o.length > 0 ? `${scheme}:${o.map(([k, v]) => `${k}=${String(v)}`).join(',')}` : scheme;
}

export function schemeCode(s: Scheme): number {
  return s === 'refcount' ? SCHEME_REFCOUNT : s === 'shootdown' ? SCHEME_SHOOTDOWN : SCHEME_NONE;
}

/** The preemption models (CONFIG_PREEMPT_*); `full` is the default of a cell. */
export const PreemptModel = z.enum(['none', 'voluntary', 'full', 'rt']);
export type PreemptModel = z.infer<typeof PreemptModel>;
export const DEFAULT_PREEMPT: PreemptModel = 'full';
