/**
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) and I10 (kernel/sched/membarrier.c; __schedule's
 * "The membarrier system call requires each architecture to have a full memory barrier after
 * updating rq->curr, before returning to user-space"). Under tso, rq->curr = next sits in the
 * switching CPU's store buffer until a barrier drains it; an arch whose switch_mm provides none
 * lets that CPU run the mm's user code while membarrier's loop still reads the old rq->curr from
 * memory: no IPI, no barrier, the forbidden outcome of membarrier's store-buffering litmus test.
 */
import { describe, expect, it } from 'vitest';
import { defineArchPlugin, type ArchPlugin } from '../abi/plugin.js';
import { referenceArch, type ReferenceArchOptions } from '../reference-arch/reference-arch.js';
import { ACTORS_PER_CPU, ACTOR_DRAIN, ACTOR_TASK } from '../machine/constants.js';
import { createSimulator, type Simulator } from '../run/simulator.js';
import { makeArtifact, parseArtifact, replayArtifact } from '../artifact/artifact.js';

/** The reference arch as an ABI v2 plugin that offers tso; `barrier`: its switch_mm is a full barrier (like x86's CR3 write). */
function refTso(barrier: boolean): ArchPlugin<ReferenceArchOptions> {
  return defineArchPlugin<ReferenceArchOptions>({
    ...referenceArch,
    abi: 2,
    name: barrier ? 'ref-tso-barrier' : 'ref-tso-nobarrier',
    sharedState: [],
    memoryModels: ['sc', 'tso'],
    setup(options, env) {
      const hooks = referenceArch.setup(options, env);
      return {
        ...hooks,
        switch_mm_irqs_off(k, cpu, prev, next, task) {
          hooks.switch_mm_irqs_off(k, cpu, prev, next, task);
          if (barrier) k.smpMb(cpu);
        },
        resume() {},
      };
    },
  });
}

/**
 * CPU1 runs X (mm Q), which sleeps; the user -> user switch X -> U (mm P) has no mmdrop_lazy_tlb
 * (the kernel -> user switch's barrier); U runs its user code; W (P) on CPU0 then calls membarrier.
 */
function run(plugin: ArchPlugin<ReferenceArchOptions>, memory: 'sc' | 'tso'): Simulator {
  const sim = createSimulator({
    plugin,
    scheme: 'refcount',
    cpus: 2,
    memory,
    workload: {
      explicit: {
        tasks: [
          { name: 'W', kind: 'user', cpu: 0, mm: 'P', program: ['membarrier_register', 'run', 'membarrier', 'exit'] },
          { name: 'X', kind: 'user', cpu: 1, mm: 'Q', program: ['run', 'sleep 1', 'exit'] },
          { name: 'U', kind: 'user', cpu: 1, mm: 'P', program: ['run', 'exit'] },
        ],
      },
    },
  });
  sim.begin([1, 2, 3, 4], { trace: true });
  const task = (c: number): number => c * ACTORS_PER_CPU + ACTOR_TASK;
  sim.stepActor(task(0)); // swapper/0 -> W
  sim.stepActor(task(0)); // W: membarrier_register
  sim.stepActor(task(1)); // swapper/1 -> X
  sim.stepActor(task(1)); // finish_task_switch: mmdrop_lazy_tlb(init_mm), a barrier
  sim.stepActor(task(1)); // X: run
  sim.stepActor(task(1)); // X: sleep
  sim.stepActor(task(1)); // X -> U: rq->curr = U (buffered under tso), switch_mm
  sim.stepActor(task(1)); // U: run (user code)
  sim.stepActor(task(0)); // W: run
  for (let i = 0; i < 4 && sim.k.violation === null && sim.k.cpuSp[0]! >= 0; i++) {
    if (!sim.enabledActors().includes(task(0))) break;
    sim.stepActor(task(0)); // W: membarrier: smp_mb, read CPU1's rq->curr, IPIs, smp_mb
  }
  return sim;
}

describe('membarrier(PRIVATE_EXPEDITED) and I10', () => {
  it("tso, an arch whose switch_mm is no barrier: CPU1 ran P's user code with rq->curr = U still buffered; membarrier misses it -> I10", () => {
    const sim = run(refTso(false), 'tso');
    expect(sim.enabledActors()).toContain(1 * ACTORS_PER_CPU + ACTOR_DRAIN); // the store is still in CPU1's buffer
    expect(sim.k.violation?.invariant).toBe('I10');
    expect(sim.k.violation?.message).toMatch(/misses .*CPU1's switch to T?U?.*still in its store buffer/);
    // The artifact records the memory model and replays exactly (drain decisions included).
    const r = sim.end(undefined, { keepDecisions: true });
    const a = parseArtifact(JSON.parse(JSON.stringify(makeArtifact(sim, [1, 2, 3, 4], r))));
    expect(a.cell.memory).toBe('tso');
    const replay = replayArtifact(a, refTso(false));
    expect(replay.reproduced).toBe(true);
    expect(replay.result.violation?.invariant).toBe('I10');
  });

  it('tso, an arch whose switch_mm is a full barrier (x86: the CR3 write): the store is visible, CPU1 gets the IPI: clean', () => {
    const sim = run(refTso(true), 'tso');
    expect(sim.k.violation).toBeNull();
    expect(sim.k.ipiLen[1]).toBe(1); // ipi_mb queued for CPU1
    const r = sim.end();
    expect(r.outcome).toBe('ok');
  });

  it('sc, the same arch without a barrier: every store is visible at once: clean', () => {
    const sim = run(refTso(false), 'sc');
    expect(sim.k.violation).toBeNull();
    expect(sim.k.ipiLen[1]).toBe(1);
  });

  it('an unregistered mm gets -EPERM and no IPIs', () => {
    const sim = createSimulator({
      plugin: referenceArch,
      scheme: 'refcount',
      cpus: 2,
      workload: {
        explicit: {
          tasks: [
            { name: 'W', kind: 'user', cpu: 0, mm: 'P', program: ['membarrier', 'exit'] },
            { name: 'U', kind: 'user', cpu: 1, mm: 'P', program: ['run'] },
          ],
        },
      },
    });
    const r = sim.run([5, 6, 7, 8], { trace: true });
    expect(r.outcome).toBe('ok');
    expect(r.trace!.some((e) => e.fn === 'membarrier' && e.text.includes('-EPERM'))).toBe(true);
  });

  it('a v1 plugin runs under sc and is refused under tso, saying why', () => {
    expect(() => createSimulator({ plugin: referenceArch, scheme: 'refcount', cpus: 2, memory: 'tso' })).toThrow(
      /implements arch ABI v1: the state its CPUs read from each other is undeclared, so the tso store buffer cannot apply to it; it runs under sc only/,
    );
    expect(createSimulator({ plugin: referenceArch, scheme: 'refcount', cpus: 2, memory: 'sc' }).cell.memory).toBeUndefined();
  });
});
