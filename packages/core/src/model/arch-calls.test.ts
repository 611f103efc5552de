/**
 * ABI v2 sequence hooks through arch-calls.ts: arch_tlbbatch_flush() of a hook that returns the
 * pc of its next step. No shipped plugin writes tlbbatch_flush as a sequence (x86 runs it in one
 * step), so the P_SEQ_TLBBATCH frame is exercised here with a recording plugin.
 */
import { describe, expect, it } from 'vitest';
import { defineArchPlugin, type ArchPlugin, type SequenceHook } from '../abi/plugin.js';
import { referenceArch, type ReferenceArchOptions } from '../reference-arch/reference-arch.js';
import { createSimulator } from '../run/simulator.js';
import { ACTORS_PER_CPU, ACTOR_TASK } from '../machine/constants.js';
import { P_SEQ_TLBBATCH } from './frames.js';

/** The reference arch at ABI v2 with a three-step tlbbatch_flush (pcs 1, 2, then done) that records every call. */
function sequencedTlbbatch(calls: string[]): ArchPlugin<ReferenceArchOptions> {
  return defineArchPlugin<ReferenceArchOptions>({
    ...referenceArch,
    abi: 2,
    name: 'ref-tlbbatch-seq',
    sharedState: [],
    memoryModels: ['sc'],
    setup(options, env) {
      const hooks = referenceArch.setup(options, env);
      return {
        ...hooks,
        tlbbatch_flush(k, cpu, mm) {
          calls.push(`begin cpu${cpu} mm${mm}`);
          hooks.flush_tlb_mm_range(k, cpu, mm, 0);
          return 1;
        },
        resume(_k, cpu, hook: SequenceHook, pc, a, b, c) {
          calls.push(`${hook} cpu${cpu} pc${pc} ${a},${b},${c}`);
          return pc < 2 ? pc + 1 : 0;
        },
      };
    },
  });
}

describe('arch_tlbbatch_flush(): an ABI v2 hook written as a sequence', () => {
  it("in task context (kswapd's try_to_unmap) each later step is a step of its own, resumed as tlbbatch_flush with (mm, 0, 0)", () => {
    const calls: string[] = [];
    const sim = createSimulator({
      plugin: sequencedTlbbatch(calls),
      scheme: 'refcount',
      cpus: 2,
      workload: {
        explicit: {
          tasks: [
            { name: 'T', kind: 'user', cpu: 0, mm: 'P', program: ['run', 'run', 'exit'] },
            { name: 'K', kind: 'kthread', cpu: 1, program: ['reclaim P', 'exit'] },
          ],
        },
      },
    });
    sim.begin([1, 2, 3, 4], { trace: true });
    const k = sim.k;
    const task1 = 1 * ACTORS_PER_CPU + ACTOR_TASK;
    const inSeq = (): boolean => k.cpuSp[1]! >= 0 && k.frPath[k.top(1)] === P_SEQ_TLBBATCH;
    sim.stepActor(0 * ACTORS_PER_CPU + ACTOR_TASK); // swapper/0 -> T: P loaded on CPU0
    for (let i = 0; i < 20 && calls.length === 0; i++) sim.stepActor(task1); // swapper/1 -> K, K: reclaim P
    expect(calls).toHaveLength(1);
    const mm = Number(/mm(\d+)/.exec(calls[0]!)![1]);
    expect(calls[0]).toBe(`begin cpu1 mm${mm}`);
    expect(inSeq()).toBe(true); // the rest waits for CPU1's next steps
    // CPU1 may first wait for the flush IPI it sent CPU0: let CPU0 take it, then step CPU1.
    for (let i = 0; i < 20 && inSeq(); i++) {
      for (const a of sim.enabledActors()) if (a !== task1 && Math.floor(a / ACTORS_PER_CPU) === 0) sim.stepActor(a);
      if (sim.enabledActors().includes(task1)) sim.stepActor(task1);
    }
    expect(calls.slice(1)).toEqual([`tlbbatch_flush cpu1 pc1 ${mm},0,0`, `tlbbatch_flush cpu1 pc2 ${mm},0,0`]);
    expect(inSeq()).toBe(false);
    expect(k.violation).toBeNull();
  });
});
