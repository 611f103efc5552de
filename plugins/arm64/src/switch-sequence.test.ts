/**
 * ABI v2 on arm64: the plugin loads as v2, refuses `memory: 'tso'`, and switch_mm_irqs_off()
 * (switch_mm -> __switch_mm -> check_and_switch_context, arch/arm64/mm/context.c @
 * Kingxukai/linux 0291023e7330) is a resumable sequence whose steps another CPU can interleave
 * with:
 *
 *   [begin]      asid = context.id; old_active_asid = active_asids[cpu]; asid_gen_match(asid)
 *   [CS_CMPXCHG] atomic64_cmpxchg_relaxed(&active_asids[cpu], old_active_asid, asid)
 *   [CS_SLOW]    cpu_asid_lock: new_context() (maybe the rollover), pending local_flush_tlb_all()
 *   [CS_TTBR]    cpu_switch_mm(mm->pgd, mm)
 *
 * The rollover scenarios are the two outcomes context.c's comment names for a fast path that
 * races with a concurrent rollover: "We get a zero back from the cmpxchg and end up waiting on
 * the lock" (the rollover ran between the generation check and the cmpxchg), or "We get a valid
 * ASID back from the cmpxchg, which means the relaxed xchg in flush_context will treat us as
 * reserved" (the rollover ran after it). Either way no other mm gets the ASID number the CPU
 * runs under before its TLB is flushed. Sequentially consistent model: the relaxed orderings
 * themselves are not exercised (the plugin refuses tso; ARMv8 is weaker still).
 */
import { describe, expect, it } from 'vitest';
import { Simulator, memoryModelRefusal, PluginLoadError, validateArchPlugin, validateHooks } from '@lazytlb/core';
import { scenario, thread, type Scenario } from '@lazytlb/testkit';
import plugin, { ARM64_MEMORY_MODEL_NOTE } from './index.js';

describe('arm64: ABI v2 descriptor', () => {
  it('loads as ABI v2 with a resume hook, sc only', () => {
    const p = validateArchPlugin(plugin);
    expect(p.abi).toBe(2);
    expect(p.memoryModels).toEqual(['sc']);
    expect(p.sharedState).toBeUndefined();
    const hooks = validateHooks(p, p.setup(p.options.parse({}), { coreVersion: '0.1.0', abi: 2, memory: 'sc', mutations: [] }));
    expect(typeof hooks.resume).toBe('function');
    expect(() => new Simulator({ plugin, scheme: 'refcount', cpus: 2 })).not.toThrow();
  });

  it("memory: tso is refused: TSO is not ARMv8's memory model (weaker; a relaxed model is future work)", () => {
    const why = memoryModelRefusal(plugin, 'tso');
    expect(why).toContain('arch arm64 does not run under memory model tso (it offers sc)');
    expect(why).toContain(ARM64_MEMORY_MODEL_NOTE);
    expect(ARM64_MEMORY_MODEL_NOTE).toMatch(/not the memory model of ARMv8/);
    expect(ARM64_MEMORY_MODEL_NOTE).toMatch(/weaker than TSO/);
    expect(ARM64_MEMORY_MODEL_NOTE).toMatch(/future work/);
    let err: unknown = null;
    try {
      new Simulator({ plugin, archOptions: { swPan: true }, scheme: 'refcount', cpus: 2, memory: 'tso' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PluginLoadError);
    expect((err as Error).message).toContain('not the memory model of ARMv8');
    expect(memoryModelRefusal(plugin, 'sc')).toBeNull();
  });
});

/**
 * asidBits 3: ASIDs 1..7. CPU0 runs A (process PA, ASID 1) then B (PB, ASID 2) and is back in
 * B -> A's switch after its first step (`cpu0Steps`: 1 = the generation check, 2 = and the
 * cmpxchg). CPU1 has run Q1..Q5 (ASIDs 3..7: the map is full) and switches to Q6: new_context()
 * finds no free ASID and rolls the generation over (flush_context).
 */
function rolloverRace(cpu0Steps: 1 | 2): Scenario {
  const tasks: Record<string, ReturnType<typeof thread>> = {
    A: thread('PA', 0, 'run', 'yield', 'run'),
    B: thread('PB', 0, 'run', 'yield', 'run'),
  };
  for (let i = 1; i <= 6; i++) tasks[`Q${i}`] = thread(`Q${i}`, 1, 'run');
  const s = scenario({ arch: plugin, archOptions: { asidBits: 3 }, scheme: 'refcount', cpus: 2, tasks });
  s.run(`
    CPU0: op                     # swapper/0 -> A: slow path, ASID 1
    CPU0: op                     # run
    CPU0: op                     # yield
    CPU0: op                     # A -> B: slow path, ASID 2
    CPU0: op                     # run
    CPU0: op                     # yield
  `);
  for (let i = 1; i <= 5; i++) {
    s.run(`
      CPU1: op                   # -> Q${i}: ASID ${i + 2}
      CPU1: op                   # run
      CPU1: until do_task_dead   # Q${i} exits (no destroy_context on arm64: its ASID stays allocated)
    `);
  }
  s.run(`CPU0: step ${cpu0Steps}`);
  s.expectEvent({ fn: 'check_and_switch_context', cpu: 0, text: 'PA: context.id 9 is of generation 1, active_asids 10: fast path' });
  s.run('CPU1: until flush_context   # Q5 -> Q6: new_context(): no free ASID -> generation 2, flush_context()');
  return s;
}

describe('arm64 check_and_switch_context as a sequence: a rollover between its steps', () => {
  it("the rollover comes between CPU0's generation check and its cmpxchg: active_asids was zeroed, the cmpxchg fails, the slow path gives A a new ASID and flushes CPU0's TLB first: clean", () => {
    const s = rolloverRace(1);
    // flush_context(): every CPU's active_asids -> reserved_asids (CPU0: B's 10, CPU1: Q5's 15),
    // so ASID 1 (A's, not running anywhere) is free in generation 2 and Q6 takes it.
    s.expectEvent({ fn: 'check_and_switch_context', cpu: 1, text: 'Q6: cpu_asid_lock: context.id 17' });
    s.run('CPU0: step              # cmpxchg(active_asids, 10, 9) finds 0');
    s.expectEvent({ fn: 'check_and_switch_context', cpu: 0, text: 'cmpxchg(active_asids, 10, 9) failed (active_asids is 0: a rollover): slow path' });
    s.run("CPU0: step              # cpu_asid_lock: new_context(PA) (ASID 1 is Q6's now: a new one), tlb_flush_pending: local_flush_tlb_all");
    s.expectEvent({ fn: 'local_flush_tlb_all', cpu: 0, since: s.last.firstStep });
    s.expectEvent({ fn: 'check_and_switch_context', cpu: 0, text: 'PA: cpu_asid_lock: context.id 19', since: s.last.firstStep });
    s.run('CPU0: step              # cpu_switch_mm: TTBR0 = PA->pgd under its new ASID 3');
    s.expectEvent({ fn: 'cpu_switch_mm', cpu: 0, text: 'TTBR0 = PA->pgd, ASID 3 (context.id generation 2)' });
    s.expectNoViolation(); // asid-not-stale: ASID 3 on CPU0 was flushed; Q6 alone runs ASID 1
    s.finish();
  });

  it("the rollover comes after CPU0's cmpxchg: flush_context reserves A's ASID 1 (the xchg returns it), Q6 takes ASID 2, CPU0 writes TTBR0 with ASID 1: clean", () => {
    const s = rolloverRace(2);
    s.expectEvent({ fn: 'check_and_switch_context', cpu: 0, text: 'PA: fast path: cmpxchg(active_asids, 10, 9)' });
    s.expectEvent({ fn: 'check_and_switch_context', cpu: 1, text: 'Q6: cpu_asid_lock: context.id 18' }); // generation 2, ASID 2
    s.run('CPU0: step              # cpu_switch_mm: ASID(PA) re-read: still 1, reserved for it');
    s.expectEvent({ fn: 'cpu_switch_mm', cpu: 0, text: 'TTBR0 = PA->pgd, ASID 1 (context.id generation 1)' });
    s.expectNoViolation();
    s.finish(); // A's next slow path (its context.id is of generation 1) keeps ASID 1 and flushes
  });
});

describe('arm64: flush_tlb_mm between the ASID update and the TTBR0 write', () => {
  it('W munmaps on CPU0 while CPU1 switches to R (P) and has not written TTBR0 yet: the broadcast TLBI needs no ordering with the switch: clean', () => {
    const s = scenario({
      arch: plugin,
      scheme: 'refcount',
      cpus: 2,
      tasks: { W: thread('P', 0, 'run', 'munmap', 'run'), R: thread('P', 1, 'run') },
    });
    s.run(`
      CPU0: op                   # swapper/0 -> W
      CPU0: op                   # run
      CPU1: step 2               # swapper/1 -> R: generation check (active_asids 0) | cpu_asid_lock: active_asids = P's
      CPU0: until munmap         # the PTEs go
      CPU0: step                 # tlb_finish_mmu: flush_tlb_mm(P): TLBI ASIDE1IS, every CPU
      CPU0: step                 # the pages are freed
    `);
    s.expectEvent({ fn: 'flush_tlb_mm', cpu: 0, text: 'broadcast, no IPIs' });
    s.expectNoEvent({ fn: 'cpu_switch_mm', cpu: 1, text: 'TTBR0 = P->pgd' });
    s.expectNoViolation();
    s.run(`
      CPU1: until cpu_switch_mm  # TTBR0 = P->pgd: only translations of the cleared tables can be cached
      CPU1: until run
    `);
    s.expectNoViolation();
    s.finish();
  });

  it('a switch to init_mm or to the same mm is one step (no check_and_switch_context)', () => {
    const s = scenario({
      arch: plugin,
      scheme: 'refcount',
      cpus: 1,
      tasks: { A: thread('P', 0, 'run', 'yield', 'run'), B: thread('P', 0, 'run', 'yield', 'run') },
    });
    s.run(`
      CPU0: op                   # swapper/0 -> A: the sequence (slow path, TTBR0)
      CPU0: op                   # run
      CPU0: op                   # yield
      CPU0: step                 # A -> B: prev == next: update_saved_ttbr0 only, in this step
    `);
    s.expectNoEvent({ fn: 'check_and_switch_context', since: s.last.firstStep });
    expect(s.k.cpuIrqsOff[0]).toBe(0);
    s.expectCpu(0, { curr: 'B', hw_root: 'P' });
    s.finish();
  });
});
