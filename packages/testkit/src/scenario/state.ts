/**
 * Read-only views of the simulated machine (core's `Kernel`: typed arrays named after the
 * kernel fields) for scenario queries and error reports. Nothing here changes state.
 */
import { IPI_SHOOT_LAZY, NO_MM, constants, type Kernel } from '@lazytlb/core';
import type { ScenarioNames } from './names.js';

export type MmStage = (typeof constants.MM_STAGE_NAMES)[number];
export const TASK_STATE_NAMES = ['unstarted', 'runnable', 'running', 'blocked', 'dead'] as const;
export type TaskState = (typeof TASK_STATE_NAMES)[number];

export function mmStage(k: Kernel, mm: number): MmStage {
  return constants.MM_STAGE_NAMES[k.mmStage[mm]!] ?? 'unused';
}

export function taskState(k: Kernel, t: number): TaskState {
  return TASK_STATE_NAMES[k.taskState[t]!] ?? 'unstarted';
}

/** mm_cpumask as a CPU list (bit c = CPU c). */
export function maskToCpus(mask: number, ncpu: number): number[] {
  const out: number[] = [];
  for (let c = 0; c < ncpu; c++) if ((mask & (1 << c)) !== 0) out.push(c);
  return out;
}

/** Tasks queued on `cpu`'s runqueue, in pick order. */
export function runqueue(k: Kernel, cpu: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < k.rqLen[cpu]!; i++) out.push(k.rq[cpu * k.taskCapacity + ((k.rqHead[cpu]! + i) % k.taskCapacity)]!);
  return out;
}

/** Blocked tasks whose wakeup `cpu`'s interrupt delivers next (try_to_wake_up onto it). */
export function wakeups(k: Kernel, cpu: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < k.wakeLen[cpu]!; i++) out.push(k.wakeQ[cpu * k.taskCapacity + ((k.wakeHead[cpu]! + i) % k.taskCapacity)]!);
  return out;
}

export interface PendingIpi {
  readonly fn: number;
  readonly mm: number;
  readonly from: number;
}

/** IPIs queued on `cpu` (smp_call_function queue), oldest first. */
export function pendingIpis(k: Kernel, cpu: number): PendingIpi[] {
  const q = k.cpuCapacity > 0 ? k.ipiFn.length / k.cpuCapacity : 0;
  const out: PendingIpi[] = [];
  for (let i = 0; i < k.ipiLen[cpu]!; i++) {
    const slot = cpu * q + ((k.ipiHead[cpu]! + i) % q);
    out.push({ fn: k.ipiFn[slot]!, mm: k.ipiMm[slot]!, from: k.ipiFrom[slot]! });
  }
  return out;
}

export function ipiName(k: Kernel, fn: number): string {
  return fn === IPI_SHOOT_LAZY ? 'do_shoot_lazy_tlb' : k.arch.ipi_name(fn);
}

/** The arch's MMU root of `cpu` (hw_root hook): the mm whose page tables the MMU may walk. */
export function hwRoot(k: Kernel, cpu: number): number {
  return k.arch.hw_root(k, cpu);
}

/** A multi-line picture of every CPU and every allocated mm, for error reports. */
export function describeState(k: Kernel, names: ScenarioNames): string {
  const lines: string[] = [`state after ${k.step} step(s):`];
  const mm = (id: number): string => names.mmName(id);
  for (let c = 0; c < k.ncpu; c++) {
    const t = k.cpuCurr[c]!;
    const parts = [`curr=${names.taskName(t)} (${taskState(k, t)})`];
    if (k.taskMm[t] === NO_MM) parts.push(`lazy on ${mm(k.taskActiveMm[t]!)}`);
    else parts.push(`mm=${mm(k.taskMm[t]!)} active_mm=${mm(k.taskActiveMm[t]!)}`);
    if (k.cpuPrevMm[c] !== NO_MM) parts.push(`prev_mm=${mm(k.cpuPrevMm[c]!)}`);
    parts.push(`hw_root=${mm(hwRoot(k, c))}`);
    let arch = '';
    try {
      arch = k.arch.describe_cpu(k, c);
    } catch (e) {
      arch = `describe_cpu threw: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (arch !== '') parts.push(`[${names.rename(arch)}]`);
    if (k.scheme.describe_cpu !== undefined) {
      let scheme = '';
      try {
        scheme = k.scheme.describe_cpu(k, c);
      } catch (e) {
        scheme = `scheme describe_cpu threw: ${e instanceof Error ? e.message : String(e)}`;
      }
      if (scheme !== '') parts.push(`{${names.rename(scheme)}}`);
    }
    if (k.cpuSp[c]! > 0) parts.push(`in kernel path (depth ${k.cpuSp[c]})`);
    if (k.cpuWait[c]! > 0) parts.push(`waiting for ${k.cpuWait[c]} IPI ack(s)`);
    if (k.cpuPreempted[c] !== 0) parts.push('vCPU preempted');
    const rq = runqueue(k, c);
    if (rq.length > 0) parts.push(`rq=[${rq.map((x) => names.taskName(x)).join(' ')}]`);
    const wq = wakeups(k, c);
    if (wq.length > 0) parts.push(`wakeups=[${wq.map((x) => names.taskName(x)).join(' ')}]`);
    const ipis = pendingIpis(k, c);
    if (ipis.length > 0) parts.push(`ipis=[${ipis.map((p) => `${ipiName(k, p.fn)}(${mm(p.mm)}) from CPU${p.from}`).join(', ')}]`);
    lines.push(`  CPU${c}: ${parts.join(' ')}`);
  }
  for (let id = 1; id < k.nmm; id++) {
    lines.push(
      `  ${mm(id)}: ${mmStage(k, id)} mm_users=${k.mmUsers[id]} mm_count=${k.mmCount[id]} ` + `mm_cpumask={${maskToCpus(k.mmCpumask[id]!, k.ncpu).join(',')}}`,
    );
  }
  return lines.join('\n');
}
