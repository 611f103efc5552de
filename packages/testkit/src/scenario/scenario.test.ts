import { describe, expect, it } from 'vitest';
import { referenceArch, replayArtifact, WorkloadError, type ArchPlugin } from '@lazytlb/core';
import { ScenarioError } from './errors.js';
import { UnknownNameError } from './names.js';
import { Scenario, type ScenarioOptions } from './scenario.js';
import { child, kthread, thread } from './task-spec.js';

const TASKS = {
  A: thread('P', 0, 'run', 'munmap freed-tables'),
  B: thread('P', 1, 'run'),
  K: kthread(1, 'kwork'),
};

function make(extra: Partial<ScenarioOptions> = {}): Scenario {
  return new Scenario({ arch: referenceArch, scheme: 'refcount', cpus: 2, tasks: TASKS, ...extra });
}

/** The reference arch as a guest whose vCPUs the hypervisor may preempt (as core's own tests do). */
const guestArch: ArchPlugin<unknown> = {
  ...(referenceArch as ArchPlugin<unknown>),
  name: 'reference-guest',
  capabilities: { ...referenceArch.capabilities, vcpuPreemption: true },
  setup(options, env) {
    return { ...referenceArch.setup(options as never, env), vcpu_preempt() {}, vcpu_resume() {} };
  },
};

function thrown(fn: () => unknown): ScenarioError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error('expected a ScenarioError');
}

describe('Scenario: names and queries', () => {
  it('resolves declared tasks, idle tasks and mms, and reports the boot state', () => {
    const s = make();
    expect(s.taskId('swapper/0')).toBe(0);
    expect(s.taskId('A')).toBe(2);
    expect(s.taskId('K')).toBe(4);
    expect(s.mmId('init_mm')).toBe(0);
    expect(s.mmName(s.mmId('P'))).toBe('P');
    expect(s.mmOf('A')).toBe(s.mmId('P'));
    expect(s.mmOf('K')).toBe(-1);
    expect(s.curr(0)).toBe('swapper/0');
    expect(s.lazyMm(0)).toBe(0);
    expect(s.hwRoot(1)).toBe(0);
    expect(s.taskState('B')).toBe('runnable');
    s.expectMm('P', { stage: 'live', mm_users: 2, mm_count: 1, mm_cpumask: [] });
  });

  it('unknown task and mm names fail with the list of known names', () => {
    const s = make();
    expect(() => s.taskId('T9')).toThrow(UnknownNameError);
    expect(() => s.taskId('T9')).toThrow('no task named "T9" in this scenario (tasks: swapper/0, swapper/1, A, B, K)');
    expect(() => s.expectTask('T9', { state: 'dead' })).toThrow(/no task named "T9"/);
    expect(() => s.mmOf('nobody')).toThrow(/no task named "nobody"/);
    expect(() => s.stage('Z')).toThrow('no mm named "Z" in this scenario (mms: init_mm, P; name an mm created during the run with nameMm())');
    expect(() => s.mmCount(99)).toThrow(/mm id 99 does not exist in this run/);
    expect(() => s.cpu(2)).toThrow(/CPU2 does not exist \(CPUs 0..1\)/);
  });

  it('core rejects a bad op word with its own message', () => {
    expect(() => make({ tasks: { A: thread('P', 0, 'frobnicate') } })).toThrow(WorkloadError);
    expect(() => make({ tasks: { A: thread('P', 0, 'frobnicate') } })).toThrow(/task "A": unknown op "frobnicate"/);
  });

  it('rewrites core names (T2, M1@1) in traces with scenario names', () => {
    const s = make();
    s.run('CPU0: op');
    const text = s.traceText();
    expect(text).toContain('context_switch: swapper/0 -> A switch_mm_irqs_off(init_mm, P)');
    expect(text).not.toMatch(/\bT2\b|M1@1/);
    expect(s.trace()[0]).toMatchObject({ step: 0, cpu: 0, actor: 'task', fn: 'context_switch' });
  });

  it('nameMm names an mm created during the run', () => {
    const s = new Scenario({ arch: referenceArch, scheme: 'refcount', cpus: 1, tasks: { A: thread('P', 0, 'fork C'), C: child(0, 'exec', 'run') } });
    s.run('CPU0: op\nCPU0: op');
    s.nameMm('Pc', s.mmOf('C'));
    s.expectMm('Pc', { stage: 'live', mm_users: 1, mm_count: 1 });
    expect(s.findEvents({ mm: 'Pc' }).map((e) => e.fn)).toEqual(['dup_mm']);
    expect(() => s.nameMm('X', 'init_mm')).toThrow(/cannot be renamed/);
  });
});

describe('Scenario: stepping', () => {
  it('text scripts and the builder drive identical runs', () => {
    const a = make();
    a.run(`
      CPU1: op
      CPU0: until context_switch
      CPU0: step 2
      CPU0: until tlb_finish_mmu
      CPU1: irq
      CPU0: op
    `);
    const b = make();
    b.cpu(1).runOp();
    b.cpu(0).until('context_switch').step(2).until('tlb_finish_mmu');
    b.cpu(1).irq();
    b.cpu(0).runOp();
    expect(b.trace()).toEqual(a.trace());
    expect(b.step).toBe(a.step);
  });

  it('op runs a multi-step kernel path to its end; last records the command', () => {
    const s = make();
    s.run('CPU0: op\nCPU0: op'); // context switch, then run
    s.run('CPU0: until munmap'); // unmap_vmas (a cond_resched point); the flush is the next step
    expect(s.last.match?.text).toBe('unmap_vmas P');
    s.run('CPU0: op'); // tlb_finish_mmu: flush_tlb_mm_range (no IPI: P is only on CPU0), then free the pages
    expect(s.last.command).toBe('CPU0: op');
    expect(s.last.steps).toBe(2);
    expect(s.last.events.map((e) => `${e.fn}: ${e.text}`)).toEqual([
      'tlb_finish_mmu: P: flush_tlb_mm_range(freed_tables=1)',
      'tlb_finish_mmu: free unmapped pages and page tables of P',
    ]);
    expect(s.k.cpuSp[0]).toBe(0);
  });

  it('until returns the matching event and honours a text filter', () => {
    const s = make();
    s.run('CPU1: until context_switch "-> K"');
    expect(s.last.match).toMatchObject({ cpu: 1, fn: 'context_switch' });
    expect(s.last.match?.text).toMatch(/B -> K \(lazy on P\)/);
    expect(s.last.steps).toBeGreaterThan(1);
    s.cpu(1).until('kwork', { text: /K/ });
    expect(s.last.match?.text).toBe('K');
  });

  it('a step of an actor that cannot move explains why, with state and trace', () => {
    const s = make();
    const e1 = thrown(() => s.run('CPU0: irq'));
    expect(e1.headline).toBe('script line 1 (CPU0: irq): CPU0 has no interrupt to take: no IPI, wakeup or tick preemption is pending on CPU0');
    expect(e1.message).toContain('state after 0 step(s):');
    expect(e1.message).toContain('CPU0: curr=swapper/0 (running) lazy on init_mm hw_root=init_mm');
    expect(e1.message).toContain('trace so far:\nstep  CPU0');

    const idle = new Scenario({ arch: referenceArch, scheme: 'refcount', cpus: 2, tasks: { A: thread('P', 0) } });
    const e2 = thrown(() => idle.cpu(1).step());
    expect(e2.headline).toBe('CPU1: step: CPU1 cannot step: CPU1 is idle (swapper/1, lazy on init_mm) with an empty runqueue');
  });

  it('a step that must wait for IPI acknowledgements names the CPUs to deliver them on', () => {
    const s = make();
    s.run(`
      CPU1: op
      CPU1: op
      CPU0: op
      CPU0: op
      CPU0: until tlb_finish_mmu
    `);
    const e = thrown(() => s.cpu(0).step());
    expect(e.headline).toMatch(
      /CPU0 spins in smp_call_function_many\(wait=1\) until 1 IPI\(s\) it sent are handled; pending on CPU1 \(flush_tlb_func\(P\)\): deliver with "CPU1: irq"/,
    );
    expect(e.state).toContain('ipis=[flush_tlb_func(P) from CPU0]');
    s.run('CPU1: irq');
    s.run('CPU0: op');
  });

  it('until fails clearly when the event does not come within the bound or the CPU runs dry', () => {
    const s = make();
    const e1 = thrown(() => s.run('CPU0: until free_mm within 3'));
    expect(e1.headline).toBe('script line 1 (CPU0: until free_mm within 3): no free_mm event on CPU0 within 3 steps');
    expect(e1.trace).toContain('context_switch: swapper/0 -> A');
    const e2 = thrown(() => s.cpu(0).until('free_mm'));
    expect(e2.headline).toMatch(/^CPU0: until free_mm: no free_mm on CPU0 after \d+ step\(s\), and then: CPU0 cannot step: CPU0 is idle/);
  });

  it('idle runs a CPU until nothing is left for it', () => {
    const s = make();
    s.run('CPU1: idle');
    s.expectCpu(1, { curr: 'swapper/1' });
    s.expectTask('B', { state: 'dead' });
    s.expectTask('K', { state: 'dead' });
    s.run('CPU1: idle'); // already idle: no step
    expect(s.last.steps).toBe(0);
  });

  it('hyp commands preempt and resume a vCPU of a guest arch; a preempted vCPU cannot step', () => {
    const s = new Scenario({ arch: guestArch, scheme: 'refcount', cpus: 2, tasks: TASKS, vcpuPreemptions: 1 });
    s.run('hyp CPU1: preempt');
    expect(s.k.cpuPreempted[1]).toBe(1);
    expect(thrown(() => s.run('CPU1: step')).headline).toMatch(/vCPU1 is preempted by the hypervisor and runs nothing until "hyp CPU1: resume"/);
    expect(thrown(() => s.run('hyp CPU1: preempt')).headline).toMatch(/vCPU1 is already preempted/);
    s.run('hyp CPU1: resume\nCPU1: op');
    expect(thrown(() => s.run('hyp CPU0: preempt')).headline).toMatch(/the hypervisor has no vCPU preemption left/);
    s.finish();
  });

  it('hyp commands on an arch without vCPU preemption say so', () => {
    expect(thrown(() => make().run('hyp CPU0: preempt')).headline).toMatch(
      /arch reference does not model vCPU preemption \(capabilities.vcpuPreemption is false\)/,
    );
  });
});

describe('Scenario: assertions and the end of the run', () => {
  it('assertion failures carry the LKML-style trace and the state', () => {
    const s = make();
    s.run('CPU0: op');
    const e = thrown(() => s.expectMm('P', { mm_users: 1, mm_count: 2, stage: 'freed' }));
    expect(e.headline).toBe('P: stage is live, expected freed; mm_users is 2, expected 1; mm_count is 1, expected 2');
    expect(e.message).toMatch(/trace so far:\nstep {2}CPU0 +CPU1\n-+\n +0 context_switch: swapper\/0 -> A/);
    expect(thrown(() => s.expectCpu(0, { curr: 'B', lazy: 'P' })).headline).toBe('CPU0: curr is A, expected B; lazy mm is NULL, expected P');
    expect(thrown(() => s.expectTask('A', { state: 'dead', active_mm: 'init_mm' })).headline).toBe(
      'A: active_mm is P, expected init_mm; state is running, expected dead',
    );
    expect(thrown(() => s.expectViolation('I3')).headline).toBe('expected a violation of I3 (lazy-pointer-live), but none happened');
    expect(thrown(() => s.expectEvent({ fn: 'free_mm', mm: 'P' })).headline).toBe('expected a trace event matching { fn="free_mm", mm="P" }, found none');
    expect(thrown(() => s.expectNoEvent({ fn: 'context_switch' })).headline).toMatch(
      /expected no trace event matching \{ fn="context_switch" \}, but step 0 on CPU0 has "context_switch: swapper\/0 -> A/,
    );
    expect(thrown(() => s.assert(false, 'custom check')).message).toMatch(/^custom check\n\nstate after/);
  });

  it('finish() completes round-robin, deterministically, and checks quiescence', () => {
    const a = make();
    a.run('CPU0: op');
    const ra = a.finish();
    const b = make();
    b.run('CPU0: op');
    const rb = b.finish();
    expect(ra.outcome).toBe('ok');
    expect(Array.from(rb.decisions!)).toEqual(Array.from(ra.decisions!));
    expect(b.trace()).toEqual(a.trace());
    expect(thrown(() => a.cpu(0).step()).headline).toBe('CPU0: step: the run has already ended (ok)');
    expect(() => a.finish()).toThrow(/the run has already ended/);
  });

  it('a finished scenario is a replayable artifact', () => {
    const s = make();
    s.run('CPU1: op\nCPU0: until tlb_finish_mmu\nCPU1: irq');
    s.finish();
    const rep = replayArtifact(JSON.parse(JSON.stringify(s.artifact())), referenceArch, { trace: true });
    expect(rep.reproduced).toBe(true);
    expect(rep.result.trace?.map((e) => e.fn)).toEqual(s.trace().map((e) => e.fn));
  });

  // Under `none` a lazy pointer to a freed mm is a hazard (recorded, the run goes on); a use of
  // the freed mm is a violation (I14) that ends it. One CPU: A exits, its own __mmput frees P
  // while A is lazy on it (the __mmdrop WARN, the I3 hazard); then CPU0 switches to B, and the
  // reference arch's switch_mm clears CPU0's kept bit in mm_cpumask(P): a write to freed P.
  const noneTasks = { A: thread('P', 0), B: thread('Q', 0, 'run') };

  it('a hazard does not end the run; hazard and use-site assertions', () => {
    const s = new Scenario({ arch: referenceArch, scheme: 'none', cpus: 1, tasks: { A: thread('P', 0) } });
    s.expectNoHazard();
    s.run('CPU0: until free_mm');
    s.expectNoViolation();
    const [h] = s.expectHazard('I3', { cpu: 0, holder: 'active_mm', mm: 'P' });
    expect(h).toMatchObject({ kind: 'hazard', id: 'I3', task: 'A', mm: 'P', open: true });
    expect(s.expectUseSite('__mmdrop', 'warn')).toMatchObject({ site: '__mmdrop', cpu: 0, mm: 'P', other: null });
    expect(thrown(() => s.expectNoHazard()).headline).toMatch(/^expected no hazard, but I3 on CPU0 at step \d+ \(active_mm of A names freed P\)$/);
    expect(thrown(() => s.expectHazard('I3', { cpu: 1 })).headline).toBe('expected hazard I3 on CPU1, but only CPU0 (active_mm, P)');
    expect(thrown(() => s.expectUseSite('__mmdrop', 'dereference')).headline).toBe('use site __mmdrop fired as warn, expected dereference');
    expect(thrown(() => s.expectUseSite('membarrier_switch_mm')).headline).toBe('expected use site membarrier_switch_mm to fire, but only __mmdrop did');
    expect(thrown(() => s.expectNoUseSite()).headline).toMatch(/^expected no use site to fire, but __mmdrop \(warn\) on CPU0 at step \d+ on P did$/);
    s.expectNoUseSite('membarrier_switch_mm');
    expect(() => s.expectUseSite('no_such_site')).toThrow(
      /"no_such_site" is not a use site of this cell \(declared: membarrier_switch_mm, __mmdrop, .*cpumask_clear_cpu\(mm_cpumask\(prev\)\)\)/,
    );
    // CPU0 idles lazy on the freed P and never switches again: nothing uses it; the run is ok.
    const r = s.finish();
    expect(r.hazards).toBe(1);
    expect(s.hazards()[0]?.danglingSteps).toBeGreaterThan(0);

    // The same script under refcount: A's lazy reference keeps P until CPU0 lets go of it.
    const rc = new Scenario({ arch: referenceArch, scheme: 'refcount', cpus: 1, tasks: { A: thread('P', 0) } });
    rc.run('CPU0: idle');
    expect(thrown(() => rc.expectHazard('I3')).headline).toBe('expected hazard I3, but none was recorded');
    rc.expectNoHazard();
    rc.expectNoUseSite();
    expect(rc.stage('P')).toBe('tables_freed'); // the idle task's lazy reference pins it
    rc.finish();
  });

  it('a violation ends the run: later commands refuse, finish reports it unless expected', () => {
    const s = new Scenario({ arch: referenceArch, scheme: 'none', cpus: 1, tasks: noneTasks });
    s.run('CPU0: idle'); // goes past the free of P (a hazard), stops early at the use (I14)
    s.expectHazard('I3', { cpu: 0 });
    s.expectViolation('I14', /cpumask_clear_cpu\(mm_cpumask\(prev\)\) reads P after free_mm/);
    s.expectUseSite('cpumask_clear_cpu(mm_cpumask(prev))', 'dereference');
    expect(thrown(() => s.expectViolation('I1')).headline).toMatch(/^expected a violation of I1 \(hw-root-live\), but I14 was violated on CPU0/);
    expect(thrown(() => s.expectViolation('I14', 'nope')).headline).toMatch(
      /I14 was violated as expected, but its message "use after free: .*" does not match "nope"/,
    );
    expect(thrown(() => s.expectNoViolation()).headline).toMatch(
      /^expected no violation, but I14 \(freed-mm-use\) was violated on CPU0 at step \d+: use after free/,
    );
    expect(thrown(() => s.run('CPU0: step')).headline).toMatch(/cannot step past a violation; check it with expectViolation\(\)/);
    expect(thrown(() => s.expectMm('P', { stage: 'live' })).headline).toMatch(
      /^P: stage is freed, expected live\n\(note: the run stopped at step \d+ with I14/,
    );
    const e = thrown(() => s.finish());
    expect(e.headline).toMatch(/^finish\(\): expected outcome ok, got violation: I14 \(freed-mm-use\) on CPU0/);
    expect(e.trace).toContain('*** I14 VIOLATION');
  });

  it('finish({ expect }) accepts the named outcome', () => {
    const s = new Scenario({ arch: referenceArch, scheme: 'none', cpus: 1, tasks: noneTasks });
    expect(s.finish({ expect: 'violation' }).violation?.invariant).toBe('I14');
    const any = new Scenario({ arch: referenceArch, scheme: 'none', cpus: 1, tasks: noneTasks });
    expect(any.finish({ expect: 'any' }).outcome).toBe('violation');
  });

  it('a plugin error is reported with the hook that threw', () => {
    const broken: ArchPlugin<unknown> = {
      ...(referenceArch as ArchPlugin<unknown>),
      name: 'broken',
      setup(options, env) {
        const h = referenceArch.setup(options as never, env);
        return {
          ...h,
          switch_mm_irqs_off() {
            throw new Error('boom');
          },
        };
      },
    };
    const s = new Scenario({ arch: broken, scheme: 'refcount', cpus: 1, tasks: { A: thread('P', 0) } });
    expect(thrown(() => s.run('CPU0: step')).headline).toBe('script line 1 (CPU0: step): arch plugin error in hook switch_mm_irqs_off: boom');
    expect(s.result?.outcome).toBe('plugin-error');
  });
});

describe('Scenario: mutations and CPU hotplug', () => {
  // The §7.7 interleaving on the reference arch (clear_tasks_mm_cpumask in its cpu_disable):
  // CPU1 lazy on M goes offline; with the mutation it stays lazy on M outside the mask.
  const tasks = {
    A: { cpu: 1, mm: 'M', program: 'munmap all; sleep 0; exit' },
    ctl: { cpu: 2, kthread: true, program: 'cpu_down hp; cpu_up 1' },
    hp: { cpu: 1, kthread: true, unstarted: true, program: 'cpuhp' },
  } as const;
  function script(mutations: string[]) {
    const s = new Scenario({ arch: referenceArch, scheme: 'shootdown', cpus: 3, tasks, mutations });
    s.cpu(1).until('sleep');
    s.cpu(1).step();
    s.cpu(2).until('cpu_down');
    s.cpu(1).until('take_cpu_down');
    return s;
  }
  it('cpu_down starts the cpuhp thread; the mutation is recorded in the cell', () => {
    expect(script(['hotplug-no-force-init-mm']).sim.cell.mutations).toEqual(['hotplug-no-force-init-mm']);
    expect(script([]).sim.cell.mutations).toBeUndefined();
  });
  it('mainline: sched_force_init_mm leaves M first, the run finishes clean', () => {
    const s = script([]);
    expect(s.trace().some((e) => e.fn === 'sched_force_init_mm')).toBe(true);
    s.cpu(0).until('try_to_wake_up', { irq: true });
    s.cpu(0).until('__mmdrop');
    s.finish();
  });
  it('hotplug-no-force-init-mm: the offline CPU is still lazy on M at its final mmdrop -> I7', () => {
    const s = script(['hotplug-no-force-init-mm']);
    s.cpu(0).until('try_to_wake_up', { irq: true });
    s.cpu(0).until('__mmdrop');
    s.finish({ expect: 'violation' });
    expect(s.result?.violation?.invariant).toBe('I7');
  });
});
