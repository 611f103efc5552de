import x86Native from '@lazytlb/arch-x86-native';
import x86Paravirt from '@lazytlb/arch-x86-paravirt';
import { type ArchPlugin, type Artifact, createSimulator, hashString128, makeArtifact, parseArtifact, replayArtifact, runSeed } from '@lazytlb/core';
import { describe, expect, it } from 'vitest';
import { artifactPreemptions, bugDepth, countPreemptions, preemptionPoints } from '@lazytlb/explore';

/** The first violating run (with at least `minPreemptions` preemptions) of a cell, as an artifact. */
function failure(plugin: ArchPlugin<any>, archOptions: unknown, scheme: 'none' | 'shootdown', cpus: number, minPreemptions = 0): Artifact {
  const sim = createSimulator({ plugin, archOptions, scheme, cpus, workload: 'default', strategy: { kind: 'pct', depth: 3 } });
  const cell = hashString128(sim.cellId);
  for (let i = 0; i < 5000; i++) {
    const r = sim.run(runSeed(cell, i));
    if (r.outcome !== 'violation') continue;
    const a = makeArtifact(sim, runSeed(cell, i), r, i);
    if (artifactPreemptions(a, plugin) >= minPreemptions) return a;
  }
  throw new Error('no failure found');
}

describe('countPreemptions', () => {
  it('counts switches away from an actor that is still enabled, not switches forced by blocking', () => {
    // step:       0      1      2      3    4      5        6      7
    const d = [0, 0, 3, 3, 0, 4, 4, 3];
    const en = [[0, 3], [0, 3], [0, 3], [3], [0, 4], [0, 3, 4], [3, 4], [3]];
    // 2: 0 -> 3 while 0 is enabled (preemption); 4: 3 -> 0, 3 is not enabled (it blocked);
    // 5: 0 -> 4 while 0 is enabled (preemption); 7: 4 -> 3, 4 is not enabled.
    expect(preemptionPoints(d, en)).toEqual([2, 5]);
    expect(countPreemptions(d, en)).toBe(2);
    expect(countPreemptions([], [])).toBe(0);
    expect(countPreemptions([1, 1, 1], [[1], [1, 4], [1, 4]])).toBe(0);
  });
});

describe('bugDepth', () => {
  it('finds a schedule with no more preemptions than the failing run, that replays exactly (x86 KVM, shootdown, I7)', () => {
    const a = failure(x86Paravirt, { backend: 'kvm' }, 'shootdown', 4, 2);
    const p0 = artifactPreemptions(a, x86Paravirt);
    const d = bugDepth(a, x86Paravirt);
    expect(d.initialPreemptions).toBe(p0);
    expect(d.preemptions).toBeLessThan(p0);
    expect(d.depth).toBeLessThanOrEqual(d.preemptions + 1);
    expect(d.depth).toBeGreaterThanOrEqual(1);
    // the depth artifact is a valid artifact of the same failure, with exactly that many preemptions
    const parsed = parseArtifact(JSON.parse(JSON.stringify(d.artifact)));
    const replay = replayArtifact(parsed, x86Paravirt);
    expect(replay.reproduced).toBe(true);
    expect(replay.result.violation!.invariant).toBe(a.outcome.invariant);
    expect(artifactPreemptions(parsed, x86Paravirt)).toBe(d.preemptions);
    // deterministic
    expect(bugDepth(a, x86Paravirt).artifact).toEqual(d.artifact);
  });

  it('reports PCT runs of the same workload that reproduce, and respects its budgets', () => {
    const a = failure(x86Native, {}, 'shootdown', 4, 1);
    const off = bugDepth(a, x86Native, { maxAttempts: 0, maxPctDepth: 0 });
    expect(off.preemptions).toBe(off.initialPreemptions);
    expect(off.pctDepth).toBeNull();
    expect(off.attempts).toBe(0);
    const pctOnly = bugDepth(a, x86Native, { maxAttempts: 0, pctSeeds: 50 });
    expect(pctOnly.attempts).toBeLessThanOrEqual(50 * 3);
    if (pctOnly.pctDepth !== null) {
      expect(pctOnly.depth).toBeLessThanOrEqual(pctOnly.pctDepth);
      const replay = replayArtifact(pctOnly.pctArtifact!, x86Native);
      expect(replay.reproduced).toBe(true);
      expect(pctOnly.pctArtifact!.cell.strategy).toEqual({ kind: 'pct', depth: pctOnly.pctDepth });
    }
  });

  it('refuses an artifact that is not a violation', () => {
    const sim = createSimulator({ plugin: x86Native, scheme: 'refcount', cpus: 2, workload: 'default' });
    const seed = runSeed(hashString128(sim.cellId), 0);
    const r = sim.run(seed, { keepDecisions: true });
    expect(() => bugDepth(makeArtifact(sim, seed, r), x86Native)).toThrow(/no bug depth: the artifact's run ended ok/);
  });
});
