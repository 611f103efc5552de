import x86Native from '@lazytlb/arch-x86-native';
import x86Paravirt from '@lazytlb/arch-x86-paravirt';
import { describe, expect, it } from 'vitest';
import { compareSimplicity, nonDefaultOptions, optionSpace, simplerOptionCandidates } from '@lazytlb/explore';

describe('arch options as a shrinking dimension', () => {
  const pv = optionSpace(x86Paravirt);
  const full = (o: object): Record<string, unknown> => ({ ...pv.defaults, ...o });

  it('knows the defaults and the enum values', () => {
    expect(pv.defaults.backend).toBe('kvm');
    expect(pv.enums.get('backend')).toEqual(['kvm', 'hyperv', 'xen']);
    expect(pv.enums.get('cpumask')).toEqual(['lazy-trim', 'clear-on-switch']);
    expect(optionSpace(x86Native).enums.has('backend')).toBe(false);
  });

  it('lists the non-default options as sorted name=value', () => {
    expect(nonDefaultOptions(pv, full({}))).toEqual([]);
    expect(nonDefaultOptions(pv, full({ cpumask: 'clear-on-switch', backend: 'xen', trimIntervalSteps: 7 }))).toEqual([
      'backend=xen',
      'cpumask=clear-on-switch',
      'trimIntervalSteps=7',
    ]);
  });

  it('orders option sets: fewer non-default options first, then lower-ranked values', () => {
    expect(compareSimplicity(pv, full({}), full({ backend: 'hyperv' }))).toBeLessThan(0);
    expect(compareSimplicity(pv, full({ backend: 'hyperv' }), full({ backend: 'xen' }))).toBeLessThan(0);
    expect(compareSimplicity(pv, full({ backend: 'xen' }), full({ backend: 'hyperv', invlpgb: true }))).toBeLessThan(0);
    expect(compareSimplicity(pv, full({ invlpgb: true }), full({ invlpgb: true }))).toBe(0);
  });

  it('candidates are one change away and each strictly simpler, in a fixed order', () => {
    const o = full({ backend: 'xen', cpumask: 'clear-on-switch' });
    const c = simplerOptionCandidates(pv, o);
    // cpumask has no default (the release's policy applies): dropping it is its "default".
    expect(c.map((x) => nonDefaultOptions(pv, x))).toEqual([
      ['cpumask=clear-on-switch'],
      ['backend=xen'],
      ['backend=hyperv', 'cpumask=clear-on-switch'],
      ['backend=xen', 'cpumask=lazy-trim'],
    ]);
    for (const x of c) expect(compareSimplicity(pv, x, o)).toBeLessThan(0);
    expect(simplerOptionCandidates(pv, full({}))).toEqual([]);
  });

  it('an option marked shrink: default-only (x86 release) is only tried at its default, never at another value', () => {
    const x86 = optionSpace(x86Native);
    expect(x86.enums.has('release')).toBe(false);
    const o = { ...x86.defaults, release: 'v6.15' };
    expect(simplerOptionCandidates(x86, o).map((x) => nonDefaultOptions(x86, x))).toEqual([[]]); // back to v6.18 only, not v6.13 / v6.14
  });
});
