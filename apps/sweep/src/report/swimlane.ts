/**
 * report.html's swimlanes: the shrunk first failures replayed with tracing on (core's
 * replayArtifact), one lane per CPU, one block per trace event inside its step (the events a
 * CPU has in one step split the step in order), labelled with the kernel function; the actor
 * (task, irq, hyp) tells the task from the interrupt and the hypervisor, and the violation is
 * marked at its step with the invariant id, name and message.
 *
 * Bounded: at most MAX_SWIMLANES failures and MAX_EVENTS events each; a failure that cannot
 * be replayed (unknown plugin, invalid artifact, divergence) gets a note instead.
 */
import { type ActorKind, type ArchPlugin, INVARIANTS, parseArtifact, replayArtifact, strategyToString, type TraceEvent } from '@lazytlb/core';
import type { ShrunkFailure } from '../results/build.js';
import type { ResultsFile } from '../results/schema.js';

export const MAX_SWIMLANES = 40;
export const MAX_EVENTS = 3000;

export interface SwimlaneEvent {
  readonly step: number;
  readonly cpu: number;
  readonly actor: ActorKind;
  readonly fn: string;
  readonly text: string;
  /** Position of the event among its CPU's events of that step, and how many there are. */
  readonly slot: number;
  readonly slots: number;
  /** Set on the violation event: the invariant id. */
  readonly violation?: string;
}

export interface SwimlaneData {
  /** Stable DOM id: `swimlane-<cell>-<invariant>`. */
  readonly id: string;
  readonly title: string;
  readonly cell: number;
  readonly invariant: string;
  /** The shrunk artifact's path, relative to the results directory. */
  readonly artifact: string;
  readonly cpus: number;
  readonly steps: number;
  readonly reproduced: boolean;
  /** The trace had more than MAX_EVENTS events; the rest are left out. */
  readonly truncated: boolean;
  readonly events: readonly SwimlaneEvent[];
  readonly violation: { readonly step: number; readonly cpu: number; readonly invariant: string; readonly name: string; readonly message: string } | null;
}

export type PluginLookup = (name: string) => ArchPlugin<unknown> | undefined;

/** Place each event in its (step, CPU) slot. */
export function slotEvents(trace: readonly TraceEvent[]): SwimlaneEvent[] {
  const count = new Map<string, number>();
  for (const e of trace) count.set(`${e.step}/${e.cpu}`, (count.get(`${e.step}/${e.cpu}`) ?? 0) + 1);
  const seen = new Map<string, number>();
  return trace.map((e) => {
    const key = `${e.step}/${e.cpu}`;
    const slot = seen.get(key) ?? 0;
    seen.set(key, slot + 1);
    return { step: e.step, cpu: e.cpu, actor: e.actor, fn: e.fn, text: e.text, slot, slots: count.get(key)!, ...(e.violation !== undefined ? { violation: e.violation } : {}) };
  });
}

/** The swimlane of one shrunk artifact (throws when it cannot be replayed). */
export function swimlaneOf(value: unknown, where: { cell: number; invariant: string; artifact: string }, lookup: PluginLookup): SwimlaneData {
  const artifact = parseArtifact(value, where.artifact);
  const c = artifact.cell;
  const plugin = lookup(c.arch.name);
  if (plugin === undefined) throw new Error(`arch plugin "${c.arch.name}" is not loaded`);
  const r = replayArtifact(artifact, plugin, { trace: true });
  const trace = r.result.trace ?? [];
  const events = slotEvents(trace.slice(0, MAX_EVENTS));
  const v = trace.find((e) => e.violation !== undefined);
  const o = artifact.outcome;
  const inv = v?.violation ?? o.invariant;
  const name = inv === undefined ? '' : ((INVARIANTS as Record<string, { name: string } | undefined>)[inv]?.name ?? '');
  const opts = Object.entries(typeof c.arch.options === 'object' && c.arch.options !== null ? (c.arch.options as Record<string, unknown>) : {}).map(([k, x]) => `${k}=${typeof x === 'string' ? x : JSON.stringify(x)}`).join(',');
  return {
    id: `swimlane-${where.cell}-${where.invariant}`,
    title: `cell ${where.cell} ${where.invariant}: ${c.arch.name}${opts ? ` {${opts}}` : ''}${c.mutations !== undefined && c.mutations.length > 0 ? ` +${c.mutations.join('+')}` : ''}, ${c.scheme}, ${c.cpus} CPU${c.cpus === 1 ? '' : 's'}, ${strategyToString(c.strategy)}, ${o.steps} steps (shrunk)`,
    cell: where.cell,
    invariant: where.invariant,
    artifact: where.artifact,
    cpus: Math.max(c.cpus, ...trace.map((e) => e.cpu + 1)),
    steps: o.steps,
    reproduced: r.reproduced,
    truncated: trace.length > MAX_EVENTS,
    events,
    violation:
      inv === undefined
        ? null
        : { step: v?.step ?? o.step ?? o.steps, cpu: v?.cpu ?? o.cpu ?? 0, invariant: inv, name, message: v?.text ?? o.message ?? '' },
  };
}

/** Swimlanes of the first failures that have a shrunk artifact, and notes on those left out. */
export function buildSwimlanes(
  f: ResultsFile,
  shrunk: ReadonlyMap<string, ShrunkFailure> | undefined,
  lookup: PluginLookup,
): { swimlanes: SwimlaneData[]; notes: string[] } {
  const swimlanes: SwimlaneData[] = [];
  const notes: string[] = [];
  let over = 0;
  for (const c of f.cells) {
    for (const x of c.firstFailures) {
      const s = shrunk?.get(x.artifact);
      if (s?.artifact === undefined) continue;
      const shrunkPath = x.artifact.replace(/\.json$/, '.shrunk.json');
      if (swimlanes.length >= MAX_SWIMLANES) {
        over++;
        continue;
      }
      try {
        swimlanes.push(swimlaneOf(s.artifact, { cell: c.index, invariant: x.invariant, artifact: shrunkPath }, lookup));
      } catch (e) {
        notes.push(`cell ${c.index} ${x.invariant}: no swimlane, ${shrunkPath} could not be replayed: ${(e as Error).message}`);
      }
    }
  }
  if (over > 0) notes.push(`${over} more shrunk failure(s) not drawn (at most ${MAX_SWIMLANES} swimlanes); replay them with lazytlb replay`);
  return { swimlanes, notes };
}
