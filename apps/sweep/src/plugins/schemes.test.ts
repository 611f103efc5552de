/**
 * The scheme resolver (bundled, --plugin PATH, @lazytlb/scheme-NAME), `--plugin` telling arch
 * from scheme plugins, `lazytlb schemes`' listing, and the scheme plugin an artifact needs.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILTIN_SCHEMES, refcountScheme, shootdownScheme } from '@lazytlb/core';
import { LazytlbError, type PluginRegistry } from '@lazytlb/explore';
import { describe, expect, it } from 'vitest';
import { formatSchemes, listSchemes } from './list-schemes.js';
import { BUNDLED_SCHEME_NAMES, BUNDLED_SCHEMES, createRegistry } from './bundled.js';

const resolvePlugin = async (name: string, paths: string[]) => (await createRegistry(paths)).arch(name);
const resolveSchemePlugin = async (name: string, paths: string[]) => (await createRegistry(paths)).scheme(name);
const resolveSchemeWithSource = async (name: string, paths: string[]) => (await createRegistry(paths)).schemeWithSource(name);
/** What a --plugin path loads as (the registry tells arch from scheme plugins by the descriptor). */
const loadPluginPath = async (path: string): Promise<{ kind: 'arch' | 'scheme' }> => {
  const r: PluginRegistry = await createRegistry([path]);
  return { kind: r.loadedArches().some((a) => a.source.kind === 'path') ? 'arch' : 'scheme' };
};

const fixture = (name: string): string => fileURLToPath(new URL(`./test-fixtures/${name}`, import.meta.url));
const COUNTED = fixture('counted-scheme.mjs');
const BROKEN = fixture('broken-scheme.mjs');
const THROWING = fixture('throwing-scheme.mjs');
const coreUrl = import.meta.resolve('@lazytlb/core');

function moduleFile(body: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'lazytlb-scheme-')), 'plugin.mjs');
  writeFileSync(file, body);
  return file;
}

describe('BUNDLED_SCHEMES', () => {
  it("is one list, starting with core's built-ins", () => {
    expect(BUNDLED_SCHEMES.slice(0, 3).map((b) => b.plugin)).toEqual([...BUILTIN_SCHEMES]);
    expect(BUNDLED_SCHEME_NAMES.slice(0, 3)).toEqual(['refcount', 'shootdown', 'none']);
  });
});

describe('resolveSchemePlugin', () => {
  it('resolves bundled schemes without --plugin', async () => {
    expect(await resolveSchemePlugin('refcount', [])).toBe(refcountScheme);
    expect(await resolveSchemeWithSource('shootdown', [])).toEqual({ plugin: shootdownScheme, source: { kind: 'bundled', module: '@lazytlb/core' } });
  });

  it('resolves a --plugin PATH scheme plugin by its descriptor name; the registry knows it for report.html', async () => {
    const registry = await createRegistry([COUNTED]);
    const r = await registry.schemeWithSource('counted');
    expect(r.plugin.name).toBe('counted');
    expect(r.plugin.version).toBe('1.2.3');
    expect(r.source).toEqual({ kind: 'path', path: COUNTED });
    expect(registry.loadedScheme('counted')).toBe(r.plugin);
  });

  it('an unknown name lists the known schemes (with --plugin ones) and how to load one, on one line', async () => {
    const e = await resolveSchemePlugin('hazptr2', [COUNTED]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LazytlbError);
    expect((e as LazytlbError).code).toBe('usage');
    const m = (e as Error).message;
    expect(m).not.toContain('\n');
    expect(m).toMatch(
      /^unknown scheme "hazptr2": known schemes refcount, shootdown, none, hazptr, lazy-mm-scan, implicit-shootdown, counted \(options: shootdown: mask=cpumask\|online; hazptr: [^;]+; lazy-mm-scan: [^;]+; implicit-shootdown: [^;]+; counted: mode=grab\|skip, mb; refcount, none: no options\); load another with --plugin PATH/,
    );
    expect(m).toContain('install @lazytlb/scheme-NAME');
    expect(m).toContain('`lazytlb schemes`');
  });

  it('a broken --plugin scheme file is refused naming the file and every failing field', async () => {
    const e = await resolveSchemePlugin('broken', [BROKEN]).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'plugin-load' });
    const m = (e as Error).message;
    expect(m).toContain(`invalid scheme plugin ${BROKEN}:`);
    expect(m).toMatch(/- version: must be a valid semver version/);
    expect(m).toMatch(/- provenance: .*"mainline"\|"proposal"\|"reconstructed"/);
    expect(m).toMatch(/- kconfig: /);
    expect(m).toMatch(/- claims\.arch\.0\.checkedBy: /);
  });
});

describe("--plugin PATH: arch or scheme (core's validatePlugin)", () => {
  it('tells them apart by the descriptor', async () => {
    expect((await loadPluginPath(COUNTED)).kind).toBe('scheme');
    expect((await loadPluginPath(THROWING)).kind).toBe('scheme');
    const arch = moduleFile(`import { referenceArch } from ${JSON.stringify(coreUrl)};\nexport default { ...referenceArch, name: 'other-arch' };\n`);
    expect((await loadPluginPath(arch)).kind).toBe('arch');
    expect((await createRegistry([COUNTED])).loadedArches().some((a) => a.source.kind === 'path')).toBe(false);
  });

  it('the arch resolver skips scheme plugins; an unknown arch does not list them', async () => {
    const e = await resolvePlugin('counted', [COUNTED]).catch((x: unknown) => x);
    expect((e as Error).message).toMatch(/^unknown arch "counted". Installed arches: reference, x86-native, x86-paravirt, powerpc, arm64\. /);
  });

  it('a module that is neither: the arch fields it lacks, and how a scheme plugin is told apart', async () => {
    const file = moduleFile('export default { name: "half", version: "1.0.0" };\n');
    const e = await loadPluginPath(file).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'plugin-load' });
    const m = (e as Error).message;
    expect(m).toContain(`invalid arch plugin ${file}:`);
    expect(m).toMatch(/- setup: must be a function/);
    expect(m).toContain(`--plugin ${file} is neither a valid arch plugin nor a scheme plugin: its descriptor has no \`kind\``);
    expect(m).toContain('kind: "scheme"');
    const badKind = moduleFile('export default { kind: "policy", name: "x" };\n');
    await expect(loadPluginPath(badKind)).rejects.toThrow(/kind: must be "scheme" or "arch"/);
  });
});

describe('PluginRegistry.schemeForArtifact', () => {
  const cell = (scheme: string, schemeVersion?: string) => ({ cell: { scheme, ...(schemeVersion !== undefined ? { schemeVersion } : {}) } }) as never;
  const schemePluginForArtifact = async (a: never, paths: string[]) => (await createRegistry(paths)).schemeForArtifact(a);

  it('none for a built-in scheme; the plugin of that name otherwise, of any version (replay compares behaviour fingerprints)', async () => {
    expect(await schemePluginForArtifact(cell('refcount'), [])).toBeUndefined();
    expect((await schemePluginForArtifact(cell('counted', '1.2.3'), [COUNTED]))!.version).toBe('1.2.3');
    expect((await schemePluginForArtifact(cell('counted', '9.9.9'), [COUNTED]))!.version).toBe('1.2.3');
  });

  it('refuses, naming --plugin, when the plugin is not loadable', async () => {
    await expect(schemePluginForArtifact(cell('rcu-lazy', '0.1.0'), [])).rejects.toMatchObject({ code: 'usage' });
    await expect(schemePluginForArtifact(cell('rcu-lazy', '0.1.0'), [])).rejects.toThrow(
      'it was recorded with scheme plugin rcu-lazy@0.1.0, which is not loaded: pass its module with --plugin PATH (or install @lazytlb/scheme-rcu-lazy)',
    );
    const registry = await createRegistry();
    expect(() => registry.loadedSchemeForArtifact(cell('rcu-lazy', '0.1.0'))).toThrow(/not loaded: pass its module with --plugin PATH/);
  });
});

describe('listSchemes / formatSchemes', () => {
  it('lists the bundled schemes with options, provenance, Kconfig and claims', async () => {
    const schemes = await listSchemes(await createRegistry([]));
    expect(schemes.map((s) => s.name)).toEqual(['refcount', 'shootdown', 'none', 'hazptr', 'lazy-mm-scan', 'implicit-shootdown']);
    expect(schemes.find((s) => s.name === 'hazptr')!.source).toBe('bundled (@lazytlb/scheme-hazptr)');
    const shootdown = schemes.find((s) => s.name === 'shootdown')!;
    expect(shootdown.source).toBe('bundled (@lazytlb/core)');
    expect(shootdown.options).toEqual([expect.objectContaining({ name: 'mask', type: '"cpumask" | "online"', default: 'cpumask' })]);
    expect(shootdown.kconfig).toEqual({ MMU_LAZY_TLB_REFCOUNT: false, MMU_LAZY_TLB_SHOOTDOWN: true, other: [] });
    expect(shootdown.claims.arch).toEqual([expect.objectContaining({ id: 'cpumask-covers-lazies', checkedBy: 'I7', checkedByName: 'mask-coverage' })]);
    const text = formatSchemes(schemes);
    expect(text).toMatch(/^refcount \S+ {2}— bundled \(@lazytlb\/core\)\n/);
    expect(text).toContain('  Kconfig: MMU_LAZY_TLB_REFCOUNT=n MMU_LAZY_TLB_SHOOTDOWN=y\n');
    expect(text).toContain('    mask: "cpumask" | "online" = "cpumask"\n');
    expect(text).toMatch(/mmgrab-atomic: NOT provided: mmgrab_lazy_tlb is empty/);
    expect(text).toMatch(/cpumask-covers-lazies \(checked by I7 mask-coverage\): /);
    expect(text).toMatch(/none [^\n]+\n(?:[^\n]+\n)*? {2}dangling premise: yes /);
  });

  it('adds --plugin schemes (arch plugins skipped), with a non-mainline provenance spelled out', async () => {
    const arch = moduleFile(`import { referenceArch } from ${JSON.stringify(coreUrl)};\nexport default { ...referenceArch, name: 'skipped-arch' };\n`);
    const schemes = await listSchemes(await createRegistry([COUNTED, arch]));
    expect(schemes.map((s) => s.name)).toEqual([...BUNDLED_SCHEME_NAMES, 'counted']);
    const c = schemes.at(-1)!;
    expect(c).toMatchObject({ version: '1.2.3', source: `--plugin ${COUNTED}`, provenance: 'reconstructed', kconfig: { other: ['MMU_LAZY_TLB_COUNTED=y'] } });
    expect(c.options.map((o) => `${o.name}: ${o.type} = ${JSON.stringify(o.default)}`)).toEqual(['mode: "grab" | "skip" = "grab"', 'mb: boolean = true']);
    const text = formatSchemes([c]);
    expect(text).toContain('  provenance: reconstructed (no code was found; modelled from a summary); follows a test fixture of apps/sweep\n');
    expect(text).toContain('  Kconfig: MMU_LAZY_TLB_REFCOUNT=y MMU_LAZY_TLB_SHOOTDOWN=n MMU_LAZY_TLB_COUNTED=y\n');
    expect(text).toContain('    counted-covers-lazies (checked by I3 lazy-pointer-live): ');
    await expect(createRegistry([BROKEN])).rejects.toThrow(/invalid scheme plugin/);
  });
});
