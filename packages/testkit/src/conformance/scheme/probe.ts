/**
 * The probe: a copy of the scheme plugin whose hooks are wrapped, and a Kernel whose
 * smp_mb / declareSchemeShared / storeSchemeShared are instrumented, so the suite sees every
 * hook call of real runs and checks the contracts core relies on but does not check itself:
 *
 * - calls: the void hooks (reset, mmgrab_lazy_tlb, mmdrop_lazy_tlb, shoot_lazy_tlb, lazy_kick,
 *   context_switch_to_user, finish_task_switch) return nothing (an async hook returns a Promise); lazy_refs returns a
 *   non-negative integer and is a pure read (called twice, it answers the same and counts
 *   no cost: it is an oracle's question, asked more or less often depending on checking);
 * - sequences: mmput / cleanup_lazy_tlbs / resume return the pc of the next step (an integer
 *   1..65535) or nothing; a pc needs a resume hook; resume is called with the hook's name and a
 *   valid pc; every sequence ends (a run that hits the step budget with one open fails);
 * - shared state: reset() declares each entry of SchemePlugin.sharedState once (slot i: entry i);
 *   stores go to declared slots, inside the array, with values the array holds, from the
 *   CPU that executes the hook, and each element is stored by one CPU only (scope 'cpu');
 * - barriers: a borrowed barrier the scheme claims to provide (BORROWED_BARRIERS) is a full
 *   barrier (k.lazyMb, an mm_count atomic, k.countSchemeAtomic) executed by every call of the
 *   helper at the site the borrower relies on.
 *
 * Probing changes no run: each wrapper calls the plugin's hook with the same arguments.
 */
import {
  LAZY_CONTEXT_SWITCH,
  LAZY_FINISH_TASK_SWITCH,
  type Kernel,
  type RunResult,
  type SchemeHooks,
  type SchemeKernel,
  type SchemePlugin,
  type SchemeSequenceHook,
  type SharedArray,
} from '@lazytlb/core';
import { seedsOf } from '../cell.js';
import { makeSchemeSim, schemeCellLabel, thrownLine, type SchemeCellSpec } from './cell.js';
import { BORROWED_BARRIERS, hasNoPrevMm } from './descriptor.js';

export type ProbeTopic = 'calls' | 'errors' | 'sequences' | 'shared' | 'barriers';
const MAX_PROBLEMS = 12;
const SEQ_HOOKS: readonly SchemeSequenceHook[] = ['mmput', 'cleanup_lazy_tlbs'];
const PC_MAX = 0xffff;

export interface SchemeProbeReport {
  /** Runs completed (not thrown). */
  readonly runs: number;
  /** Calls per hook, over all runs. */
  readonly calls: Readonly<Record<string, number>>;
  /** The hooks setup() returned. */
  readonly hooks: readonly string[];
  /** Sequences started (the hook returned a pc), per hook. */
  readonly started: Readonly<Record<SchemeSequenceHook, number>>;
  /** Calls checked per borrowed barrier the scheme claims to provide. */
  readonly barrierChecks: Readonly<Record<string, number>>;
  /** Problems per topic (the first few), and how many there were in all. */
  readonly problems: Readonly<Record<ProbeTopic, readonly string[]>>;
  readonly problemCounts: Readonly<Record<ProbeTopic, number>>;
}

function show(v: unknown): string {
  if (v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function') return 'a Promise (hooks are synchronous: no async)';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return typeof v;
}

class Sink {
  where = '';
  /** The CPU of the innermost hook running (-1: none). */
  cpu = -1;
  /** A full barrier on `cpu` happened during the innermost hook. */
  mb = false;
  inReset = false;
  open = 0;
  resumesThisRun = 0;
  runs = 0;
  readonly declared = new Map<number, SharedArray>();
  readonly writers = new Map<string, number>();
  readonly calls: Record<string, number> = {};
  hooks: string[] | null = null;
  readonly started: Record<SchemeSequenceHook, number> = { mmput: 0, cleanup_lazy_tlbs: 0 };
  readonly barrierChecks: Record<string, number> = {};
  readonly problems: Record<ProbeTopic, string[]> = { calls: [], errors: [], sequences: [], shared: [], barriers: [] };
  readonly counts: Record<ProbeTopic, number> = { calls: 0, errors: 0, sequences: 0, shared: 0, barriers: 0 };

  constructor(readonly plugin: SchemePlugin<any>) {}

  add(topic: ProbeTopic, message: string): void {
    this.counts[topic]++;
    if (this.problems[topic].length < MAX_PROBLEMS) this.problems[topic].push(`${this.where}: ${message}`);
  }

  count(hook: string): void {
    this.calls[hook] = (this.calls[hook] ?? 0) + 1;
  }

  /** Enter a hook on `cpu`; returns what leave() restores. */
  enter(cpu: number): [number, boolean] {
    const saved: [number, boolean] = [this.cpu, this.mb];
    this.cpu = cpu;
    this.mb = false;
    return saved;
  }

  leave(saved: [number, boolean]): void {
    const inner = this.mb && this.cpu === saved[0];
    this.cpu = saved[0];
    this.mb = saved[1] || inner;
  }

  beginReset(): void {
    this.inReset = true;
    this.declared.clear();
    this.writers.clear();
    this.open = 0;
    this.resumesThisRun = 0;
    this.cpu = -1;
    this.mb = false;
  }

  endReset(): void {
    this.inReset = false;
    (this.plugin.sharedState ?? []).forEach((d, i) => {
      if (!this.declared.has(i)) this.add('shared', `sharedState[${i}] "${d.id}" was not declared in reset() (k.declareSchemeShared(${i}, "${d.id}", array))`);
    });
  }

  onDeclare(slot: number, name: string, view: SharedArray): void {
    const docs = this.plugin.sharedState ?? [];
    if (!this.inReset) this.add('shared', `declareSchemeShared(${slot}, "${name}") outside reset() (on CPU${this.cpu}): declare shared state in reset`);
    if (!Number.isInteger(slot) || slot < 0 || slot >= docs.length) {
      this.add(
        'shared',
        `declareSchemeShared(slot ${slot}, "${name}"): SchemePlugin.sharedState declares ${docs.length} entr${docs.length === 1 ? 'y' : 'ies'}${docs.length > 0 ? ` (slots 0..${docs.length - 1})` : ''}; declare the state there`,
      );
    } else if (this.declared.has(slot)) {
      this.add('shared', `declareSchemeShared(${slot}, "${name}"): slot ${slot} is declared twice in one reset()`);
    }
    if (typeof name !== 'string' || name.trim() === '')
      this.add('shared', `declareSchemeShared(${slot}) without a name (traces and errors name the state by it)`);
    if (!(view instanceof Int32Array) && !(view instanceof Uint8Array))
      this.add('shared', `declareSchemeShared(${slot}, "${name}") with ${show(view)}: an Int32Array or Uint8Array`);
    this.declared.set(slot, view);
  }

  onStore(cpu: number, slot: number, i: number, v: number): void {
    const view = this.declared.get(slot);
    if (view === undefined) {
      this.add('shared', `storeSchemeShared(CPU${cpu}, slot ${slot}, ${i}, ${v}): slot ${slot} was not declared by this run's reset()`);
      return;
    }
    const id = this.plugin.sharedState?.[slot]?.id ?? `slot ${slot}`;
    if (!Number.isInteger(i) || i < 0 || i >= view.length)
      this.add('shared', `storeSchemeShared(CPU${cpu}, "${id}", index ${i}): outside the declared array (length ${view.length}); the store is lost`);
    const fits = view instanceof Uint8Array ? Number.isInteger(v) && v >= 0 && v <= 0xff : Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff;
    if (!fits)
      this.add(
        'shared',
        `storeSchemeShared(CPU${cpu}, "${id}", ${i}, ${v}): the value does not fit the declared ${view.constructor.name} (it would be stored truncated)`,
      );
    if (this.inReset) return;
    if (cpu !== this.cpu) {
      this.add(
        'shared',
        `storeSchemeShared(CPU${cpu}, "${id}", ${i}) from a hook running on CPU${this.cpu}: a plain store goes into the storing CPU's store buffer; store as the CPU that executes the hook`,
      );
    }
    const key = `${slot}:${i}`;
    const w = this.writers.get(key);
    if (w === undefined) this.writers.set(key, cpu);
    else if (w !== cpu) {
      this.add(
        'shared',
        `element ${i} of "${id}" is plain-stored by CPU${w} and by CPU${cpu} in one run: scope 'cpu' means one owning CPU stores each element (others only read it)`,
      );
    }
  }

  endRun(r: RunResult): void {
    this.runs++;
    if (r.pluginError !== null) this.add('errors', `hook ${r.pluginError.hook} threw: ${r.pluginError.message}`);
    if (r.outcome === 'budget' && this.open > 0) {
      this.add(
        'sequences',
        `the run hit the step budget with ${this.open} scheme sequence(s) still open after ${this.resumesThisRun} resume call(s): a sequence must end (resume returns nothing)`,
      );
    }
  }
}

/** The borrowed barriers the scheme claims to provide that runs can check (probe.ts, runs.ts). */
export function borrowedBarriersToCheck(plugin: SchemePlugin<any>): typeof BORROWED_BARRIERS {
  return BORROWED_BARRIERS.filter((b) => (plugin.claims?.barriers ?? []).some((c) => c.id === b.id && c.provided === true)).filter(
    (b) => !(b.site === 'finish_task_switch' && hasNoPrevMm(plugin)),
  );
}

/** The effective pc core takes from a sequence hook's return value (core's model/scheme-calls.ts: `|| 0`, then `> 0`). */
function effectivePc(r: unknown): number {
  const pc = (r || 0) as number;
  return Math.max(pc, 0);
}

function wrapHooks(plugin: SchemePlugin<any>, h: SchemeHooks, s: Sink): SchemeHooks {
  const barrierAt = borrowedBarriersToCheck(plugin).map((b) => ({
    ...b,
    siteNo: b.site === 'finish_task_switch' ? LAZY_FINISH_TASK_SWITCH : LAZY_CONTEXT_SWITCH,
  }));
  const voidResult = (name: string, r: unknown): void => {
    if (r !== undefined) s.add('calls', `${name} returned ${show(r)}; it must return nothing`);
  };
  const pcResult = (name: string, r: unknown): void => {
    if (r === undefined || r === 0) return;
    if (typeof r !== 'number' || !Number.isInteger(r) || r < 1 || r > PC_MAX) {
      s.add('sequences', `${name} returned ${show(r)}: a sequence hook returns the pc of its next step (an integer 1..${PC_MAX}) or nothing when done`);
    }
  };
  const barrierCheck = (k: SchemeKernel, hook: 'mmgrab_lazy_tlb' | 'mmdrop_lazy_tlb', cpu: number, mm: number, site: number): void => {
    for (const b of barrierAt) {
      if (b.hook !== hook || b.siteNo !== site) continue;
      s.barrierChecks[b.id] = (s.barrierChecks[b.id] ?? 0) + 1;
      if (!s.mb) {
        s.add(
          'barriers',
          `claims.barriers "${b.id}" says provided, but ${hook}(${k.mmName(mm)}) at ${b.site} on CPU${cpu} executed no full barrier (k.lazyMb, an mm_count atomic or k.countSchemeAtomic); ${b.borrower}`,
        );
      }
    }
  };
  const w: Record<string, unknown> = {
    reset(k: SchemeKernel): void {
      s.count('reset');
      s.beginReset();
      try {
        voidResult('reset', h.reset(k));
      } finally {
        s.endReset();
      }
    },
    mmgrab_lazy_tlb(k: SchemeKernel, cpu: number, mm: number, site: number): void {
      s.count('mmgrab_lazy_tlb');
      const saved = s.enter(cpu);
      try {
        voidResult('mmgrab_lazy_tlb', h.mmgrab_lazy_tlb(k, cpu, mm, site));
        barrierCheck(k, 'mmgrab_lazy_tlb', cpu, mm, site);
      } finally {
        s.leave(saved);
      }
    },
    mmdrop_lazy_tlb(k: SchemeKernel, cpu: number, mm: number, site: number): void {
      s.count('mmdrop_lazy_tlb');
      const saved = s.enter(cpu);
      try {
        voidResult('mmdrop_lazy_tlb', h.mmdrop_lazy_tlb(k, cpu, mm, site));
        barrierCheck(k, 'mmdrop_lazy_tlb', cpu, mm, site);
      } finally {
        s.leave(saved);
      }
    },
    lazy_refs(k: SchemeKernel, mm: number): number {
      s.count('lazy_refs');
      let before = 0;
      for (let i = 0; i < k.cost.length; i++) before += k.cost[i]!;
      const n: unknown = h.lazy_refs(k, mm);
      const again: unknown = h.lazy_refs(k, mm);
      let after = 0;
      for (let i = 0; i < k.cost.length; i++) after += k.cost[i]!;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
        s.add('calls', `lazy_refs(${k.mmName(mm)}) returned ${show(n)}: a count of mm_count references (an integer >= 0)`);
      else if (again !== n)
        s.add(
          'calls',
          `lazy_refs(${k.mmName(mm)}) answered ${n}, then ${show(again)} right after: it must be a pure read of the scheme's state (it is the I4 oracle's question)`,
        );
      if (after !== before)
        s.add(
          'calls',
          `lazy_refs(${k.mmName(mm)}) changed the cost counters: it must be a pure read (the oracle asks it, more or less often depending on checking)`,
        );
      return n as number;
    },
  };
  for (const name of SEQ_HOOKS) {
    const hook = h[name];
    if (hook === undefined) continue;
    w[name] = (k: SchemeKernel, cpu: number, mm: number): unknown => {
      s.count(name);
      const saved = s.enter(cpu);
      try {
        const r: unknown = hook.call(h, k, cpu, mm);
        pcResult(name, r);
        const pc = effectivePc(r);
        if (pc > 0) {
          s.started[name]++;
          s.open++;
          if (h.resume === undefined) {
            s.add(
              'sequences',
              `${name}(${k.mmName(mm)}) on CPU${cpu} returned pc ${pc}, but the scheme has no resume hook: core calls resume(k, cpu, '${name}', pc, mm) as the CPU's next steps`,
            );
          }
        }
        return r;
      } finally {
        s.leave(saved);
      }
    };
  }
  if (h.resume !== undefined) {
    const resume = h.resume;
    w.resume = (k: SchemeKernel, cpu: number, hook: SchemeSequenceHook, pc: number, mm: number): unknown => {
      s.count('resume');
      s.resumesThisRun++;
      const saved = s.enter(cpu);
      try {
        const r: unknown = resume.call(h, k, cpu, hook, pc, mm);
        pcResult(`resume('${hook}', pc ${pc})`, r);
        if (effectivePc(r) === 0) s.open--;
        return r;
      } finally {
        s.leave(saved);
      }
    };
  }
  for (const name of ['shoot_lazy_tlb', 'lazy_kick', 'context_switch_to_user', 'finish_task_switch'] as const) {
    const hook = h[name] as ((k: SchemeKernel, cpu: number, ...rest: number[]) => unknown) | undefined;
    if (hook === undefined) continue;
    w[name] = (k: SchemeKernel, cpu: number, ...rest: number[]): void => {
      s.count(name);
      const saved = s.enter(cpu);
      try {
        voidResult(name, hook.call(h, k, cpu, ...rest));
      } finally {
        s.leave(saved);
      }
    };
  }
  if (h.describe_cpu !== undefined) {
    const describe = h.describe_cpu;
    w.describe_cpu = (k: SchemeKernel, cpu: number): string => {
      s.count('describe_cpu');
      const d: unknown = describe.call(h, k, cpu);
      if (typeof d !== 'string') s.add('calls', `describe_cpu(CPU${cpu}) returned ${show(d)}, not a string`);
      return d as string;
    };
  }
  // Hooks this suite does not know (a newer ABI's): passed through, as the CPU's hook when the
  // second argument is a CPU (every scheme hook but reset and lazy_refs takes (k, cpu, ...)).
  const own = h as unknown as Record<string, unknown>;
  const names = new Set(Object.keys(own));
  for (let p = Object.getPrototypeOf(h) as object | null; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    for (const n of Object.getOwnPropertyNames(p)) if (n !== 'constructor') names.add(n);
  }
  for (const name of names) {
    const hook = own[name];
    if (name in w || typeof hook !== 'function') continue;
    w[name] = (...args: unknown[]): unknown => {
      s.count(name);
      const saved = s.enter(typeof args[1] === 'number' ? args[1] : -1);
      try {
        return (hook as (...a: unknown[]) => unknown).apply(h, args);
      } finally {
        s.leave(saved);
      }
    };
  }
  return w as unknown as SchemeHooks;
}

/** Instrument the run's Kernel (own properties shadow the prototype's methods; core calls them through `k`/`this`). */
function instrument(k: Kernel, s: Sink): void {
  const kk = k as unknown as Record<string, unknown>;
  const smpMb = k.smpMb;
  kk.smpMb = (cpu: number): void => {
    if (cpu === s.cpu) s.mb = true;
    smpMb.call(k, cpu);
  };
  const declare = k.declareSchemeShared;
  kk.declareSchemeShared = (slot: number, name: string, view: SharedArray): SharedArray => {
    s.onDeclare(slot, name, view);
    return declare.call(k, slot, name, view);
  };
  const store = k.storeSchemeShared;
  kk.storeSchemeShared = (cpu: number, slot: number, i: number, v: number): void => {
    s.onStore(cpu, slot, i, v);
    store.call(k, cpu, slot, i, v);
  };
}

/** A copy of the plugin whose setup() returns probed hooks reporting to `s`. */
function probed(plugin: SchemePlugin<any>, s: Sink): SchemePlugin<any> {
  return {
    ...plugin,
    setup(options: unknown, env) {
      const h = plugin.setup(options, env);
      if (typeof h !== 'object' || h === null) return h; // core's validateSchemeHooks says what is wrong
      s.hooks ??= Object.keys(h).filter((n) => (h as unknown as Record<string, unknown>)[n] !== undefined);
      return wrapHooks(plugin, h, s);
    },
  };
}

/**
 * Run `nSeeds` seeds of each cell (all of one scheme plugin) with the probe; the first
 * `traced` runs of each cell with tracing on. A run that throws is a problem ('errors').
 */
export function probeScheme(cells: readonly SchemeCellSpec[], nSeeds: number, traced = 0): SchemeProbeReport {
  if (cells.length === 0) throw new Error('probeScheme: no cells');
  const s = new Sink(cells[0]!.scheme);
  for (const cell of cells) {
    const sim = makeSchemeSim(cell, probed(cell.scheme, s));
    instrument(sim.k, s);
    const label = schemeCellLabel(cell);
    seedsOf(sim, nSeeds).forEach((seed, i) => {
      s.where = `${label}, run ${i}`;
      let r: RunResult;
      try {
        r = sim.run(seed, i < traced ? { trace: true } : {});
      } catch (e) {
        s.add('errors', `sim.run threw ${thrownLine(e)}`);
        return;
      }
      s.endRun(r);
    });
  }
  return {
    runs: s.runs,
    calls: s.calls,
    hooks: s.hooks ?? [],
    started: s.started,
    barrierChecks: s.barrierChecks,
    problems: s.problems,
    problemCounts: s.counts,
  };
}

/** The report's problems of `topics` as one error, or null. */
export function probeFailure(plugin: SchemePlugin<any>, report: SchemeProbeReport, topics: readonly ProbeTopic[], what: string): Error | null {
  const lines = topics.flatMap((t) => report.problems[t]);
  const total = topics.reduce((n, t) => n + report.problemCounts[t], 0);
  if (total === 0) return null;
  const more = total > lines.length ? `\n  (${total - lines.length} more)` : '';
  return new Error(`scheme plugin ${plugin.name}: ${what}:\n  - ${lines.join('\n  - ')}${more}`);
}
