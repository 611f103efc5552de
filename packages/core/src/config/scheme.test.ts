import { describe, expect, it } from 'vitest';
import { thrown } from '../test-support/thrown.js';
import { ZodError } from 'zod';
import { InvalidKconfigError, Kconfig, kconfigOf, resolveScheme, Scheme, SCHEME_DESCRIPTIONS, schemeFromKconfig, SchemeInput, SCHEMES } from './scheme.js';

describe('SCHEMES', () => {
  it('lists exactly the three lazy-mm regimes of model-spec §6', () => {
    expect([...SCHEMES]).toEqual(['refcount', 'shootdown', 'none']);
    expect(Object.keys(SCHEME_DESCRIPTIONS).sort()).toEqual(['none', 'refcount', 'shootdown']);
  });
});

describe('schemeFromKconfig', () => {
  it('REFCOUNT=y, SHOOTDOWN=n is refcount', () => {
    expect(schemeFromKconfig({ MMU_LAZY_TLB_REFCOUNT: true, MMU_LAZY_TLB_SHOOTDOWN: false })).toBe('refcount');
  });

  it('REFCOUNT=n, SHOOTDOWN=y is shootdown', () => {
    expect(schemeFromKconfig({ MMU_LAZY_TLB_REFCOUNT: false, MMU_LAZY_TLB_SHOOTDOWN: true })).toBe('shootdown');
  });

  it('REFCOUNT=n, SHOOTDOWN=n is none', () => {
    expect(schemeFromKconfig({ MMU_LAZY_TLB_REFCOUNT: false, MMU_LAZY_TLB_SHOOTDOWN: false })).toBe('none');
  });

  it('rejects REFCOUNT=y with SHOOTDOWN=y with the arch/Kconfig reason and the allowed combinations', () => {
    const e = thrown(() => schemeFromKconfig({ MMU_LAZY_TLB_REFCOUNT: true, MMU_LAZY_TLB_SHOOTDOWN: true }));
    expect(e).toBeInstanceOf(InvalidKconfigError);
    expect(e.name).toBe('InvalidKconfigError');
    // Names both symbols with their values.
    expect(e.message).toContain('MMU_LAZY_TLB_REFCOUNT=y');
    expect(e.message).toContain('MMU_LAZY_TLB_SHOOTDOWN=y');
    // Gives the Kconfig reason.
    expect(e.message).toContain('depends on !MMU_LAZY_TLB_SHOOTDOWN');
    // Lists what is allowed.
    expect(e.message).toContain('refcount (REFCOUNT=y, SHOOTDOWN=n)');
    expect(e.message).toContain('shootdown (REFCOUNT=n, SHOOTDOWN=y)');
    expect(e.message).toContain('none (REFCOUNT=n, SHOOTDOWN=n)');
  });
});

describe('kconfigOf', () => {
  it('gives the Kconfig symbols of each scheme', () => {
    expect(kconfigOf('refcount')).toEqual({ MMU_LAZY_TLB_REFCOUNT: true, MMU_LAZY_TLB_SHOOTDOWN: false });
    expect(kconfigOf('shootdown')).toEqual({ MMU_LAZY_TLB_REFCOUNT: false, MMU_LAZY_TLB_SHOOTDOWN: true });
    expect(kconfigOf('none')).toEqual({ MMU_LAZY_TLB_REFCOUNT: false, MMU_LAZY_TLB_SHOOTDOWN: false });
  });

  it('round-trips through schemeFromKconfig for every scheme', () => {
    for (const s of SCHEMES) expect(schemeFromKconfig(kconfigOf(s))).toBe(s);
  });

  it('every Kconfig it produces passes the strict Kconfig schema', () => {
    for (const s of SCHEMES) expect(Kconfig.parse(kconfigOf(s))).toEqual(kconfigOf(s));
  });

  it('every valid Kconfig combination round-trips the other way', () => {
    for (const r of [false, true]) {
      for (const sd of [false, true]) {
        if (r && sd) continue;
        const k = { MMU_LAZY_TLB_REFCOUNT: r, MMU_LAZY_TLB_SHOOTDOWN: sd };
        expect(kconfigOf(schemeFromKconfig(k))).toEqual(k);
      }
    }
  });
});

describe('resolveScheme', () => {
  it('accepts a scheme name', () => {
    expect(resolveScheme('refcount')).toBe('refcount');
    expect(resolveScheme('shootdown')).toBe('shootdown');
    expect(resolveScheme('none')).toBe('none');
  });

  it('accepts Kconfig symbols', () => {
    expect(resolveScheme({ MMU_LAZY_TLB_REFCOUNT: true, MMU_LAZY_TLB_SHOOTDOWN: false })).toBe('refcount');
    expect(resolveScheme({ MMU_LAZY_TLB_REFCOUNT: false, MMU_LAZY_TLB_SHOOTDOWN: true })).toBe('shootdown');
    expect(resolveScheme({ MMU_LAZY_TLB_REFCOUNT: false, MMU_LAZY_TLB_SHOOTDOWN: false })).toBe('none');
  });

  it('rejects the invalid Kconfig combination given as input', () => {
    expect(() => resolveScheme({ MMU_LAZY_TLB_REFCOUNT: true, MMU_LAZY_TLB_SHOOTDOWN: true })).toThrow(InvalidKconfigError);
  });

  it('resolves both input forms after parsing with SchemeInput', () => {
    expect(resolveScheme(SchemeInput.parse('shootdown'))).toBe('shootdown');
    expect(resolveScheme(SchemeInput.parse({ MMU_LAZY_TLB_REFCOUNT: false, MMU_LAZY_TLB_SHOOTDOWN: true }))).toBe('shootdown');
  });
});

describe('zod schemas', () => {
  it('Scheme rejects an unknown scheme name and lists the allowed ones', () => {
    const r = Scheme.safeParse('lazy');
    expect(r.success).toBe(false);
    const e = r.error!;
    expect(e).toBeInstanceOf(ZodError);
    expect(e.issues[0]!.code).toBe('invalid_value');
    const msg = e.issues[0]!.message;
    expect(msg).toContain('refcount');
    expect(msg).toContain('shootdown');
    expect(msg).toContain('none');
  });

  it('SchemeInput takes any well-formed scheme name (plugins bring their own) and rejects malformed ones', () => {
    expect(SchemeInput.safeParse('hazptr').success).toBe(true);
    expect(SchemeInput.safeParse('Refcount').success).toBe(false);
    expect(SchemeInput.safeParse('lazy mm').success).toBe(false);
    expect(SchemeInput.safeParse('').success).toBe(false);
  });

  it('Kconfig is strict: unknown symbols and non-boolean values are rejected', () => {
    const extra = Kconfig.safeParse({ MMU_LAZY_TLB_REFCOUNT: true, MMU_LAZY_TLB_SHOOTDOWN: false, MMU_LAZY_TLB: true });
    expect(extra.success).toBe(false);
    expect(extra.error!.issues[0]!.code).toBe('unrecognized_keys');
    expect(extra.error!.issues[0]!.message).toContain('MMU_LAZY_TLB');

    const missing = Kconfig.safeParse({ MMU_LAZY_TLB_REFCOUNT: true });
    expect(missing.success).toBe(false);
    expect(missing.error!.issues[0]!.path).toEqual(['MMU_LAZY_TLB_SHOOTDOWN']);

    const notBool = Kconfig.safeParse({ MMU_LAZY_TLB_REFCOUNT: 'y', MMU_LAZY_TLB_SHOOTDOWN: false });
    expect(notBool.success).toBe(false);
    expect(notBool.error!.issues[0]!.path).toEqual(['MMU_LAZY_TLB_REFCOUNT']);
  });
});
