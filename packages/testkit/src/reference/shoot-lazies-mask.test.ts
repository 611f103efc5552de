/**
 * Which CPUs shoot-lazies IPIs: the scheme option `shootdown:mask=cpumask` (the default,
 * kernel/fork.c cleanup_lazy_tlbs(): on_each_cpu_mask(mm_cpumask(mm), do_shoot_lazy_tlb, mm,
 * 1)) against `shootdown:mask=online` (every online CPU, as DEBUG_VM_SHOOT_LAZIES' on_each_cpu
 * check does), on an arch that keeps no mm_cpumask for user mms.
 *
 * arm64 is such an arch: it flushes by broadcast TLBI and never sets mm_cpumask bits for user
 * mms, so shooting over the mask reaches nobody and the lazy CPUs keep the mm past free_mm:
 * I7 (mask coverage) by construction. Over the online CPUs it is clean, at the price of an IPI
 * to every other online CPU per final mmdrop, whether it ever ran the mm or not.
 *
 * The variant below is the reference arch made like that: its switch_mm leaves mm_cpumask
 * empty, its flushes go to every online CPU (the broadcast), and its I13 check no longer wants
 * the loaded mm's bit. Everything else (flush_tlb_func's leave_mm for a lazy CPU) is the
 * reference arch's.
 */
import { describe, expect, it } from 'vitest';
import { INIT_MM, NO_MM, REASON_FLUSH, REF_IPI_FLUSH, defineArchPlugin, referenceArch, type ArchKernel, type ReferenceArchOptions } from '@lazytlb/core';
import { checkCleanRuns } from '../conformance/clean-runs.js';
import { Scenario } from '../scenario/scenario.js';
import { thread } from '../scenario/task-spec.js';

function onlineMask(k: ArchKernel): number {
  let m = 0;
  for (let c = 0; c < k.ncpu; c++) if (k.cpuOnline[c] !== 0) m |= 1 << c;
  return m;
}

/** The reference arch without mm_cpumask (arm64-style: broadcast flushes, no bits for user mms). */
const noCpumaskArch = defineArchPlugin<ReferenceArchOptions>({
  ...referenceArch,
  name: 'reference-no-cpumask',
  description: 'the reference arch keeping no mm_cpumask for user mms: flushes broadcast to every online CPU (arm64-style)',
  setup(options, env) {
    const h = referenceArch.setup(options, env);
    return {
      ...h,
      switch_mm_irqs_off(k, cpu, prev, next, task) {
        h.switch_mm_irqs_off(k, cpu, prev, next, task);
        if (next > INIT_MM) k.mmCpumask[next]! &= ~(1 << cpu); // no bit for the mm this CPU now runs
      },
      flush_tlb_mm_range(k, cpu, mm, flags) {
        // The broadcast: flush_tlb_func on every online CPU; one whose root is not mm does nothing.
        k.onEachCpuMask(cpu, onlineMask(k), REF_IPI_FLUSH, mm, flags, true, REASON_FLUSH);
      },
      check(k, cpu) {
        const t = k.cpuCurr[cpu]!;
        const mm = k.taskMm[t]!;
        const r = h.hw_root(k, cpu);
        if (mm !== NO_MM ? r !== mm : r !== INIT_MM && r !== k.taskActiveMm[t]) {
          k.violate('I13', cpu, `root ${k.mmName(r)} does not match ${k.taskName(t)}`);
        }
      },
    };
  },
});

/**
 * CPU1's T1 exits first (CPU1 idles lazy on P); T0 exits last on CPU0: the final flush
 * reaches CPU1 (broadcast), then __mmput's mmdrop is the final one (REFCOUNT=n under
 * shootdown): __mmdrop -> cleanup_lazy_tlbs. `idle` CPUs beyond CPU1 never run P.
 */
function make(cpus: number, schemeOptions?: { mask: 'online' | 'cpumask' }, arch = noCpumaskArch): Scenario {
  const s = new Scenario({
    arch,
    scheme: 'shootdown',
    ...(schemeOptions !== undefined ? { schemeOptions } : {}),
    cpus,
    tasks: { T0: thread('P', 0, 'run'), T1: thread('P', 1) },
  });
  s.run(`
    CPU1: op                               # swapper/1 -> T1
    CPU1: until do_task_dead               # T1 exits: mm_users 2 -> 1
    CPU1: until context_switch             # T1 -> swapper/1: the idle task is lazy on P
    CPU0: op                               # swapper/0 -> T0
    CPU0: op                               # run
    CPU0: until exit_mmap "free_pgtables"  # T0 exits last: the final flush
  `);
  // flush_tlb_func: broadcast to every CPU (only CPU1, lazy on P, leaves it: leave_mm), or on
  // the reference arch to mm_cpumask(P) = {0,1}.
  for (let c = 1; c < (arch === noCpumaskArch ? cpus : 2); c++) s.cpu(c).irq();
  s.expectCpu(1, { curr: 'swapper/1', lazy: 'P', hw_root: 'init_mm' });
  s.expectMm('P', { mm_cpumask: arch === noCpumaskArch ? [] : [0, 1] });
  return s;
}

describe('shoot-lazies over mm_cpumask vs over the online CPUs, on an arch that keeps no mm_cpumask', () => {
  it('shootdown (mask=cpumask): cleanup_lazy_tlbs IPIs the empty mm_cpumask; CPU0 and CPU1 stay lazy on P -> I7', () => {
    const s = make(2);
    s.run('CPU0: until cleanup_lazy_tlbs');
    expect(s.last.match?.text).toMatch(/^on_each_cpu_mask\(0x0, do_shoot_lazy_tlb, P, wait=1\)/);
    s.expectViolation('I7', 'cleanup_lazy_tlbs(P): CPU0 is lazy on it but not in mm_cpumask (0x0)');
    expect(s.costs().ipi_sent_shootdown).toBe(0);
    expect(s.sim.cell.schemeOptions).toBeUndefined(); // the default is not recorded in the cell
  });

  it('shootdown:mask=online: every online CPU is shot: CPU0 locally, CPU1 by IPI, before mm_free_pgd; clean', () => {
    const s = make(2, { mask: 'online' });
    expect(s.sim.cell.schemeOptions).toEqual({ mask: 'online' });
    s.run('CPU0: until cleanup_lazy_tlbs');
    expect(s.last.events.map((e) => `${e.fn}: ${e.text}`)).toEqual([
      'tlb_finish_mmu: free page tables of P',
      '__mmdrop: P mm_count 1->0', // __mmput's mmdrop: the final one (no lazy references under shootdown)
      'cleanup_lazy_tlbs: on_each_cpu_mask(0x3, do_shoot_lazy_tlb, P, wait=1)',
      'smp_call_function: IPI -> CPU1: do_shoot_lazy_tlb(P)',
      'do_shoot_lazy_tlb: T0 active_mm P -> init_mm',
    ]);
    expect(() => s.cpu(0).step()).toThrow(/spins in smp_call_function_many\(wait=1\).*do_shoot_lazy_tlb\(P\)/s);
    s.run('CPU1: irq until do_shoot_lazy_tlb');
    s.expectCpu(1, { curr: 'swapper/1', lazy: 'init_mm', hw_root: 'init_mm' });
    s.run('CPU0: until free_mm');
    s.expectMmFreed('P');
    s.finish();
    s.expectNoHazard();
    expect(s.costs()).toMatchObject({ ipi_sent_shootdown: 1, ipi_handled_shootdown: 1 });
  });

  it('mask=online costs an IPI to every other online CPU per final mmdrop, even CPUs that never ran the mm (4 CPUs: 3 IPIs)', () => {
    const s = make(4, { mask: 'online' });
    s.run('CPU0: until cleanup_lazy_tlbs');
    expect(s.last.match?.text).toMatch(/^on_each_cpu_mask\(0xf, do_shoot_lazy_tlb, P, wait=1\)/);
    for (const c of [1, 2, 3]) s.cpu(c).irq();
    expect(s.findEvents({ fn: 'do_shoot_lazy_tlb', actor: 'irq' }).map((e) => [e.cpu, e.text])).toEqual([
      [1, 'IPI from CPU0 (P)'],
      [1, 'swapper/1 active_mm P -> init_mm'], // the lazy one
      [2, 'IPI from CPU0 (P)'],
      [3, 'IPI from CPU0 (P)'], // never on P: the handler finds nothing to do
    ]);
    s.run('CPU0: until free_mm');
    s.finish();
    expect(s.costs().ipi_sent_shootdown).toBe(3);
  });

  it('contrast: on the reference arch itself (it keeps mm_cpumask) mask=cpumask shoots only CPU1; both masks are clean', () => {
    for (const [mask, ipis] of [
      ['cpumask', 1],
      ['online', 3],
    ] as const) {
      const s = make(4, { mask }, referenceArch);
      s.run('CPU0: until cleanup_lazy_tlbs');
      for (let c = 1; c <= ipis; c++) s.cpu(c).irq();
      s.run('CPU0: until free_mm');
      s.finish();
      s.expectNoHazard();
      expect(s.costs().ipi_sent_shootdown, `mask=${mask}`).toBe(ipis);
    }
  });
});

describe('the same, blind (default workload, no directed schedule)', () => {
  it('the variant is a sound arch under refcount; shootdown violates I7; shootdown:mask=online is clean', () => {
    const cell = { plugin: noCpumaskArch as never, archOptions: {}, cpus: 4, workload: 'default' as const };
    checkCleanRuns({ ...cell, scheme: 'refcount' }, 100);
    expect(() => checkCleanRuns({ ...cell, scheme: 'shootdown' }, 100)).toThrow(/^\d+ of 100 runs did not end ok without hazards \(\d+x violation I7/);
    checkCleanRuns({ ...cell, scheme: 'shootdown', schemeOptions: { mask: 'online' } }, 100);
  });
});
