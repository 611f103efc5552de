import { describe, expect, it } from 'vitest';
import { FingerprintTable } from './fingerprint-table.js';

describe('FingerprintTable', () => {
  it('preemptions: a state is explored again only when reached with fewer', () => {
    const t = new FingerprintTable(2);
    expect(t.visit(1, 2, 3)).toBe(true);
    expect(t.visit(1, 2, 3)).toBe(false);
    expect(t.visit(1, 2, 4)).toBe(false);
    expect(t.visit(1, 2, 1)).toBe(true);
    expect(t.visit(1, 2, 2)).toBe(false);
  });

  it('sleep sets: explored again unless the new sleep set holds all the stored one did; the table keeps the intersection', () => {
    const t = new FingerprintTable(2);
    expect(t.visitSleep(5, 6, 0b0110)).toBe(true);
    expect(t.visitSleep(5, 6, 0b1110)).toBe(false); // superset: nothing asleep then is needed now
    expect(t.visitSleep(5, 6, 0b0011)).toBe(true); // actor 2 was asleep, now it must be taken
    // stored is now 0b0010 (what every visit so far had asleep): any set holding actor 1 is covered
    expect(t.visitSleep(5, 6, 0b0110)).toBe(false);
    expect(t.visitSleep(5, 6, 0b0010)).toBe(false);
    expect(t.visitSleep(5, 6, 0)).toBe(true);
    expect(t.visitSleep(5, 6, 0)).toBe(false);
  });

  it('grows past half load and keeps every entry; 0:0 is a fingerprint like any other', () => {
    const t = new FingerprintTable(2);
    for (let i = 0; i < 5000; i++) expect(t.visit(Math.imul(i, 0x9e3779b1) >>> 0, i, 0)).toBe(true);
    for (let i = 0; i < 5000; i++) expect(t.visit(Math.imul(i, 0x9e3779b1) >>> 0, i, 0)).toBe(false);
    expect(t.size).toBe(5000);
    expect(t.visit(0, 0, 0)).toBe(false); // i = 0 above stored 0:0 (as 0:1)
  });
});
