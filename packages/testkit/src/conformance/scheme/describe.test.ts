/**
 * The scheme suite must catch what it claims to catch: run it (through a collecting runner)
 * against scheme variants that each break one contract, and check which tests fail. A correct
 * scheme that uses every ABI feature the suite checks (sequences, shared state, options;
 * test-support.ts) passes it, on the reference arch and on one that offers tso.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LAZY_EXEC_MMAP, noneScheme, refcountScheme, shootdownScheme, type SchemeHooks, type SchemePlugin } from '@lazytlb/core';
import { ambientRunner, describeSchemeConformance } from './describe.js';
import { checkSchemeSequences } from './runs.js';
import { collectScheme, percpuCountScheme, refTsoArch, schemeFailures } from './test-support.js';

/** Test names by kind (the leaf name, without an option set's describe block). */
const KINDS: readonly [string, string][] = [
  ['descriptor is valid', 'descriptor'],
  ['kconfig:', 'kconfig'],
  ['claims: well formed', 'claims'],
  ['options: {}', 'options-defaults'],
  ['options: each option', 'options-values'],
  ['options: garbage', 'options-garbage'],
  ['use sites:', 'use-sites'],
  ['setup()', 'setup'],
  ['hook calls:', 'hook-calls'],
  ['observer hooks:', 'observer'],
  ['determinism:', 'determinism'],
  ['no Math.random', 'no-random'],
  ['no plugin errors:', 'no-plugin-errors'],
  ['accounting (I4) under tso', 'accounting-tso'],
  ['accounting (I4):', 'accounting'],
  ['sequence hooks', 'sequences'],
  ['shared state:', 'shared-state'],
  ['claims: each borrowed barrier', 'barriers'],
  ['declared state', 'declared-state'],
  ['replayArtifact', 'replay'],
];

function kindOf(name: string): string {
  const leaf = name.split(' > ').pop()!;
  const k = KINDS.find(([prefix]) => leaf.startsWith(prefix));
  if (k === undefined) throw new Error(`no kind for test "${name}"`);
  return k[1];
}

/** The kinds of the failing tests, sorted, once each. */
function kinds(f: Map<string, string>): string[] {
  return [...new Set([...f.keys()].map(kindOf))].sort();
}

/** The first failure message of a kind. */
function message(f: Map<string, string>, kind: string): string {
  for (const [name, m] of f) if (kindOf(name) === kind) return m;
  throw new Error(`no failing ${kind} test (failing: ${[...f.keys()].join('; ')})`);
}

/** A variant of a built-in scheme with some hooks replaced. */
function builtinVariant(
  base: SchemePlugin<any>,
  name: string,
  patch: (h: SchemeHooks) => Partial<SchemeHooks>,
  extra: Partial<SchemePlugin<any>> = {},
): SchemePlugin<any> {
  return {
    ...base,
    name,
    setup(options: never, env) {
      const h = base.setup(options, env);
      return { ...h, ...patch(h) };
    },
    ...extra,
  };
}

let leaked = 0;

describe('describeSchemeConformance', () => {
  it('registers one test per contract (per option set for the dynamic ones), named after what it checks', () => {
    const names = collectScheme(refcountScheme).map((t) => t.name);
    expect(names).toEqual([
      'descriptor is valid (validateSchemePlugin), shadows no built-in scheme, and a cell records it',
      'kconfig: a possible Kconfig (never MMU_LAZY_TLB_REFCOUNT=y with MMU_LAZY_TLB_SHOOTDOWN=y; other: single lines, no symbol twice or against the fields)',
      'claims: well formed; every barrier other kernel code borrows from the lazy-mm helpers is declared',
      'options: {} parses to JSON-safe defaults that re-parse to themselves, form the default cell and are not refused',
      'options: each option has a description, a default, and listed values that form cells (name:key=value)',
      'options: garbage is rejected with a clear SchemeOptionsError',
      "use sites: well formed; ids unique and not the core's or an arch's; a cell reports them after the core's and the arch's; patchedSites well formed",
      'setup() returns complete hooks (validateSchemeHooks) for every arch and memory model',
      'hook calls: void hooks return nothing, lazy_refs is a stable count >= 0, no hook throws (40 seeds of default and exit-heavy per arch)',
      'observer hooks: after every step describe_cpu is a one-line string and lazy_refs a count >= 0, both stable pure reads',
      'determinism: same cell + seed => same outcome, steps, costs, decisions and trace; other simulators, seed order and tracing change nothing',
      'no Math.random during setup or runs',
      'no plugin errors: reference sc, 2 CPUs, 200 seeds of the default workload (violations are findings, not failures)',
      'no plugin errors: reference sc, 4 CPUs, 200 seeds of the default workload (violations are findings, not failures)',
      "accounting (I4): reference sc, 2 CPUs, 200 seeds each of default and exit-heavy: lazy_refs matches the scheme's mm_count references (safety oracles off)",
      "accounting (I4): reference sc, 4 CPUs, 200 seeds each of default and exit-heavy: lazy_refs matches the scheme's mm_count references (safety oracles off)",
      'accounting (I4) under tso: skipped, the reference arch offers only sc and no arch in options.arches offers tso',
      'sequence hooks (mmput, cleanup_lazy_tlbs): a returned pc has a resume hook, pcs are 1..65535, every sequence ends (200 seeds of exit-heavy)',
      'shared state: reset() declares SchemePlugin.sharedState; stores go to declared slots, in range, from the executing CPU, one writer per element',
      'claims: each borrowed barrier the scheme says it provides is a full barrier where it is relied on',
      'declared state (declaresState): a run restored to a saved point goes on as the run that never left it (exhaustive search snapshots only declared state)',
      'replayArtifact reproduces recorded runs with the scheme plugin (ok and failing), tracing off and on',
    ]);
    // Each listed value of an option is an option set of its own; an arch that offers tso gets
    // the accounting check under tso, at each CPU count.
    const shoot = collectScheme(shootdownScheme, { arches: [refTsoArch], cpuCounts: [2] }).map((t) => t.name);
    expect(shoot.filter((n) => n.endsWith('no Math.random during setup or runs'))).toEqual([
      'options shootdown (defaults) > no Math.random during setup or runs',
      'options shootdown:mask=online > no Math.random during setup or runs',
    ]);
    expect(
      shoot.filter((n) => n.startsWith('options shootdown:mask=online > no plugin errors') || n.startsWith('options shootdown:mask=online > accounting')),
    ).toEqual([
      'options shootdown:mask=online > no plugin errors: reference sc, 2 CPUs, 200 seeds of the default workload (violations are findings, not failures)',
      'options shootdown:mask=online > no plugin errors: ref-tso sc, 2 CPUs, 200 seeds of the default workload (violations are findings, not failures)',
      'options shootdown:mask=online > no plugin errors: ref-tso tso, 2 CPUs, 200 seeds of the default workload (violations are findings, not failures)',
      "options shootdown:mask=online > accounting (I4): reference sc, 2 CPUs, 200 seeds each of default and exit-heavy: lazy_refs matches the scheme's mm_count references (safety oracles off)",
      'options shootdown:mask=online > accounting (I4) under tso: ref-tso, 2 CPUs, 200 seeds each of default and exit-heavy (safety oracles off)',
    ]);
  });

  it("finds vitest's runner itself, or takes one in options.runner or as the second argument", () => {
    const r = ambientRunner();
    expect(r.describe).toBe(describe);
    expect(r.it).toBe(it);
    expect(r.expect).toBe(expect);
    const seen: string[] = [];
    // biome-ignore lint/complexity/noCommaOperator: a fake describe that records its name, then runs the block
    const runner = { describe: (name: string, fn: () => void) => (seen.push(`d ${name}`), fn()), it: (name: string) => void seen.push(`i ${name}`), expect };
    describeSchemeConformance(noneScheme, { runner, cpuCounts: [2] });
    const viaOptions = seen.splice(0);
    describeSchemeConformance(noneScheme, runner, { cpuCounts: [2] });
    expect(seen).toEqual(viaOptions);
    expect(viaOptions[0]).toBe(`d scheme conformance: none@${noneScheme.version}`);
    expect(viaOptions.length).toBe(1 + 20);
  });

  it('passes a correct scheme with sequences (mmput, cleanup_lazy_tlbs + resume), shared state and options, under sc and tso', async () => {
    const f = await schemeFailures(percpuCountScheme(), { arches: [refTsoArch] });
    expect([...f.keys()]).toEqual([]);
  });

  it('logs the outcome counts of each no-plugin-error cell: violations are findings, not failures', async () => {
    const lines: string[] = [];
    const f = await schemeFailures(noneScheme, { log: (l) => lines.push(l) });
    expect([...f.keys()]).toEqual([]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[scheme conformance\] none on reference sc, 2 CPUs, default: 30 runs: (\d+ ok, )?\d+ violation I1, \d+ violation I14$/);
  });

  it('an invalid descriptor field', async () => {
    const f = await schemeFailures({ ...percpuCountScheme(), provenance: 'rumour' } as never);
    expect(message(f, 'descriptor')).toMatch(
      /invalid scheme plugin percpu-count \(conformance\):\n {2}- provenance: Invalid option: expected one of "mainline"\|"proposal"\|"reconstructed"/,
    );
    expect(kinds(f)).not.toContain('kconfig');
    expect(kinds(f)).not.toContain('claims');
  });

  it('a name that shadows a built-in scheme, or a blank description', async () => {
    const f = await schemeFailures(percpuCountScheme(() => ({}), { name: 'refcount', description: '  ' }));
    expect(message(f, 'descriptor')).toMatch(/name "refcount" is a built-in scheme's[\s\S]*description is blank/);
  });

  it('MMU_LAZY_TLB_REFCOUNT=y with MMU_LAZY_TLB_SHOOTDOWN=y, and kconfig.other that contradicts the fields or repeats a symbol', async () => {
    const both = await schemeFailures(percpuCountScheme(() => ({}), { kconfig: { MMU_LAZY_TLB_REFCOUNT: true, MMU_LAZY_TLB_SHOOTDOWN: true } }));
    expect(message(both, 'kconfig')).toMatch(/MMU_LAZY_TLB_REFCOUNT=y with MMU_LAZY_TLB_SHOOTDOWN=y is impossible: in arch\/Kconfig/);
    expect(message(both, 'kconfig')).not.toMatch(/core did not refuse/);
    expect(message(both, 'descriptor')).toMatch(/kconfig: MMU_LAZY_TLB_REFCOUNT=y with MMU_LAZY_TLB_SHOOTDOWN=y is impossible/);
    const other = await schemeFailures(
      percpuCountScheme(() => ({}), {
        kconfig: {
          MMU_LAZY_TLB_REFCOUNT: true,
          MMU_LAZY_TLB_SHOOTDOWN: false,
          other: ['FOO=y (the per-CPU counters)', 'CONFIG_MMU_LAZY_TLB_SHOOTDOWN=y', 'FOO=n', ' ', 'two\nlines'],
        },
      }),
    );
    expect(kinds(other)).toEqual(['kconfig']);
    expect(message(other, 'kconfig')).toMatch(
      /"CONFIG_MMU_LAZY_TLB_SHOOTDOWN=y" contradicts kconfig\.MMU_LAZY_TLB_SHOOTDOWN \(n\)[\s\S]*FOO is given twice[\s\S]*" " must be a non-blank single line[\s\S]*"two\\nlines" must be a non-blank single line/,
    );
    // Free text is fine (the out-of-tree schemes annotate their symbols).
    expect(
      kinds(
        await schemeFailures(
          percpuCountScheme(() => ({}), {
            kconfig: {
              MMU_LAZY_TLB_REFCOUNT: true,
              MMU_LAZY_TLB_SHOOTDOWN: false,
              other: ['MMU_LAZY_TLB_PERCPU_COUNT=y (reconstructed)', 'per-CPU counters, no symbol'],
            },
          }),
        ),
      ),
    ).toEqual([]);
  });

  it('claims: an undeclared borrowed barrier, a duplicate id, a blank text', async () => {
    const base = percpuCountScheme();
    const f = await schemeFailures(
      percpuCountScheme(() => ({}), {
        claims: {
          ...base.claims,
          barriers: base.claims.barriers.filter((b) => b.id !== 'mmgrab-atomic'),
          arch: [
            { id: 'covers', description: 'x', checkedBy: 'I3' },
            { id: 'covers', description: ' ', checkedBy: 'I7' },
          ],
        },
      }),
    );
    expect(kinds(f)).toEqual(['claims']);
    expect(message(f, 'claims')).toMatch(
      /barriers: "mmgrab-atomic" is not declared\. switch_mm_cid[\s\S]*arch\[1\] "covers": id is declared twice[\s\S]*arch\[1\] "covers": description must not be blank/,
    );
  });

  it('a borrowed barrier the claims say is provided but the helper does not execute', async () => {
    const f = await schemeFailures(builtinVariant(noneScheme, 'none-nobarrier', () => ({ mmdrop_lazy_tlb() {} })));
    expect(kinds(f)).toEqual(['barriers']);
    expect(message(f, 'barriers')).toMatch(
      /claims\.barriers "mmdrop_lazy_tlb-smp_mb" says provided, but mmdrop_lazy_tlb\(.+\) at finish_task_switch on CPU\d executed no full barrier/,
    );
  });

  it('options: unknown keys accepted, values the CLI cannot write, no description, a default that is refused', async () => {
    const loose = await schemeFailures(
      percpuCountScheme(() => ({}), { options: z.object({ scan: z.enum(['cpus', 'off']).default('cpus').describe('d') }) as never }),
    );
    expect(kinds(loose)).toEqual(['options-garbage']);
    expect(message(loose, 'options-garbage')).toMatch(/__lazytlb_conformance_no_such_option__.* was accepted/);
    // ...which a scheme may opt out of.
    expect(
      kinds(
        await schemeFailures(
          percpuCountScheme(() => ({}), { options: z.object({ scan: z.enum(['cpus', 'off']).default('cpus').describe('d') }) as never }),
          { strictOptions: false },
        ),
      ),
    ).toEqual([]);

    const values = await schemeFailures(
      percpuCountScheme(() => ({}), {
        options: z.object({ scan: z.enum(['cpus', 'off', 'true', 'a,b']).default('cpus'), depth: z.number().int().optional().describe('d') }).strict() as never,
      }),
    );
    expect(kinds(values)).toEqual(['options-values']);
    const m = message(values, 'options-values');
    expect(m).toMatch(/option "scan" has no description/);
    expect(m).toMatch(/option "scan": value "true" does not survive the CLI: scan=true reads back as true/);
    expect(m).toMatch(/option "scan": value "a,b" cannot be written percpu-count:scan=a,b/);
    expect(m).toMatch(/option "depth" has no default/);

    const refused = await schemeFailures(percpuCountScheme(() => ({}), { structuralRefusal: (o) => (o.scan === 'cpus' ? 'scan=cpus needs a scan' : null) }));
    expect(message(refused, 'options-defaults')).toMatch(/structuralRefusal refuses the default options: scan=cpus needs a scan/);
    expect(message(refused, 'no-plugin-errors')).toMatch(/scheme percpu-count: scan=cpus needs a scan/);
  });

  it('use sites that are not well formed', async () => {
    const site = { id: 'lazy_count scan', kind: 'dereference', source: 's', reads: 'r', consequence: 'c' } as const;
    const f = await schemeFailures(
      percpuCountScheme(() => ({}), { useSites: [site, { ...site, id: 'cpumask_clear_cpu(mm_cpumask(prev))', consequence: ' ' }] }),
    );
    // A site the arch declares too is also refused by core when a cell is made (PluginLoadError), so
    // every check that runs the scheme on the reference arch fails with it; use-sites names the cause.
    expect(kinds(f)).toContain('use-sites');
    expect(kinds(f)).toContain('no-plugin-errors');
    expect(message(f, 'use-sites')).toMatch(
      /useSites\[1\] "cpumask_clear_cpu\(mm_cpumask\(prev\)\)": id is arch reference's site[\s\S]*useSites\[1\].*consequence must not be blank/,
    );
  });

  it('patchedSites that lists an id twice, or throws for an option set', async () => {
    const f = await schemeFailures(percpuCountScheme(() => ({}), { patchedSites: () => ['__mmdrop', '__mmdrop', ' '] } as never));
    expect(kinds(f)).toEqual(['use-sites']);
    expect(message(f, 'use-sites')).toMatch(/patchedSites\(\{\}\): "__mmdrop" is listed twice[\s\S]*patchedSites\(\{\}\): " " is not a use-site id/);
    const throws = await schemeFailures(
      percpuCountScheme(() => ({}), {
        patchedSites: (o: { scan: string }) => {
          if (o.scan === 'off') throw new Error('no sites for off');
          return [];
        },
      } as never),
    );
    expect(message(throws, 'use-sites')).toMatch(/patchedSites\(\{"scan":"off"\}\) threw: no sites for off/);
  });

  it('setup() that forgets a required hook', async () => {
    const f = await schemeFailures(percpuCountScheme(() => ({ lazy_refs: undefined as never })));
    expect(message(f, 'setup')).toMatch(/setup\(\) returned hooks without lazy_refs/);
  });

  it('a hook that throws (a plugin error, reported with the replayed trace and the artifact)', async () => {
    const f = await schemeFailures(
      percpuCountScheme((h) => ({
        mmdrop_lazy_tlb(k, cpu, mm, site) {
          if (site === LAZY_EXEC_MMAP) throw new Error('exec broke');
          h.mmdrop_lazy_tlb(k, cpu, mm, site);
        },
      })),
    );
    expect(kinds(f)).toEqual(['accounting', 'hook-calls', 'no-plugin-errors']);
    const m = message(f, 'no-plugin-errors');
    expect(m).toMatch(
      /^percpu-count on reference sc, 2 CPUs, default: \d+ of 30 runs ended in a plugin error or threw \((\d+ ok, )?\d+ plugin-error\)\nfirst plugin error:\npercpu-count on reference sc, 2 CPUs, default: run \d+ \(seed [0-9a-f]{32}\) ended plugin-error: plugin error in hook mmdrop_lazy_tlb \(scheme percpu-count\): exec broke/,
    );
    expect(m).toContain('trace (replayed from the artifact):\nstep  CPU0');
    expect(m).toContain('artifact (replay with replayArtifact(artifact, arch, { scheme })):\n{"schema":"lazytlb.artifact/');
    expect(message(f, 'hook-calls')).toMatch(/hook mmdrop_lazy_tlb \(scheme percpu-count\) threw: exec broke/);
  });

  it('a hook that calls Math.random', async () => {
    const f = await schemeFailures(
      percpuCountScheme((h) => ({
        mmgrab_lazy_tlb(k, cpu, mm, site) {
          if (Math.random() < 0.5) k.countRemoteRead(cpu);
          h.mmgrab_lazy_tlb(k, cpu, mm, site);
        },
      })),
    );
    expect(kinds(f)).toEqual(['determinism', 'no-random']);
    expect(message(f, 'no-random')).toMatch(
      /Math\.random\(\) was called \d+ time\(s\) \(draw from k\.chance \/ k\.rng, the run's PRNG\); first call:\nMathRandomCalled/,
    );
  });

  it('hidden module state shared between simulators', async () => {
    const f = await schemeFailures(
      percpuCountScheme((h) => ({
        mmgrab_lazy_tlb(k, cpu, mm, site) {
          if (++leaked % 3 === 0) k.countRemoteRead(cpu);
          h.mmgrab_lazy_tlb(k, cpu, mm, site);
        },
      })),
    );
    expect(kinds(f)).toEqual(['determinism']);
    expect(message(f, 'determinism')).toMatch(/a second Simulator instance, interleaved run by run, reproduces every run/);
  });

  it('state that reset() does not clear (it leaks from run to run)', async () => {
    const f = await schemeFailures(
      percpuCountScheme((h) => {
        let grabs = 0; // per simulator, never reset
        return {
          mmgrab_lazy_tlb(k, cpu, mm, site) {
            if (++grabs % 3 === 0) k.countRemoteRead(cpu);
            h.mmgrab_lazy_tlb(k, cpu, mm, site);
          },
        };
      }),
    );
    expect(kinds(f)).toEqual(['determinism']);
    expect(message(f, 'determinism')).toMatch(
      /seeds run out of order on a fresh Simulator \(the last first, then the others\) reproduce every run \(reset\(\) must clear all scheme state\)/,
    );
  });

  it('module state that changes the path of a run: replays diverge', async () => {
    const f = await schemeFailures(percpuCountScheme(() => ({ mmput: () => (++leaked % 2 === 0 ? 1 : undefined) })));
    expect(kinds(f)).toEqual(['determinism', 'replay']);
    expect(message(f, 'replay')).toMatch(
      /^percpu-count on reference sc, 2 CPUs, default run \d+ \(ok, trace o(n|ff)\): replayArtifact could not replay it \(ReplayDivergence: step \d+: recorded actor \d+ is not enabled/,
    );
  });

  it('an exception core cannot attribute to a hook (sim.run throws)', async () => {
    const f = await schemeFailures(
      builtinVariant(refcountScheme, 'refcount-unattributed', (h) => ({
        mmdrop_lazy_tlb(k, cpu, mm, site) {
          if (site === LAZY_EXEC_MMAP) {
            (k as unknown as { hook: number }).hook = 0; // as if core itself had thrown
            throw new Error('model broke');
          }
          h.mmdrop_lazy_tlb(k, cpu, mm, site);
        },
      })),
    );
    expect(message(f, 'no-plugin-errors')).toMatch(
      /runs that threw \(core could not attribute the exception to a hook\):\n {2}run \d+ \(seed [0-9a-f]{32}\): sim\.run threw Error: model broke \(at /,
    );
    expect(message(f, 'hook-calls')).toMatch(/sim\.run threw Error: model broke/);
  });

  it('a describe_cpu that is not a string, and one that changes state', async () => {
    const typed = await schemeFailures(percpuCountScheme(() => ({ describe_cpu: () => 42 as never })));
    expect(kinds(typed)).toEqual(['observer']);
    expect(message(typed, 'observer')).toMatch(/describe_cpu\(CPU0\) returned number, not a string/);
    const impure = await schemeFailures(
      percpuCountScheme(() => ({
        describe_cpu(k, cpu) {
          k.countRemoteRead(cpu);
          return '';
        },
      })),
    );
    expect(kinds(impure)).toEqual(['observer']);
    expect(message(impure, 'observer')).toMatch(/run 0 after step \d+: describe_cpu\(CPU0\) changed the cost counters or an mm_count: it must be a pure read/);
    const unstable = await schemeFailures(
      percpuCountScheme(() => {
        let n = 0;
        return { describe_cpu: () => `asked ${++n} times` };
      }),
    );
    expect(kinds(unstable)).toEqual(['observer']);
    expect(message(unstable, 'observer')).toMatch(
      /describe_cpu\(CPU0\) answered "asked \d+ times", then "asked \d+ times" when asked again: it must be a pure read/,
    );
  });

  it('lazy_refs that lies (I4): refcount that does not count its lazy references', async () => {
    const f = await schemeFailures(builtinVariant(refcountScheme, 'refcount-liar', () => ({ lazy_refs: () => 0 })));
    expect(kinds(f)).toEqual(['accounting']);
    expect(message(f, 'accounting')).toMatch(
      /^refcount-liar on reference sc, 2 CPUs, default \(and exit-heavy\), oracles .* off: 80 run\(s\) broke I4: lazy_refs\(mm\) must equal the mm_count references the scheme holds[\s\S]*First:\n.*violation of I4 on CPU\d at step \d+: mm_count of \S+ is \d+ but its holders account for \d+/,
    );
  });

  it('lazy_refs that reads what other CPUs see (it lies only under tso, while a store is buffered)', async () => {
    const liar = percpuCountScheme((h) => ({
      lazy_refs(k, mm) {
        const { mem, cap } = h.state();
        let n = 0;
        for (let c = 0; c < k.ncpu; c++) n += mem[c * cap + mm]!;
        return n;
      },
    }));
    expect(kinds(await schemeFailures(liar))).toEqual([]);
    const f = await schemeFailures(liar, { arches: [refTsoArch] });
    expect(kinds(f)).toEqual(['accounting-tso']);
    expect(message(f, 'accounting-tso')).toMatch(/^percpu-count on ref-tso tso, 2 CPUs, default \(and exit-heavy\).*broke I4/);
  });

  it('lazy_refs that is negative, or changes its answer when asked twice', async () => {
    const negative = await schemeFailures(builtinVariant(noneScheme, 'none-negative', () => ({ lazy_refs: () => -1 })));
    expect(kinds(negative)).toEqual(['accounting', 'hook-calls', 'observer']);
    expect(message(negative, 'hook-calls')).toMatch(/lazy_refs\(\S+\) returned -1: a count of mm_count references \(an integer >= 0\)/);
    const unstable = await schemeFailures(
      builtinVariant(refcountScheme, 'refcount-unstable', (h) => {
        let asked = 0;
        return {
          reset(k) {
            asked = 0;
            h.reset(k);
          },
          lazy_refs: (k, mm) => h.lazy_refs(k, mm) + (++asked % 2),
        };
      }),
    );
    expect(kinds(unstable)).toContain('hook-calls');
    expect(message(unstable, 'hook-calls')).toMatch(/lazy_refs\(\S+\) answered \d+, then \d+ right after: it must be a pure read/);
  });

  it('a void hook that returns something (an async hook returns a Promise)', async () => {
    const f = await schemeFailures(
      builtinVariant(refcountScheme, 'refcount-async', (h) => ({
        mmgrab_lazy_tlb: (async (k: never, cpu: number, mm: number, site: number) => h.mmgrab_lazy_tlb(k, cpu, mm, site)) as never,
      })),
    );
    expect(kinds(f)).toEqual(['hook-calls']);
    expect(message(f, 'hook-calls')).toMatch(/mmgrab_lazy_tlb returned a Promise \(hooks are synchronous: no async\); it must return nothing/);
  });

  it('a sequence hook that returns a pc without a resume hook', async () => {
    const f = await schemeFailures(percpuCountScheme(() => ({ resume: undefined as never })));
    expect(kinds(f)).toEqual(['accounting', 'hook-calls', 'no-plugin-errors', 'sequences']);
    expect(message(f, 'sequences')).toMatch(
      /mmput\(\S+\) on CPU\d returned pc 1, but the scheme has no resume hook: core calls resume\(k, cpu, 'mmput', pc, mm\) as the CPU's next steps/,
    );
    expect(message(f, 'no-plugin-errors')).toMatch(
      /plugin error in hook mmput \(scheme percpu-count\): mmput returned a pc \(1\) but the scheme has no resume hook/,
    );
  });

  it('a sequence hook that returns a pc out of range', async () => {
    const f = await schemeFailures(percpuCountScheme(() => ({ mmput: () => 70_000 })));
    // Core itself refuses the pc (a plugin error naming the hook), so every check that runs the
    // scheme fails too; the sequences check names the cause.
    expect(kinds(f)).toEqual(['accounting', 'hook-calls', 'no-plugin-errors', 'sequences']);
    expect(message(f, 'sequences')).toMatch(
      /mmput returned 70000: a sequence hook returns the pc of its next step \(an integer 1\.\.65535\) or nothing when done/,
    );
  });

  it('a sequence that never ends', () => {
    const endless = percpuCountScheme(() => ({ resume: (_k, _cpu, hook, pc) => (hook === 'mmput' ? undefined : pc) }));
    expect(() => checkSchemeSequences(endless, [{ scheme: endless, arch: { plugin: refTsoArch }, cpus: 2, workload: 'exit-heavy' }], 2)).toThrow(
      /exit-heavy, run 0: the run hit the step budget with \d+ scheme sequence\(s\) still open after \d+ resume call\(s\): a sequence must end \(resume returns nothing\)/,
    );
  });

  it('a sequence hook the runs never reach is reported (the check would be vacuous)', () => {
    // Every run ends at its first mmgrab_lazy_tlb, long before an exit.
    const scheme = percpuCountScheme(() => ({
      mmgrab_lazy_tlb() {
        throw new Error('no');
      },
    }));
    expect(() => checkSchemeSequences(scheme, [{ scheme, arch: { plugin: refTsoArch }, cpus: 2, workload: 'exit-heavy' }], 3)).toThrow(
      /mmput, cleanup_lazy_tlbs never called in 3 runs of exit-heavy: the check exercised nothing \(raise sequenceSeeds\)/,
    );
  });

  it("shared state: an entry reset() does not declare, stores from another CPU, into another CPU's element, outside the array", async () => {
    const base = percpuCountScheme();
    const undeclared = await schemeFailures(
      percpuCountScheme(() => ({}), {
        sharedState: [...base.sharedState!, { id: 'scan_pos', scope: 'cpu', description: 'where the scan is' }],
      }),
    );
    expect(kinds(undeclared)).toEqual(['shared-state']);
    expect(message(undeclared, 'shared-state')).toMatch(
      /sharedState\[1\] "scan_pos" was not declared in reset\(\) \(k\.declareSchemeShared\(1, "scan_pos", array\)\)/,
    );
    const foreign = await schemeFailures(
      percpuCountScheme((h) => ({
        mmgrab_lazy_tlb(k, cpu, mm, site) {
          h.mmgrab_lazy_tlb(k, cpu, mm, site);
          k.storeSchemeShared((cpu + 1) % k.ncpu, 0, 0, 0);
        },
        mmdrop_lazy_tlb(k, cpu, mm, site) {
          h.mmdrop_lazy_tlb(k, cpu, mm, site);
          k.storeSchemeShared(cpu, 0, 1 << 20, 0);
        },
      })),
    );
    expect(kinds(foreign)).toContain('shared-state');
    const m = message(foreign, 'shared-state');
    expect(m).toMatch(/storeSchemeShared\(CPU\d, "lazy_count", 0\) from a hook running on CPU\d: a plain store goes into the storing CPU's store buffer/);
    expect(m).toMatch(/storeSchemeShared\(CPU\d, "lazy_count", index 1048576\): outside the declared array/);
    expect(m).toMatch(/element 0 of "lazy_count" is plain-stored by CPU\d and by CPU\d in one run: scope 'cpu' means one owning CPU stores each element/);
  });
});
