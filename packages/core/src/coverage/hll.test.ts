import { describe, expect, it } from 'vitest';
import { fmix32 } from './fingerprint.js';
import { HLL_BASE64_LENGTH, HLL_REGISTERS, HyperLogLog, hllAdd, hllEstimate, hllParse, hllSerialize, SketchError } from './hll.js';

/** A sketch of the distinct values base .. base+n-1 (hashed by a bijection, so n distinct hashes). */
function sketchOf(n: number, base = 0): HyperLogLog {
  const s = new HyperLogLog();
  for (let i = 0; i < n; i++) s.add(fmix32(base + i));
  return s;
}

describe('HyperLogLog (p = 10)', () => {
  it('is 1 KiB of registers and estimates 0 when empty', () => {
    const s = new HyperLogLog();
    expect(s.registers.length).toBe(1024);
    expect(HLL_REGISTERS).toBe(1024);
    expect(s.isEmpty()).toBe(true);
    expect(s.estimate()).toBe(0);
  });

  it('is exact-ish for small cardinalities and within a few standard errors for large ones', () => {
    for (const n of [1, 2, 5, 10, 50, 100, 500]) {
      const e = sketchOf(n, 7 * n).estimate();
      expect(Math.abs(e - n) / n, `n=${n} estimate ${e}`).toBeLessThan(0.06); // ~2.5 standard errors of linear counting (1/sqrt(2m))
    }
    for (const n of [1000, 3000, 10_000, 100_000, 1_000_000]) {
      const e = sketchOf(n, 13 * n).estimate();
      expect(Math.abs(e - n) / n, `n=${n} estimate ${e}`).toBeLessThan(0.1); // 3 standard errors (1.04/32)
    }
  });

  it('is unbiased across the range, with the expected spread (1.04/sqrt(1024) = 3.3%)', () => {
    for (const n of [200, 2000, 5000, 20_000]) {
      const errs: number[] = [];
      for (let t = 0; t < 30; t++) errs.push(sketchOf(n, 1_000_003 * (t + 1)).estimate() / n - 1);
      const mean = errs.reduce((a, b) => a + b, 0) / errs.length;
      const rms = Math.sqrt(errs.reduce((a, b) => a + b * b, 0) / errs.length);
      expect(Math.abs(mean), `n=${n} mean error ${mean}`).toBeLessThan(0.02);
      expect(rms, `n=${n} rms error ${rms}`).toBeLessThan(0.05);
    }
  });

  it('ignores duplicates', () => {
    const a = sketchOf(1000);
    const b = sketchOf(1000);
    for (let i = 0; i < 1000; i++) b.add(fmix32(i));
    expect(b.serialize()).toBe(a.serialize());
  });

  it('merge (register max) is the union: any split, any order, overlaps included', () => {
    const whole = sketchOf(5000);
    const parts = [sketchOf(1200, 0), sketchOf(2000, 1000), sketchOf(1800, 3000), sketchOf(500, 4500)];
    const u1 = HyperLogLog.union(parts);
    const u2 = HyperLogLog.union([...parts].reverse());
    expect(u1.serialize()).toBe(whole.serialize());
    expect(u2.serialize()).toBe(whole.serialize());
    // associative and idempotent; merge leaves its argument alone
    const [a, b, c] = parts as [HyperLogLog, HyperLogLog, HyperLogLog];
    const ab_c = a.clone().merge(b).merge(c);
    const a_bc = a.clone().merge(b.clone().merge(c));
    expect(ab_c.serialize()).toBe(a_bc.serialize());
    const before = b.serialize();
    expect(a.clone().merge(a).serialize()).toBe(a.serialize());
    a.clone().merge(b);
    expect(b.serialize()).toBe(before);
    // disjoint union: estimates add up
    const d = HyperLogLog.union([sketchOf(3000, 0), sketchOf(3000, 10_000)]);
    expect(Math.abs(d.estimate() - 6000) / 6000).toBeLessThan(0.1);
  });

  it('serialises to base64 and parses back exactly', () => {
    const s = sketchOf(777);
    const text = s.serialize();
    expect(text).toHaveLength(HLL_BASE64_LENGTH);
    expect(text).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(Buffer.from(text, 'base64').equals(Buffer.from(s.registers))).toBe(true);
    expect(HyperLogLog.parse(text).registers).toEqual(s.registers);
    expect(hllSerialize(hllParse(text))).toBe(text);
    const regs = new Uint8Array(HLL_REGISTERS);
    hllAdd(regs, 0); // the all-zero hash: bucket 0, maximal rank 23
    expect(regs[0]).toBe(23);
    expect(hllEstimate(hllParse(hllSerialize(regs)))).toBeGreaterThan(0);
  });

  it('rejects what is not a sketch', () => {
    expect(() => hllParse('AAAA')).toThrow(SketchError);
    expect(() => hllParse('!'.repeat(HLL_BASE64_LENGTH))).toThrow(/invalid base64/);
    const big = Buffer.alloc(HLL_REGISTERS, 0);
    big[3] = 40;
    expect(() => hllParse(big.toString('base64'))).toThrow(/register 3 is 40/);
    expect(() => new HyperLogLog(new Uint8Array(10))).toThrow(/1024 registers/);
  });
});
