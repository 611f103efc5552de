import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['90s', 90_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['250', 250],
    [' 30s ', 30_000],
  ])('%s -> %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it('accepts numbers as ms', () => expect(parseDuration(1234)).toBe(1234));
  it.each(['', 'abc', '10x', '5 m', '-3s', '0s', 's', '2m junk'])('rejects %j with what is allowed', (text) => {
    expect(() => parseDuration(text)).toThrow(/expected a duration such as "500ms", "90s"/);
  });
  it('rejects non-positive numbers', () => expect(() => parseDuration(0)).toThrow(/invalid duration/));
  it('formats back', () => {
    expect(formatDuration(120_000)).toBe('2m');
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(500)).toBe('500ms');
    expect(formatDuration(3_600_000)).toBe('1h');
  });
});
