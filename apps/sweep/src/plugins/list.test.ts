import { describe, expect, it } from 'vitest';
import { MEMORY_MODELS, memoryModelRefusal } from '@lazytlb/core';
import { formatArches, listArches } from './list.js';
import { createRegistry } from './bundled.js';

describe('listArches', () => {
  it('lists the bundled arches with their options', async () => {
    const arches = await listArches(await createRegistry([]));
    expect(arches.map((a) => a.name)).toEqual(['reference', 'x86-native', 'x86-paravirt', 'powerpc', 'arm64']);
    const x86 = arches.find((a) => a.name === 'x86-native')!;
    expect(x86.source).toBe('bundled (@lazytlb/arch-x86-native)');
    const cpumask = x86.options.find((o) => o.name === 'cpumask')!;
    expect(cpumask.type).toBe('"lazy-trim" | "clear-on-switch"');
    expect(cpumask.default).toBeUndefined(); // from the release
    expect(x86.options.find((o) => o.name === 'release')!.default).toBe('v6.18');
    expect(cpumask.description).toMatch(/mm_cpumask policy/);
    expect(x86.options.find((o) => o.name === 'trimIntervalSteps')!.type).toMatch(/integer 1\.\.1000000/);
    const pv = arches.find((a) => a.name === 'x86-paravirt')!;
    expect(pv.options.map((o) => o.name)).toContain('backend');
    expect(pv.vcpuPreemption).toBe(true);
    const text = formatArches(arches);
    expect(text).toMatch(/^reference /);
    expect(text).toContain('invlpgb: boolean = false');
    expect(text).toContain('mmu: "radix" | "hash" = "radix"');
  });

  it("lists the memory models each arch runs under (core's memoryModelRefusal)", async () => {
    const arches = await listArches(await createRegistry([]));
    const models = Object.fromEntries(arches.map((a) => [a.name, a.memoryModels]));
    expect(models['x86-native']).toEqual(['sc', 'tso']);
    for (const name of ['reference', 'powerpc', 'arm64']) expect(models[name]).toEqual(['sc']);
    for (const a of arches) {
      const plugin = await (await createRegistry()).arch(a.name);
      expect(a.memoryModels).toEqual(MEMORY_MODELS.filter((m) => memoryModelRefusal(plugin, m) === null));
    }
    expect(formatArches(arches)).toMatch(/^x86-native [^\n]+\n[^\n]+\n {2}max CPUs \d+, memory models sc, tso$/m);
  });
});
