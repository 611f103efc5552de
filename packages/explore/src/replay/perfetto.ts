/**
 * `lazytlb replay --format perfetto`: the replayed run as Chrome / Perfetto trace-event JSON
 * (the "JSON Object Format" read by ui.perfetto.dev and chrome://tracing).
 *
 * - One process (the run) with one thread track per CPU, named "CPU<n>" (tid = n).
 * - Model steps are time: step s covers [s µs, s+1 µs). The events a CPU has in one step share
 *   that microsecond in order (whole nanoseconds, 1 ns apart), each a complete ('X') slice
 *   named after the kernel function, with the text in `args.text` and the step in
 *   `args.step`; the category is the actor (task, irq, hyp, drain: the store buffer under tso).
 * - Every IPI is a flow ('s' mid-way through the sender's smp_call_function slice, 'f' with
 *   bp 'e' mid-way through the receiver's handler slice). IPIs queue per target CPU in FIFO order, so a handler is paired
 *   with the oldest pending send to its CPU from the same sender and of the same function.
 * - The violation is an instant ('i', thread scope) on its CPU named after the invariant, with
 *   the message, arch, scheme, seed and model hash in its args (and, for I14, the use site and
 *   what it did); the run's configuration is also in the process name's args and in
 *   `otherData`, with the run's hazard and use-site findings (`findings`).
 * - A hazard (core's `hazard` event) and a kernel WARN that does not end the run
 *   (`WARN_ON_ONCE`) keep their slice and get an instant too (category `hazard` / `warn`).
 *
 * Pure: no I/O, the same input gives the same object.
 */
import { type Artifact, formatScheme, INVARIANTS, type RunFinding, type TraceEvent, strategyToString } from '@lazytlb/core';
import { cellMemory } from '../shrink/cell.js';
import { hazardId } from './lkml.js';

/** Microseconds per model step. */
export const PERFETTO_STEP_US = 1;
/** Process id of the run's tracks. */
export const PERFETTO_PID = 1;

export interface PerfettoEvent {
  readonly name: string;
  readonly ph: 'X' | 'i' | 'M' | 's' | 'f';
  readonly pid: number;
  readonly tid: number;
  readonly ts?: number;
  readonly dur?: number;
  readonly cat?: string;
  readonly id?: number;
  readonly bp?: 'e';
  /** Scope of an instant event: 't' (thread). */
  readonly s?: 't';
  readonly args?: Record<string, unknown>;
}

export interface PerfettoTrace {
  readonly traceEvents: PerfettoEvent[];
  readonly displayTimeUnit: 'ns' | 'ms';
  readonly otherData: Record<string, unknown>;
}

export interface PerfettoInput {
  readonly artifact: Artifact;
  readonly trace: readonly TraceEvent[];
  /** The replay ended exactly as recorded; null: a run from its seed, nothing recorded to compare with. */
  readonly reproduced: boolean | null;
  /** The run's hazards and use-site findings (core's Simulator.findings()). */
  readonly findings?: readonly RunFinding[];
}

const SEND_RE = /^IPI -> CPU(\d+): ([^(]+)\(/;
const RECV_RE = /^IPI from CPU(\d+) /;

const STEP_NS = PERFETTO_STEP_US * 1000;

function invariantName(id: string): string | undefined {
  return (INVARIANTS as Record<string, { name: string } | undefined>)[id]?.name;
}

/** Convert a replayed run's trace to a Perfetto / Chrome trace-event object. */
export function toPerfetto(input: PerfettoInput): PerfettoTrace {
  const { artifact, trace } = input;
  const c = artifact.cell;
  const ncpu = Math.max(c.cpus, ...trace.map((e) => e.cpu + 1));
  const run = {
    arch: c.arch.name,
    archVersion: c.arch.version,
    archOptions: c.arch.options,
    scheme: formatScheme(c.scheme, c.schemeOptions),
    preempt: c.preempt ?? 'full',
    memory: cellMemory(c),
    cpus: c.cpus,
    strategy: strategyToString(c.strategy),
    ...(c.mutations !== undefined ? { mutations: c.mutations } : {}),
    ...(c.disabledInvariants !== undefined ? { disabledInvariants: c.disabledInvariants } : {}),
    seed: artifact.seed,
    ...(artifact.runIndex !== undefined ? { runIndex: artifact.runIndex } : {}),
    fingerprints: artifact.fingerprints,
    toolVersion: artifact.toolVersion,
  };
  const pid = PERFETTO_PID;
  const out: PerfettoEvent[] = [{ name: 'process_name', ph: 'M', pid, tid: 0, args: { name: `lazytlb ${c.arch.name} ${run.scheme} ${c.cpus} CPUs`, ...run } }];
  for (let cpu = 0; cpu < ncpu; cpu++) {
    out.push({ name: 'thread_name', ph: 'M', pid, tid: cpu, args: { name: `CPU${cpu}` } });
    out.push({ name: 'thread_sort_index', ph: 'M', pid, tid: cpu, args: { sort_index: cpu } });
  }

  // How many events each (step, cpu) has, to split the step among them.
  const perSlot = new Map<string, number>();
  for (const e of trace) perSlot.set(`${e.step}/${e.cpu}`, (perSlot.get(`${e.step}/${e.cpu}`) ?? 0) + 1);
  const seen = new Map<string, number>();

  // Pending IPI sends per target CPU, oldest first.
  const pending = new Map<number, { id: number; from: number; fn: string }[]>();
  let nextFlow = 1;

  for (const e of trace) {
    const key = `${e.step}/${e.cpu}`;
    const n = perSlot.get(key)!;
    const i = seen.get(key) ?? 0;
    seen.set(key, i + 1);
    // In whole nanoseconds: the i-th of n events of a step on a CPU gets its i-th share,
    // less 1 ns so that slices never touch however a reader rounds µs to ns.
    const startNs = e.step * STEP_NS + Math.floor((i * STEP_NS) / n);
    const endNs = e.step * STEP_NS + Math.floor(((i + 1) * STEP_NS) / n);
    const ts = startNs / 1000;
    const dur = Math.max(1, endNs - startNs - 1) / 1000;
    // Flow ends bind to the slice enclosing them: put them mid-slice, not on its edge.
    const mid = (startNs + Math.floor((endNs - startNs) / 2)) / 1000;

    if (e.violation !== undefined) {
      const name = invariantName(e.violation);
      out.push({
        name: `${e.violation}${name !== undefined ? ` ${name}` : ''} violated`,
        ph: 'i',
        s: 't',
        cat: 'violation',
        pid,
        tid: e.cpu,
        ts,
        args: {
          invariant: e.violation,
          ...(name !== undefined ? { invariantName: name } : {}),
          message: e.text,
          step: e.step,
          cpu: e.cpu,
          ...(artifact.outcome.invariant === e.violation && artifact.outcome.site !== undefined
            ? { site: artifact.outcome.site, siteKind: artifact.outcome.siteKind }
            : {}),
          ...run,
        },
      });
      continue;
    }

    out.push({ name: e.fn, ph: 'X', cat: e.actor, pid, tid: e.cpu, ts, dur, args: { text: e.text, step: e.step, actor: e.actor } });
    if (e.fn === 'hazard' || e.fn === 'WARN_ON_ONCE') {
      const id = e.fn === 'hazard' ? hazardId(e.text) : 'WARN_ON_ONCE';
      const name = e.fn === 'hazard' ? invariantName(id) : undefined;
      out.push({
        name: e.fn === 'hazard' ? `${id}${name !== undefined ? ` ${name}` : ''} hazard` : 'WARN_ON_ONCE',
        ph: 'i',
        s: 't',
        cat: e.fn === 'hazard' ? 'hazard' : 'warn',
        pid,
        tid: e.cpu,
        ts,
        args: { message: e.text, step: e.step, cpu: e.cpu, ...(name !== undefined ? { invariant: id, invariantName: name } : {}) },
      });
      continue;
    }

    const send = SEND_RE.exec(e.text);
    if (send !== null && e.fn === 'smp_call_function') {
      const target = Number(send[1]);
      if (target !== e.cpu) {
        const id = nextFlow++;
        const q = pending.get(target) ?? [];
        q.push({ id, from: e.cpu, fn: send[2]!.trim() });
        pending.set(target, q);
        out.push({ name: 'IPI', ph: 's', cat: 'ipi', id, pid, tid: e.cpu, ts: mid, args: { to: target, fn: send[2]!.trim() } });
      }
      continue;
    }
    const recv = RECV_RE.exec(e.text);
    if (recv !== null) {
      const from = Number(recv[1]);
      const q = pending.get(e.cpu) ?? [];
      const at = q.findIndex((p) => p.from === from && p.fn === e.fn);
      if (at >= 0) {
        const [p] = q.splice(at, 1);
        out.push({ name: 'IPI', ph: 'f', bp: 'e', cat: 'ipi', id: p!.id, pid, tid: e.cpu, ts: mid, args: { from, fn: e.fn } });
      }
    }
  }

  // A send whose handler never ran (the run stopped first) keeps no dangling flow start.
  const unmatched = new Set([...pending.values()].flat().map((p) => p.id));
  const traceEvents = unmatched.size === 0 ? out : out.filter((ev) => !(ev.ph === 's' && ev.id !== undefined && unmatched.has(ev.id)));

  return {
    traceEvents,
    displayTimeUnit: 'ns',
    otherData: {
      ...run,
      stepUs: PERFETTO_STEP_US,
      reproduced: input.reproduced,
      outcome: artifact.outcome,
      ...(artifact.target !== undefined ? { target: artifact.target } : {}),
      findings: input.findings ?? [],
    },
  };
}

export function formatPerfetto(input: PerfettoInput): string {
  return `${JSON.stringify(toPerfetto(input))}\n`;
}
