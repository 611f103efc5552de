import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ArchPlugin } from '../abi/plugin.js';
import { referenceArch } from '../reference-arch/reference-arch.js';
import { refcountScheme } from '../scheme/builtin/refcount.js';
import type { SchemePlugin } from '../scheme/abi.js';
import { Tracer } from '../trace/tracer.js';
import { archCorpus, coreCorpus, optionVariants, schemeCorpus } from './corpus.js';
import { archFingerprint, behaviourFingerprints, coreFingerprint, fingerprintMismatch, schemeFingerprint } from './fingerprint.js';
import { Simulator } from '../run/simulator.js';

/** A fresh copy (the memo is per object): same behaviour, recomputed. */
const copyOf = <T extends object>(p: T, patch: Partial<T> = {}): T => ({ ...p, ...patch });

describe('behaviour fingerprints', () => {
  it('are 16 hex digits, stable, and the same when recomputed for an equal plugin', () => {
    expect(coreFingerprint()).toMatch(/^[0-9a-f]{16}$/);
    expect(archFingerprint(referenceArch)).toMatch(/^[0-9a-f]{16}$/);
    const again = archFingerprint(copyOf(referenceArch, { name: 'reference-copy' }) as ArchPlugin<any>);
    expect(again).toMatch(/^[0-9a-f]{16}$/);
    expect(archFingerprint(copyOf(referenceArch, { name: 'reference-copy' }) as ArchPlugin<any>)).toBe(again);
  });

  it("do not depend on the plugin's name or version, only on what it does", () => {
    const a = archFingerprint(copyOf(referenceArch, { name: 'ref-a', version: '1.0.0' }) as ArchPlugin<any>);
    const b = archFingerprint(copyOf(referenceArch, { name: 'ref-b', version: '2.0.0' }) as ArchPlugin<any>);
    expect(a).toBe(b);
  });

  it("change when an arch plugin behaves differently, while core's stays", () => {
    const same = archFingerprint(copyOf(referenceArch, { name: 'ref-same' }) as ArchPlugin<any>);
    // Keep the mask bit the other way round in every cell: a behaviour change, not a rename.
    const changed: ArchPlugin<any> = copyOf(referenceArch, {
      name: 'ref-changed',
      setup: (o: any, env: any) => referenceArch.setup({ ...o, leaveKeepsMaskBit: !o.leaveKeepsMaskBit }, env),
    } as Partial<ArchPlugin<any>>);
    expect(archFingerprint(changed)).not.toBe(same);
    expect(archFingerprint(referenceArch)).toBe(same);
  });

  it('ignore the wording of trace messages', () => {
    const before = archFingerprint(copyOf(referenceArch, { name: 'ref-words-a' }) as ArchPlugin<any>);
    const ev = Tracer.prototype.ev;
    Tracer.prototype.ev = function (this: Tracer, cpu: number, fn: string, text: string) {
      ev.call(this, cpu, fn, `${text} (reworded)`);
    };
    try {
      expect(archFingerprint(copyOf(referenceArch, { name: 'ref-words-b' }) as ArchPlugin<any>)).toBe(before);
    } finally {
      Tracer.prototype.ev = ev;
    }
  });

  it('give a scheme plugin its own part, and change when the scheme behaves differently', () => {
    const asPlugin = (name: string, patch: Partial<SchemePlugin<any>> = {}): SchemePlugin<any> =>
      copyOf(refcountScheme, { name, ...patch }) as SchemePlugin<any>;
    const a = schemeFingerprint(asPlugin('rc-a'));
    expect(schemeFingerprint(asPlugin('rc-b'))).toBe(a);
    expect(schemeFingerprint(refcountScheme)).toBe(coreFingerprint());
    const leaky = asPlugin('rc-leaky', {
      setup: (o: any, env: any) => {
        const h = refcountScheme.setup(o, env);
        return { ...h, mmdrop_lazy_tlb: () => {} }; // never drops a lazy reference
      },
    });
    expect(schemeFingerprint(leaky)).not.toBe(a);
    const sim = new Simulator({ plugin: referenceArch, scheme: 'rc-b', schemePlugin: asPlugin('rc-b'), cpus: 2 });
    expect(behaviourFingerprints(sim)).toEqual({ core: coreFingerprint(), arch: archFingerprint(referenceArch), scheme: a });
  });

  it('say which part changed', () => {
    const rec = { core: '1111111111111111', arch: '2222222222222222', scheme: '3333333333333333' };
    expect(fingerprintMismatch(rec, rec, { arch: 'x86-native@0.2.0', scheme: 'hazptr@0.1.0' })).toEqual([]);
    expect(fingerprintMismatch(rec, { ...rec, arch: '4444444444444444' }, { arch: 'x86-native@0.2.0' })).toEqual([
      'arch x86-native@0.2.0 behaves differently (fingerprint 2222222222222222, now 4444444444444444)',
    ]);
    const all = fingerprintMismatch(rec, { core: 'a', arch: 'b', scheme: 'c' }, { arch: 'x86', scheme: 'hazptr' });
    expect(all).toHaveLength(3);
    expect(all[1]).toMatch(/the core change alone changes it/);
  });
});

describe('the corpus', () => {
  it('covers every built-in scheme, both CPU counts, every profile, every preemption model and the core mutations', () => {
    const labels = coreCorpus().map((c) => c.label);
    for (const s of ['refcount', 'shootdown', 'shootdown:mask=online', 'none']) expect(labels.some((l) => l.startsWith(`reference ${s} `))).toBe(true);
    for (const p of ['none', 'voluntary', 'rt']) expect(labels).toContain(`reference refcount preempt=${p}`);
    expect(labels.filter((l) => l.startsWith('mutation ')).length).toBeGreaterThan(0);
  });

  it('takes every single-option variant of an arch or scheme plugin', () => {
    const schema = z
      .object({ a: z.enum(['x', 'y', 'z']).default('y'), b: z.boolean().default(false), c: z.number().default(3), d: z.enum(['p', 'q']).optional() })
      .strict();
    expect(optionVariants(schema)).toEqual([{}, { a: 'x' }, { a: 'z' }, { b: true }, { d: 'p' }, { d: 'q' }]);
    const cells = archCorpus(referenceArch);
    expect(cells.some((c) => (c.options.archOptions as Record<string, unknown>).leaveKeepsMaskBit === false)).toBe(true);
    expect(schemeCorpus(refcountScheme).length).toBeGreaterThan(0);
  });
});
