/**
 * The lazy-mm schemes (model-spec §6): which of CONFIG_MMU_LAZY_TLB_REFCOUNT and
 * CONFIG_MMU_LAZY_TLB_SHOOTDOWN are set.
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

export function schemeCode(s: Scheme): number {
  return s === 'refcount' ? SCHEME_REFCOUNT : s === 'shootdown' ? SCHEME_SHOOTDOWN : SCHEME_NONE;
}
