/**
 * The suite must catch what it claims to catch: run it (with a collecting runner) against
 * reference-arch variants that each break one contract, and check which tests fail.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { archFingerprint, costs, referenceArch, type ArchHooks, type ArchPlugin, type Kernel } from '@lazytlb/core';
import type { CellSpec } from './cell.js';
import { whyNotClean } from './clean-runs.js';
import { checkOptionalHooks } from './hook-contracts.js';
import { describeArchConformance } from './describe.js';
import type { ConformanceOptions } from './options.js';
import { collectTests, type Collected } from './test-support.js';

function collect(plugin: ArchPlugin<any>, options: ConformanceOptions): Collected[] {
  return collectTests((runner) => describeArchConformance(plugin, runner, options));
}

/** Names of the failing tests, each with the start of its error message. */
async function failures(plugin: ArchPlugin<any>, options: ConformanceOptions = {}): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const t of collect(plugin, { seeds: 40, cpuCounts: [2], determinismSeeds: 3, replaySeeds: 2, ...options })) {
    try {
      await t.fn();
    } catch (e) {
      out.set(t.name, e instanceof Error ? e.message : String(e));
    }
  }
  return out;
}

/** A reference-arch variant whose hooks are changed by `patch`. */
function variant(name: string, patch: (h: ArchHooks) => Partial<ArchHooks>, extra: Partial<ArchPlugin<any>> = {}): ArchPlugin<any> {
  return {
    ...referenceArch,
    name,
    setup(options: never, env) {
      const h = referenceArch.setup(options, env);
      return { ...h, ...patch(h) };
    },
    ...extra,
  } as ArchPlugin<any>;
}

let leaked = 0;

const USE_SITES = 'use sites: every useSites entry is well formed; ids are unique and not core ids';
const MUTATIONS = 'mutations: each names valid cells of this plugin where it bites, or none (cells: []) with noVictim saying why';
const OPTIONAL =
  'optional hooks (cpu_idle_deep, use_temporary_mm, suspend_resume, tlbbatch_flush): well-formed arguments, nothing returned, no throw, every scheme';
const DECLARED =
  'declared state (declaresState): a run restored to a saved point goes on as the run that never left it (exhaustive search snapshots only declared state)';
const MUTATION_DOC = {
  id: 'reference-test-mutation',
  title: 'a restored bug',
  fixedBy: '0123456789ab some fix',
  breaks: 'I2',
  description: 'what the buggy code did',
} as const;

describe('describeArchConformance catches broken plugins', () => {
  it('registers one test per contract (and passes on the reference arch, see reference-conformance.test.ts)', () => {
    const names = collect(referenceArch, {}).map((t) => t.name);
    expect(names).toEqual([
      'descriptor is valid (validateArchPlugin)',
      'options: {} parses to JSON-safe defaults that re-parse to themselves',
      'options: garbage is rejected with a clear PluginLoadError',
      USE_SITES,
      MUTATIONS,
      'setup() returns complete hooks (validateHooks)',
      'boot state: hw_root is init_mm on every CPU, tlb_may_hold(init_mm) is false, switch to init_mm stays there',
      'hooks return values of the right types at every step (hw_root, shoot_lazies_mask, tlb_may_hold, describe_cpu)',
      OPTIONAL,
      'determinism (refcount): same cell + seed => same outcome, steps, costs and decisions',
      'determinism (shootdown): same cell + seed => same outcome, steps, costs and decisions',
      'determinism (none): same cell + seed => same outcome, steps, costs and decisions',
      'no Math.random during setup or runs',
      'clean runs: refcount, 2 CPUs, 300 seeds of the default workload all end ok with no hazard',
      'clean runs: refcount, 4 CPUs, 300 seeds of the default workload all end ok with no hazard',
      'clean runs under CPU hotplug: refcount, 4 CPUs, 100 seeds of the hotplug profile (cpu_down/cpu_up, cpu_disable/cpu_up hooks) with no hazard',
      DECLARED,
      'RunResult and artifacts survive structuredClone; artifacts survive JSON + parseArtifact',
      'replayArtifact reproduces recorded runs (ok and failing), with tracing off and on',
    ]);
  });

  it('per-run state it does not declare (declaresState: true, a counter kept in a closure)', async () => {
    const f = await failures(
      variant('undeclared', (h) => {
        let switches = 0; // per-run state, reset by reset() but not declared: a restore does not bring it back
        return {
          reset(k) {
            switches = 0;
            h.reset(k);
          },
          switch_mm_irqs_off(k, cpu, prev, next, task) {
            const pc = h.switch_mm_irqs_off(k, cpu, prev, next, task);
            // Every other switch leaves a mark in core state the hasher and other CPUs see.
            if (switches++ % 2 === 1) k.mmCpumask[0]! ^= 1 << cpu;
            return pc;
          },
        };
      }),
    );
    expect(f.has(DECLARED)).toBe(true);
    expect(f.get(DECLARED)).toMatch(/after restoring a saved point .* all per-run plugin state must be declared with k\.declareState/);
    // Without declaresState the check is not registered (such a plugin is searched without snapshots).
    expect(collect({ ...referenceArch, declaresState: false }, {}).map((t) => t.name)).not.toContain(DECLARED);
  });

  it('a hook that calls Math.random', async () => {
    const f = await failures(
      variant('uses-random', (h) => ({
        flush_tlb_mm_range(k, cpu, mm, flags) {
          if (Math.random() < 2) h.flush_tlb_mm_range(k, cpu, mm, flags);
        },
      })),
    );
    expect([...f.keys()]).toEqual(['no Math.random during setup or runs']);
    expect(f.get('no Math.random during setup or runs')).toMatch(/Math.random\(\) was called \d+ time\(s\); first call:\nMathRandomCalled/);
  });

  it('state shared between simulators (not cleared by reset)', async () => {
    const f = await failures(
      variant('leaky', (h) => ({
        flush_tlb_mm_range(k, cpu, mm, flags) {
          k.cost[costs.C_HYPERCALLS]! += ++leaked;
          h.flush_tlb_mm_range(k, cpu, mm, flags);
        },
      })),
    );
    expect([...f.keys()]).toEqual([
      'determinism (refcount): same cell + seed => same outcome, steps, costs and decisions',
      'determinism (shootdown): same cell + seed => same outcome, steps, costs and decisions',
      'determinism (none): same cell + seed => same outcome, steps, costs and decisions',
    ]);
    expect(f.values().next().value).toMatch(/a second Simulator instance reproduces every run/);
  });

  it('an options schema that silently accepts unknown keys', async () => {
    const loose = z.object({ leaveLazyOnFreedTables: z.boolean().default(true) });
    const f = await failures({ ...referenceArch, name: 'loose', options: loose } as ArchPlugin<any>);
    expect([...f.keys()]).toEqual(['options: garbage is rejected with a clear PluginLoadError']);
    expect(f.get('options: garbage is rejected with a clear PluginLoadError')).toMatch(/__lazytlb_conformance_no_such_option__.*was accepted/);
    // ...which a plugin may opt out of.
    expect([...(await failures({ ...referenceArch, name: 'loose', options: loose } as ArchPlugin<any>, { strictOptions: false })).keys()]).toEqual([]);
  });

  it('an MMU root that is not init_mm at boot', async () => {
    const f = await failures(
      variant('no-boot-root', (h) => {
        const loaded = new Set<number>();
        return {
          reset(k) {
            loaded.clear();
            h.reset(k);
          },
          switch_mm_irqs_off(k, cpu, prev, next, t) {
            loaded.add(cpu);
            h.switch_mm_irqs_off(k, cpu, prev, next, t);
          },
          hw_root: (k, cpu) => (loaded.has(cpu) ? h.hw_root(k, cpu) : -1),
        };
      }),
    );
    expect(f.get('boot state: hw_root is init_mm on every CPU, tlb_may_hold(init_mm) is false, switch to init_mm stays there')).toMatch(
      /hw_root\(CPU0\) is -1 right after reset\(\), expected INIT_MM \(0\)/,
    );
    expect(f.get('hooks return values of the right types at every step (hw_root, shoot_lazies_mask, tlb_may_hold, describe_cpu)')).toMatch(
      /hw_root\(CPU\d\) returned -1, not an mm id/,
    );
  });

  it('a flush that reaches no CPU (unsafe even under refcount)', async () => {
    const f = await failures(variant('no-flush', () => ({ flush_tlb_mm_range() {} })));
    const clean = f.get('clean runs: refcount, 2 CPUs, 40 seeds of the default workload all end ok with no hazard');
    expect(clean).toMatch(
      /^\d+ of 40 runs did not end ok without hazards \(\d+x violation I2.*\)\. First:\nno-flush \{\} refcount 2 CPUs default: run \d+ \(seed [0-9a-f]{32}\) ended violation: violation of I2/,
    );
    expect(clean).toContain('trace (replayed from the artifact):\nstep  CPU0');
    expect(clean).toContain('artifact (replay with replayArtifact):\n{"schema":"lazytlb.artifact/3"');
    expect(f.has('determinism (refcount): same cell + seed => same outcome, steps, costs and decisions')).toBe(false);
  });

  it('setup() that forgets a hook', async () => {
    const f = await failures({
      ...referenceArch,
      name: 'no-check',
      setup(options: never, env) {
        const { check: _check, ...rest } = referenceArch.setup(options, env);
        return rest as ArchHooks;
      },
    } as ArchPlugin<any>);
    expect(f.get('setup() returns complete hooks (validateHooks)')).toMatch(/setup\(\) returned hooks without check/);
    expect(f.has('descriptor is valid (validateArchPlugin)')).toBe(false);
  });

  it('an invalid descriptor', async () => {
    const f = await failures({ ...referenceArch, name: 'Bad Name', version: 'one' } as ArchPlugin<any>);
    expect(f.get('descriptor is valid (validateArchPlugin)')).toMatch(/name: must be lowercase letters[\s\S]*version: must be a valid semver version/);
  });

  it('an optional hook that throws on the default workload', async () => {
    const f = await failures(
      variant('throwing-idle', () => ({
        cpu_idle_deep() {
          throw new Error('cpuidle broke');
        },
      })),
    );
    expect(f.get(OPTIONAL)).toMatch(
      /optional hook contract broken:\n {2}- throwing-idle \{\} refcount 2 CPUs default: run \d+: hook cpu_idle_deep threw: cpuidle broke/,
    );
    expect(f.get('clean runs: refcount, 2 CPUs, 40 seeds of the default workload all end ok with no hazard')).toMatch(/\d+x plugin-error/);
  });

  it('an async optional hook (returns a Promise)', async () => {
    const f = await failures(variant('async-poke', () => ({ use_temporary_mm: (async () => {}) as never })));
    expect([...f.keys()]).toEqual([OPTIONAL]);
    expect(f.get(OPTIONAL)).toMatch(/use_temporary_mm returned a Promise \(hooks are synchronous: no async\); it must return nothing/);
  });

  it('optional hooks that are called record well-formed calls on the default workload', async () => {
    const calls: string[] = [];
    const f = await failures(
      variant('probing', (h) => ({
        cpu_idle_deep(k, cpu) {
          calls.push(`idle ${cpu} ${k.taskName(k.cpuCurr[cpu]!)}`);
        },
        use_temporary_mm() {
          calls.push('poke');
        },
        suspend_resume() {
          calls.push('suspend');
        },
        tlbbatch_flush(k, cpu, mm) {
          calls.push('tlbbatch');
          h.flush_tlb_mm_range(k, cpu, mm, 0);
        },
      })),
    );
    expect([...f.keys()]).toEqual([]);
    expect(new Set(calls.map((c) => c.split(' ')[0]))).toEqual(new Set(['idle', 'poke', 'suspend', 'tlbbatch']));
    expect(calls.filter((c) => c.startsWith('idle')).every((c) => /^idle \d swapper\/\d$/.test(c))).toBe(true);
  });

  it('checkOptionalHooks counts the calls over its cells; a hook the workload does not drive may go uncalled', () => {
    const plugin = variant('idle-counter', () => ({ cpu_idle_deep() {} }));
    const cellOf = (deepIdles: number): CellSpec => ({
      plugin,
      archOptions: {},
      scheme: 'refcount',
      cpus: 2,
      workload: { profile: 'default', params: { deepIdles } },
    });
    expect(checkOptionalHooks([cellOf(4), cellOf(2)], 10).calls.cpu_idle_deep).toBeGreaterThan(0);
    expect(checkOptionalHooks(cellOf(0), 10).calls).toEqual({ cpu_idle_deep: 0 });
  });

  it('an optional hook that is not a function', async () => {
    const f = await failures(variant('not-a-function', () => ({ tlbbatch_flush: 42 as never })));
    expect(f.get('setup() returns complete hooks (validateHooks)')).toMatch(/optional hooks that are not functions: tlbbatch_flush \(number\)/);
  });

  it('use sites that are not well formed', async () => {
    const site = { id: 'my_site', kind: 'dereference', source: 'arch/foo/mm/tlb.c @ v6.12', reads: 'prev->context', consequence: 'a use after free' } as const;
    const blank = await failures({
      ...referenceArch,
      name: 'blank-site',
      useSites: [...referenceArch.useSites!, { ...site, reads: '   ' }],
    } as ArchPlugin<any>);
    expect([...blank.keys()]).toEqual([USE_SITES]);
    expect(blank.get(USE_SITES)).toMatch(/useSites\[1\] "my_site": reads must be a non-empty string/);
    const core = await failures({ ...referenceArch, name: 'core-site', useSites: [{ ...site, id: 'switch_mm_irqs_off' }] } as ArchPlugin<any>);
    expect(core.get(USE_SITES)).toMatch(
      /useSites\[0\] "switch_mm_irqs_off": id is a core site \(CORE_USE_SITES\); name the arch's site by its caller or compare, e\.g\. "switch_mm_irqs_off \(prev == next\)"/,
    );
    expect(core.get('descriptor is valid (validateArchPlugin)')).toMatch(/use site "switch_mm_irqs_off" is declared twice \(or is a core site\)/);
    const padded = await failures({ ...referenceArch, name: 'padded-site', useSites: [{ ...site, id: ' my_site' }] } as ArchPlugin<any>);
    expect(padded.get(USE_SITES)).toMatch(/id must be one line without surrounding blanks/);
  });

  it('mutations: cells or noVictim, and cells of this plugin', async () => {
    const ok = await failures({
      ...referenceArch,
      name: 'no-victim',
      mutations: [{ ...MUTATION_DOC, cells: [], noVictim: 'the model lacks the window' }],
    } as ArchPlugin<any>);
    expect(ok.has(MUTATIONS)).toBe(false);
    const silent = await failures({ ...referenceArch, name: 'silent', mutations: [{ ...MUTATION_DOC, cells: [] }] } as ArchPlugin<any>);
    expect(silent.get(MUTATIONS)).toMatch(
      /mutation "reference-test-mutation": cells is empty without noVictim: name the cells where the bug bites, or say in noVictim why/,
    );
    const foreign = await failures({
      ...referenceArch,
      name: 'foreign',
      mutations: [
        {
          ...MUTATION_DOC,
          cells: [
            { arch: 'x86-native', scheme: 'refcount' },
            { arch: 'foreign', scheme: 'shootdown', schemeOptions: { mask: 'everywhere' } },
            { arch: 'foreign', scheme: 'refcount', cpus: 32, workload: 'nope' },
          ],
        },
      ],
    } as ArchPlugin<any>);
    expect([...foreign.keys()]).toEqual([MUTATIONS]);
    const msg = foreign.get(MUTATIONS)!;
    expect(msg).toMatch(/cells\[0\]: arch "x86-native" is not this plugin \(foreign\)/);
    expect(msg).toMatch(/cells\[1\]: not a valid cell: invalid options for scheme shootdown/);
    expect(msg).toMatch(/cells\[2\]: workload "nope" is not a profile/);
  });

  it('clean runs under none allow hazards but not violations (whyNotClean)', async () => {
    const base = { outcome: 'ok' as const, violation: null, hazards: 1, useSites: 2, siteIds: ['membarrier_switch_mm', '__mmdrop'] };
    expect(whyNotClean(base, 'none')).toBeNull();
    expect(whyNotClean(base, 'refcount')).toMatch(/^ok but with hazard I3/);
    expect(whyNotClean({ ...base, hazards: 0 }, 'shootdown')).toBe('ok but use site(s) __mmdrop fired');
    expect(whyNotClean({ ...base, hazards: 0, useSites: 0 }, 'shootdown')).toBeNull();
    expect(whyNotClean({ ...base, outcome: 'violation', violation: { invariant: 'I14' } as never }, 'none')).toBe('violation I14');
    // The reference arch under none: the kept mask bit is written after free (I14), or a lazy
    // CPU that no final flush reached keeps the freed pgd as its root (I1).
    const f = await failures(referenceArch, { cleanSchemes: ['none'], hotplugSeeds: 0 });
    const name = "clean runs: none, 2 CPUs, 40 seeds of the default workload all end ok (hazards allowed: the scheme's premise is a dangling pointer)";
    expect(f.get(name)).toMatch(/^\d+ of 40 runs did not end ok \((\d+x violation I(14|1)(, )?)+\)/);
  });

  it('scheme options and the preemption model reach every cell (and the test names)', async () => {
    const options: ConformanceOptions = { schemeOptions: { shootdown: { mask: 'online' } }, cleanSchemes: ['refcount', 'shootdown'], preempt: 'rt' };
    const names = collect(referenceArch, options).map((t) => t.name);
    expect(names).toContain('determinism (shootdown:mask=online): same cell + seed => same outcome, steps, costs and decisions');
    expect(names).toContain('clean runs: shootdown:mask=online, 4 CPUs, 300 seeds of the default workload all end ok with no hazard');
    // What the kernel of each cell was told: (scheme with its options, preemption level).
    const seen = new Set<string>();
    const spy = variant('spy', (h) => ({
      reset(k) {
        const kk = k as unknown as Kernel; // the spy reads core internals a plugin does not see
        seen.add(`${kk.schemeLabel} shootdown=${kk.shootdown} preempt=${kk.preemptLevel}`);
        h.reset(k);
      },
    }));
    // Artifacts carry the plugin's behaviour fingerprint: its corpus runs other cells, so compute it first.
    archFingerprint(spy);
    seen.clear();
    expect([...(await failures(spy, { ...options, hotplugSeeds: 0 })).keys()]).toEqual([]);
    expect([...seen].sort()).toEqual([
      'none shootdown=false preempt=3',
      'refcount shootdown=false preempt=3',
      'shootdown:mask=online shootdown=true preempt=3',
    ]);
  });
});
