/**
 * Directed scenarios for the x86 guests, one per interleaving of kernel-reference §5.3
 * (KVM C), §5.4 (Xen B, Xen C) and §5.5 (Hyper-V C), each reproducing the named violation,
 * with the mainline configuration of the same row passing the same interleaving.
 */
import { describe, expect, it } from 'vitest';
import { Scenario, child, thread, type ScenarioOptions } from '@lazytlb/testkit';
import plugin, { type X86ParavirtOptions } from './index.js';

type Scheme = ScenarioOptions['scheme'];

/** CPU1: T1 (P) exits and idles lazy on P; CPU0: T0 (P) runs `ops`, then exits last; U (Q) clones V onto CPU1. */
function exitWhileLazy(scheme: Scheme, archOptions: Partial<X86ParavirtOptions>, extra: Partial<ScenarioOptions> = {}, ...ops: string[]): Scenario {
  const s = new Scenario({
    arch: plugin,
    archOptions,
    scheme,
    cpus: 2,
    tasks: { T0: thread('P', 0, 'run', ...ops), T1: thread('P', 1), U: thread('Q', 0, 'run', 'clone V'), V: child(1, 'run') },
    ...extra,
  });
  s.run(`
    CPU1: op
    CPU1: until do_task_dead
    CPU1: until context_switch   # swapper/1 lazy on P: loaded_mm P, CR3 P
    CPU0: op
    CPU0: op
  `);
  s.expectCpu(1, { curr: 'swapper/1', lazy: 'P', hw_root: 'P' });
  return s;
}

function finishClean(s: Scenario): void {
  s.finish();
  s.expectNoViolation();
  s.expectMmFreed('P');
}

describe('KVM §5.3-C: a preempted lazy vCPU is skipped by kvm_flush_tlb_multi', () => {
  function preemptedAtExit(scheme: Scheme): Scenario {
    const s = exitWhileLazy(scheme, { backend: 'kvm' }, { vcpuPreemptions: 1 });
    s.run(`
      hyp CPU1: preempt
      CPU0: until exit_mmap   # unmap_vmas
      CPU0: step              # free_pgtables; tlb_finish_mmu -> final flush_tlb_mm_range(freed_tables): inc_mm_tlb_gen
      CPU0: step              # kvm_flush_tlb_multi: vCPU1 preempted -> KVM_VCPU_FLUSH_TLB, no IPI; CPU0 flushes locally
    `);
    s.expectEvent({ fn: 'kvm_flush_tlb_multi', text: 'vCPU1 preempted: KVM_VCPU_FLUSH_TLB, no IPI' });
    expect(s.costs().ipi_sent_flush).toBe(0);
    s.expectCpu(0, { lazy: 'P', hw_root: 'init_mm' });
    s.expectCpu(1, { lazy: 'P', hw_root: 'P' });
    s.run('CPU0: step'); // tlb_finish_mmu: the flagged vCPU cannot use its TLB before the host flushes it: no I2
    s.expectNoViolation();
    return s;
  }

  it("none: mm_free_pgd frees the pgd still in vCPU1's CR3 -> I1", () => {
    const s = preemptedAtExit('none');
    s.run('CPU0: until mm_free_pgd');
    const v = s.expectViolation('I1', "CPU1's MMU root is P's pgd, which is pgd_freed");
    expect(v.cpu).toBe(1);
  });

  it('refcount: the host flushes vCPU1 on resume without moving its CR3; the lazy reference pins the pgd: clean', () => {
    const s = preemptedAtExit('refcount');
    s.run('hyp CPU1: resume');
    s.expectEvent({ fn: 'kvm_vcpu_flush_tlb_guest', cpu: 1 });
    s.expectCpu(1, { lazy: 'P', hw_root: 'P' }); // no guest code ran
    finishClean(s);
  });

  it('shootdown: do_shoot_lazy_tlb is a real IPI and waits for the preempted vCPU: clean', () => {
    const s = preemptedAtExit('shootdown');
    s.run('CPU0: until cleanup_lazy_tlbs');
    expect(() => s.cpu(0).step()).toThrow(/preempted|spins/);
    s.run(`
      hyp CPU1: resume
      CPU1: irq until do_shoot_lazy_tlb
    `);
    s.expectCpu(1, { lazy: 'init_mm', hw_root: 'init_mm' });
    finishClean(s);
  });
});

describe('Hyper-V §5.5-C: the hypercall flush runs no guest code', () => {
  it('none: after the final flush both lazy vCPUs (the exiting one too) keep CR3 = P -> I1 at mm_free_pgd', () => {
    const s = exitWhileLazy('none', { backend: 'hyperv' });
    s.run(`
      CPU0: until exit_mmap   # unmap_vmas
      CPU0: step              # free_pgtables; tlb_finish_mmu -> final flush_tlb_mm_range(freed_tables): inc_mm_tlb_gen
      CPU0: step              # hyperv_flush_tlb_multi: one hypercall for the mask {0,1}
    `);
    s.expectEvent({ fn: 'hyperv_flush_tlb_multi', text: 'vCPUs {0,1}' }); // freed_tables: lazy vCPUs included
    expect(s.costs()).toMatchObject({ hypercalls: 1, ipi_sent_flush: 0 });
    s.expectCpu(0, { lazy: 'P', hw_root: 'P' });
    s.expectCpu(1, { lazy: 'P', hw_root: 'P' });
    s.run('CPU0: step'); // tlb_finish_mmu: the hypervisor did flush both TLBs: no I2
    s.expectNoViolation();
    s.run('CPU0: until mm_free_pgd');
    s.expectViolation('I1', /CPU[01]'s MMU root is P's pgd, which is pgd_freed/);
  });

  it('refcount: clean', () => {
    const s = exitWhileLazy('refcount', { backend: 'hyperv' });
    s.run('CPU0: until exit_mmap');
    finishClean(s);
  });

  it('none with nativeFallback = 1 (no hypercall page, ...): native IPIs move the lazy vCPUs to init_mm, so it is native C1 (I3 hazards, hardware safe)', () => {
    const s = exitWhileLazy('none', { backend: 'hyperv', nativeFallback: 1 });
    s.run(`
      CPU0: until exit_mmap   # unmap_vmas
      CPU0: step              # free_pgtables; tlb_finish_mmu -> final flush_tlb_mm_range(freed_tables): inc_mm_tlb_gen
      CPU0: step              # hyperv_flush_tlb_multi falls back: native_flush_tlb_multi IPIs vCPU1, CPU0 flushes locally
      CPU1: irq               # flush_tlb_func: lazy -> switch_mm_irqs_off(init_mm)
    `);
    s.expectEvent({ fn: 'hyperv_flush_tlb_multi', text: 'falls back to native_flush_tlb_multi' });
    s.expectCpu(1, { hw_root: 'init_mm' });
    s.run('CPU0: until free_mm');
    s.expectHazard('I3', { cpu: 0 });
    s.expectHazard('I3', { cpu: 1 });
    s.expectNoViolation();
    expect(s.costs().hypercalls).toBe(0);
    s.finish();
    s.expectNoViolation();
  });
});

describe('Hyper-V §5.5-B: shoot-lazies, hypercall vs native fallback (arch/x86/hyperv/mmu.c)', () => {
  it('nativeFallback = 1: native_flush_tlb_multi() IPIs the lazy vCPU1 (init_mm), then trims it out of mm_cpumask(P) while swapper/1 is lazy on P -> I7', () => {
    const s = exitWhileLazy('shootdown', { backend: 'hyperv', nativeFallback: 1, trimIntervalSteps: 1 }, {}, 'munmap freed-tables', 'munmap');
    s.run(`
      CPU0: step                        # munmap(freed_tables): unmap_vmas
      CPU0: step                        # tlb_finish_mmu: flush_tlb_mm_range: inc_mm_tlb_gen
      CPU0: step                        # hyperv_flush_tlb_multi falls back: on_each_cpu_mask({0,1})
      CPU1: irq                         # flush_tlb_func: lazy -> init_mm (bit kept)
      CPU0: step                        # tlb_finish_mmu: free the pages and the table
      CPU0: until should_trim_cpumask   # munmap (pages): trim -> native: IPI the not-lazy, not-loaded vCPU1
      CPU1: irq                         # flush_tlb_func: f->mm != loaded_mm -> cpumask_clear_cpu(1, mm_cpumask(P))
    `);
    s.expectEvent({ fn: 'hyperv_flush_tlb_multi', text: 'falls back to native_flush_tlb_multi' });
    s.expectEvent({ fn: 'cpumask_clear_cpu', cpu: 1 });
    s.expectCpu(1, { lazy: 'P', hw_root: 'init_mm' });
    s.expectMm('P', { mm_cpumask: [0] });
    s.run('CPU0: until cleanup_lazy_tlbs');
    s.expectViolation('I7', 'cleanup_lazy_tlbs(P): CPU1 is lazy on it but not in mm_cpumask');
  });

  it('nativeFallback = 0, same program: the hypercalls run no flush_tlb_func, vCPU1 is never moved nor trimmed; cleanup_lazy_tlbs reaches it: clean', () => {
    const s = exitWhileLazy('shootdown', { backend: 'hyperv', trimIntervalSteps: 1 }, {}, 'munmap freed-tables', 'munmap');
    s.run(`
      CPU0: step                        # munmap(freed_tables): unmap_vmas
      CPU0: step                        # tlb_finish_mmu: flush_tlb_mm_range: inc_mm_tlb_gen
      CPU0: step                        # hypercall: vCPUs {0,1} (freed_tables: the lazy vCPU1 included)
      CPU0: step                        # tlb_finish_mmu: free the pages and the table
      CPU0: step                        # munmap: unmap_vmas
      CPU0: step                        # tlb_finish_mmu: flush_tlb_mm_range: inc_mm_tlb_gen
      CPU0: step                        # trim: hypercall, lazy vCPU1 skipped (do_lazy)
      CPU0: step                        # tlb_finish_mmu: free the pages
    `);
    expect(s.costs()).toMatchObject({ ipi_sent_flush: 0, hypercalls: 2 });
    s.expectCpu(1, { lazy: 'P', hw_root: 'P' });
    s.expectMm('P', { mm_cpumask: [0, 1] });
    s.run(`
      CPU0: until cleanup_lazy_tlbs
      CPU1: irq until do_shoot_lazy_tlb
    `);
    finishClean(s);
  });
});

describe('Xen PV §5.4-C: xen_exit_mmap drops every CR3 user of the pgd', () => {
  it('none: hardware safe (both vCPUs leave_mm before the unpin), I3 hazards only: the run completes', () => {
    const s = exitWhileLazy('none', { backend: 'xen' });
    s.run('CPU0: until xen_exit_mmap');
    s.expectEvent({ fn: 'xen_exit_mmap', text: 'CR3 users {0,1}' });
    s.expectCpu(0, { hw_root: 'init_mm' }); // drop_mm_ref_this_cpu ran locally
    s.run('CPU1: irq');
    s.expectEvent({ fn: 'drop_mm_ref_this_cpu', cpu: 1 });
    s.expectCpu(1, { lazy: 'P', hw_root: 'init_mm' });
    s.run('CPU0: until free_mm');
    s.expectHazard('I3', { cpu: 0, holder: 'active_mm' });
    s.expectHazard('I3', { cpu: 1, holder: 'active_mm' });
    expect(s.findEvents({ fn: 'mm_free_pgd', mm: 'P' })).toHaveLength(1);
    s.finish();
    s.expectNoViolation();
  });

  it('refcount: clean', () => {
    const s = exitWhileLazy('refcount', { backend: 'xen' });
    s.run(`
      CPU0: until xen_exit_mmap
      CPU1: irq
    `);
    finishClean(s);
  });

  /**
   * xen_drop_mm_ref() picks the vCPUs by xen_current_cr3, not loaded_mm: vCPU1 is in the middle
   * of switch_mm_irqs_off(P, Q) (loaded_mm = LOADED_MM_SWITCHING, CR3 still P's pgd) when T0's
   * exit reaches xen_exit_mmap. It is IPI'd (wait=1) and takes the IPI once its switch, IRQs off,
   * has loaded Q's CR3; only then does the exit go on to mm_free_pgd.
   */
  it("none: a vCPU switching away from P still has CR3 = P and is among the CR3 users; P's pgd is freed after it left: no I1", () => {
    const s = new Scenario({
      arch: plugin,
      archOptions: { backend: 'xen' },
      scheme: 'none',
      cpus: 2,
      tasks: { T0: thread('P', 0, 'run'), T1: thread('P', 1), W: thread('Q', 1, 'run') },
    });
    s.run(`
      CPU1: op                      # swapper/1 -> T1
      CPU1: until do_task_dead      # T1 exits: exit_mm (lazy on P), mm_users 2 -> 1
      CPU1: until switch_mm_irqs_off "loaded_mm = LOADED_MM_SWITCHING"   # context_switch T1 -> W: switch_mm_irqs_off(P, Q)
      CPU0: op                      # swapper/0 -> T0
      CPU0: op                      # run
      CPU0: until xen_exit_mmap     # T0 exits last: xen_drop_mm_ref(P)
    `);
    s.expectEvent({ fn: 'xen_exit_mmap', text: 'CR3 users {0,1}' });
    s.expectCpu(1, { hw_root: 'P' });
    s.run(`
      CPU1: until switch_mm_irqs_off "load_new_mm_cr3"   # CR3 = Q, loaded_mm = Q; IRQs on again
      CPU1: irq                     # drop_mm_ref_this_cpu(P): loaded_mm is Q, nothing to leave
      CPU0: until mm_free_pgd
    `);
    s.expectEvent({ fn: 'drop_mm_ref_this_cpu', cpu: 1 });
    s.expectCpu(1, { curr: 'W', hw_root: 'Q' });
    s.expectNoViolation();
    s.finish();
    s.expectNoViolation();
  });
});

describe('Xen PV §5.4-B: shoot-lazies', () => {
  /** T0 munmaps twice (tables, then pages after a simulated second) before exiting. */
  function xenB(archOptions: Partial<X86ParavirtOptions>): Scenario {
    const s = exitWhileLazy('shootdown', { backend: 'xen', trimIntervalSteps: 1, ...archOptions }, {}, 'munmap freed-tables', 'munmap');
    s.run(`
      CPU0: step   # munmap(freed_tables): unmap_vmas
      CPU0: step   # tlb_finish_mmu: flush_tlb_mm_range: inc_mm_tlb_gen
      CPU0: step   # reads mm_cpumask: xen_flush_tlb_multi (multicall), no guest code on vCPU1
      CPU0: step   # free the pages and the table
      CPU0: step   # munmap: unmap_vmas
      CPU0: step   # tlb_finish_mmu: flush_tlb_mm_range: inc_mm_tlb_gen
      CPU0: step   # reads mm_cpumask: trim requested, but the hypercall never runs flush_tlb_func remotely
      CPU0: step   # tlb_finish_mmu: free the pages
    `);
    if (archOptions.cpumask !== 'clear-on-switch') s.expectEvent({ fn: 'should_trim_cpumask', cpu: 0 }); // (no trimming before v6.14)
    expect(s.costs().ipi_sent_flush).toBe(0);
    s.expectNoEvent({ fn: 'cpumask_clear_cpu' });
    s.expectMm('P', { mm_cpumask: [0, 1] });
    s.run(`
      CPU0: until xen_exit_mmap
      CPU1: irq                 # drop_mm_ref_this_cpu -> leave_mm
    `);
    return s;
  }

  it('≥6.14 (lazy-trim): leave_mm keeps the bit, so cleanup_lazy_tlbs reaches vCPU1: clean', () => {
    const s = xenB({});
    s.expectMm('P', { mm_cpumask: [0, 1] });
    s.run(`
      CPU0: until cleanup_lazy_tlbs
      CPU1: irq until do_shoot_lazy_tlb
    `);
    finishClean(s);
  });

  it('<6.14 (clear-on-switch): leave_mm in xen_drop_mm_ref cleared the bits -> I7 (the I3 of the table, reported at its cause)', () => {
    const s = xenB({ release: 'v6.13', cpumask: 'clear-on-switch' });
    s.expectMm('P', { mm_cpumask: [] });
    s.run('CPU0: until cleanup_lazy_tlbs');
    s.expectViolation('I7', /cleanup_lazy_tlbs\(P\): CPU[01] is lazy on it but not in mm_cpumask/);
  });
});
