/**
 * Shoot-lazies on arm64 (kernel-reference §11): arm64 keeps no mm_cpumask for user mms (since
 * 38d96287504a), so `shootdown` (cleanup_lazy_tlbs over mm_cpumask) misses every lazy CPU (I7),
 * while `shootdown:mask=online` (every online CPU, as DEBUG_VM_SHOOT_LAZIES' on_each_cpu does)
 * reaches them. What is left under mask=online is exec_mmap's IRQs-on window: arm64 does not
 * select ARCH_WANT_IRQS_OFF_ACTIVATE_MM, so a kernel thread that execs has `active_mm` already on
 * the new mm while TTBR0 still holds the old lazy one; do_shoot_lazy_tlb() there sees
 * active_mm != mm and the old pgd is freed under TTBR0 (I1). With SW PAN no lazy TTBR0 exists
 * and the cell is clean.
 */
import { describe, expect, it } from 'vitest';
import { type Simulator, createSimulator, defineArchPlugin, hashString128, runSeed, type RunResult } from '@lazytlb/core';
import { runCell } from '@lazytlb/explore';
import { Scenario, child, kthread, ringExitWorker, thread } from '@lazytlb/testkit';
import plugin from './index.js';

/** CPU1: T1 (thread of P) exits and swapper/1 stays lazy on P; CPU0: T0 (P) runs, then exits last. */
function lazyOnP(mask: 'cpumask' | 'online'): Scenario {
  const s = new Scenario({
    arch: plugin,
    scheme: 'shootdown',
    schemeOptions: { mask },
    cpus: 2,
    tasks: { T0: thread('P', 0, 'run'), T1: thread('P', 1) },
  });
  s.run(`
    CPU1: op
    CPU1: until context_switch   # T1 exits; swapper/1 lazy on P
    CPU0: op                     # swapper/0 -> T0
    CPU0: op                     # run
    CPU0: until cleanup_lazy_tlbs
  `);
  return s;
}

describe('shootdown on arm64: mask=cpumask vs mask=online (directed)', () => {
  it('mask=cpumask: mm_cpumask(P) is empty, the shootdown reaches nobody -> I7', () => {
    const s = lazyOnP('cpumask');
    s.expectViolation('I7', /cleanup_lazy_tlbs\(P\): CPU0 is lazy on it but not in mm_cpumask \(0x0\)/);
    expect(s.costs().ipi_sent_shootdown).toBe(0);
    s.finish({ expect: 'violation' });
  });

  it("mask=online: the same script IPIs CPU1; both lazy CPUs switch to init_mm (reserved TTBR0) before P's pgd is freed", () => {
    const s = lazyOnP('online');
    s.expectNoViolation();
    s.expectEvent({ fn: 'cleanup_lazy_tlbs', cpu: 0, text: 'on_each_cpu_mask(0x3' });
    s.run(`
      CPU1: irq                  # do_shoot_lazy_tlb(P): swapper/1 active_mm -> init_mm
      CPU0: until free_mm
    `);
    s.expectCpu(1, { curr: 'swapper/1', active_mm: 'init_mm', hw_root: 'init_mm' });
    s.expectMmFreed('P');
    expect(s.costs().ipi_sent_shootdown).toBe(1);
    s.finish();
    s.expectNoHazard();
  });

  it('mask=online: a powered-down lazy CPU resumes for the IPI (cpu_uninstall_idmap reloads the live P), then leaves it', () => {
    const s = new Scenario({
      arch: plugin,
      scheme: 'shootdown',
      schemeOptions: { mask: 'online' },
      cpus: 2,
      deepIdles: 1,
      tasks: { T0: thread('P', 0, 'io_uring_setup W E', 'run'), W: child(1, 'kwork'), E: ringExitWorker(0) },
    });
    s.run(`
      CPU0: op
      CPU0: op                      # io_uring_setup: W on CPU1
      CPU1: op
      CPU1: op
      CPU1: until do_task_dead      # W exits
      CPU1: until context_switch    # swapper/1 lazy on P
      CPU1: until cpu_suspend       # powered down
      CPU0: op                      # run
      CPU0: until do_task_dead      # T0 exits; the ring still pins P
      CPU0: until cleanup_lazy_tlbs # E: io_ring_ctx_free -> mmdrop(P) -> __mmdrop
      CPU1: irq                     # the IPI wakes CPU1: resume, then do_shoot_lazy_tlb
      CPU0: until free_mm
    `);
    // One interrupt step on CPU1: the IPI (traced first by the core) runs do_shoot_lazy_tlb, whose
    // switch_mm(P, &init_mm) is the first arch code of the woken CPU, so the resume comes first there.
    const ipi = s.findEvents({ cpu: 1, fn: 'do_shoot_lazy_tlb', text: 'IPI from' });
    expect(ipi).toHaveLength(1);
    const step = s
      .findEvents({ cpu: 1, since: ipi[0]!.step })
      .filter((e) => e.step === ipi[0]!.step)
      .map((e) => `${e.fn}: ${e.text.split(',')[0]}`);
    expect(step).toEqual([
      'do_shoot_lazy_tlb: IPI from CPU0 (P)',
      'do_shoot_lazy_tlb: swapper/1 active_mm P -> init_mm',
      '__cpu_suspend_exit: resume: cpu_uninstall_idmap()',
      'cpu_set_reserved_ttbr0: TTBR0 = reserved_pg_dir',
      'local_flush_tlb_all: TLBI VMALLE1',
      'cpu_switch_mm: TTBR0 = P->pgd',
      'cpu_set_reserved_ttbr0: TTBR0 = reserved_pg_dir',
    ]);
    s.expectCpu(1, { active_mm: 'init_mm', hw_root: 'init_mm' });
    s.expectMmFreed('P');
    s.finish();
  });
});

/**
 * The hypothetical an arm64 selecting MMU_LAZY_TLB_SHOOTDOWN would also need: the same plugin
 * with ARCH_WANT_IRQS_OFF_ACTIVATE_MM (exec_mmap keeps IRQs off over activate_mm, as powerpc
 * selects since d53c3dfb23c4). A test-only variant: the capability is fixed per descriptor.
 */
const arm64IrqsOff = defineArchPlugin({
  ...plugin,
  name: 'arm64-irqs-off-activate-mm',
  capabilities: { ...plugin.capabilities, irqsOffActivateMm: true },
  capabilitiesFor: () => ({ ...plugin.capabilities, irqsOffActivateMm: true }),
});

describe("exec_mmap's IRQs-on window under shootdown:mask=online (directed)", () => {
  const SHOOT = `
    CPU0: op                        # swapper/0 -> T0
    CPU0: op                        # run
    CPU0: until cleanup_lazy_tlbs   # T0 exits, P's last user: IPI every online CPU
    CPU1: irq                       # do_shoot_lazy_tlb(P) on CPU1
    CPU0: until free_mm
  `;
  /** K (lazy on P, P's other thread T1 exited on CPU1) kernel_execve's; P's last thread T0 exits on CPU0. */
  function run(scheme: 'shootdown' | 'refcount', arch = plugin): Scenario {
    const s = new Scenario({
      arch,
      scheme,
      ...(scheme === 'shootdown' ? { schemeOptions: { mask: 'online' } } : {}),
      cpus: 2,
      tasks: { T0: thread('P', 0, 'run'), T1: thread('P', 1), K: kthread(1, 'kernel_execve') },
    });
    s.run(`
      CPU1: op                      # swapper/1 -> T1
      CPU1: until do_task_dead      # T1 exits
      CPU1: op                      # T1 -> K, lazy on P
      CPU1: until exec_mmap         # IRQs-off block: K->active_mm = K->mm = N (then IRQs on, unless the arch keeps them off)
    `);
    s.nameMm('N', s.mmOf('K'));
    return s;
  }

  it("arm64 (no ARCH_WANT_IRQS_OFF_ACTIVATE_MM): the IPI finds active_mm == N, P's pgd is freed under CPU1's TTBR0 -> I1", () => {
    const s = run('shootdown');
    s.expectCpu(1, { curr: 'K', active_mm: 'N', hw_root: 'P' }); // TTBR0 still on the old lazy mm
    s.run(SHOOT);
    s.expectViolation('I1', /CPU1's MMU root is P's pgd, which is pgd_freed/);
    s.expectEvent({ fn: 'do_shoot_lazy_tlb', cpu: 1, text: 'IPI from CPU0 (P)' });
    expect(s.findEvents({ fn: 'activate_mm', cpu: 1 })).toEqual([]);
    s.finish({ expect: 'violation' });
  });

  it("refcount: K's lazy reference (exec_mmap's local active_mm) keeps P until after activate_mm", () => {
    const s = run('refcount');
    s.run(`
      CPU0: op
      CPU0: op
      CPU0: until do_task_dead      # T0 exits: no IPI under refcount
      CPU1: until activate_mm
    `);
    s.expectNoViolation();
    s.finish();
  });

  it('with IRQs-off activate_mm (test-only variant): the same script is clean', () => {
    const s = run('shootdown', arm64IrqsOff);
    // activate_mm runs inside the IRQs-off block: its switch_mm's steps (generation check | slow
    // path | TTBR0 write) all come before IRQs are back on
    s.run('CPU1: until cpu_switch_mm "TTBR0 = N->pgd"');
    expect(s.k.cpuIrqsOff[1]).toBe(0);
    s.expectCpu(1, { curr: 'K', active_mm: 'N', hw_root: 'N' });
    s.run(SHOOT);
    s.expectNoViolation();
    s.finish();
    s.expectMmFreed('P');
    s.expectNoHazard();
  });
});

/** Runs of one cell (runCell), with every run that did not end ok kept for inspection. */
function sweep(sim: Simulator, runs: number): { results: { i: number; r: RunResult }[]; hazards: number; ok: number } {
  const results: { i: number; r: RunResult }[] = [];
  const c = runCell(sim, {
    runs,
    onRun: (r, { index }) => {
      if (r.outcome !== 'ok') results.push({ i: index, r });
    },
  });
  return { results, hazards: c.hazardRuns, ok: c.ok };
}

describe('shootdown:mask=online on arm64: seeded random runs', () => {
  const CELLS = [
    ...(['default', 'hotplug'] as const).flatMap((workload) => [2, 4].map((cpus) => ({ workload, cpus, strategy: { kind: 'random' as const }, runs: 1500 }))),
    // PCT depth 3 (the sweep's default strategy) reaches the window more often
    { workload: 'default' as const, cpus: 2, strategy: { kind: 'pct' as const, depth: 3 }, runs: 5000 },
  ];
  for (const { workload, cpus, strategy, runs } of CELLS) {
    it(`${workload}, ${cpus} CPUs, ${strategy.kind}, ${runs} runs: no hazard; the only violation is I1 in exec_mmap's IRQs-on window`, () => {
      const sim = createSimulator({ plugin, scheme: 'shootdown', schemeOptions: { mask: 'online' }, cpus, workload, strategy });
      const { results, hazards } = sweep(sim, runs);
      expect(hazards).toBe(0); // I3 is a violation under shootdown, never a hazard
      expect(results.length).toBeLessThan(runs / 100);
      const cell = hashString128(sim.cellId);
      for (const { i, r } of results) {
        expect(r.outcome, `run ${i}: ${r.pluginError?.message ?? ''}`).toBe('violation');
        const v = r.violation!;
        expect(v.invariant, `run ${i}: ${v.message}`).toBe('I1');
        // Replay it traced: the violating CPU is between exec_mmap's IRQs-off block (which
        // moved active_mm to the new mm) and activate_mm's TTBR0 write (the last step of its
        // switch_mm sequence: generation check | cmpxchg or slow path | cpu_switch_mm), and the
        // freed root is the old lazy mm.
        const t = sim.run(runSeed(cell, i), { trace: true }).trace!;
        const execs = t.filter((e) => e.cpu === v.cpu && e.fn === 'exec_mmap' && e.text.includes('active_mm '));
        const last = execs[execs.length - 1];
        expect(last, `run ${i}: ${v.message}`).toBeDefined();
        const [, next, old] = /mm=(\S+) .*active_mm (\S+)\)/.exec(last!.text) ?? [];
        const ttbr = t.filter((e) => e.cpu === v.cpu && e.step >= last!.step && e.fn === 'cpu_switch_mm' && e.text.includes(`TTBR0 = ${next}->pgd`));
        expect(ttbr, `run ${i}: ${v.message}`).toEqual([]);
        expect(v.message).toContain(`MMU root is ${old}'s pgd`);
      }
    });
  }

  it("mask=cpumask (default): every run breaks I7 (arm64 never sets a user mm's mm_cpumask bit)", () => {
    const sim = createSimulator({ plugin, scheme: 'shootdown', cpus: 4 });
    const { results } = sweep(sim, 300);
    expect(results.length).toBe(300);
    expect(results.filter(({ r }) => r.violation?.invariant === 'I7').length).toBeGreaterThanOrEqual(295);
  });

  it('with IRQs-off activate_mm (test-only variant): mask=online is clean, hotplug included', () => {
    for (const workload of ['default', 'hotplug'] as const) {
      for (const cpus of [2, 4]) {
        const sim = createSimulator({ plugin: arm64IrqsOff, scheme: 'shootdown', schemeOptions: { mask: 'online' }, cpus, workload });
        const { results, hazards } = sweep(sim, 1000);
        expect(hazards).toBe(0);
        expect(
          results.map(({ i, r }) => `${i}: ${r.violation?.message ?? r.outcome}`),
          `${workload} ${cpus}`,
        ).toEqual([]);
      }
    }
  });

  it('the hypothetical option irqsOffActivateMm (ARCH_WANT_IRQS_OFF_ACTIVATE_MM selected) closes the window: mask=online is clean', () => {
    for (const cpus of [2, 4]) {
      const sim = createSimulator({
        plugin,
        archOptions: { irqsOffActivateMm: true },
        scheme: 'shootdown',
        schemeOptions: { mask: 'online' },
        cpus,
        workload: 'default',
        strategy: { kind: 'pct', depth: 3 },
      });
      const { results, hazards } = sweep(sim, 1500);
      expect(hazards).toBe(0);
      expect(
        results.map(({ i, r }) => `${i}: ${r.violation?.message ?? r.outcome}`),
        `${cpus}`,
      ).toEqual([]);
    }
  });

  it('SW PAN (no lazy TTBR0): mask=online is clean, hotplug included', () => {
    for (const workload of ['default', 'hotplug'] as const) {
      for (const cpus of [2, 4]) {
        const sim = createSimulator({ plugin, archOptions: { swPan: true }, scheme: 'shootdown', schemeOptions: { mask: 'online' }, cpus, workload });
        const { results, hazards } = sweep(sim, 1000);
        expect(hazards).toBe(0);
        expect(
          results.map(({ i, r }) => `${i}: ${r.violation?.message ?? r.outcome}`),
          `${workload} ${cpus}`,
        ).toEqual([]);
      }
    }
  });
});
