import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { referenceArch } from '@lazytlb/core';
import { LazytlbError } from '@lazytlb/explore';
import x86Native from '@lazytlb/arch-x86-native';
import { describe, expect, it } from 'vitest';
import { createRegistry } from './bundled.js';

const resolvePlugin = async (name: string, paths: string[]) => (await createRegistry(paths)).arch(name);
const resolvePluginWithSource = async (name: string, paths: string[]) => (await createRegistry(paths)).archWithSource(name);

const coreUrl = import.meta.resolve('@lazytlb/core');

function pluginFile(name: string, body = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'lazytlb-plugin-'));
  const file = join(dir, `${name}.mjs`);
  writeFileSync(
    file,
    `import { referenceArch } from ${JSON.stringify(coreUrl)};\n` +
      `export default { ...referenceArch, name: ${JSON.stringify(name)}, description: 'test plugin' ${body} };\n`,
  );
  return file;
}

describe("the CLI's plugin registry: arches", () => {
  it('resolves bundled arches', async () => {
    expect(await resolvePlugin('reference', [])).toBe(referenceArch);
    expect(await resolvePlugin('x86-native', [])).toBe(x86Native);
    expect((await resolvePlugin('x86-paravirt', [])).name).toBe('x86-paravirt');
    expect((await resolvePlugin('powerpc', [])).name).toBe('powerpc');
  });

  it('resolves a --plugin PATH by its descriptor name', async () => {
    const file = pluginFile('my-arch');
    const r = await resolvePluginWithSource('my-arch', [file]);
    expect(r.plugin.name).toBe('my-arch');
    expect(r.source).toEqual({ kind: 'path', path: file });
  });

  it('resolves an installed package by name', async () => {
    const r = await resolvePluginWithSource('@lazytlb/arch-powerpc', []);
    expect(r.plugin.name).toBe('powerpc');
    expect(r.source.kind).toBe('package');
  });

  it('an unknown name lists the installed arches (including --plugin ones)', async () => {
    const file = pluginFile('other-arch');
    const e = await resolvePlugin('riscv', [file]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LazytlbError);
    expect((e as LazytlbError).code).toBe('usage');
    expect((e as Error).message).toMatch(/unknown arch "riscv". Installed arches: reference, x86-native, x86-paravirt, powerpc, arm64, other-arch/);
  });

  it('an invalid plugin is refused by validateArchPlugin, naming the field', async () => {
    const file = pluginFile('bad-arch', ', abi: 3');
    await expect(resolvePlugin('bad-arch', [file])).rejects.toMatchObject({ code: 'plugin-load' });
    await expect(resolvePlugin('bad-arch', [file])).rejects.toThrow(/abi: must be 1 or 2/);
  });

  it('a --plugin path that cannot be loaded says so', async () => {
    await expect(resolvePlugin('x', ['/nonexistent/plugin.mjs'])).rejects.toThrow(/cannot load --plugin \/nonexistent\/plugin.mjs/);
  });
});
