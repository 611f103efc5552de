/**
 * Hazards and uses after free (issue 10, model-spec §0): under `none` a lazy pointer to a freed
 * mm is a hazard the run goes past; what ends a run is a use of it (I14) at a declared use site.
 * The same scripts pass under `refcount` (mainline).
 */
import { describe, expect, it } from 'vitest';
import { MM_FREED, TS_BLOCKED, TS_DEAD, TS_UNSTARTED } from '../machine/constants.js';
import type { Kernel } from '../model/kernel.js';
import { hashString128, runSeed } from '../prng/seed.js';
import { referenceArch } from '../reference-arch/reference-arch.js';
import { Simulator } from '../run/simulator.js';
import { drive } from '../test-support/drive.js';
import { referenceVariant } from '../test-support/reference-variant.js';
import type { ExplicitWorkloadInput } from '../workload/explicit.js';

/**
 * The reference arch with leave_mm dropping the mask bit at once: otherwise a CPU that left an mm
 * lazily clears its kept bit at its next switch, which under `none` is itself a use after free
 * (the reference arch's own site; tested below) and would end these scripts first.
 */
const sim = (scheme: 'refcount' | 'shootdown' | 'none', w: ExplicitWorkloadInput, cpus = 2): Simulator =>
  new Simulator({ plugin: referenceArch, archOptions: { leaveKeepsMaskBit: false }, scheme, cpus, workload: { explicit: w } });

describe('I3 as a hazard under none, a violation under refcount and shootdown', () => {
  // T exits on CPU0: exit_mm leaves it lazy on its own mm P; with REFCOUNT=n its own mmput is
  // the last reference, so __mmdrop runs while current->active_mm == P (the WARN), and free_mm
  // leaves CPU0 lazy on freed P. Nothing uses P afterwards: the run completes.
  const w: ExplicitWorkloadInput = { tasks: [{ name: 'T', kind: 'user', cpu: 0, mm: 'P', program: ['run', 'exit'] }] };

  it('none: the dangling pointer is recorded (holder, CPU, how long) and the run completes', () => {
    const s = sim('none', w);
    const r = drive(s, []);
    expect(r.outcome).toBe('ok');
    expect(r.violation).toBeNull();
    expect(r.hazards & 1).toBe(1);
    const f = s.findings();
    const hz = f.filter((x) => x.kind === 'hazard');
    expect(hz).toHaveLength(1);
    expect(hz[0]).toMatchObject({ id: 'I3', cpu: 0, holder: 'active_mm', open: true });
    expect(hz[0]!.kind === 'hazard' && hz[0]!.danglingSteps).toBeGreaterThan(0);
    // the __mmdrop WARN fired and did not end the run ("none" is mainline with that WARN removed)
    expect(f.find((x) => x.kind === 'use-site')).toMatchObject({ site: '__mmdrop', siteKind: 'warn', cpu: 0 });
    expect(r.trace!.some((e) => e.fn === 'WARN_ON_ONCE')).toBe(true);
  });

  it('refcount: the lazy reference keeps P until the CPU leaves it; no hazard, no WARN', () => {
    const r = drive(sim('refcount', w), []);
    expect(r.outcome).toBe('ok');
    expect(r.hazards).toBe(0);
    expect(r.useSites).toBe(0);
  });

  it('the WARN is a violation (I3 at __mmdrop) under a scheme that promises no dangling pointer', () => {
    // shootdown: the reference arch keeps CPU0 in mm_cpumask(P), cleanup_lazy_tlbs shoots it first: no WARN.
    const r = drive(new Simulator({ plugin: referenceArch, scheme: 'shootdown', cpus: 2, workload: { explicit: w } }), []);
    expect(r.outcome).toBe('ok');
    // A lazy pointer that shoot-lazies cannot see: an arch whose shoot_lazies_mask is empty.
    const blind = referenceVariant('blind-shootdown', () => ({ shoot_lazies_mask: () => 0 }));
    const s = new Simulator({ plugin: blind, scheme: 'shootdown', cpus: 2, workload: { explicit: w }, disabledInvariants: ['I7'] });
    const r2 = drive(s, []);
    expect(r2.outcome).toBe('violation');
    expect(r2.violation).toMatchObject({ invariant: 'I3', site: '__mmdrop', siteKind: 'warn' });
  });

  it('the hazard record closes when the CPU lets go of the pointer (a switch to a user task)', () => {
    const w2: ExplicitWorkloadInput = {
      tasks: [
        { name: 'T', kind: 'user', cpu: 0, mm: 'P', program: ['run', 'exit'] },
        { name: 'U', kind: 'user', cpu: 0, mm: 'Q', program: ['sleep 1', 'run', 'exit'] },
      ],
    };
    const s = sim('none', w2);
    // CPU0: T runs, U runs and sleeps (its wakeup comes from CPU1), T exits and frees P while CPU0 is lazy on it; then U comes back.
    const r = drive(s, [
      { cpu: 0, until: (k) => k.taskState[3] === TS_BLOCKED },
      { cpu: 0, until: (k) => k.mmStage[1] === MM_FREED && k.cpuSp[0] === 0 },
      { cpu: 1, kind: 'irq' },
    ]);
    expect(r.outcome).toBe('ok');
    const hz = s.findings().find((x) => x.kind === 'hazard');
    expect(hz).toMatchObject({ open: false });
    expect(hz!.kind === 'hazard' && hz!.danglingSteps).toBeGreaterThan(0);
  });
});

describe('I14 at membarrier_switch_mm: a stale prev->active_mm equal to next->mm by SLUB address reuse', () => {
  // A (mm MA, allocated on CPU1) migrates to CPU0, registers private expedited membarrier there
  // (rq0->membarrier_state = 3), sleeps: CPU0 goes idle lazy on MA. A wakes on CPU1 and exits
  // there: under REFCOUNT=n MA is freed on CPU1, its address back on CPU1's slab freelist. B forks
  // C on CPU1: dup_mm gets MA's address (LIFO). C runs on CPU0: context_switch from the idle task,
  // prev->active_mm == MA == C's mm by address, so membarrier_switch_mm skips the update and
  // rq0 keeps state 3 for C, which registered nothing: I14 (stale compare).
  const w: ExplicitWorkloadInput = {
    tasks: [
      { name: 'A', kind: 'user', cpu: 1, mm: 'MA', program: ['migrate 0', 'membarrier_register', 'sleep 1', 'run', 'exit'] },
      { name: 'B', kind: 'user', cpu: 1, mm: 'MB', program: ['yield', 'fork C', 'exit'] },
      { name: 'C', kind: 'user', cpu: 0, unstarted: true, program: ['run', 'exit'] },
    ],
  };
  const A = 2,
    B = 3,
    C = 4;
  const script = [
    { cpu: 1, until: (k: Kernel) => k.taskCpu[A] === 0 && k.cpuCurr[1] === B },
    { cpu: 0, until: (k: Kernel) => k.taskState[A] === TS_BLOCKED && k.cpuCurr[0] === 0 },
    { cpu: 1, kind: 'irq' as const },
    { cpu: 1, until: (k: Kernel) => k.taskState[A] === TS_DEAD && k.cpuCurr[1] === B && k.cpuSp[1] === 0 },
    { cpu: 1, until: (k: Kernel) => k.taskState[C] !== TS_UNSTARTED },
    { cpu: 0, until: (k: Kernel) => k.violation !== null || k.cpuCurr[0] === C },
  ];

  it('none: the freed address comes back for C, the update is skipped: I14 stale compare, named by site', () => {
    const s = sim('none', w);
    const r = drive(s, script);
    expect(r.outcome).toBe('violation');
    expect(r.violation).toMatchObject({ invariant: 'I14', site: 'membarrier_switch_mm', siteKind: 'stale-compare', cpu: 0 });
    expect(r.violation!.message).toMatch(/rq->membarrier_state stays 3/);
    expect(s.k.mmAddr[3]).toBe(s.k.mmAddr[1]); // ABA: C's mm sits at MA's address
    expect(
      s
        .findings()
        .filter((f) => f.kind === 'use-site')
        .map((f) => (f.kind === 'use-site' ? f.site : '')),
    ).toEqual(['membarrier_switch_mm', '__mmdrop']);
  });

  it('refcount: CPU0 still holds MA, its address is not reused, the same script passes', () => {
    const s = sim('refcount', w);
    const r = drive(s, script);
    expect(r.outcome).toBe('ok');
    expect(s.k.mmAddr[3]).not.toBe(s.k.mmAddr[1]);
  });

  it('without membarrier registration the compare is benign (no finding: behaviour unchanged)', () => {
    const quiet = { tasks: w.tasks.map((t) => (t.name === 'A' ? { ...t, program: ['migrate 0', 'run', 'sleep 1', 'run', 'exit'] } : t)) };
    const s = sim('none', quiet);
    const r = drive(s, script);
    expect(r.outcome).toBe('ok');
    expect(s.k.mmAddr[3]).toBe(s.k.mmAddr[1]);
    expect(r.hazards & 1).toBe(1);
  });
});

describe("the reference arch's own use site", () => {
  it('a CPU that left an mm lazily and kept its mask bit clears it in the freed mm at its next switch: I14 dereference', () => {
    const w: ExplicitWorkloadInput = {
      tasks: [
        { name: 'T', kind: 'user', cpu: 0, mm: 'P', program: ['run', 'exit'] },
        { name: 'U', kind: 'user', cpu: 0, mm: 'Q', program: ['sleep 1', 'run', 'exit'] },
      ],
    };
    const script = [
      { cpu: 0, until: (k: Kernel) => k.taskState[3] === TS_BLOCKED },
      { cpu: 0, until: (k: Kernel) => k.mmStage[1] === MM_FREED && k.cpuSp[0] === 0 },
      { cpu: 1, kind: 'irq' as const },
    ];
    const none = drive(new Simulator({ plugin: referenceArch, scheme: 'none', cpus: 2, workload: { explicit: w } }), script);
    expect(none.violation).toMatchObject({ invariant: 'I14', site: 'cpumask_clear_cpu(mm_cpumask(prev))', siteKind: 'dereference', cpu: 0 });
    expect(drive(new Simulator({ plugin: referenceArch, scheme: 'refcount', cpus: 2, workload: { explicit: w } }), script).outcome).toBe('ok');
  });
});

describe('use sites are declared', () => {
  it('an arch hook naming an undeclared site is a plugin error, not a violation', () => {
    const rogue = referenceVariant('rogue-site', (h) => ({
      switch_mm_irqs_off(k, cpu, prev, next, task) {
        k.useMm(cpu, prev, 'no_such_site');
        h.switch_mm_irqs_off(k, cpu, prev, next, task);
      },
    }));
    const s = new Simulator({ plugin: rogue, scheme: 'none', cpus: 2, workload: 'default' });
    const cell = hashString128(s.cellId);
    let errors = 0;
    for (let i = 0; i < 300 && errors === 0; i++) {
      const r = s.run(runSeed(cell, i));
      if (r.outcome === 'plugin-error') {
        errors++;
        expect(r.pluginError).toMatchObject({ hook: 'switch_mm_irqs_off' });
        expect(r.pluginError!.message).toMatch(/use site "no_such_site" is not declared/);
      }
    }
    expect(errors).toBe(1);
  });

  it('disabledInvariants lets a run go past an oracle (and is part of the cell)', () => {
    const w: ExplicitWorkloadInput = { tasks: [{ name: 'T', kind: 'user', cpu: 0, mm: 'P', program: ['run', 'exit'] }] };
    const blind = referenceVariant('blind-shootdown-2', () => ({ shoot_lazies_mask: () => 0 }));
    const on = new Simulator({ plugin: blind, scheme: 'shootdown', cpus: 2, workload: { explicit: w } });
    const off = new Simulator({ plugin: blind, scheme: 'shootdown', cpus: 2, workload: { explicit: w }, disabledInvariants: ['I7', 'I3'] });
    expect(drive(on, []).violation?.invariant).toBe('I7');
    expect(drive(off, []).outcome).toBe('ok');
    expect(off.cell.disabledInvariants).toEqual(['I3', 'I7']);
    expect(off.cellId).not.toBe(on.cellId);
    expect(() => new Simulator({ plugin: blind, scheme: 'shootdown', cpus: 2, disabledInvariants: ['I99' as never] })).toThrow(/unknown invariant "I99"/);
  });
});
