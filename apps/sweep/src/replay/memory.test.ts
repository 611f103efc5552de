/**
 * The memory model in replays: the LKML header names it (`memory:    tso`), store-buffer drain
 * steps are prefixed `<sb>` (and the legend says so), Perfetto's metadata carries it and the
 * drain's category. The artifact of a tso cell is taken from a real tso run of x86-native.
 */
import { type Artifact, createSimulator, hashString128, makeArtifact, runSeed, type TraceEvent } from '@lazytlb/core';
import x86Native from '@lazytlb/arch-x86-native';
import { describe, expect, it } from 'vitest';
import { formatHeader, formatLkml, LKML_LEGEND } from '@lazytlb/explore';
import { toPerfetto } from '@lazytlb/explore';

/** A traced run of a 2-CPU x86-native tso cell in which a store-buffer drain took a step, as an artifact of that cell. */
function tsoRun(): { artifact: Artifact; trace: readonly TraceEvent[] } {
  const sim = createSimulator({ plugin: x86Native, scheme: 'refcount', memory: 'tso', cpus: 2, workload: 'default', stepBudget: 400 });
  expect(sim.cell.memory).toBe('tso');
  const cell = hashString128(sim.cellId);
  for (let i = 0; i < 200; i++) {
    const r = sim.run(runSeed(cell, i), { trace: true, keepDecisions: true });
    if (!(r.trace ?? []).some((e) => e.actor === 'drain')) continue;
    const a = makeArtifact(sim, runSeed(cell, i), r, i);
    expect(a.cell.memory).toBe('tso'); // core's makeArtifact records the memory model
    return { artifact: a, trace: r.trace! };
  }
  throw new Error('no tso run with a store-buffer drain step');
}

describe('replays of a tso cell', () => {
  const { artifact, trace } = tsoRun();

  it('LKML: the header names the memory model, drain steps are <sb>, the legend explains it', () => {
    const header = formatHeader(artifact, true);
    expect(header).toContain('  memory:    tso');
    expect(header.indexOf('  memory:    tso')).toBe(header.findIndex((l) => l.startsWith('  preempt:')) + 1);
    const text = formatLkml({ artifact, trace, reproduced: true });
    const drain = trace.find((e) => e.actor === 'drain')!;
    expect(text).toContain(`<sb> ${drain.fn}`);
    expect(LKML_LEGEND.some((l) => /^ {2}<sb> {3}the CPU's store buffer drained/.test(l))).toBe(true);
    expect(text).toContain("<sb>   the CPU's store buffer drained");
  });

  it('LKML: an sc artifact says sc', () => {
    const { memory: _m, ...cell } = artifact.cell as Artifact['cell'] & { memory?: string };
    expect(formatHeader({ ...artifact, cell } as Artifact, true)).toContain('  memory:    sc');
  });

  it("Perfetto: the run's metadata carries the memory model; drain slices have their own category", () => {
    const t = toPerfetto({ artifact, trace, reproduced: true });
    expect(t.otherData).toMatchObject({ memory: 'tso', preempt: 'full' });
    const proc = t.traceEvents.find((e) => e.name === 'process_name')!;
    expect(proc.args).toMatchObject({ memory: 'tso' });
    expect(t.traceEvents.some((e) => e.ph === 'X' && e.cat === 'drain')).toBe(true);
  });
});
