/**
 * Why a CPU's actor cannot step right now, in kernel terms. Core's Stepper decides which
 * actors are enabled (model-spec §3); this module reconstructs the reason from the Kernel's
 * state so that a scenario error says "CPU0 spins in smp_call_function_many() waiting for
 * CPU1" rather than "actor 0 is not enabled".
 */
import { NO_MM, constants, type ArchPlugin, type Kernel } from '@lazytlb/core';
import type { ScenarioNames } from './names.js';
import { ipiName, pendingIpis, runqueue, taskState, wakeups } from './state.js';

export type ActorKind = 'task' | 'irq' | 'hyp' | 'drain';

export function actorId(cpu: number, actor: ActorKind): number {
  const kind = actor === 'task' ? constants.ACTOR_TASK : actor === 'irq' ? constants.ACTOR_IRQ : actor === 'hyp' ? constants.ACTOR_HYP : constants.ACTOR_DRAIN;
  return cpu * constants.ACTORS_PER_CPU + kind;
}

function waiters(k: Kernel, names: ScenarioNames, cpu: number): string {
  const targets: string[] = [];
  for (let c = 0; c < k.ncpu; c++) {
    for (const p of pendingIpis(k, c)) {
      if (p.from === cpu) targets.push(`CPU${c} (${ipiName(k, p.fn)}(${names.mmName(p.mm)}))`);
    }
  }
  return targets.length > 0
    ? `; pending on ${targets.join(', ')}: deliver with ${[...new Set(targets.map((t) => t.split(' ')[0]))].map((c) => `"${c}: irq"`).join(', ')}`
    : '';
}

/** A sentence explaining why `actor` of `cpu` is not enabled (assumes it is not). */
export function whyNotEnabled(k: Kernel, plugin: ArchPlugin<unknown>, names: ScenarioNames, cpu: number, actor: ActorKind): string {
  if (cpu < 0 || cpu >= k.ncpu) return `CPU${cpu} does not exist (this scenario has CPUs 0..${k.ncpu - 1})`;
  if (actor === 'drain') {
    return k.memory !== 'tso'
      ? `the memory model is ${k.memory}: there are no store buffers (set memory: 'tso')`
      : `CPU${cpu}'s store buffer is empty (a barrier drained it, or it stored nothing to shared state)`;
  }
  if (actor === 'hyp') {
    if (!plugin.capabilities.vcpuPreemption) {
      return `arch ${plugin.name} does not model vCPU preemption (capabilities.vcpuPreemption is false)`;
    }
    if (k.cpuOnline[cpu] === 0) return `CPU${cpu} is offline`;
    return 'the hypervisor has no vCPU preemption left (raise vcpuPreemptions in the scenario options)';
  }
  if (k.cpuOnline[cpu] === 0) return `CPU${cpu} is offline`;
  if (k.cpuPreempted[cpu] !== 0) return `vCPU${cpu} is preempted by the hypervisor and runs nothing until "hyp CPU${cpu}: resume"`;
  const t = k.cpuCurr[cpu]!;
  if (actor === 'irq') {
    if (k.cpuIrqsOff[cpu] !== 0) return `IRQs are off on CPU${cpu}`;
    return `no IPI, wakeup or tick preemption is pending on CPU${cpu}`;
  }
  if (k.cpuWait[cpu]! > 0) {
    return `CPU${cpu} spins in smp_call_function_many(wait=1) until ${k.cpuWait[cpu]} IPI(s) it sent are handled${waiters(k, names, cpu)}`;
  }
  const name = names.taskName(t);
  if (k.taskKind[t] === constants.TASK_IDLE) {
    const lazy = k.taskMm[t] === NO_MM ? `, lazy on ${names.mmName(k.taskActiveMm[t]!)}` : '';
    const wake = wakeups(k, cpu).map((w) => names.taskName(w));
    return `CPU${cpu} is idle (${name}${lazy}) with an empty runqueue${wake.length > 0 ? `; "CPU${cpu}: irq" delivers the wakeup of ${wake.join(', ')}` : ''}`;
  }
  return `CPU${cpu}'s current task ${name} (${taskState(k, t)}) has nothing left to run (rq=[${runqueue(k, cpu)
    .map((x) => names.taskName(x))
    .join(' ')}])`;
}
