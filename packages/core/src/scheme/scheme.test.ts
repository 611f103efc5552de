import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PluginLoadError } from '../abi/validate.js';
import { COST_NAMES } from '../cost/counters.js';
import { CORE_VERSION } from '../generated/version.js';
import { hashString128, runSeed } from '../prng/seed.js';
import { referenceArch } from '../reference-arch/reference-arch.js';
import { createSimulator } from '../run/simulator.js';
import type { ExplicitWorkloadInput } from '../workload/explicit.js';
import { defineSchemePlugin, type SchemeHooks, type SchemePlugin } from './abi.js';
import { BUILTIN_SCHEMES, refcountScheme } from './builtin/index.js';
import { validatePlugin, validateSchemePlugin } from './validate.js';

/** A scheme with refcount's semantics and `extra` hooks (a plugin, so not the built-in). */
function scheme(extra: Partial<SchemeHooks> = {}, fields: Partial<SchemePlugin<unknown>> = {}): SchemePlugin<unknown> {
  return defineSchemePlugin({
    abi: 1,
    kind: 'scheme',
    name: 'test-scheme',
    version: '1.0.0',
    coreVersions: `^${CORE_VERSION}`,
    description: 'test',
    provenance: 'proposal',
    source: 'a test',
    options: z.object({}).strict(),
    kconfig: { MMU_LAZY_TLB_REFCOUNT: true, MMU_LAZY_TLB_SHOOTDOWN: false },
    claims: { danglingPremise: false, barriers: [], arch: [] },
    setup: () => ({
      reset() {},
      mmgrab_lazy_tlb(k, cpu, mm) {
        k.schemeMmgrab(cpu, mm, 'mmgrab_lazy_tlb');
      },
      mmdrop_lazy_tlb(k, cpu, mm) {
        k.schemeMmdrop(cpu, mm, 'mmdrop_lazy_tlb');
      },
      lazy_refs(k, mm) {
        return k.lazyHolders(mm);
      },
      ...extra,
    }),
    ...fields,
  } as SchemePlugin<unknown>);
}

const run = (p: SchemePlugin<unknown>, runs: number, workload: unknown = 'exit-heavy', cpus = 2) => {
  const sim = createSimulator({ plugin: referenceArch, scheme: p.name, schemePlugin: p, cpus, workload: workload as never });
  const cell = hashString128(sim.cellId);
  return { sim, results: Array.from({ length: runs }, (_, i) => sim.run(runSeed(cell, i), { trace: i < 5 })) };
};

describe('scheme plugin descriptors', () => {
  it('the built-ins are valid scheme plugins; validatePlugin tells schemes from arches by `kind`', () => {
    for (const b of BUILTIN_SCHEMES) expect(validateSchemePlugin(b).name).toBe(b.name);
    expect(validatePlugin(refcountScheme).kind).toBe('scheme');
    expect(validatePlugin(referenceArch).kind).toBe('arch');
    expect(() => validatePlugin({ ...referenceArch, kind: 'widget' }, 'x.js')).toThrow(/kind: must be "scheme" or "arch"/);
  });

  it('refuses REFCOUNT=y with SHOOTDOWN=y (structural, arch/Kconfig), naming the field', () => {
    const bad = scheme({}, { kconfig: { MMU_LAZY_TLB_REFCOUNT: true, MMU_LAZY_TLB_SHOOTDOWN: true } });
    expect(() => validateSchemePlugin(bad, 'bad.js')).toThrow(
      /invalid scheme plugin bad\.js:\n {2}- kconfig: MMU_LAZY_TLB_REFCOUNT=y with MMU_LAZY_TLB_SHOOTDOWN=y is impossible/,
    );
  });

  it('a bad descriptor or hooks object is a load error naming the field', () => {
    expect(() => validateSchemePlugin({ ...scheme(), provenance: 'rumour' }, 'p.js')).toThrow(/provenance/);
    expect(() => createSimulator({ plugin: referenceArch, scheme: 'test-scheme', schemePlugin: scheme({ lazy_refs: undefined as never }), cpus: 2 })).toThrow(
      /setup\(\) returned hooks without lazy_refs/,
    );
    expect(() => createSimulator({ plugin: referenceArch, scheme: 'test-scheme', schemePlugin: scheme({ bogus: () => 0 } as never), cpus: 2 })).toThrow(
      /unknown hook bogus/,
    );
    expect(() => createSimulator({ plugin: referenceArch, scheme: 'hazard-pointers', cpus: 2 })).toThrow(PluginLoadError);
  });

  it('a plugin copy of refcount runs exactly as the built-in, and records its version in the cell', () => {
    const a = run(scheme(), 200);
    const sim = createSimulator({ plugin: referenceArch, scheme: 'refcount', cpus: 2, workload: 'exit-heavy' });
    const cell = hashString128(a.sim.cellId);
    for (let i = 0; i < 200; i++) {
      const r = sim.run(runSeed(cell, i));
      expect([r.outcome, r.steps]).toEqual([a.results[i]!.outcome, a.results[i]!.steps]);
    }
    expect(a.sim.cell.schemeVersion).toBe('1.0.0');
    expect(sim.cell.schemeVersion).toBeUndefined();
  });
});

describe('scheme hooks in the model', () => {
  it('a hook that throws is a plugin error naming the hook and the scheme, never a violation', () => {
    const { results } = run(
      scheme({
        mmgrab_lazy_tlb() {
          throw new Error('boom');
        },
      }),
      20,
    );
    const pe = results.find((r) => r.outcome === 'plugin-error');
    expect(pe?.pluginError).toEqual({ hook: 'mmgrab_lazy_tlb (scheme test-scheme)', message: 'boom' });
    expect(results.every((r) => r.violation === null)).toBe(true);
  });

  it("cleanup_lazy_tlbs as a sequence: its later steps run as the CPU's next task steps, then __mmdrop goes on", () => {
    const seen: number[] = [];
    const p = scheme({
      cleanup_lazy_tlbs: () => 1,
      resume(k, cpu, hook, pc) {
        seen.push(pc);
        if (k.tracer !== null) k.tracer.ev(cpu, 'test_scan', `${hook} pc ${pc}`);
        return pc < 3 ? pc + 1 : undefined;
      },
    });
    const { results } = run(p, 50);
    expect(results.every((r) => r.outcome === 'ok')).toBe(true);
    const t = results[0]!.trace!;
    const scan = t.filter((e) => e.fn === 'test_scan');
    // one scan per __mmdrop, per CPU: pc 1, 2, 3 in steps of their own, then that CPU's mm_free_pgd
    expect(scan.length).toBeGreaterThan(0);
    expect(new Set(scan.map((e) => e.step)).size).toBe(scan.length);
    for (const cpu of new Set(scan.map((e) => e.cpu))) {
      const mine = t.filter((e) => e.cpu === cpu && (e.fn === 'test_scan' || e.fn === 'mm_free_pgd'));
      expect(mine.map((e) => (e.fn === 'mm_free_pgd' ? 'free' : e.text.slice(-1))).join(' ')).toMatch(/^(1 2 3 free ?)+$/);
    }
  });

  it("a sequence pc out of range is the plugin's error", () => {
    const { results } = run(scheme({ cleanup_lazy_tlbs: () => 70_000, resume: () => undefined }), 20);
    const pe = results.find((r) => r.outcome === 'plugin-error')!;
    expect(pe.pluginError!.hook).toBe('cleanup_lazy_tlbs (scheme test-scheme)');
    expect(pe.pluginError!.message).toMatch(/returned 70000: a sequence hook returns the pc of its next step/);
  });

  it("preemptible(): false inside a __mmdrop called from khugepaged's collect_mm_slot (khugepaged_mm_lock held)", () => {
    const seen: { fromKhugepaged: boolean; preemptible: boolean }[] = [];
    // Lazy users hold nothing here (REFCOUNT=n), so the final mmdrop is __mmput's (preemptible) or
    // khugepaged's collect_mm_slot's (under khugepaged_mm_lock), never finish_task_switch's.
    const p = scheme(
      {
        mmgrab_lazy_tlb() {},
        mmdrop_lazy_tlb() {},
        lazy_refs: () => 0,
        cleanup_lazy_tlbs(k, cpu) {
          const t = k.cpuCurr[cpu]!;
          seen.push({ fromKhugepaged: k.taskName(t).startsWith('K'), preemptible: k.preemptible(cpu) });
        },
      },
      { kconfig: { MMU_LAZY_TLB_REFCOUNT: false, MMU_LAZY_TLB_SHOOTDOWN: false }, claims: { danglingPremise: true, barriers: [], arch: [] } },
    );
    const w: ExplicitWorkloadInput = {
      tasks: [
        { name: 'T', kind: 'user', cpu: 0, mm: 'P', program: ['run', 'exit'] },
        { name: 'K', kind: 'kthread', cpu: 1, program: ['khugepaged P', 'exit'] },
      ],
    };
    const sim = createSimulator({
      plugin: referenceArch,
      scheme: p.name,
      schemePlugin: p,
      cpus: 2,
      workload: { explicit: w },
      strategy: { kind: 'pct', depth: 3 },
    });
    const cell = hashString128(sim.cellId);
    for (let i = 0; i < 2000; i++) sim.run(runSeed(cell, i));
    expect(seen.some((s) => s.fromKhugepaged && !s.preemptible)).toBe(true);
    expect(seen.some((s) => !s.fromKhugepaged && s.preemptible)).toBe(true);
    expect(seen.every((s) => s.fromKhugepaged !== s.preemptible)).toBe(true);
  });

  it("costs by event: refcount's lazy mm_count atomics are counted under the context switch", () => {
    const { sim } = run(refcountScheme as SchemePlugin<unknown>, 1);
    const total = new Float64Array(COST_NAMES.length);
    const cell = hashString128(sim.cellId);
    for (let i = 0; i < 200; i++) {
      sim.run(runSeed(cell, i));
      for (let j = 0; j < total.length; j++) total[j]! += sim.k.cost[j]!;
    }
    const at = (n: string) => total[COST_NAMES.indexOf(n as never)]!;
    expect(at('switch_atomics')).toBeGreaterThan(0);
    expect(at('switch_atomics') + at('exit_atomics') + at('mmdrop_atomics')).toBeLessThanOrEqual(at('mm_count_atomics') + at('scheme_atomics'));
    expect(at('mmdrop_remote_reads')).toBe(0);
  });
});
