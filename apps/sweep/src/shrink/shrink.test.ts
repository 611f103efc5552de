import x86Native from '@lazytlb/arch-x86-native';
import { type ArchPlugin, type Artifact, createSimulator, hashString128, makeArtifact, parseArtifact, referenceArch, replayArtifact, runSeed } from '@lazytlb/core';
import { describe, expect, it } from 'vitest';
import { explicitFromRun } from './explicit.js';
import { lenientRun, removeTask, shrinkArtifact } from './shrink.js';

function firstFailure(plugin: ArchPlugin<any>, cpus: number, archOptions: unknown = {}): Artifact {
  const sim = createSimulator({ plugin, archOptions, scheme: 'none', cpus, workload: 'default' });
  const cell = hashString128(sim.cellId);
  for (let i = 0; i < 5000; i++) {
    const r = sim.run(runSeed(cell, i));
    if (r.outcome === 'violation') return makeArtifact(sim.cell, runSeed(cell, i), r, i);
  }
  throw new Error('no failure found');
}

function decisionsOf(a: Artifact): number {
  return Buffer.from(a.decisions, 'base64').length;
}

describe('explicitFromRun', () => {
  it('reproduces the generated workload exactly (same steps and outcome under the same decisions)', () => {
    const a = firstFailure(referenceArch, 4);
    const sim = createSimulator({ plugin: referenceArch, scheme: 'none', cpus: 4, workload: 'default' });
    const replay = replayArtifact(a, referenceArch);
    const seed = runSeed(hashString128(sim.cellId), a.runIndex!);
    const w = explicitFromRun(sim, seed);
    expect(w.tasks.length).toBeGreaterThan(0);
    const ex = createSimulator({ plugin: referenceArch, scheme: 'none', cpus: 4, workload: { explicit: w } });
    const r = lenientRun(ex, seed, replay.result.decisions!);
    expect(r.outcome).toBe('violation');
    expect(r.steps).toBe(a.outcome.steps);
    expect(r.violation!.invariant).toBe(a.outcome.invariant);
    expect(Array.from(r.decisions!)).toEqual(Array.from(replay.result.decisions!));
  });

  it('removeTask drops the ops that start the task', () => {
    const w = { tasks: [{ name: 'a', kind: 'user' as const, cpu: 0, mm: 'm', program: ['clone b', 'run', 'exit'] }, { name: 'b', kind: 'user' as const, cpu: 1, unstarted: true, program: ['exit'] }] };
    expect(removeTask(w, 1).tasks).toEqual([{ name: 'a', kind: 'user', cpu: 0, mm: 'm', program: ['run', 'exit'] }]);
  });
});

describe.each([
  ['reference', referenceArch, 4, {}],
  ['x86-native', x86Native, 4, {}],
  ['x86-native clear-on-switch', x86Native, 2, { cpumask: 'clear-on-switch' }],
] as const)('shrinkArtifact (%s, none)', (_label, plugin, cpus, options) => {
  it('yields a strictly shorter trace that violates the same invariant and replays exactly', () => {
    const a = firstFailure(plugin, cpus, options);
    const r = shrinkArtifact(a, plugin);
    expect(r.beforeSteps).toBe(a.outcome.steps);
    expect(r.afterSteps).toBeLessThan(r.beforeSteps);
    expect(r.artifact.outcome.invariant).toBe(a.outcome.invariant);
    expect(r.artifact.outcome.steps).toBe(r.afterSteps);
    expect(decisionsOf(r.artifact)).toBe(r.afterSteps);
    // a valid artifact (round-trips through JSON + zod) that core's replay reproduces exactly
    const parsed = parseArtifact(JSON.parse(JSON.stringify(r.artifact)));
    const replay = replayArtifact(parsed, plugin, { trace: true });
    expect(replay.reproduced).toBe(true);
    expect(replay.result.violation!.invariant).toBe(a.outcome.invariant);
    // the workload got simpler too
    expect('explicit' in r.artifact.cell.workload).toBe(true);
    expect(r.after.cpus).toBeLessThanOrEqual(r.before.cpus);
    // deterministic
    const again = shrinkArtifact(a, plugin);
    expect(again.artifact).toEqual(r.artifact);
    // a fixpoint never gets longer
    const twice = shrinkArtifact(r.artifact, plugin);
    expect(twice.afterSteps).toBeLessThanOrEqual(r.afterSteps);
  });
});

describe('shrinkArtifact budgets and refusals', () => {
  it('respects the attempt budget and never returns a longer trace', () => {
    const a = firstFailure(referenceArch, 4);
    const r = shrinkArtifact(a, referenceArch, { maxAttempts: 3 });
    expect(r.attempts).toBeLessThanOrEqual(3);
    expect(r.afterSteps).toBeLessThanOrEqual(r.beforeSteps);
    expect(replayArtifact(r.artifact, referenceArch).reproduced).toBe(true);
  });

  it('refuses an artifact that is not a violation', () => {
    const sim = createSimulator({ plugin: referenceArch, scheme: 'refcount', cpus: 2, workload: 'default' });
    const seed = runSeed(hashString128(sim.cellId), 0);
    const r = sim.run(seed, { keepDecisions: true });
    expect(r.outcome).toBe('ok');
    expect(() => shrinkArtifact(makeArtifact(sim.cell, seed, r), referenceArch)).toThrow(/nothing to shrink: the artifact's run ended ok/);
  });
});
