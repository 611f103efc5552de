/**
 * No absolute time in an exhaustive search's state: the last place the step count was state,
 * x86-paravirt's vCPU preemptions (drawn at steps, lasting steps), is timeless under an explorer
 * that enumerates choices (core Kernel.setVcpuPreemptions / consumeVcpuPreemption): the hypervisor
 * may preempt from the first step and resume from the next, and no step count is stored. Random
 * and PCT runs keep the drawn times.
 */
import x86Paravirt from '@lazytlb/arch-x86-paravirt';
import { createSimulator, FirstScheduleExplorer, hashString128, runSeed, type Simulator } from '@lazytlb/core';
import { exhaustiveSearch } from '@lazytlb/explore';
import { describe, expect, it } from 'vitest';

const SEED = runSeed(hashString128('timeless-vcpu'), 0);
/** Actor ids: CPU c's hypervisor is c * 4 + 2 (task, interrupt, hypervisor, store-buffer drain). */
const hyp = (c: number): number => c * 4 + 2;

function profileSim(): Simulator {
  return createSimulator({
    plugin: x86Paravirt,
    archOptions: { backend: 'kvm' },
    scheme: 'refcount',
    cpus: 2,
    workload: { profile: 'default', params: { vcpuPreemptions: 3, vcpuPreemptSteps: 20 } },
  });
}

describe('vCPU preemptions under exhaustive search', () => {
  it('a random run keeps the drawn times; an exhaustive-type run may preempt at once, and resumes without a stored step count', () => {
    const sim = profileSim();
    sim.begin(SEED);
    expect(sim.k.vcpuBudget).toBe(3);
    expect(sim.k.vcpuNextAt).toBeGreaterThan(0);
    expect(sim.enabledActors()).not.toContain(hyp(0));
    sim.end();

    sim.begin(SEED, { explorer: new FirstScheduleExplorer() });
    expect(sim.k.vcpuNextAt).toBe(0);
    expect(sim.enabledActors()).toContain(hyp(0));
    sim.stepActor(hyp(0)); // the hypervisor preempts CPU0's vCPU
    expect(sim.k.cpuPreempted[0]).toBe(1);
    expect(sim.k.cpuResumeAt[0]).toBe(0);
    expect(sim.enabledActors()).toContain(hyp(0)); // resumable at the next step
    sim.end();
  });

  it('an explicit workload with a vCPU preemption is searched without the step count in its states', () => {
    const sim = createSimulator({
      plugin: x86Paravirt,
      archOptions: { backend: 'kvm' },
      scheme: 'refcount',
      cpus: 2,
      workload: {
        explicit: {
          tasks: [
            { name: 'A', kind: 'user', cpu: 0, mm: 'M', program: ['run', 'exit'] },
            { name: 'B', kind: 'user', cpu: 1, mm: 'M', program: ['run', 'exit'] },
          ],
          vcpuPreemptions: 1,
        },
      },
    });
    const r = exhaustiveSearch(sim, { seed: SEED });
    expect(r.verdict).toBe('proved');
    expect(r.enumerated.some((e) => e.startsWith('vCPU preemption timing'))).toBe(true);
    // Preempting CPU0's vCPU before or after CPU1's first step reaches the same state, with the same fingerprint
    // (before: cpuResumeAt held the step count, so the two differed).
    const fingerprint = (order: readonly number[]): string => {
      sim.begin(SEED, { explorer: new FirstScheduleExplorer() });
      const h = sim.stateHasher();
      h.refresh();
      for (const a of order) {
        expect(sim.enabledActors()).toContain(a);
        sim.stepActor(a);
      }
      const fp = new Uint32Array(2);
      h.hash(fp);
      sim.end();
      return `${fp[0]}:${fp[1]}`;
    };
    const cpu1 = 1 * 4; // CPU1's task actor
    expect(fingerprint([hyp(0), hyp(0), cpu1])).toBe(fingerprint([cpu1, hyp(0), hyp(0)]));
  });
});
