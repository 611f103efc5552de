import { describe, expect, it } from 'vitest';
import { formatArchSpec, parseArchFlag } from './arch-flag.js';

describe('parseArchFlag', () => {
  it('parses a bare name', () => expect(parseArchFlag('x86-native')).toEqual({ name: 'x86-native', options: {} }));
  it('parses options with coercion', () => {
    expect(parseArchFlag('x86-native:cpumask=clear-on-switch,invlpgb=true,trimIntervalSteps=20,exitFlushSkipsEmptyMm=false')).toEqual({
      name: 'x86-native',
      options: { cpumask: 'clear-on-switch', invlpgb: true, trimIntervalSteps: 20, exitFlushSkipsEmptyMm: false },
    });
  });
  it('accepts scoped package names', () => expect(parseArchFlag('@acme/arch-riscv:asid=true').name).toBe('@acme/arch-riscv'));
  it.each([
    ['', /invalid arch ""/],
    ['x86-native:', /nothing after ":"/],
    ['x86-native:cpumask', /"cpumask" is not key=value/],
    ['x86-native:a=1,a=2', /"a" is given twice/],
    ['bad name', /expected NAME\[:key=value/],
  ])('rejects %j', (text, re) => expect(() => parseArchFlag(text)).toThrow(re));
  it('formats back canonically', () => {
    expect(formatArchSpec(parseArchFlag('x86-native:invlpgb=true,cpumask=clear-on-switch'))).toBe('x86-native:cpumask=clear-on-switch,invlpgb=true');
  });
});
