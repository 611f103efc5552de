/**
 * ABI v2 on powerpc: the plugin loads as v2, refuses `memory: 'tso'`, and switch_mm_irqs_off()
 * is a resumable sequence (switch-mm.ts) whose steps another CPU's flush can interleave with:
 *
 *   CPU1 switch_mm_irqs_off(.., P)            CPU0 flush of P (radix__flush_tlb_mm & co.)
 *   cpumask_set_cpu(1, mm_cpumask(P))         PTEs cleared (unmap_vmas / try_to_unmap)
 *   inc_mm_active_cpus(P)                     smp_mb()
 *   smp_mb()                                  flush_type_needed(): active_cpus, mm_cpumask
 *   mtspr(SPRN_PID, P->context.id)            tlbiel (LOCAL) / tlbie (GLOBAL) / trim
 *
 * (arch/powerpc/mm/mmu_context.c and book3s64/radix_tlb.c @ Kingxukai/linux 0291023e7330.) The
 * pairing of the two smp_mb()s is what makes every interleaving safe: either the flusher sees
 * CPU1 (its bit and its active_cpus count) and flushes it, or CPU1's PID load comes after the
 * PTEs were cleared and it can only cache the new translations. The scripts below put the
 * flush between the steps, where the flusher does NOT see CPU1 (LOCAL flush, even a trim of the
 * mask down to active_cpus == 0), and show the run clean: the model is sequentially consistent,
 * so the barriers themselves are not exercised (the plugin refuses tso; POWER is weaker still).
 */
import { describe, expect, it } from 'vitest';
import { Simulator, memoryModelRefusal, PluginLoadError, validateArchPlugin, validateHooks } from '@lazytlb/core';
import { kthread, scenario, thread, type Scenario } from '@lazytlb/testkit';
import powerpc, { POWERPC_MEMORY_MODEL_NOTE } from './index.js';

describe('powerpc: ABI v2 descriptor', () => {
  it('loads as ABI v2 with a resume hook, sc only', () => {
    const p = validateArchPlugin(powerpc);
    expect(p.abi).toBe(2);
    expect(p.memoryModels).toEqual(['sc']);
    expect(p.sharedState).toBeUndefined();
    for (const mmu of ['radix', 'hash'] as const) {
      const hooks = validateHooks(p, p.setup({ ...(p.options.parse({}) as object), mmu }, { coreVersion: '0.1.0', abi: 2, memory: 'sc', mutations: [] }));
      expect(typeof hooks.resume).toBe('function');
    }
    expect(() => new Simulator({ plugin: powerpc, scheme: 'shootdown', cpus: 2 })).not.toThrow();
  });

  it("memory: tso is refused: TSO is not POWER's memory model (weaker; a relaxed model is future work)", () => {
    const why = memoryModelRefusal(powerpc, 'tso');
    expect(why).toContain('arch powerpc does not run under memory model tso (it offers sc)');
    expect(why).toContain(POWERPC_MEMORY_MODEL_NOTE);
    expect(POWERPC_MEMORY_MODEL_NOTE).toMatch(/not the memory model of POWER/);
    expect(POWERPC_MEMORY_MODEL_NOTE).toMatch(/weaker than TSO/);
    expect(POWERPC_MEMORY_MODEL_NOTE).toMatch(/future work/);
    let err: unknown = null;
    try {
      new Simulator({ plugin: powerpc, archOptions: { mmu: 'hash' }, scheme: 'refcount', cpus: 2, memory: 'tso' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PluginLoadError);
    expect((err as Error).message).toContain('not the memory model of POWER');
    expect(memoryModelRefusal(powerpc, 'sc')).toBeNull();
  });
});

const LOAD = { radix: 'radix__switch_mmu_context', hash: 'switch_slb' } as const;

/**
 * W (P) runs on CPU0 alone: bit 0, active_cpus 1. R, P's other thread, is switched in on CPU1
 * for the first time and stops after `steps` steps of its switch_mm_irqs_off(init_mm, P).
 */
function setup(mmu: 'radix' | 'hash', steps: number): Scenario {
  const s = scenario({
    arch: powerpc,
    archOptions: { mmu },
    scheme: 'shootdown',
    cpus: 2,
    tasks: { W: thread('P', 0, 'run', 'munmap', 'run'), R: thread('P', 1, 'run') },
  });
  s.run(`
    CPU0: op                  # swapper/0 -> W: bit 0, active_cpus 1, P's context loaded
    CPU0: op                  # W: run
  `);
  s.run(`CPU1: step ${steps}`);
  return s;
}

describe('powerpc switch_mm_irqs_off as a sequence: a flush between its steps', () => {
  for (const mmu of ['radix', 'hash'] as const) {
    it(`${mmu}: the flusher runs between CPU1's cpumask_set_cpu and inc_mm_active_cpus: it reads active_cpus == 1 and flushes locally; CPU1 loads P's context only after its smp_mb(): clean`, () => {
      const s = setup(mmu, 1);
      s.expectEvent({ fn: 'switch_mm_irqs_off', cpu: 1, text: 'cpumask_set_cpu(CPU1, mm_cpumask(P))' });
      s.expectMm('P', { mm_cpumask: [0, 1] }); // the bit is visible, the count is not
      expect(s.k.cpuIrqsOff[1]).toBe(1); // the switch goes on with IRQs off
      // CPU0 steps while CPU1's increment is pending: ppc-active-cpus allows the window (I13 quiet)
      s.run(`
        CPU0: until munmap        # unmap_vmas: P's PTEs are cleared
        CPU0: step                # tlb_finish_mmu -> flush: active_cpus == 1 && CPU0 in the mask
      `);
      if (mmu === 'radix') s.expectEvent({ fn: 'flush_type_needed', cpu: 0, text: 'P -> FLUSH_TYPE_LOCAL' });
      s.expectEvent({ fn: 'tlbiel', cpu: 0 }); // hash: mm_is_thread_local() -> tlbiel
      s.expectNoEvent({ fn: 'tlbie' }); // no broadcast: CPU1 is not flushed
      s.run("CPU0: step           # the pages are freed: CPU1 has not loaded P's context, it holds nothing");
      s.expectNoViolation();
      s.run(`CPU1: until ${LOAD[mmu]}   # inc_mm_active_cpus (2) | smp_mb() | the context load, after the PTEs were cleared`);
      s.expectEvent({ fn: 'switch_mm_irqs_off', cpu: 1, text: 'inc_mm_active_cpus(P): active_cpus = 2' });
      s.expectEvent({ fn: 'switch_mm_irqs_off', cpu: 1, text: 'smp_mb()' });
      // CPU1's TLB under P's id is clean up to the free: only new translations
      expect(s.k.arch.tlb_may_hold(s.k, 1, s.mmId('P'), s.k.mmFreedGen[s.mmId('P')]!)).toBe(false);
      s.run("CPU1: until run      # R runs P's user code: no stale translation");
      s.expectNoViolation();
      s.finish();
    });

    it(`${mmu}: the flusher runs after CPU1's inc_mm_active_cpus (before its context load): active_cpus == 2, a global flush: clean`, () => {
      const s = setup(mmu, 3); // cpumask_set_cpu | inc_mm_active_cpus | smp_mb()
      s.expectEvent({ fn: 'switch_mm_irqs_off', cpu: 1, text: 'smp_mb()' });
      s.expectNoEvent({ fn: LOAD[mmu], cpu: 1, text: '(P)' });
      s.run(`
        CPU0: until munmap
        CPU0: step
      `);
      if (mmu === 'radix') s.expectEvent({ fn: 'flush_type_needed', cpu: 0, text: 'P -> FLUSH_TYPE_GLOBAL' });
      s.expectEvent({ fn: 'tlbie', cpu: 0 });
      s.run(`
        CPU0: step
        CPU1: until ${LOAD[mmu]}
        CPU1: until run
      `);
      s.expectNoViolation();
      s.finish();
    });
  }

  it("radix, trim: a lazy kswapd on CPU0 flushes P between CPU1's cpumask_set_cpu and inc_mm_active_cpus: it reads active_cpus == 1, trims itself (active_cpus 0, mask {1}) and flushes nowhere else; safe because CPU1's PID load comes later", () => {
    const s = scenario({
      arch: powerpc,
      archOptions: { trimPeriod: 1 }, // tick_and_test_trim_clock() fires at every flush
      scheme: 'shootdown',
      cpus: 2,
      tasks: { T0: thread('P', 0, 'run', 'yield', 'run'), K: kthread(0, 'reclaim P'), R: thread('P', 1, 'run') },
    });
    s.run(`
      CPU0: op                    # swapper/0 -> T0: bit 0, active_cpus 1, SPRN_PID = P's
      CPU0: op                    # run
      CPU0: op                    # yield
      CPU0: op                    # T0 -> K: kswapd lazy on P
      CPU1: step                  # swapper/1 -> R: cpumask_set_cpu(CPU1, mm_cpumask(P)); active_cpus still 1
      CPU0: until try_to_unmap    # reclaim: the PTE goes; flush_type_needed: active_cpus == 1, CPU0 in the mask,
                                  # current->mm != P, trim clock -> exit_lazy_flush_tlb(P) on CPU0 itself
    `);
    s.expectEvent({ fn: 'flush_type_needed', cpu: 0, text: 'P -> FLUSH_TYPE_NONE' });
    s.expectEvent({ fn: 'exit_lazy_flush_tlb', cpu: 0, text: 'cpumask_clear_cpu(CPU0, mm_cpumask(P))' });
    s.expectMm('P', { mm_cpumask: [1] }); // active_cpus is 0 now: CPU1's increment is still to come
    s.expectNoEvent({ fn: 'tlbie' });
    s.run('CPU0: step             # shrink_folio_list frees the page');
    s.expectNoViolation();
    s.run(`
      CPU1: until radix__switch_mmu_context   # inc_mm_active_cpus (0 -> 1) | smp_mb() | SPRN_PID = P's
      CPU1: until run
    `);
    s.expectEvent({ fn: 'switch_mm_irqs_off', cpu: 1, text: 'inc_mm_active_cpus(P): active_cpus = 1' });
    s.expectNoViolation();
    s.finish();
  });

  it('the bit already set (the CPU ran P before and was not trimmed): no store, no barrier, the whole switch is one step', () => {
    const s = scenario({
      arch: powerpc,
      scheme: 'refcount',
      cpus: 1,
      tasks: { A: thread('P', 0, 'run', 'yield', 'run'), B: thread('Q', 0, 'run', 'yield', 'run') },
    });
    s.run(`
      CPU0: op                    # swapper/0 -> A: new on CPU0 (several steps)
      CPU0: op                    # run
      CPU0: op                    # yield
      CPU0: op                    # A -> B: new on CPU0
      CPU0: op                    # run
      CPU0: op                    # yield
    `);
    s.expectMm('P', { mm_cpumask: [0] });
    s.run('CPU0: step             # B -> A: bit set: prev != next, switch_mmu_context, all in this step');
    s.expectEvent({ fn: 'radix__switch_mmu_context', cpu: 0, text: '(P)', since: s.last.firstStep });
    s.expectNoEvent({ fn: 'switch_mm_irqs_off', cpu: 0, since: s.last.firstStep });
    expect(s.k.cpuIrqsOff[0]).toBe(0);
    s.finish();
  });
});
