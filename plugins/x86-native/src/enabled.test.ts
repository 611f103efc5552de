/**
 * The explorer's enabled set is kept incrementally (only CPUs marked dirty are recomputed). With
 * ABI v2 sequences and tso there are new cross-CPU effects: a CPU entering or leaving a multi-step
 * IRQs-off region gates another CPU's take_cpu_down (stop_machine), and an on_cpu acquire drains
 * another CPU's store buffer. Cross-check the incremental set against a full recomputation after
 * every step, on x86 cells that have both.
 */
import { describe, expect, it } from 'vitest';
import { createSimulator, hashString128, runSeed } from '@lazytlb/core';
import plugin from './index.js';

describe('incremental enabled-actor tracking on x86 (sequences, tso, hotplug)', () => {
  for (const [memory, workload, release] of [
    ['tso', 'hotplug', 'v6.18'],
    ['tso', 'default', 'v6.15'],
    ['sc', 'hotplug', 'v6.14'],
  ] as const) {
    it(`${release} ${memory} ${workload}, 4 CPUs: matches a full recomputation after every step`, () => {
      const sim = createSimulator({ plugin, archOptions: { release }, scheme: 'refcount', cpus: 4, memory, workload });
      const cell = hashString128(sim.cellId);
      let checked = 0;
      for (let i = 0; i < 120; i++) {
        sim.begin(runSeed(cell, i));
        for (let step = 0; step < 5000; step++) {
          const incremental = sim.enabledActors();
          expect(incremental, `run ${i} step ${step}`).toEqual(sim.stepper.enabledFromScratch());
          checked++;
          if (incremental.length === 0) break;
          if (!sim.stepActor(incremental[(i + step * 7) % incremental.length]!)) break;
        }
        sim.end();
      }
      expect(checked).toBeGreaterThan(10_000);
    });
  }
});
