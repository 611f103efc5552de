/**
 * The issue-10 hooks of x86-native in the guests (x86-paravirt spreads x86-native's hooks):
 * deep idle, text_poke's use_temporary_mm, fix_processor_context on resume and reclaim's
 * arch_tlbbatch_flush, with each backend's flush_tlb_multi underneath.
 */
import { describe, expect, it } from 'vitest';
import { Scenario, kthread, thread } from '@lazytlb/testkit';
import plugin, { type X86ParavirtOptions } from './index.js';

describe("x86-native's new hooks compose with every backend", () => {
  for (const backend of ['kvm', 'hyperv', 'xen'] as const) {
    it(`${backend}: setup() returns cpu_idle_deep, use_temporary_mm, suspend_resume, tlbbatch_flush and arch_continue`, () => {
      const hooks = plugin.setup(plugin.options.parse({ backend }) as X86ParavirtOptions, { coreVersion: '0', abi: plugin.abi, memory: 'sc', mutations: [] });
      for (const h of ['cpu_idle_deep', 'use_temporary_mm', 'suspend_resume', 'tlbbatch_flush', 'arch_continue'] as const)
        expect(typeof hooks[h], h).toBe('function');
    });
  }

  it('xen (no PCID): a kthread lazy on P pokes text: leave_mm, poking_mm in ASID 0 with a flush, back to init_mm in ASID 0', () => {
    const s = new Scenario({
      arch: plugin,
      archOptions: { backend: 'xen' },
      scheme: 'refcount',
      cpus: 2,
      tasks: { T0: thread('P', 0, 'run'), T1: thread('P', 1), K: kthread(1, 'text_poke') },
    });
    s.run(`
      CPU1: op
      CPU1: until do_task_dead
      CPU1: until context_switch
      CPU1: op
    `);
    s.expectEvent({ fn: 'leave_mm', cpu: 1 });
    s.expectEvent({ fn: 'use_temporary_mm', cpu: 1, text: 'poking_mm in ASID 0, back to init_mm' });
    s.expectCpu(1, { hw_root: 'init_mm' });
    s.finish();
    s.expectNoViolation();
  });

  it('kvm with idleTlbFlushed: true (a guest given C3 states): the idle vCPU leaves P', () => {
    const s = new Scenario({
      arch: plugin,
      archOptions: { backend: 'kvm', idleTlbFlushed: true },
      scheme: 'refcount',
      cpus: 2,
      deepIdles: 1,
      tasks: { T0: thread('P', 0, 'run'), T1: thread('P', 1) },
    });
    s.run(`
      CPU1: op
      CPU1: until do_task_dead
      CPU1: until context_switch
      CPU1: step
    `);
    s.expectEvent({ fn: 'leave_mm', cpu: 1 });
    s.expectCpu(1, { lazy: 'P', hw_root: 'init_mm' });
    s.finish();
    s.expectNoViolation();
  });

  it('kvm by default (cpuidle-haltpoll / HLT): deep idle leaves the lazy vCPU on P', () => {
    const s = new Scenario({
      arch: plugin,
      archOptions: { backend: 'kvm' },
      scheme: 'refcount',
      cpus: 2,
      deepIdles: 1,
      tasks: { T0: thread('P', 0, 'run'), T1: thread('P', 1) },
    });
    s.run(`
      CPU1: op
      CPU1: until do_task_dead
      CPU1: until context_switch
      CPU1: step
    `);
    s.expectEvent({ fn: 'cpuidle_enter_state', cpu: 1 });
    s.expectNoEvent({ fn: 'leave_mm' });
    s.expectCpu(1, { lazy: 'P', hw_root: 'P' });
  });

  it("hyperv: reclaim's arch_tlbbatch_flush (info->mm = NULL) is one hypercall for every address space of the non-lazy vCPUs", () => {
    const s = new Scenario({
      arch: plugin,
      archOptions: { backend: 'hyperv' },
      scheme: 'refcount',
      cpus: 3,
      tasks: { K: kthread(0, 'reclaim P'), T1: thread('P', 1, 'run', 'run'), T2: thread('P', 2) },
    });
    s.run(`
      CPU1: op
      CPU2: op
      CPU2: until do_task_dead
      CPU2: until context_switch   # swapper/2 lazy on P
      CPU0: op
      CPU0: step                   # try_to_unmap -> arch_tlbbatch_flush -> hyperv_flush_tlb_multi
    `);
    s.expectEvent({ fn: 'hyperv_flush_tlb_multi', text: 'HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE(all address spaces) vCPUs {1}' });
    expect(s.costs()).toMatchObject({ hypercalls: 1, ipi_sent_flush: 0 });
    s.run('CPU0: step');
    s.expectNoViolation();
    s.finish();
    s.expectNoViolation();
  });
});
