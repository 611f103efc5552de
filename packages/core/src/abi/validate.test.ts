import { describe, expect, it } from 'vitest';
import { thrown } from '../test-support/thrown.js';
import { z } from 'zod';
import { CORE_VERSION } from '../generated/version.js';
import { referenceArch } from '../reference-arch/reference-arch.js';
import { ABI_VERSION, type ArchHooks, type ArchPlugin } from './plugin.js';
import { parseArchOptions, PluginLoadError, validateArchPlugin, validateHooks } from './validate.js';

function loadError(f: () => unknown): PluginLoadError {
  const e = thrown(f);
  expect(e).toBeInstanceOf(PluginLoadError);
  expect(e.name).toBe('PluginLoadError');
  return e as PluginLoadError;
}

/** referenceArch with some fields replaced (as an untyped module value, like a loaded package). */
function broken(fields: Record<string, unknown>): unknown {
  return { ...referenceArch, ...fields };
}

const env = { coreVersion: CORE_VERSION, abi: 1, memory: 'sc', mutations: [] } as const;

function refHooks(): Record<string, unknown> {
  return { ...referenceArch.setup(referenceArch.options.parse({}), env) };
}

describe('validateArchPlugin: valid plugins', () => {
  it('accepts the reference arch and returns it', () => {
    expect(validateArchPlugin(referenceArch)).toBe(referenceArch);
  });

  it('accepts a module namespace shape { default: plugin } and returns the plugin', () => {
    expect(validateArchPlugin({ default: referenceArch })).toBe(referenceArch);
  });

  it('accepts extra descriptor fields (forward compatible)', () => {
    const p = broken({ homepage: 'https://example.org' });
    expect(validateArchPlugin(p)).toBe(p);
  });

  it('accepts a coreVersions range that is exactly the current version', () => {
    const p = broken({ coreVersions: CORE_VERSION });
    expect(validateArchPlugin(p)).toBe(p);
  });
});

describe('validateArchPlugin: each broken field is named, with what is allowed', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['abi 3', { abi: 3 }, `  - abi: must be 1 or 2 (this @lazytlb/core implements arch ABI v1 and v${ABI_VERSION})`],
    ['name "X86"', { name: 'X86' }, '  - name: must be lowercase letters, digits and dashes, starting with a letter'],
    ['name "x86_native"', { name: 'x86_native' }, '  - name: must be lowercase letters, digits and dashes, starting with a letter'],
    ['name "-x86"', { name: '-x86' }, '  - name: must be lowercase letters, digits and dashes, starting with a letter'],
    ['version "1.x"', { version: '1.x' }, '  - version: must be a valid semver version'],
    ['coreVersions "not a range"', { coreVersions: 'not a range' }, '  - coreVersions: must be a valid, non-empty semver range'],
    ['options not a zod schema', { options: { leaveLazyOnFreedTables: true } }, '  - options: must be a zod schema'],
    ['options missing', { options: undefined }, '  - options: must be a zod schema'],
    ['capabilities.maxCpus 64', { capabilities: { ...referenceArch.capabilities, maxCpus: 64 } }, '  - capabilities.maxCpus: '],
    ['capabilities.maxCpus 0', { capabilities: { ...referenceArch.capabilities, maxCpus: 0 } }, '  - capabilities.maxCpus: '],
    ['capabilities.vcpuPreemption "yes"', { capabilities: { ...referenceArch.capabilities, vcpuPreemption: 'yes' } }, '  - capabilities.vcpuPreemption: '],
    ['setup not a function', { setup: 'createHooks' }, '  - setup: must be a function'],
    ['invariants with a wrong id', { invariants: [{ id: 'I1', name: 'x', description: 'y' }] }, '  - invariants.0.id: '],
    ['description missing', { description: undefined }, '  - description: '],
  ];

  it.each(cases)('%s', (_label, fields, line) => {
    const e = loadError(() => validateArchPlugin(broken(fields), '@lazytlb/arch-test'));
    expect(e.message.startsWith('invalid arch plugin @lazytlb/arch-test:\n')).toBe(true);
    expect(e.message).toContain(line);
    // Only the broken field is reported.
    expect(e.message.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(1);
  });

  it('says why maxCpus 64 is refused: the limit is 32', () => {
    const e = loadError(() => validateArchPlugin(broken({ capabilities: { ...referenceArch.capabilities, maxCpus: 64 } })));
    expect(e.message).toMatch(/capabilities\.maxCpus: .*32/);
  });

  it('reports every broken field at once', () => {
    const e = loadError(() => validateArchPlugin(broken({ abi: 3, name: 'X86', setup: null })));
    expect(e.message).toContain('  - abi: ');
    expect(e.message).toContain('  - name: ');
    expect(e.message).toContain('  - setup: must be a function');
  });

  it('a module whose default export is broken is reported the same way', () => {
    const e = loadError(() => validateArchPlugin({ default: broken({ version: '1.x' }) }, 'pkg'));
    expect(e.message).toContain('  - version: must be a valid semver version');
  });

  it('names the source in the message (default: "arch plugin")', () => {
    expect(loadError(() => validateArchPlugin(broken({ abi: 3 }))).message.startsWith('invalid arch plugin arch plugin:\n')).toBe(true);
    expect(loadError(() => validateArchPlugin(broken({ abi: 3 }), './my-arch.js')).message).toContain('./my-arch.js');
  });

  it.each([
    ['null', null],
    ['a string', 'x86'],
    ['a number', 42],
    ['undefined', undefined],
  ])('refuses %s, reporting the root', (_label, value) => {
    const e = loadError(() => validateArchPlugin(value));
    expect(e.message).toContain('  - (root): ');
  });
});

describe('validateArchPlugin: core version and options checks', () => {
  it('refuses a plugin whose coreVersions excludes this core, saying which range and which version', () => {
    const e = loadError(() => validateArchPlugin(broken({ coreVersions: '>=99.0.0' }), '@lazytlb/arch-future'));
    expect(e.message).toBe(
      `arch plugin reference@${referenceArch.version} (@lazytlb/arch-future) supports @lazytlb/core >=99.0.0, but this is @lazytlb/core ${CORE_VERSION}`,
    );
  });

  it('refuses a range below the current version too', () => {
    const e = loadError(() => validateArchPlugin(broken({ coreVersions: '<0.0.1' })));
    expect(e.message).toContain('supports @lazytlb/core <0.0.1, but this is @lazytlb/core');
  });

  it('refuses an options schema that rejects {}, naming the option without a default', () => {
    const options = z.object({ cpumask: z.enum(['lazy-trim', 'clear-on-switch']) });
    const e = loadError(() => validateArchPlugin(broken({ options, name: 'x86-native' }), '@lazytlb/arch-x86'));
    expect(e.message).toContain('arch plugin x86-native (@lazytlb/arch-x86): its options schema must accept {} (all options need defaults)');
    expect(e.message).toContain('  - cpumask: ');
  });

  it('accepts an options schema whose options all have defaults', () => {
    const options = z.object({ cpumask: z.enum(['lazy-trim', 'clear-on-switch']).default('lazy-trim') });
    const p = broken({ options });
    expect(validateArchPlugin(p)).toBe(p);
  });
});

describe('parseArchOptions', () => {
  it('fills defaults for missing, undefined and null options', () => {
    expect(parseArchOptions(referenceArch, {})).toEqual({ leaveLazyOnFreedTables: true, leaveKeepsMaskBit: true });
    expect(parseArchOptions(referenceArch, undefined)).toEqual({ leaveLazyOnFreedTables: true, leaveKeepsMaskBit: true });
    expect(parseArchOptions(referenceArch, null)).toEqual({ leaveLazyOnFreedTables: true, leaveKeepsMaskBit: true });
  });

  it('keeps given options', () => {
    expect(parseArchOptions(referenceArch, { leaveLazyOnFreedTables: false })).toEqual({ leaveLazyOnFreedTables: false, leaveKeepsMaskBit: true });
  });

  it('reports the path and the reason of a bad option', () => {
    const e = loadError(() => parseArchOptions(referenceArch, { leaveLazyOnFreedTables: 'yes' }));
    expect(e.message).toBe('invalid options for arch reference:\n  - leaveLazyOnFreedTables: Invalid input: expected boolean, received string');
  });

  it('reports a nested option path', () => {
    const plugin = { ...referenceArch, options: z.object({ tlb: z.object({ asids: z.number().int().min(1).default(6) }).default({ asids: 6 }) }) };
    const e = loadError(() => parseArchOptions(plugin as unknown as ArchPlugin<unknown>, { tlb: { asids: 0 } }));
    expect(e.message).toContain('  - tlb.asids: ');
    expect(e.message).toContain('>=1');
  });

  it('names an unknown option (strict schemas)', () => {
    const e = loadError(() => parseArchOptions(referenceArch, { leaveLazy: true }));
    expect(e.message).toContain('invalid options for arch reference:');
    expect(e.message).toContain('leaveLazy');
  });
});

describe('validateHooks', () => {
  it('accepts the reference arch hooks and returns them', () => {
    const h = refHooks();
    expect(validateHooks(referenceArch, h)).toBe(h);
  });

  it('names one missing hook', () => {
    const h = refHooks();
    delete h.tlb_may_hold;
    const e = loadError(() => validateHooks(referenceArch, h));
    expect(e.message).toBe('arch plugin reference: setup() returned hooks without tlb_may_hold (each must be a function)');
  });

  it('names every missing or non-function hook', () => {
    const h = refHooks();
    delete h.reset;
    h.hw_root = 0;
    h.ipi_name = 'flush';
    const e = loadError(() => validateHooks(referenceArch, h));
    expect(e.message).toBe('arch plugin reference: setup() returned hooks without reset, hw_root, ipi_name (each must be a function)');
  });

  it('lists all required hooks for an empty object', () => {
    const e = loadError(() => validateHooks(referenceArch, {}));
    for (const name of [
      'reset',
      'init_new_context',
      'destroy_context',
      'switch_mm_irqs_off',
      'enter_lazy_tlb',
      'flush_tlb_mm_range',
      'handle_ipi',
      'arch_exit_mmap',
      'shoot_lazies_mask',
      'hw_root',
      'tlb_may_hold',
      'check',
      'describe_cpu',
      'ipi_name',
    ]) {
      expect(e.message).toContain(name);
    }
    // vcpu hooks are optional without vcpuPreemption.
    expect(e.message).not.toContain('vcpu_');
  });

  it.each([
    [null, 'got null'],
    [undefined, 'got undefined'],
    ['hooks', 'got string'],
  ])('refuses a non-object (%s)', (value, got) => {
    const e = loadError(() => validateHooks(referenceArch, value));
    expect(e.message).toBe(`arch plugin reference: setup() must return an object of hooks, ${got}`);
  });

  describe('with capabilities.vcpuPreemption', () => {
    const guest = { ...referenceArch, name: 'guest', capabilities: { ...referenceArch.capabilities, vcpuPreemption: true } } as ArchPlugin<unknown>;

    it('requires vcpu_preempt and vcpu_resume', () => {
      const msg = 'arch plugin guest: capabilities.vcpuPreemption needs vcpu_preempt and vcpu_resume hooks';
      expect(loadError(() => validateHooks(guest, refHooks())).message).toBe(msg);
      expect(loadError(() => validateHooks(guest, { ...refHooks(), vcpu_preempt() {} })).message).toBe(msg);
      expect(loadError(() => validateHooks(guest, { ...refHooks(), vcpu_resume() {} })).message).toBe(msg);
      expect(loadError(() => validateHooks(guest, { ...refHooks(), vcpu_preempt: true, vcpu_resume() {} })).message).toBe(msg);
    });

    it('accepts hooks that have both', () => {
      const h = { ...refHooks(), vcpu_preempt() {}, vcpu_resume() {} };
      expect(validateHooks(guest, h)).toBe(h as unknown as ArchHooks);
    });
  });

  it('without vcpuPreemption, vcpu hooks are optional', () => {
    expect(() => validateHooks(referenceArch, refHooks())).not.toThrow();
  });
});
