/**
 * report.html's swimlanes: the shrunk first failures replayed with tracing on (core's
 * replayArtifact), one lane per CPU, one block per trace event inside its step (the events a
 * CPU has in one step split the step in order), labelled with the kernel function; the actor
 * (task, irq, hyp, drain) tells the task from the interrupt, the hypervisor and (tso) the
 * store-buffer drain. The finding is marked
 * at its step: a violation with the invariant id, name and message; a hazard (core's `hazard`
 * trace event) or a hazard-class use site (its `WARN_ON_ONCE` event) likewise, in the hazard
 * colour (those artifacts stop right after that step: their `target`).
 *
 * Bounded: at most MAX_SWIMLANES failures and MAX_EVENTS events each; a failure that cannot
 * be replayed (unknown plugin, invalid artifact, divergence) gets a note instead.
 */
import { type ActorKind, type Artifact, INVARIANTS, parseArtifact, replayArtifact, strategyToString, type TraceEvent } from '@lazytlb/core';
import { schemeLabel } from '@lazytlb/explore';
import { hazardId } from '@lazytlb/explore';
import { type FailureClass, failureLabel } from '@lazytlb/explore';
import type { PluginRegistry, ResultsFile, ShrunkFailure } from '@lazytlb/explore';

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
  /** Set on a hazard event (core's `hazard`, id I3) or a non-fatal kernel WARN (`WARN_ON_ONCE`): what it records. */
  readonly hazard?: string;
}

/** The finding a swimlane marks (a band at its step). */
export interface SwimlaneFinding {
  readonly class: FailureClass;
  /** Invariant id (violations, hazards) or use-site id. */
  readonly key: string;
  readonly step: number;
  readonly cpu: number;
  /** The invariant's name ('' for a use site that is not a violation). */
  readonly name: string;
  /** Band label: "I3 lazy-pointer-live violated (step 5, CPU1)", "I3 lazy-pointer-live hazard (step 5, CPU1)", "__mmdrop WARN (step 5, CPU1)". */
  readonly label: string;
  /** Caption: "I3 lazy-pointer-live violated at step 5 on CPU1: <message>", etc. */
  readonly caption: string;
  readonly message: string;
}

export interface SwimlaneData {
  /** Stable DOM id: `swimlane-<cell>-<key>` for violations, `swimlane-<cell>-hazard-<id>`, `swimlane-<cell>-site-<slug>` (the artifact's file name). */
  readonly id: string;
  readonly title: string;
  readonly cell: number;
  readonly class: FailureClass;
  /** Invariant id (violations, hazards) or use-site id. */
  readonly key: string;
  /** The shrunk artifact's path, relative to the results directory. */
  readonly artifact: string;
  readonly cpus: number;
  readonly steps: number;
  readonly reproduced: boolean;
  /** The trace had more than MAX_EVENTS events; the rest are left out. */
  readonly truncated: boolean;
  readonly events: readonly SwimlaneEvent[];
  /** The finding marked on the lanes (null: not found in the replayed trace). */
  readonly finding: SwimlaneFinding | null;
}

/** Place each event in its (step, CPU) slot. */
export function slotEvents(trace: readonly TraceEvent[]): SwimlaneEvent[] {
  const count = new Map<string, number>();
  for (const e of trace) count.set(`${e.step}/${e.cpu}`, (count.get(`${e.step}/${e.cpu}`) ?? 0) + 1);
  const seen = new Map<string, number>();
  return trace.map((e) => {
    const key = `${e.step}/${e.cpu}`;
    const slot = seen.get(key) ?? 0;
    seen.set(key, slot + 1);
    const hazard = e.fn === 'hazard' ? hazardId(e.text) : e.fn === 'WARN_ON_ONCE' ? 'WARN' : undefined;
    return {
      step: e.step,
      cpu: e.cpu,
      actor: e.actor,
      fn: e.fn,
      text: e.text,
      slot,
      slots: count.get(key)!,
      ...(e.violation !== undefined ? { violation: e.violation } : {}),
      ...(hazard !== undefined ? { hazard } : {}),
    };
  });
}

const invName = (id: string): string => (INVARIANTS as Record<string, { name: string } | undefined>)[id]?.name ?? '';

/** Where the artifact's finding shows in its replayed trace (the event and how to label it). */
export function findingOf(artifact: Artifact, trace: readonly TraceEvent[], cls: FailureClass, key: string): SwimlaneFinding | null {
  const o = artifact.outcome;
  const at = (e: TraceEvent | undefined, fallbackCpu: number | undefined): { step: number; cpu: number } => ({
    step: e?.step ?? o.step ?? Math.max(0, o.steps - 1),
    cpu: e?.cpu ?? fallbackCpu ?? 0,
  });
  const violated = (e: TraceEvent | undefined, inv: string, prefix = ''): SwimlaneFinding => {
    const p = at(e, o.cpu);
    const name = invName(inv);
    const message = e?.text ?? o.message ?? '';
    return {
      class: cls,
      key,
      step: p.step,
      cpu: p.cpu,
      name,
      message,
      label: `${prefix}${inv} ${name} violated (step ${p.step}, CPU${p.cpu})`,
      caption: `${prefix}${inv} ${name} violated at step ${p.step} on CPU${p.cpu}: ${message}`,
    };
  };
  if (cls === 'hazard') {
    const e = trace.find((x) => x.fn === 'hazard' && x.text.startsWith(`${key}:`));
    if (e === undefined) return null;
    const name = invName(key);
    return {
      class: cls,
      key,
      step: e.step,
      cpu: e.cpu,
      name,
      message: e.text,
      label: `${key} ${name} hazard (step ${e.step}, CPU${e.cpu})`,
      caption: `${key} ${name} hazard at step ${e.step} on CPU${e.cpu} (the run goes on; the artifact stops here): ${e.text}`,
    };
  }
  if (cls === 'use-site') {
    if (o.kind === 'violation' && o.site === key) {
      return violated(
        trace.find((x) => x.violation !== undefined),
        o.invariant ?? 'I14',
        `${key}: `,
      );
    }
    const e = trace.find((x) => x.fn === 'WARN_ON_ONCE' && x.text.includes(`(${key};`));
    if (e === undefined) return null;
    return {
      class: cls,
      key,
      step: e.step,
      cpu: e.cpu,
      name: '',
      message: e.text,
      label: `${key} WARN (step ${e.step}, CPU${e.cpu})`,
      caption: `use site ${key} fired (kernel WARN, not fatal under ${artifact.cell.scheme}) at step ${e.step} on CPU${e.cpu}: ${e.text}`,
    };
  }
  const e = trace.find((x) => x.violation !== undefined);
  const inv = e?.violation ?? o.invariant;
  return inv === undefined ? null : violated(e, inv);
}

/** The swimlane of one shrunk artifact (throws when it cannot be replayed). */
export function swimlaneOf(
  value: unknown,
  where: { cell: number; class?: FailureClass; key: string; artifact: string },
  registry: PluginRegistry,
): SwimlaneData {
  const artifact = parseArtifact(value, where.artifact);
  const c = artifact.cell;
  const plugin = registry.loadedArch(c.arch.name);
  if (plugin === undefined) throw new Error(`arch plugin "${c.arch.name}" is not loaded`);
  const scheme = registry.loadedSchemeForArtifact(artifact);
  const r = replayArtifact(artifact, plugin, { trace: true, ...(scheme !== undefined ? { scheme } : {}) });
  const trace = r.result.trace ?? [];
  const events = slotEvents(trace.slice(0, MAX_EVENTS));
  const o = artifact.outcome;
  const cls = where.class ?? 'violation';
  const opts = Object.entries(typeof c.arch.options === 'object' && c.arch.options !== null ? (c.arch.options as Record<string, unknown>) : {})
    .map(([k, x]) => `${k}=${typeof x === 'string' ? x : JSON.stringify(x)}`)
    .join(',');
  const base = where.artifact.replace(/^.*\//, '').replace(/(\.shrunk)?\.json$/, '');
  return {
    id: `swimlane-${base}`,
    title: `cell ${where.cell} ${failureLabel(cls, where.key)}: ${c.arch.name}${opts ? ` {${opts}}` : ''}${c.mutations !== undefined && c.mutations.length > 0 ? ` +${c.mutations.join('+')}` : ''}, ${schemeLabel(c)}, ${c.cpus} CPU${c.cpus === 1 ? '' : 's'}, ${strategyToString(c.strategy)}, ${o.steps} steps (shrunk)`,
    cell: where.cell,
    class: cls,
    key: where.key,
    artifact: where.artifact,
    cpus: Math.max(c.cpus, ...trace.map((e) => e.cpu + 1)),
    steps: o.steps,
    reproduced: r.reproduced,
    truncated: trace.length > MAX_EVENTS,
    events,
    finding: findingOf(artifact, trace, cls, where.key),
  };
}

/** Swimlanes of the first failures that have a shrunk artifact, and notes on those left out. */
export function buildSwimlanes(
  f: ResultsFile,
  shrunk: ReadonlyMap<string, ShrunkFailure> | undefined,
  registry: PluginRegistry,
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
        swimlanes.push(swimlaneOf(s.artifact, { cell: c.index, class: x.class, key: x.key, artifact: shrunkPath }, registry));
      } catch (e) {
        notes.push(`cell ${c.index} ${failureLabel(x.class, x.key)}: no swimlane, ${shrunkPath} could not be replayed: ${(e as Error).message}`);
      }
    }
  }
  if (over > 0) notes.push(`${over} more shrunk failure(s) not drawn (at most ${MAX_SWIMLANES} swimlanes); replay them with lazytlb replay`);
  return { swimlanes, notes };
}
