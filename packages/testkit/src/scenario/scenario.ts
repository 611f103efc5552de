/**
 * A directed scenario: one run of the core model on an explicit workload, driven step by
 * step per CPU the way an LKML interleaving is written, with queries and assertions in
 * kernel terms (mm_users, mm_count, mm_cpumask, active_mm, the lazy mm of a CPU, the MMU
 * root) and errors that print the interleaving so far.
 *
 * It uses only core's public step API: `Simulator.begin` (tracing on), `enabledActors`,
 * `stepActor`, `end`, plus read-only looks at `Simulator.k` (the Kernel's typed arrays).
 * Invariants are checked by core after every step exactly as in a sweep; a scenario only
 * chooses who steps.
 *
 * Violations do not throw: the command that hit one stops early, the run is over, and
 * `expectViolation` / `expectNoViolation` (or the next command, or `finish`) report it.
 */
import {
  INIT_MM,
  INVARIANTS,
  NO_MM,
  Simulator,
  constants,
  formatTraceColumns,
  makeArtifact,
  type Artifact,
  type ArchPlugin,
  type InvariantId,
  type Kernel,
  type OutcomeKind,
  type RunResult,
  type RunSeed,
  type SchemeInput,
  type SchemePlugin,
  type TraceEvent,
  type Violation,
  type RunFinding,
  type UseSiteKind,
  type MemoryModel,
} from '@lazytlb/core';
import { CpuDriver, type CommandSink } from './cpu-driver.js';
import { ScenarioError } from './errors.js';
import { actorId, whyNotEnabled, type ActorKind } from './explain.js';
import { ScenarioNames, type MmRef } from './names.js';
import { formatCommand, parseScript, type Command } from './script.js';
import { describeState, hwRoot, maskToCpus, mmStage, taskState, type MmStage, type TaskState } from './state.js';
import { toExplicitWorkload, type TaskSpec } from './task-spec.js';

/** A hazard record of Simulator.findings(). */
export type HazardFinding = Extract<RunFinding, { kind: 'hazard' }>;
/** A use-site record of Simulator.findings(). */
export type UseSiteFinding = Extract<RunFinding, { kind: 'use-site' }>;

/** Explicit workloads draw nothing from the seed; a fixed one keeps artifacts stable. */
export const SCENARIO_SEED: RunSeed = [0, 0, 0, 1];

export interface ScenarioOptions {
  readonly arch: ArchPlugin<any>;
  readonly archOptions?: unknown;
  /** 'refcount' | 'shootdown' | 'none', or the Kconfig symbols, or the name of `schemePlugin`. */
  readonly scheme: SchemeInput;
  /** The scheme's options, e.g. { mask: 'online' } for shootdown. */
  readonly schemeOptions?: unknown;
  /** A scheme plugin not built into core (e.g. @lazytlb/scheme-hazptr); `scheme` is its name. */
  readonly schemePlugin?: SchemePlugin<any>;
  /** Preemption model of the simulated kernel (default 'full'). */
  readonly preempt?: 'none' | 'voluntary' | 'full' | 'rt';
  /** Memory model (default 'sc'); under 'tso' stores wait in store buffers until "CPU<n>: drain" or a barrier. */
  readonly memory?: MemoryModel;
  readonly cpus: number;
  /** Tasks in declaration order (runqueue order per CPU). See task-spec.ts. */
  readonly tasks: Readonly<Record<string, TaskSpec>>;
  /** Scheduler-tick preemptions the interrupt actors may inject (default 0). */
  readonly tickPreemptions?: number;
  /** vCPU preemptions the hypervisor may inject (default 0; paravirt arches only). */
  readonly vcpuPreemptions?: number;
  /** Deep C-state entries idle CPUs may make (cpuidle_enter_state; default 0). */
  readonly deepIdles?: number;
  /** Step bound of `until`, `op` and `idle` (default 1000). */
  readonly maxSteps?: number;
  /** Core's step budget for the whole run, `finish()` included (default 20000). */
  readonly stepBudget?: number;
  /** Column width of the trace in error messages (default 64 for 2 CPUs, 48 for 3-4, else 36). */
  readonly traceWidth?: number;
  /** Mutations to enable (core's and the arch's own ids; see CORE_MUTATIONS / ArchPlugin.mutations). */
  readonly mutations?: readonly string[];
}

export interface FinishOptions {
  /** The outcome `finish()` must reach (default 'ok': no violation, quiescent). 'any' accepts all. */
  readonly expect?: OutcomeKind | 'any';
}

/** Selects trace events. Text, mm and task are matched against the renamed text (scenario names). */
export interface EventFilter {
  readonly fn?: string;
  readonly cpu?: number;
  readonly actor?: ActorKind;
  readonly text?: string | RegExp;
  /** The event text names this mm. */
  readonly mm?: MmRef;
  /** The event text names this task. */
  readonly task?: string;
  /** Only events of this step or later. */
  readonly since?: number;
}

export interface MmExpectation {
  readonly stage?: MmStage;
  readonly mm_users?: number;
  readonly mm_count?: number;
  readonly mm_cpumask?: readonly number[];
}

export interface CpuExpectation {
  /** rq->curr, by task name ("swapper/1" for the idle task). */
  readonly curr?: string;
  /** The mm the CPU holds lazily (H_curr: curr->mm == NULL); null = curr has an mm of its own. */
  readonly lazy?: MmRef | null;
  /** curr->active_mm. */
  readonly active_mm?: MmRef | null;
  /** The arch's MMU root (hw_root hook). */
  readonly hw_root?: MmRef;
  /** rq->prev_mm. */
  readonly prev_mm?: MmRef | null;
}

export interface TaskExpectation {
  readonly mm?: MmRef | null;
  readonly active_mm?: MmRef | null;
  readonly state?: TaskState;
  /** The CPU the task runs on, is queued on, or will be woken on. */
  readonly cpu?: number;
}

/** What the last command did: useful to assert "this happened in that very step". */
export interface CommandRecord {
  readonly command: string;
  readonly firstStep: number;
  /** Steps taken by the command. */
  readonly steps: number;
  readonly events: readonly TraceEvent[];
  /** The event an `until` stopped at. */
  readonly match: TraceEvent | null;
}

const DEFAULT_MAX_STEPS = 1000;
const DEFAULT_STEP_BUDGET = 20_000;

function hasToken(text: string, token: string): boolean {
  return text.split(/[^A-Za-z0-9_@./-]+/).includes(token);
}

function textMatches(text: string, want: string | RegExp | undefined): boolean {
  if (want === undefined) return true;
  return typeof want === 'string' ? text.includes(want) : want.test(text);
}

export class Scenario implements CommandSink {
  readonly sim: Simulator;
  /** The simulated machine (read it; do not write it). */
  readonly k: Kernel;
  readonly names: ScenarioNames;
  readonly plugin: ArchPlugin<unknown>;
  private readonly events: TraceEvent[];
  private readonly maxSteps: number;
  private readonly traceWidth: number;
  private runResult: RunResult | null = null;
  private lastRecord: CommandRecord | null = null;

  constructor(readonly options: ScenarioOptions) {
    const workload = toExplicitWorkload(options.tasks, {
      ...(options.tickPreemptions !== undefined ? { tickPreemptions: options.tickPreemptions } : {}),
      ...(options.vcpuPreemptions !== undefined ? { vcpuPreemptions: options.vcpuPreemptions } : {}),
      ...(options.deepIdles !== undefined ? { deepIdles: options.deepIdles } : {}),
    });
    this.sim = new Simulator({
      plugin: options.arch,
      archOptions: options.archOptions,
      scheme: options.scheme,
      ...(options.schemeOptions !== undefined ? { schemeOptions: options.schemeOptions } : {}),
      ...(options.schemePlugin !== undefined ? { schemePlugin: options.schemePlugin } : {}),
      ...(options.preempt !== undefined ? { preempt: options.preempt } : {}),
      ...(options.memory !== undefined ? { memory: options.memory } : {}),
      cpus: options.cpus,
      workload: { explicit: workload },
      stepBudget: options.stepBudget ?? DEFAULT_STEP_BUDGET,
      ...(options.mutations !== undefined ? { mutations: options.mutations } : {}),
    });
    this.k = this.sim.k;
    this.plugin = this.sim.plugin;
    this.maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
    this.traceWidth = options.traceWidth ?? (options.cpus <= 2 ? 64 : options.cpus <= 4 ? 48 : 36);
    this.names = new ScenarioNames(this.k, options.cpus, Object.keys(options.tasks));
    const tracer = this.sim.begin(SCENARIO_SEED, { trace: true });
    this.events = tracer?.events ?? [];
    if (this.k.ntasks !== options.cpus + workload.tasks.length) {
      // begin() swallowed a plugin error (reset or init_new_context threw): end() reports it.
      this.runResult = this.sim.end(undefined, { keepDecisions: true });
      const pe = this.runResult.pluginError;
      throw new Error(`scenario: the arch failed while loading the workload${pe !== null ? `: hook ${pe.hook} threw: ${pe.message}` : ''}`);
    }
    for (const [name, id] of this.sim.explicit!.mmIds) this.names.bindMm(name, id);
  }

  // ---- driving --------------------------------------------------------------------------

  /** The builder for one CPU: `s.cpu(1).step().until('free_mm')`. */
  cpu(n: number): CpuDriver {
    if (!Number.isInteger(n) || n < 0 || n >= this.k.ncpu) {
      throw new RangeError(`scenario: CPU${n} does not exist (CPUs 0..${this.k.ncpu - 1})`);
    }
    return new CpuDriver(this, n);
  }

  /** Run a text script (see script.ts): one command per line. */
  run(script: string): this {
    for (const c of parseScript(script)) this.exec(c);
    return this;
  }

  /** Execute one command. */
  exec(c: Command): this {
    const label = c.line !== undefined ? `script line ${c.line} (${formatCommand(c)})` : formatCommand(c);
    this.ensureRunnable(label);
    if (c.cpu < 0 || c.cpu >= this.k.ncpu) throw this.error(`${label}: CPU${c.cpu} does not exist (CPUs 0..${this.k.ncpu - 1})`);
    const firstStep = this.k.step;
    const firstEvent = this.events.length;
    let match: TraceEvent | null = null;
    switch (c.kind) {
      case 'step':
        for (let i = 0; i < c.count; i++) {
          if (!this.stepOnce(c.cpu, c.actor, i === 0 ? label : `${label}, after ${i} of ${c.count} steps`)) break;
        }
        break;
      case 'until':
        match = this.until(c, label);
        break;
      case 'op':
        this.runOp(c.cpu, label);
        break;
      case 'idle':
        this.idle(c.cpu, label);
        break;
      case 'hyp':
        this.hyp(c.cpu, c.action, label);
        break;
    }
    this.lastRecord = {
      command: formatCommand(c),
      firstStep,
      steps: this.k.step - firstStep,
      events: this.events.slice(firstEvent).map((e) => this.renameEvent(e)),
      match,
    };
    return this;
  }

  /** What the last command did (its steps, its events, the event `until` stopped at). */
  get last(): CommandRecord {
    if (this.lastRecord === null) throw new Error('scenario: no command has run yet');
    return this.lastRecord;
  }

  /**
   * Let the rest of the run complete: round-robin over the enabled actors (always the
   * next enabled actor id after the previous one), so the completion is deterministic.
   * Then core checks quiescence (I6) or reports a deadlock. Throws unless the outcome is
   * `opts.expect` (default 'ok').
   */
  finish(opts: FinishOptions = {}): RunResult {
    if (this.runResult !== null) throw this.error('finish(): the run has already ended');
    let outcome: OutcomeKind | undefined;
    let cursor = -1;
    if (this.k.violation === null) {
      for (;;) {
        const en = this.sim.enabledActors();
        if (en.length === 0) break;
        if (this.k.step >= this.sim.cell.stepBudget) {
          outcome = 'budget';
          break;
        }
        const next = en.find((a) => a > cursor) ?? en[0]!;
        cursor = next;
        if (!this.stepRaw(next, 'finish()')) break;
      }
    }
    const r = this.endRun(outcome);
    const want = opts.expect ?? 'ok';
    if (want !== 'any' && r.outcome !== want) {
      const detail =
        r.violation !== null
          ? `: ${r.violation.invariant} (${INVARIANTS[r.violation.invariant].name}) on CPU${r.violation.cpu} at step ${r.violation.step}: ${this.names.rename(r.violation.message)}`
          : r.pluginError !== null
            ? `: hook ${r.pluginError.hook} threw: ${r.pluginError.message}`
            : r.outcome === 'deadlock'
              ? ': no actor can move but tasks are not done'
              : '';
      throw this.error(`finish(): expected outcome ${want}, got ${r.outcome}${detail}`);
    }
    return r;
  }

  /** End the run where it stands (no completion, no quiescence check). */
  stop(): RunResult {
    if (this.runResult !== null) return this.runResult;
    return this.endRun(undefined);
  }

  /** The result once `finish()` / `stop()` ended the run, else null. */
  get result(): RunResult | null {
    return this.runResult;
  }

  /** A replayable artifact of the finished run (core's makeArtifact; replayArtifact reproduces it). */
  artifact(): Artifact {
    if (this.runResult === null) throw new Error('scenario: artifact() needs an ended run (call finish() first)');
    return makeArtifact(this.sim, SCENARIO_SEED, this.runResult);
  }

  // ---- names ----------------------------------------------------------------------------

  /** Core task id of a scenario task ("swapper/<n>" names CPU n's idle task). */
  taskId(name: string): number {
    return this.names.taskId(name);
  }

  /** Core mm id of an mm ("init_mm", a declared process, an alias from nameMm, or an id). */
  mmId(ref: MmRef): number {
    return this.names.mmId(ref);
  }

  /** Give an mm created during the run (fork, exec) a name for queries and traces. */
  nameMm(name: string, ref: MmRef): this {
    const id = this.names.mmId(ref);
    if (id <= INIT_MM) throw new Error(`scenario: nameMm("${name}"): ${this.names.mmName(id)} cannot be renamed`);
    this.names.bindMm(name, id);
    return this;
  }

  /** Display name of an mm id (scenario name, "init_mm", "NULL", or core's M<id>@<addr>). */
  mmName(id: number): string {
    return this.names.mmName(id);
  }

  // ---- queries --------------------------------------------------------------------------

  /** task->mm (NO_MM = -1 for NULL). */
  mmOf(task: string): number {
    return this.k.taskMm[this.taskId(task)]!;
  }

  /** task->active_mm (NO_MM = -1 for NULL). */
  activeMmOf(task: string): number {
    return this.k.taskActiveMm[this.taskId(task)]!;
  }

  taskState(task: string): TaskState {
    return taskState(this.k, this.taskId(task));
  }

  /** rq->curr of a CPU, by scenario name. */
  curr(cpu: number): string {
    return this.names.taskName(this.k.cpuCurr[this.checkCpu(cpu)]!);
  }

  /** The mm a CPU holds lazily (curr->mm == NULL: its active_mm), else NO_MM. */
  lazyMm(cpu: number): number {
    return this.k.lazyMm(this.checkCpu(cpu));
  }

  /** rq->prev_mm (only non-NULL inside the IRQs-off context switch). */
  prevMm(cpu: number): number {
    return this.k.cpuPrevMm[this.checkCpu(cpu)]!;
  }

  /** The arch's MMU root of a CPU (hw_root): the mm whose page tables the MMU may walk. */
  hwRoot(cpu: number): number {
    return hwRoot(this.k, this.checkCpu(cpu));
  }

  stage(mm: MmRef): MmStage {
    return mmStage(this.k, this.liveId(mm));
  }

  mmCount(mm: MmRef): number {
    return this.k.mmCount[this.liveId(mm)]!;
  }

  mmUsers(mm: MmRef): number {
    return this.k.mmUsers[this.liveId(mm)]!;
  }

  /** mm_cpumask(mm) as a list of CPUs. */
  cpumask(mm: MmRef): number[] {
    return maskToCpus(this.k.mmCpumask[this.liveId(mm)]!, this.k.ncpu);
  }

  /** The first violation of the run (the run stops at it), or null. */
  get violation(): Violation | null {
    return this.k.violation;
  }

  /** Steps taken so far. */
  get step(): number {
    return this.k.step;
  }

  /** The trace so far, with scenario names. */
  trace(): TraceEvent[] {
    return this.events.map((e) => this.renameEvent(e));
  }

  /** The trace so far in LKML columns (core's formatTraceColumns). */
  traceText(): string {
    return formatTraceColumns(this.trace(), { ncpu: this.k.ncpu, width: this.traceWidth });
  }

  /** The machine state (CPUs and mms) as text. */
  stateText(): string {
    return describeState(this.k, this.names);
  }

  findEvents(filter: EventFilter): TraceEvent[] {
    const mm = filter.mm !== undefined ? this.names.mmName(this.names.mmId(filter.mm)) : undefined;
    if (filter.task !== undefined) this.taskId(filter.task);
    return this.trace().filter(
      (e) =>
        (filter.fn === undefined || e.fn === filter.fn) &&
        (filter.cpu === undefined || e.cpu === filter.cpu) &&
        (filter.actor === undefined || e.actor === filter.actor) &&
        (filter.since === undefined || e.step >= filter.since) &&
        textMatches(e.text, filter.text) &&
        (mm === undefined || hasToken(e.text, mm)) &&
        (filter.task === undefined || hasToken(e.text, filter.task)),
    );
  }

  costs(): ReturnType<Simulator['costsObject']> {
    return this.sim.costsObject();
  }

  // ---- assertions (all failures carry the state and the trace) ----------------------------

  /** Throw a ScenarioError (with state and trace) unless `cond`. */
  assert(cond: boolean, message: string): void {
    if (!cond) throw this.error(message);
  }

  expectNoViolation(): void {
    const v = this.k.violation;
    if (v !== null) {
      throw this.error(
        `expected no violation, but ${v.invariant} (${INVARIANTS[v.invariant].name}) was violated on CPU${v.cpu} at step ${v.step}: ${this.names.rename(v.message)}`,
        false,
      );
    }
  }

  /** The run must have stopped at a violation of `id` (message: substring or pattern, scenario names). */
  expectViolation(id: InvariantId, message?: string | RegExp): Violation {
    const v = this.k.violation;
    if (v === null) throw this.error(`expected a violation of ${id} (${INVARIANTS[id]?.name ?? '?'}), but none happened`, false);
    const text = this.names.rename(v.message);
    if (v.invariant !== id) {
      throw this.error(`expected a violation of ${id} (${INVARIANTS[id]?.name ?? '?'}), but ${v.invariant} was violated on CPU${v.cpu}: ${text}`, false);
    }
    if (message !== undefined && !textMatches(text, message)) {
      throw this.error(
        `${id} was violated as expected, but its message "${text}" does not match ${typeof message === 'string' ? `"${message}"` : String(message)}`,
        false,
      );
    }
    return v;
  }

  /**
   * The findings of the run so far (core's Simulator.findings(), with scenario names in `task`,
   * `mm` and `other`): every hazard record (I3: a lazy pointer naming a freed mm, recorded while
   * the run goes on) and the first firing of each use site.
   */
  findings(): RunFinding[] {
    return this.sim
      .findings()
      .map((f) =>
        f.kind === 'hazard'
          ? { ...f, task: this.names.rename(f.task), mm: this.names.rename(f.mm) }
          : { ...f, mm: this.names.rename(f.mm), other: f.other === null ? null : this.names.rename(f.other) },
      );
  }

  /** The hazard records of the run so far (scenario names). */
  hazards(): HazardFinding[] {
    return this.findings().filter((f): f is HazardFinding => f.kind === 'hazard');
  }

  /** The use sites that fired so far, first firing of each (scenario names). */
  useSites(): UseSiteFinding[] {
    return this.findings().filter((f): f is UseSiteFinding => f.kind === 'use-site');
  }

  /**
   * A hazard `id` (I3: a lazy pointer naming a freed mm) has been recorded in this run. A
   * hazard does not end the run (under a scheme whose premise is a dangling pointer, `none`;
   * elsewhere I3 is a violation: use expectViolation). Optionally only records of one CPU /
   * holder / mm count. Returns the matching records (scenario names in `task` and `mm`).
   */
  expectHazard(id: 'I3', where: { cpu?: number; holder?: HazardFinding['holder']; mm?: MmRef } = {}): HazardFinding[] {
    const found = this.hazards().filter((f) => f.id === id);
    const mm = where.mm !== undefined ? this.names.mmName(this.names.mmId(where.mm)) : undefined;
    const match = found.filter(
      (f) => (where.cpu === undefined || f.cpu === where.cpu) && (where.holder === undefined || f.holder === where.holder) && (mm === undefined || f.mm === mm),
    );
    if (match.length === 0) {
      const want = `${where.cpu !== undefined ? ` on CPU${where.cpu}` : ''}${where.holder !== undefined ? ` (${where.holder})` : ''}${mm !== undefined ? ` naming ${mm}` : ''}`;
      const got = found.length === 0 ? 'none was recorded' : `only ${found.map((f) => `CPU${f.cpu} (${f.holder}, ${f.mm})`).join(', ')}`;
      throw this.error(`expected hazard ${id}${want}, but ${got}`);
    }
    return match;
  }

  /** No hazard was recorded so far. */
  expectNoHazard(): void {
    const found = this.hazards();
    if (found.length > 0) {
      throw this.error(
        `expected no hazard, but ${found.map((f) => `${f.id} on CPU${f.cpu} at step ${f.step} (${f.holder} of ${f.task} names freed ${f.mm})`).join('; ')}`,
      );
    }
  }

  /**
   * Use site `site` (a kernel function, as declared in CORE_USE_SITES or the arch's
   * `useSites`, e.g. "membarrier_switch_mm") fired in this run: as the I14 violation that
   * ended it, or as a hazard-class finding that did not (the __mmdrop WARN under `none`).
   * `kind` also checks how it fired. Returns its first firing (scenario names).
   */
  expectUseSite(site: string, kind?: UseSiteKind): UseSiteFinding {
    this.checkSite(site);
    const all = this.useSites();
    const f = all.find((x) => x.site === site);
    if (f === undefined)
      throw this.error(`expected use site ${site} to fire, but ${all.length === 0 ? 'none did' : `only ${all.map((x) => x.site).join(', ')} did`}`);
    if (kind !== undefined && f.siteKind !== kind) throw this.error(`use site ${site} fired as ${f.siteKind}, expected ${kind}`);
    return f;
  }

  /** Use site `site` did not fire (all sites when none is named). */
  expectNoUseSite(site?: string): void {
    if (site !== undefined) this.checkSite(site);
    const fired = this.useSites().filter((f) => site === undefined || f.site === site);
    if (fired.length > 0) {
      throw this.error(
        `expected ${site === undefined ? 'no use site' : `use site ${site} not`} to fire, but ${fired.map((f) => `${f.site} (${f.siteKind}) on CPU${f.cpu} at step ${f.step} on ${f.mm}`).join('; ')} did`,
      );
    }
  }

  /** A site id the cell does not declare can never fire: a typo, not a passing assertion. */
  private checkSite(site: string): void {
    if (!this.sim.sites.includes(site)) {
      throw new RangeError(`scenario: "${site}" is not a use site of this cell (declared: ${this.sim.sites.join(', ')})`);
    }
  }

  expectMmFreed(mm: MmRef): void {
    this.expectMm(mm, { stage: 'freed' });
  }

  expectMm(mm: MmRef, want: MmExpectation): void {
    const id = this.liveId(mm);
    const name = this.names.mmName(id);
    const bad: string[] = [];
    if (want.stage !== undefined && this.stage(id) !== want.stage) bad.push(`stage is ${this.stage(id)}, expected ${want.stage}`);
    if (want.mm_users !== undefined && this.mmUsers(id) !== want.mm_users) bad.push(`mm_users is ${this.mmUsers(id)}, expected ${want.mm_users}`);
    if (want.mm_count !== undefined && this.mmCount(id) !== want.mm_count) bad.push(`mm_count is ${this.mmCount(id)}, expected ${want.mm_count}`);
    if (want.mm_cpumask !== undefined) {
      const got = this.cpumask(id);
      const exp = [...want.mm_cpumask].sort((a, b) => a - b);
      if (got.join(',') !== exp.join(',')) bad.push(`mm_cpumask is {${got.join(',')}}, expected {${exp.join(',')}}`);
    }
    if (bad.length > 0) throw this.error(`${name}: ${bad.join('; ')}`);
  }

  expectCpu(cpu: number, want: CpuExpectation): void {
    this.checkCpu(cpu);
    const bad: string[] = [];
    const t = this.k.cpuCurr[cpu]!;
    const mmName = (id: number): string => this.names.mmName(id);
    const cmp = (what: string, got: number, exp: MmRef | null | undefined): void => {
      if (exp === undefined) return;
      const e = exp === null ? NO_MM : this.names.mmId(exp);
      if (got !== e) bad.push(`${what} is ${mmName(got)}, expected ${mmName(e)}`);
    };
    if (want.curr !== undefined) {
      const e = this.taskId(want.curr);
      if (t !== e) bad.push(`curr is ${this.names.taskName(t)}, expected ${want.curr}`);
    }
    cmp('lazy mm', this.k.lazyMm(cpu), want.lazy);
    cmp('curr->active_mm', this.k.taskActiveMm[t]!, want.active_mm);
    cmp('hw_root', this.hwRoot(cpu), want.hw_root);
    cmp('rq->prev_mm', this.k.cpuPrevMm[cpu]!, want.prev_mm);
    if (bad.length > 0) throw this.error(`CPU${cpu}: ${bad.join('; ')}`);
  }

  expectTask(task: string, want: TaskExpectation): void {
    const t = this.taskId(task);
    const bad: string[] = [];
    const cmp = (what: string, got: number, exp: MmRef | null | undefined): void => {
      if (exp === undefined) return;
      const e = exp === null ? NO_MM : this.names.mmId(exp);
      if (got !== e) bad.push(`${what} is ${this.names.mmName(got)}, expected ${this.names.mmName(e)}`);
    };
    cmp('mm', this.k.taskMm[t]!, want.mm);
    cmp('active_mm', this.k.taskActiveMm[t]!, want.active_mm);
    if (want.state !== undefined && taskState(this.k, t) !== want.state) bad.push(`state is ${taskState(this.k, t)}, expected ${want.state}`);
    if (want.cpu !== undefined && this.k.taskCpu[t] !== want.cpu) bad.push(`cpu is ${this.k.taskCpu[t]}, expected ${want.cpu}`);
    if (bad.length > 0) throw this.error(`${task}: ${bad.join('; ')}`);
  }

  /** The first event matching `filter`; throws if there is none. */
  expectEvent(filter: EventFilter): TraceEvent {
    const found = this.findEvents(filter);
    if (found.length === 0) throw this.error(`expected a trace event matching ${this.describeFilter(filter)}, found none`);
    return found[0]!;
  }

  expectNoEvent(filter: EventFilter): void {
    const found = this.findEvents(filter);
    if (found.length > 0) {
      const e = found[0]!;
      throw this.error(`expected no trace event matching ${this.describeFilter(filter)}, but step ${e.step} on CPU${e.cpu} has "${e.fn}: ${e.text}"`);
    }
  }

  // ---- internals ------------------------------------------------------------------------

  /** A ScenarioError with the state and the trace; notes an unexpected violation first. */
  error(headline: string, noteViolation = true): ScenarioError {
    const v = this.k.violation;
    const note =
      noteViolation && v !== null
        ? `\n(note: the run stopped at step ${v.step} with ${v.invariant} (${INVARIANTS[v.invariant].name}) violated on CPU${v.cpu}: ${this.names.rename(v.message)})`
        : '';
    let state: string;
    try {
      state = this.stateText();
    } catch (e) {
      state = `(state unavailable: ${e instanceof Error ? e.message : String(e)})`;
    }
    return new ScenarioError(`${headline}${note}`, state, this.traceText());
  }

  private renameEvent(e: TraceEvent): TraceEvent {
    return { ...e, text: this.names.rename(e.text) };
  }

  private describeFilter(f: EventFilter): string {
    const parts = Object.entries(f).map(([key, val]) => `${key}=${typeof val === 'string' ? `"${val}"` : String(val)}`);
    return `{ ${parts.join(', ')} }`;
  }

  private checkCpu(cpu: number): number {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.k.ncpu) throw new RangeError(`scenario: CPU${cpu} does not exist (CPUs 0..${this.k.ncpu - 1})`);
    return cpu;
  }

  /** An mm id that exists (not NULL). */
  private liveId(mm: MmRef): number {
    const id = this.names.mmId(mm);
    if (id === NO_MM) throw new RangeError('scenario: NULL is not an mm');
    return id;
  }

  private ensureRunnable(label: string): void {
    if (this.runResult !== null) throw this.error(`${label}: the run has already ended (${this.runResult.outcome})`, false);
    const v = this.k.violation;
    if (v !== null) {
      throw this.error(
        `${label}: the run stopped at step ${v.step}: ${v.invariant} (${INVARIANTS[v.invariant].name}) was violated on CPU${v.cpu}: ${this.names.rename(v.message)}. ` +
          'A scenario cannot step past a violation; check it with expectViolation().',
        false,
      );
    }
  }

  private endRun(outcome: OutcomeKind | undefined): RunResult {
    this.runResult = this.sim.end(outcome, { keepDecisions: true });
    return this.runResult;
  }

  /** One step of an actor that is known to be enabled; false once the run stopped (violation). */
  private stepRaw(actor: number, label: string): boolean {
    let ok: boolean;
    try {
      ok = this.sim.stepActor(actor);
    } catch (e) {
      const err = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      throw Object.assign(this.error(`${label}: core threw ${err} (a bug in the model or the scenario, not a kernel violation)`), { cause: e });
    }
    if (!ok && this.k.violation === null) {
      const r = this.endRun(undefined);
      const pe = r.pluginError;
      throw this.error(`${label}: arch plugin error${pe !== null ? ` in hook ${pe.hook}: ${pe.message}` : ''}`);
    }
    return ok;
  }

  /** One step of `actor` on `cpu`, which must be enabled; false once the run stopped (violation). */
  private stepOnce(cpu: number, actor: ActorKind, label: string): boolean {
    const a = actorId(cpu, actor);
    if (!this.sim.enabledActors().includes(a)) {
      const who =
        actor === 'task'
          ? `CPU${cpu} cannot step`
          : actor === 'irq'
            ? `CPU${cpu} has no interrupt to take`
            : actor === 'drain'
              ? `CPU${cpu} has no buffered store to drain`
              : `the hypervisor cannot act on vCPU${cpu}`;
      throw this.error(`${label}: ${who}: ${whyNotEnabled(this.k, this.plugin, this.names, cpu, actor)}`);
    }
    return this.stepRaw(a, label);
  }

  private until(c: Extract<Command, { kind: 'until' }>, label: string): TraceEvent | null {
    const within = c.within ?? this.maxSteps;
    for (let i = 0; i < within; i++) {
      const from = this.events.length;
      const ok = this.stepOnce(c.cpu, c.actor, i === 0 ? label : `${label}: no ${c.fn} on CPU${c.cpu} after ${i} step(s), and then`);
      for (let j = from; j < this.events.length; j++) {
        const e = this.events[j]!;
        if (e.cpu === c.cpu && e.fn === c.fn && textMatches(this.names.rename(e.text), c.text)) return this.renameEvent(e);
      }
      if (!ok) return null;
    }
    throw this.error(`${label}: no ${c.fn} event on CPU${c.cpu} within ${within} steps`);
  }

  private runOp(cpu: number, label: string): void {
    if (!this.stepOnce(cpu, 'task', label)) return;
    for (let n = 1; this.k.cpuSp[cpu]! > 0; n++) {
      if (n >= this.maxSteps) throw this.error(`${label}: the op did not finish within ${this.maxSteps} steps`);
      if (!this.stepOnce(cpu, 'task', `${label}: the op is not finished after ${n} step(s), and`)) return;
    }
  }

  private idle(cpu: number, label: string): void {
    const a = actorId(cpu, 'task');
    for (let n = 0; this.sim.enabledActors().includes(a); n++) {
      if (n >= this.maxSteps) throw this.error(`${label}: CPU${cpu} did not go idle within ${this.maxSteps} steps`);
      if (!this.stepRaw(a, label)) return;
    }
    const t = this.k.cpuCurr[cpu]!;
    if (this.k.taskKind[t] !== constants.TASK_IDLE || this.k.cpuSp[cpu]! > 0) {
      throw this.error(`${label}: CPU${cpu} stopped before it went idle: ${whyNotEnabled(this.k, this.plugin, this.names, cpu, 'task')}`);
    }
  }

  private hyp(cpu: number, action: 'preempt' | 'resume', label: string): void {
    const preempted = this.k.cpuPreempted[cpu] !== 0;
    if (this.plugin.capabilities.vcpuPreemption && preempted !== (action === 'resume')) {
      throw this.error(`${label}: vCPU${cpu} is ${preempted ? 'already preempted' : 'running, not preempted'}`);
    }
    this.stepOnce(cpu, 'hyp', label);
  }
}

/** Create a scenario (tracing on, nothing stepped yet). */
export function scenario(options: ScenarioOptions): Scenario {
  return new Scenario(options);
}
