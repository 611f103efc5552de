/**
 * The suite must catch what it claims to catch: run it (with a collecting runner) against
 * reference-arch variants that each break one contract, and check which tests fail.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { costs, referenceArch, type ArchHooks, type ArchPlugin } from '@lazytlb/core';
import { describeArchConformance } from './describe.js';
import type { ConformanceOptions } from './options.js';
import type { TestRunner } from './runner.js';

interface Collected {
  readonly name: string;
  readonly fn: () => void | Promise<void>;
}

function collect(plugin: ArchPlugin<any>, options: ConformanceOptions): Collected[] {
  const tests: Collected[] = [];
  const path: string[] = [];
  const runner: TestRunner = {
    describe(name, fn) {
      path.push(name);
      fn();
      path.pop();
    },
    it(name, fn) {
      tests.push({ name: [...path.slice(1), name].join(' > '), fn });
    },
    expect,
  };
  describeArchConformance(plugin, runner, options);
  return tests;
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

describe('describeArchConformance catches broken plugins', () => {
  it('registers one test per contract (and passes on the reference arch, see reference-conformance.test.ts)', () => {
    const names = collect(referenceArch, {}).map((t) => t.name);
    expect(names).toEqual([
      'descriptor is valid (validateArchPlugin)',
      'options: {} parses to JSON-safe defaults that re-parse to themselves',
      'options: garbage is rejected with a clear PluginLoadError',
      'setup() returns complete hooks (validateHooks)',
      'boot state: hw_root is init_mm on every CPU, tlb_may_hold(init_mm) is false, switch to init_mm stays there',
      'hooks return values of the right types at every step (hw_root, shoot_lazies_mask, tlb_may_hold, describe_cpu)',
      'determinism (refcount): same cell + seed => same outcome, steps, costs and decisions',
      'determinism (shootdown): same cell + seed => same outcome, steps, costs and decisions',
      'determinism (none): same cell + seed => same outcome, steps, costs and decisions',
      'no Math.random during setup or runs',
      'clean runs: refcount, 2 CPUs, 300 seeds of the default workload all end ok',
      'clean runs: refcount, 4 CPUs, 300 seeds of the default workload all end ok',
      'clean runs under CPU hotplug: refcount, 4 CPUs, 100 seeds of the hotplug profile (cpu_down/cpu_up, cpu_disable/cpu_up hooks)',
      'RunResult and artifacts survive structuredClone; artifacts survive JSON + parseArtifact',
      'replayArtifact reproduces recorded runs (ok and failing), with tracing off and on',
    ]);
  });

  it('a hook that calls Math.random', async () => {
    const f = await failures(variant('uses-random', (h) => ({
      flush_tlb_mm_range(k, cpu, mm, flags) {
        if (Math.random() < 2) h.flush_tlb_mm_range(k, cpu, mm, flags);
      },
    })));
    expect([...f.keys()]).toEqual(['no Math.random during setup or runs']);
    expect(f.get('no Math.random during setup or runs')).toMatch(/Math.random\(\) was called \d+ time\(s\); first call:\nMathRandomCalled/);
  });

  it('state shared between simulators (not cleared by reset)', async () => {
    const f = await failures(variant('leaky', (h) => ({
      flush_tlb_mm_range(k, cpu, mm, flags) {
        k.cost[costs.C_HYPERCALLS]! += ++leaked;
        h.flush_tlb_mm_range(k, cpu, mm, flags);
      },
    })));
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
    const f = await failures(variant('no-boot-root', (h) => {
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
    }));
    expect(f.get('boot state: hw_root is init_mm on every CPU, tlb_may_hold(init_mm) is false, switch to init_mm stays there')).toMatch(
      /hw_root\(CPU0\) is -1 right after reset\(\), expected INIT_MM \(0\)/,
    );
    expect(f.get('hooks return values of the right types at every step (hw_root, shoot_lazies_mask, tlb_may_hold, describe_cpu)')).toMatch(/hw_root\(CPU\d\) returned -1, not an mm id/);
  });

  it('a flush that reaches no CPU (unsafe even under refcount)', async () => {
    const f = await failures(variant('no-flush', () => ({ flush_tlb_mm_range() {} })));
    const clean = f.get('clean runs: refcount, 2 CPUs, 40 seeds of the default workload all end ok');
    expect(clean).toMatch(/^\d+ of 40 runs did not end ok \(\d+x violation I2.*\)\. First:\nno-flush \{\} refcount 2 CPUs default: run \d+ \(seed [0-9a-f]{32}\) ended violation: violation of I2/);
    expect(clean).toContain('trace (replayed from the artifact):\nstep  CPU0');
    expect(clean).toContain('artifact (replay with replayArtifact):\n{"schema":"lazytlb.artifact/2"');
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
});
