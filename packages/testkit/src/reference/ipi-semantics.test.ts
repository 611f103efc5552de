/**
 * The core's IPI semantics end to end (model-spec §3), one directed scenario per rule:
 *
 * 1. on_each_cpu_mask(wait=1) is synchronous: the sender spins in smp_call_function_many
 *    until every target ran the function as an interrupt step; only then does
 *    tlb_finish_mmu free the pages (I2 holds). munmap is three steps: unmap_vmas (the PTEs
 *    go; a cond_resched() point), tlb_finish_mmu's flush, then the free. A control arch that does not wait frees
 *    them under CPU1's stale TLB (I2).
 * 2. An IPI is a separate interrupt step of the target, taken between two of its steps:
 *    never inside an IRQs-off block (a context switch is one step), possibly in the
 *    middle of a multi-step kernel path (do_exit, munmap), which then goes on; the handler
 *    sees the target's state at delivery, not at send. Two CPUs that wait for each other's
 *    flush IPIs both take them while spinning (IRQs are on in smp_call_function_many).
 * 3. vCPU preemption: a preempted vCPU runs nothing, not even a pending IPI, so a sender
 *    waiting on it is stuck until the hypervisor resumes it; the resume itself runs no
 *    guest code.
 * 4. A hypercall flush (Hyper-V's hyperv_flush_tlb_multi) changes the target's TLB state
 *    without running guest code on it: the sender does not wait, and a lazy target's MMU
 *    root stays on the mm (no leave_mm). With REFCOUNT=n and no shoot-lazies, __mmdrop
 *    then frees the pgd under that root: I1 (kernel-reference §5.5-C), the hardware walking
 *    freed page tables, where the IPI flush only leaves I3 hazards (dangling active_mm, no
 *    MMU on it); with the lazy refcount the same interleaving is clean.
 */
import { describe, expect, it } from 'vitest';
import { REASON_FLUSH, REF_IPI_FLUSH, constants, costs, defineArchPlugin, referenceArch, type ArchHooks, type ReferenceArchOptions } from '@lazytlb/core';
import { Scenario, type ScenarioOptions } from '../scenario/scenario.js';
import { child, kthread, thread, type TaskSpec } from '../scenario/task-spec.js';

// ---- helpers ------------------------------------------------------------------------------

/** A variant of the reference arch: `patch` returns the hooks it replaces (given the originals). */
function variant(name: string, patch: (h: ArchHooks) => Partial<ArchHooks>, capabilities: Partial<typeof referenceArch.capabilities> = {}) {
  return defineArchPlugin<ReferenceArchOptions>({
    ...referenceArch,
    name,
    capabilities: { ...referenceArch.capabilities, ...capabilities },
    setup(options, env) {
      const h = referenceArch.setup(options, env);
      return { ...h, ...patch(h) };
    },
  });
}

/** Which actors of `cpu` the explorer may pick now. */
function actors(s: Scenario, cpu: number): { task: boolean; irq: boolean; hyp: boolean } {
  const en = s.sim.enabledActors();
  const base = cpu * constants.ACTORS_PER_CPU;
  return {
    task: en.includes(base + constants.ACTOR_TASK),
    irq: en.includes(base + constants.ACTOR_IRQ),
    hyp: en.includes(base + constants.ACTOR_HYP),
  };
}

function fns(s: Scenario): string[] {
  return s.last.events.map((e) => e.fn);
}

/** CPU n's munmap up to its flush: unmap_vmas (one step), then tlb_finish_mmu's flush_tlb_mm_range (the next). */
function unmapThenFlush(s: Scenario, cpu: number): void {
  s.cpu(cpu).step(); // unmap_region -> unmap_vmas: the PTEs go, the pages wait in the mmu_gather
  expect(s.last.events.map((e) => `${e.fn}: ${e.text}`)).toEqual(['munmap: unmap_vmas P']);
  s.cpu(cpu).step(); // tlb_finish_mmu -> flush_tlb_mm_range(freed_tables)
  expect(s.last.events[0]).toMatchObject({ fn: 'tlb_finish_mmu', text: 'P: flush_tlb_mm_range(freed_tables=1)' });
}

function make(
  arch: ScenarioOptions['arch'],
  scheme: ScenarioOptions['scheme'],
  tasks: Record<string, TaskSpec>,
  extra: Partial<ScenarioOptions> = {},
): Scenario {
  return new Scenario({ arch, scheme, cpus: 2, tasks, ...extra });
}

const SPINS =
  /CPU0 spins in smp_call_function_many\(wait=1\) until 1 IPI\(s\) it sent are handled; pending on CPU1 \(flush_tlb_func\(P\)\): deliver with "CPU1: irq"/;

/** CPU0 runs T0 (P), CPU1 runs T1 (P): both have P loaded; mm_cpumask(P) = {0,1}. */
/** T0 (CPU0) will munmap with freed tables; T1 on CPU1 yields to kthread K, which then runs lazy on P. */
function munmapWhileCpu1YieldsToK(): Scenario {
  return make(referenceArch, 'refcount', {
    T0: thread('P', 0, 'munmap freed-tables'),
    T1: thread('P', 1, 'yield'),
    K: kthread(1, 'kwork'),
  });
}

function bothRunP(s: Scenario): void {
  s.run(`
    CPU1: op   # swapper/1 -> T1: root P
    CPU0: op   # swapper/0 -> T0: root P
  `);
  s.expectCpu(0, { curr: 'T0', lazy: null, hw_root: 'P' });
  s.expectCpu(1, { curr: 'T1', lazy: null, hw_root: 'P' });
  s.expectMm('P', { mm_cpumask: [0, 1] });
}

// ---- 1. synchronous wait --------------------------------------------------------------------

describe('1. on_each_cpu_mask(wait=1) is synchronous (reference arch, refcount)', () => {
  const tasks = { T0: thread('P', 0, 'munmap freed-tables'), T1: thread('P', 1, 'run') };

  it('munmap: CPU0 spins until CPU1 ran flush_tlb_func as an interrupt; only then tlb_finish_mmu frees the pages', () => {
    const s = make(referenceArch, 'refcount', tasks);
    bothRunP(s);

    unmapThenFlush(s, 0); // munmap: unmap_vmas; tlb_finish_mmu: flush_tlb_mm_range(freed_tables) -> on_each_cpu_mask({0,1}, wait=1)
    expect(fns(s)).toEqual(['tlb_finish_mmu', 'smp_call_function']);
    expect(s.last.events[1]?.text).toBe('IPI -> CPU1: flush_tlb_func(P)');
    expect(s.costs()).toMatchObject({ ipi_sent_flush: 1, ipi_handled_flush: 0, tlb_flush_local: 1, tlb_flush_remote: 0 });
    expect(s.k.cpuWait[0]).toBe(1);
    expect(actors(s, 0)).toMatchObject({ task: false, irq: false });
    expect(actors(s, 1)).toMatchObject({ task: true, irq: true });

    // CPU0 cannot go on to free the pages: its task actor is not enabled while it waits.
    const before = s.step;
    expect(() => s.cpu(0).step()).toThrow(SPINS);
    expect(() => s.run('CPU0: until tlb_finish_mmu "free"')).toThrow(SPINS);
    expect(s.step).toBe(before); // nothing stepped
    s.expectNoEvent({ fn: 'tlb_finish_mmu', text: /^free/ });

    // CPU1 takes the IPI as an interrupt step: flush_tlb_func (not lazy: the root stays P).
    s.run('CPU1: irq');
    expect(s.last.steps).toBe(1);
    expect(s.last.events.map((e) => [e.cpu, e.actor, e.fn, e.text])).toEqual([[1, 'irq', 'flush_tlb_func', 'IPI from CPU0 (P)']]);
    expect(s.costs()).toMatchObject({ ipi_sent_flush: 1, ipi_handled_flush: 1, tlb_flush_local: 1, tlb_flush_remote: 1 });
    expect(s.k.cpuWait[0]).toBe(0);
    expect(actors(s, 0).task).toBe(true);
    expect(actors(s, 1).irq).toBe(false); // nothing pending any more
    s.expectCpu(1, { curr: 'T1', hw_root: 'P' });

    // Now tlb_finish_mmu frees pages and tables: every TLB was flushed, no I2.
    s.run('CPU0: step');
    expect(s.last.events.map((e) => `${e.fn}: ${e.text}`)).toEqual(['tlb_finish_mmu: free unmapped pages and page tables of P']);
    s.expectNoViolation();
    const ipi = s.expectEvent({ fn: 'flush_tlb_func', cpu: 1 });
    const fin = s.expectEvent({ fn: 'tlb_finish_mmu', cpu: 0, text: /^free/ });
    expect(ipi.step).toBeLessThan(fin.step);
    expect(s.finish().outcome).toBe('ok');
  });

  it('lazy target: CPU1 (a kthread lazy on P) leaves for init_mm in its flush_tlb_func, before CPU0 frees the tables', () => {
    const s = munmapWhileCpu1YieldsToK();
    s.run(`
      CPU1: op   # swapper/1 -> T1
      CPU1: op   # T1: yield (K is queued behind it)
      CPU1: op   # T1 -> K (user -> kernel): K is lazy on P, root P
      CPU0: op   # swapper/0 -> T0
    `);
    s.expectCpu(1, { curr: 'K', lazy: 'P', hw_root: 'P' });
    s.expectMm('P', { mm_users: 2, mm_count: 2, mm_cpumask: [0, 1] }); // users ref + K's lazy ref

    unmapThenFlush(s, 0); // munmap: unmap_vmas; the flush: IPI -> CPU1 (wait=1)
    expect(() => s.cpu(0).step()).toThrow(SPINS);
    s.expectCpu(1, { lazy: 'P', hw_root: 'P' }); // nothing ran on CPU1 yet

    s.run('CPU1: irq');
    expect(fns(s)).toEqual(['flush_tlb_func', 'leave_mm']);
    s.expectCpu(1, { curr: 'K', lazy: 'P', active_mm: 'P', hw_root: 'init_mm' });
    s.expectMm('P', { mm_count: 2, mm_cpumask: [0, 1] }); // leave_mm keeps the bit (shoot-lazies must find CPU1)

    s.run('CPU0: step');
    expect(fns(s)).toEqual(['tlb_finish_mmu']);
    s.expectNoViolation();
    expect(s.costs()).toMatchObject({ ipi_sent_flush: 1, ipi_handled_flush: 1 });
    s.finish();
  });

  it("control: an arch whose flush IPIs do not wait lets CPU0 free the pages under CPU1's stale TLB -> I2", () => {
    const noWait = variant('reference-nowait', (h) => ({
      flush_tlb_mm_range(k, cpu, mm, flags) {
        const mask = k.mmCpumask[mm]! | (h.hw_root(k, cpu) === mm ? 1 << cpu : 0);
        k.onEachCpuMask(cpu, mask, REF_IPI_FLUSH, mm, flags, false, REASON_FLUSH);
      },
    }));
    const s = make(noWait, 'refcount', tasks);
    bothRunP(s);
    unmapThenFlush(s, 0);
    expect(fns(s)).toEqual(['tlb_finish_mmu', 'smp_call_function']);
    expect(s.k.cpuWait[0]).toBe(0);
    expect(actors(s, 0).task).toBe(true); // not waiting
    s.run('CPU0: step'); // tlb_finish_mmu while the IPI is still queued on CPU1
    s.expectViolation('I2', 'page tables of P freed while CPU1 may still hold translations to them');
    expect(s.violation?.cpu).toBe(1);
    expect(s.costs()).toMatchObject({ ipi_sent_flush: 1, ipi_handled_flush: 0 });
  });
});

// ---- 2. IPIs are interrupt steps between a CPU's steps ------------------------------------------

describe('2. an IPI is taken between two steps of the target, never inside one (reference arch, refcount)', () => {
  it('delivered in the middle of do_exit (after exit_mm, before mmput): the handler sees the exiting task lazy; do_exit goes on', () => {
    const s = make(referenceArch, 'refcount', { T0: thread('P', 0, 'munmap freed-tables'), T1: thread('P', 1) });
    bothRunP(s);
    s.run('CPU1: until exit_mm'); // do_exit: exit_mm's IRQs-off block (one step): T1 mm = NULL, lazy on P
    s.expectTask('T1', { state: 'running', mm: null, active_mm: 'P' });
    s.expectCpu(1, { lazy: 'P', hw_root: 'P' });
    s.expectMm('P', { mm_users: 2, mm_count: 2 }); // mmput has not run yet; exit_mm's mmgrab_lazy_tlb
    expect(s.k.cpuSp[1]).toBeGreaterThan(0); // CPU1 is inside its do_exit path

    unmapThenFlush(s, 0); // munmap: unmap_vmas; the flush: IPI -> CPU1, CPU0 spins
    expect(actors(s, 1)).toMatchObject({ task: true, irq: true }); // either may go first

    s.run('CPU1: irq'); // between exit_mm and mmput
    expect(fns(s)).toEqual(['flush_tlb_func', 'leave_mm']); // the handler alone: no step of do_exit
    s.expectCpu(1, { curr: 'T1', lazy: 'P', hw_root: 'init_mm' });
    s.expectMm('P', { mm_users: 2 });
    expect(s.k.cpuSp[1]).toBeGreaterThan(0); // still inside do_exit

    s.run('CPU1: step'); // do_exit continues where it was: mmput
    expect(s.last.events.map((e) => `${e.fn}: ${e.text}`)).toEqual(['mmput: P mm_users 2->1']);
    s.run('CPU1: step');
    expect(fns(s)).toEqual(['do_task_dead']);
    s.expectTask('T1', { state: 'dead' });

    s.run('CPU0: step');
    expect(fns(s)).toEqual(['tlb_finish_mmu']);
    s.expectNoViolation();
    s.finish();
  });

  it('a pending IPI stays pending across the IRQs-off context switch and runs after it, on the post-switch state', () => {
    const s = munmapWhileCpu1YieldsToK();
    s.run(`
      CPU1: op   # swapper/1 -> T1
      CPU1: op   # T1: yield -> a switch to K is due
      CPU0: op   # swapper/0 -> T0
      CPU0: step # munmap: unmap_vmas
      CPU0: step # tlb_finish_mmu's flush: IPI -> CPU1 (wait=1); T1 is still CPU1's current user task
    `);
    s.expectCpu(1, { curr: 'T1', lazy: null, hw_root: 'P' });
    expect(actors(s, 1)).toMatchObject({ task: true, irq: true });

    // The context switch (context_switch .. finish_task_switch's IRQs-off part) is one step:
    // the IPI cannot run inside it.
    s.run('CPU1: step');
    expect(s.last.steps).toBe(1);
    expect(fns(s)).toContain('context_switch');
    expect(fns(s)).not.toContain('flush_tlb_func');
    s.expectCpu(1, { curr: 'K', lazy: 'P', hw_root: 'P' });
    expect(actors(s, 1).irq).toBe(true); // still pending
    expect(() => s.cpu(0).step()).toThrow(SPINS); // and CPU0 still waits for it

    // Delivered afterwards: the handler sees K lazy on P (not T1 using P), so it leaves for init_mm.
    s.run('CPU1: irq');
    expect(fns(s)).toEqual(['flush_tlb_func', 'leave_mm']);
    s.expectCpu(1, { curr: 'K', lazy: 'P', hw_root: 'init_mm' });
    s.run('CPU0: step');
    expect(fns(s)).toEqual(['tlb_finish_mmu']);
    s.expectNoViolation();
    s.finish();
  });

  it("two CPUs waiting on each other's flush IPIs both take them while spinning: no deadlock", () => {
    const s = make(referenceArch, 'refcount', { T0: thread('P', 0, 'munmap freed-tables'), T1: thread('P', 1, 'munmap freed-tables') });
    bothRunP(s);
    s.run(`
      CPU0: step  # munmap: unmap_vmas
      CPU0: step  # tlb_finish_mmu's flush: IPI -> CPU1, CPU0 spins
      CPU1: step  # munmap: unmap_vmas (an IPI is pending on CPU1, its task still steps)
      CPU1: step  # its flush: IPI -> CPU0, CPU1 spins
    `);
    expect(fns(s)).toEqual(['tlb_finish_mmu', 'smp_call_function']);
    expect(actors(s, 0)).toMatchObject({ task: false, irq: true });
    expect(actors(s, 1)).toMatchObject({ task: false, irq: true });
    expect(() => s.cpu(1).step()).toThrow(/CPU1 spins in smp_call_function_many\(wait=1\).*pending on CPU0 \(flush_tlb_func\(P\)\)/);

    s.run('CPU0: irq'); // CPU0 handles CPU1's flush inside its own wait loop
    expect(s.last.events.map((e) => `${e.fn}: ${e.text}`)).toEqual(['flush_tlb_func: IPI from CPU1 (P)']);
    expect(actors(s, 0).task).toBe(false); // CPU0 itself still waits for CPU1
    expect(actors(s, 1).task).toBe(true); // CPU1's wait is over

    s.run('CPU1: step'); // CPU1's munmap continues with CPU0's IPI still pending on it
    expect(fns(s)).toEqual(['tlb_finish_mmu']);
    s.expectNoViolation();
    s.run('CPU1: irq');
    expect(fns(s)).toEqual(['flush_tlb_func']);
    s.run('CPU0: step');
    expect(fns(s)).toEqual(['tlb_finish_mmu']);
    s.expectNoViolation();
    expect(s.costs()).toMatchObject({ ipi_sent_flush: 2, ipi_handled_flush: 2, tlb_flush_local: 2, tlb_flush_remote: 2 });
    s.finish();
  });
});

// ---- 3. vCPU preemption ----------------------------------------------------------------------

describe('3. a preempted vCPU runs nothing until the hypervisor resumes it', () => {
  function guestArch(log: string[]) {
    return variant(
      'reference-guest',
      () => ({
        vcpu_preempt(_k, cpu) {
          log.push(`vcpu_preempt(${cpu})`);
        },
        vcpu_resume(_k, cpu) {
          log.push(`vcpu_resume(${cpu})`);
        },
      }),
      { vcpuPreemption: true },
    );
  }

  it("CPU0's flush IPI to the preempted CPU1 (wait=1) blocks CPU0 until CPU1 is resumed and takes it", () => {
    const log: string[] = [];
    const s = make(guestArch(log), 'refcount', { T0: thread('P', 0, 'munmap freed-tables'), T1: thread('P', 1, 'run') }, { vcpuPreemptions: 1 });
    expect(log).toEqual([]);
    bothRunP(s);
    expect(actors(s, 1).hyp).toBe(true); // the hypervisor may preempt any vCPU while budget is left

    s.run('hyp CPU1: preempt');
    expect(s.last.events.map((e) => [e.cpu, e.actor, e.fn])).toEqual([[1, 'hyp', 'vcpu_preempt']]);
    expect(log).toEqual(['vcpu_preempt(1)']);
    expect(s.costs().vcpu_preemptions).toBe(1);
    expect(actors(s, 1)).toEqual({ task: false, irq: false, hyp: true }); // only the resume is left
    expect(() => s.cpu(1).step()).toThrow(/vCPU1 is preempted by the hypervisor and runs nothing until "hyp CPU1: resume"/);
    expect(() => s.cpu(0).preempt()).toThrow(/no vCPU preemption left/); // budget used up
    expect(() => s.cpu(1).preempt()).toThrow(/vCPU1 is already preempted/);

    unmapThenFlush(s, 0); // munmap: IPI -> CPU1 (wait=1); the sender does not know CPU1 is preempted
    expect(fns(s)).toEqual(['tlb_finish_mmu', 'smp_call_function']);
    expect(s.k.cpuWait[0]).toBe(1);
    expect(actors(s, 1)).toEqual({ task: false, irq: false, hyp: true }); // the IPI is pending but cannot be taken
    expect(() => s.cpu(1).irq()).toThrow(/vCPU1 is preempted by the hypervisor/);
    expect(() => s.cpu(0).step()).toThrow(SPINS);
    // The whole machine can only go on through the hypervisor resuming CPU1.
    expect(s.sim.enabledActors()).toEqual([1 * constants.ACTORS_PER_CPU + constants.ACTOR_HYP]);

    s.run('hyp CPU1: resume');
    expect(s.last.events.map((e) => [e.cpu, e.actor, e.fn])).toEqual([[1, 'hyp', 'vcpu_resume']]); // no guest code
    expect(log).toEqual(['vcpu_preempt(1)', 'vcpu_resume(1)']);
    expect(s.k.cpuWait[0]).toBe(1); // resuming alone does not run the IPI
    expect(actors(s, 0).task).toBe(false);
    expect(actors(s, 1)).toEqual({ task: true, irq: true, hyp: false });
    expect(() => s.cpu(1).preempt()).toThrow(/no vCPU preemption left/);

    s.run('CPU1: irq');
    expect(fns(s)).toEqual(['flush_tlb_func']);
    expect(actors(s, 0).task).toBe(true);
    s.run('CPU0: step');
    expect(fns(s)).toEqual(['tlb_finish_mmu']);
    s.expectNoViolation();
    expect(s.costs()).toMatchObject({ ipi_sent_flush: 1, ipi_handled_flush: 1, vcpu_preemptions: 1, hypercalls: 0 });
    s.finish();
    expect(log).toEqual(['vcpu_preempt(1)', 'vcpu_resume(1)']);
  });
});

// ---- 4. hypercall flush ------------------------------------------------------------------------

/**
 * Hyper-V-style remote flush: flush_tlb_mm_range runs flush_tlb_func locally (guest code on
 * this CPU), and flushes the other CPUs of mm_cpumask(mm) with one hypercall
 * (hyperv_flush_tlb_multi -> HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE): the hypervisor flushes
 * their TLBs for the address space, no guest code runs there, so a lazy CPU's root stays.
 *
 * The reference arch's TLB state is private, so the variant records the hypervisor's
 * flushes itself: hvGen[cpu][mm] = the unmap generation of mm at the last hypercall flush of
 * cpu. A CPU may hold pre-`gen` entries of mm only if the reference arch says so (root/TLB
 * on mm, not flushed by a load or flush_tlb_func since) AND no hypercall flushed it at or
 * after `gen`. `dropFlush` makes the hypercall do nothing (to show I2 still sees it).
 */
function hypercallFlushArch(dropFlush = false) {
  return variant(dropFlush ? 'reference-hv-flush-broken' : 'reference-hv-flush', (h) => {
    let hvGen = new Int32Array(0);
    let stride = 0;
    return {
      reset(k) {
        h.reset(k);
        stride = k.mmCapacity;
        if (hvGen.length < k.ncpu * stride) hvGen = new Int32Array(k.ncpu * stride);
        hvGen.fill(0);
      },
      flush_tlb_mm_range(k, cpu, mm, flags) {
        k.onEachCpuMask(cpu, 1 << cpu, REF_IPI_FLUSH, mm, flags, false, REASON_FLUSH); // local flush_tlb_func
        const remote = k.mmCpumask[mm]! & ~(1 << cpu);
        if (remote === 0) return;
        k.countHypercall();
        for (let c = 0; c < k.ncpu; c++) {
          if ((remote & (1 << c)) === 0 || k.cpuOnline[c] === 0) continue;
          if (!dropFlush) hvGen[c * stride + mm] = k.mmUnmapGen[mm]!;
          k.cost[costs.C_TLB_FLUSH_REMOTE]! += 1;
          if (k.tracer !== null) k.tracer.ev(cpu, 'hyperv_flush_tlb_multi', `HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE(${k.mmName(mm)}) on CPU${c}`);
        }
      },
      tlb_may_hold(k, cpu, mm, gen) {
        return h.tlb_may_hold(k, cpu, mm, gen) && hvGen[cpu * stride + mm]! < gen;
      },
    };
  });
}

describe('4. a hypercall flush runs no guest code on the target', () => {
  const tasks = { T0: thread('P', 0, 'munmap freed-tables'), T1: thread('P', 1, 'run') };

  it('munmap: CPU0 does not wait, CPU1 runs nothing, and the pages are freed without I2', () => {
    const s = make(hypercallFlushArch(), 'refcount', tasks);
    bothRunP(s);
    unmapThenFlush(s, 0);
    expect(s.last.events.map((e) => `${e.fn}: ${e.text}`)).toEqual([
      'tlb_finish_mmu: P: flush_tlb_mm_range(freed_tables=1)',
      'hyperv_flush_tlb_multi: HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE(P) on CPU1',
    ]);
    expect(s.costs()).toMatchObject({ hypercalls: 1, ipi_sent_flush: 0, tlb_flush_local: 1, tlb_flush_remote: 1 });
    expect(s.k.cpuWait[0]).toBe(0);
    expect(actors(s, 0).task).toBe(true); // no wait
    expect(actors(s, 1).irq).toBe(false); // nothing to take

    s.run('CPU0: step');
    expect(fns(s)).toEqual(['tlb_finish_mmu']);
    s.expectNoViolation();
    s.expectNoEvent({ fn: 'flush_tlb_func' });
    s.expectNoEvent({ cpu: 1, actor: 'irq' });
    s.finish();
    expect(s.costs()).toMatchObject({ ipi_sent_flush: 0, ipi_handled_flush: 0 });
  });

  it("control: a hypercall that does not flush leaves CPU1's TLB stale -> I2 (the variant's tlb_may_hold is not blind)", () => {
    const s = make(hypercallFlushArch(true), 'refcount', tasks);
    bothRunP(s);
    unmapThenFlush(s, 0);
    expect(s.costs().hypercalls).toBe(1);
    s.run('CPU0: step');
    s.expectViolation('I2', 'page tables of P freed while CPU1 may still hold translations to them');
  });

  /** exit-while-lazy.test.ts's interleaving: CPU1 idles lazy on P; T0 exits last on CPU0. */
  function exitWhileLazy(arch: ScenarioOptions['arch'], scheme: 'refcount' | 'none'): Scenario {
    const s = make(arch, scheme, {
      T0: thread('P', 0, 'run'),
      T1: thread('P', 1),
      U: thread('Q', 0, 'run', 'clone V'),
      V: child(1, 'run'),
    });
    s.run(`
      CPU1: op                    # swapper/1 -> T1
      CPU1: until do_task_dead    # T1 exits: mm_users 2 -> 1
      CPU1: until context_switch  # T1 -> swapper/1: the idle task is lazy on P
      CPU0: op                    # swapper/0 -> T0
      CPU0: op                    # run
      CPU0: until exit_mm         # T0: lazy on P
      CPU0: until mmput           # mm_users 1 -> 0: __mmput
    `);
    s.expectCpu(1, { curr: 'swapper/1', lazy: 'P', hw_root: 'P' });
    s.expectMm('P', { stage: 'exiting', mm_users: 0, mm_cpumask: [0, 1] });
    return s;
  }

  /** exit_mmap's final flush through the hypercall: no wait, CPU1's root stays on P. */
  function hypercallFinalFlush(s: Scenario): void {
    s.run('CPU0: until exit_mmap "free_pgtables"'); // after unmap_vmas: the final flush
    expect(fns(s)).toContain('hyperv_flush_tlb_multi');
    expect(fns(s)).not.toContain('smp_call_function');
    expect(s.costs()).toMatchObject({ hypercalls: 1, ipi_sent_flush: 0 });
    expect(actors(s, 0).task).toBe(true); // CPU0 goes straight on to tlb_finish_mmu
    expect(actors(s, 1).irq).toBe(false);
    s.expectCpu(0, { curr: 'T0', lazy: 'P', hw_root: 'init_mm' }); // the local flush_tlb_func ran leave_mm
    s.expectCpu(1, { curr: 'swapper/1', lazy: 'P', hw_root: 'P' }); // no guest code on CPU1: no leave_mm
    s.run('CPU0: step');
    expect(fns(s)).toEqual(['tlb_finish_mmu']);
    s.expectNoViolation(); // the hypervisor did flush CPU1's TLB: no I2
    s.expectNoEvent({ fn: 'flush_tlb_func' });
    s.expectNoEvent({ fn: 'leave_mm', cpu: 1 });
    s.expectCpu(1, { hw_root: 'P' });
  }

  it("none: the lazy CPU1 keeps the freed P's pgd as its MMU root -> I1 at mm_free_pgd (kernel-reference §5.5-C)", () => {
    const s = exitWhileLazy(hypercallFlushArch(), 'none');
    s.expectMm('P', { mm_count: 1 }); // REFCOUNT=n: lazy CPUs hold nothing
    hypercallFinalFlush(s);
    s.run('CPU0: until mm_free_pgd'); // __mmput's mmdrop is the final one; no shoot-lazies
    const v = s.expectViolation('I1', "CPU1's MMU root is P's pgd, which is pgd_freed");
    expect(v.cpu).toBe(1);
    s.expectMm('P', { stage: 'pgd_freed', mm_count: 0 });
    s.expectCpu(1, { curr: 'swapper/1', lazy: 'P', hw_root: 'P' });
    expect(s.costs().ipi_sent_flush).toBe(0);
  });

  it("contrast (reference arch, IPI flush): the same interleaving moves CPU1's root to init_mm, so REFCOUNT=n frees P with no I1: I3 hazards, then a use (I14)", () => {
    const s = exitWhileLazy(referenceArch, 'none');
    s.run('CPU0: until exit_mmap "free_pgtables"');
    expect(() => s.cpu(0).step()).toThrow(SPINS);
    s.run('CPU1: irq');
    expect(fns(s)).toEqual(['flush_tlb_func', 'leave_mm']);
    s.expectCpu(1, { lazy: 'P', hw_root: 'init_mm' });
    // mm_free_pgd finds no MMU root on P (no I1); free_mm leaves both CPUs' active_mm dangling:
    // hazards under `none`, and the run goes on.
    s.run('CPU0: until free_mm');
    s.expectNoViolation();
    s.expectHazard('I3', { cpu: 0, holder: 'active_mm' });
    s.expectHazard('I3', { cpu: 1, holder: 'active_mm' });
    s.expectNoEvent({ fn: 'hyperv_flush_tlb_multi' });
    expect(s.costs().hypercalls).toBe(0);
    // What comes next is CPU0's switch to U, which clears its kept bit in mm_cpumask(P): I14.
    s.run('CPU0: until context_switch');
    s.expectViolation('I14', 'cpumask_clear_cpu(mm_cpumask(prev)) reads P after free_mm');
  });

  it("refcount: CPU1's lazy reference keeps P's pgd until CPU1 itself switches away from it: clean", () => {
    const s = exitWhileLazy(hypercallFlushArch(), 'refcount');
    s.expectMm('P', { mm_count: 3 }); // users ref + T0's and CPU1's lazy refs
    hypercallFinalFlush(s);
    s.run('CPU0: until do_task_dead'); // __mmput's mmdrop: 3 -> 2
    s.expectMm('P', { stage: 'tables_freed', mm_count: 2 });
    s.run(`
      CPU0: op   # T0 -> U: finish_task_switch drops T0's lazy ref
      CPU0: op   # U: run
      CPU0: op   # U: clone V onto CPU1
    `);
    s.expectMm('P', { stage: 'tables_freed', mm_count: 1 });
    s.expectCpu(1, { curr: 'swapper/1', lazy: 'P', hw_root: 'P' }); // still on P's pgd, which is still allocated
    s.expectNoViolation();

    s.run('CPU1: step'); // swapper/1 -> V: the root moves to Q before P's last reference goes
    s.expectCpu(1, { curr: 'V', hw_root: 'Q' });
    s.run('CPU1: until free_mm');
    s.expectMmFreed('P');
    expect(s.findEvents({ fn: 'mm_free_pgd', mm: 'P' }).map((e) => e.cpu)).toEqual([1]);
    s.expectNoViolation();
    expect(s.costs()).toMatchObject({ hypercalls: 1, ipi_sent_flush: 0, ipi_handled_flush: 0 });
    s.finish();
  });
});
