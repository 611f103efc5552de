import { describe, expect, it } from 'vitest';
import { cpumaskWeight } from './kernel.js';

describe('cpumaskWeight (cpumask_weight of a 32-bit mm_cpumask word)', () => {
  it('counts the set bits, bit 31 included', () => {
    expect(cpumaskWeight(0)).toBe(0);
    expect(cpumaskWeight(1)).toBe(1);
    expect(cpumaskWeight(0b1011)).toBe(3);
    expect(cpumaskWeight(1 << 31)).toBe(1);
    expect(cpumaskWeight(-1)).toBe(32);
    expect(cpumaskWeight(0xffffffff)).toBe(32);
    for (let c = 0; c < 32; c++) expect(cpumaskWeight((1 << c) | 1)).toBe(c === 0 ? 1 : 2);
  });
});
