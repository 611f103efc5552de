/**
 * A simulator for one cell of the configuration space (arch + options, scheme, CPU count,
 * workload, strategy): set up once, then run seed after seed. The run loop allocates
 * nothing per step; a run is a pure function of the cell and the seed.
 */
import { z } from 'zod';
import type { ArchHooks, ArchPlugin } from '../abi/plugin.js';
import { parseArchOptions, validateArchPlugin, validateHooks } from '../abi/validate.js';
import { resolveScheme, type Scheme, SchemeInput, schemeCode } from '../config/scheme.js';
import { C_LAZY_PINNED_MM_STEPS, C_STEPS, costsToObject, type Costs } from '../cost/counters.js';
import { createExplorer, type Explorer, ReplayExplorer, type StrategySpec, StrategySpec as StrategySchema } from '../explorer/strategy.js';
import { CORE_VERSION, MODEL_HASH } from '../generated/model-hash.js';
import { checkCpu, checkQuiescent, checkRefcounts } from '../invariants/check.js';
import { HOOK_NAMES } from '../model/arch-calls.js';
import { ACTORS_PER_CPU, MAX_CPUS, SCHEME_REFCOUNT, SCHEME_SHOOTDOWN, TASK_IDLE, TS_DEAD, TS_UNSTARTED } from '../model/constants.js';
import { Kernel, ModelError, type Violation } from '../model/kernel.js';
import { Stepper } from '../model/step.js';
import { type RunSeed } from '../prng/seed.js';
import { Sfc32 } from '../prng/sfc32.js';
import { Tracer, type TraceEvent } from '../trace/tracer.js';
import { WorkloadGenerator, workloadBounds } from '../workload/generate.js';
import type { WorkloadParams } from '../workload/params.js';
import { type ProfileName, resolveWorkload, type WorkloadSpec } from '../workload/profiles.js';
import { canonicalJson } from './canonical.js';

export const DEFAULT_STEP_BUDGET = 100_000;

/** What a caller gives to create a simulator. */
export interface SimulatorOptions {
  readonly plugin: ArchPlugin<any>;
  readonly archOptions?: unknown;
  readonly scheme: SchemeInput;
  readonly cpus: number;
  readonly workload?: WorkloadSpec | ProfileName;
  readonly strategy?: StrategySpec;
  readonly stepBudget?: number;
}

/** The resolved, serialisable identity of a cell (recorded in artifacts). */
export interface CellConfig {
  readonly arch: { readonly name: string; readonly version: string; readonly options: unknown };
  readonly scheme: Scheme;
  readonly cpus: number;
  readonly workload: { readonly profile: ProfileName; readonly params: WorkloadParams };
  readonly strategy: StrategySpec;
  readonly stepBudget: number;
}

export type OutcomeKind = 'ok' | 'violation' | 'budget' | 'plugin-error' | 'deadlock';

export interface PluginErrorInfo {
  readonly hook: string;
  readonly message: string;
}

export interface RunResult {
  readonly outcome: OutcomeKind;
  readonly steps: number;
  readonly violation: Violation | null;
  readonly pluginError: PluginErrorInfo | null;
  /** The explorer's decisions (actor ids), kept when asked for or when the run did not end ok. */
  readonly decisions: Uint8Array | null;
  /** Trace events, when tracing was on. */
  readonly trace: readonly TraceEvent[] | null;
}

export interface RunOptions {
  /** Record a trace (slower; for replay and scenarios). */
  readonly trace?: boolean;
  /** Replay this decision list instead of asking the strategy. */
  readonly decisions?: ArrayLike<number>;
  /** Keep the decision list even when the run ends ok. */
  readonly keepDecisions?: boolean;
}

const CpusSchema = z.number().int().min(1).max(MAX_CPUS);
const BudgetSchema = z.number().int().min(1).max(100_000_000);

export class Simulator {
  readonly k = new Kernel();
  readonly cell: CellConfig;
  /** Canonical JSON of `cell`: hash it for per-run seeds. */
  readonly cellId: string;
  readonly plugin: ArchPlugin<unknown>;
  private readonly hooks: ArchHooks;
  private readonly stepper: Stepper;
  private readonly generator: WorkloadGenerator;
  private readonly explorer: Explorer;
  private readonly wlRng = new Sfc32();
  private readonly exRng = new Sfc32();
  private readonly enabled: Uint8Array;
  private readonly actorCpu: Uint8Array;
  private readonly actorKind: Uint8Array;
  private readonly decisions: Uint8Array;
  private readonly hyp: boolean;
  private lastEstimate = 0;

  constructor(opts: SimulatorOptions) {
    const plugin = validateArchPlugin(opts.plugin, opts.plugin?.name ?? 'arch plugin');
    this.plugin = plugin;
    const options = parseArchOptions(plugin, opts.archOptions);
    const scheme = resolveScheme(SchemeInput.parse(opts.scheme));
    const cpus = CpusSchema.parse(opts.cpus);
    if (cpus > plugin.capabilities.maxCpus) {
      throw new RangeError(`arch ${plugin.name} models at most ${plugin.capabilities.maxCpus} CPUs, ${cpus} requested`);
    }
    const workload = resolveWorkload(opts.workload ?? 'default');
    const strategy = StrategySchema.parse(opts.strategy ?? { kind: 'random' });
    const stepBudget = BudgetSchema.parse(opts.stepBudget ?? DEFAULT_STEP_BUDGET);
    this.cell = { arch: { name: plugin.name, version: plugin.version, options }, scheme, cpus, workload, strategy, stepBudget };
    this.cellId = canonicalJson(this.cell);

    this.hooks = validateHooks(plugin, plugin.setup(options, { coreVersion: CORE_VERSION, abi: 1 }));
    const k = this.k;
    k.arch = this.hooks;
    k.scheme = schemeCode(scheme);
    k.refcount = k.scheme === SCHEME_REFCOUNT;
    k.shootdown = k.scheme === SCHEME_SHOOTDOWN;
    const b = workloadBounds(workload.params, cpus);
    k.ensureCapacity(cpus, b.tasks, b.mms, b.progWords);
    this.hyp = plugin.capabilities.vcpuPreemption;
    this.stepper = new Stepper(k, plugin.capabilities.irqsOffActivateMm, this.hyp);
    this.generator = new WorkloadGenerator(workload.params);
    this.explorer = createExplorer(strategy);
    const nActors = cpus * ACTORS_PER_CPU;
    this.enabled = new Uint8Array(nActors);
    this.actorCpu = new Uint8Array(nActors);
    this.actorKind = new Uint8Array(nActors);
    for (let a = 0; a < nActors; a++) {
      this.actorCpu[a] = Math.floor(a / ACTORS_PER_CPU);
      this.actorKind[a] = a % ACTORS_PER_CPU;
    }
    this.decisions = new Uint8Array(stepBudget);
  }

  get modelHash(): string {
    return MODEL_HASH;
  }

  /** Cost counters of the last run (a live view: copy it before the next run). */
  get costs(): Float64Array {
    return this.k.cost;
  }

  costsObject(): Costs {
    return costsToObject(this.k.cost);
  }

  /** PCT's estimate of the last run's length (k in the 1/(n k^(d-1)) bound). */
  get estimatedSteps(): number {
    return this.lastEstimate;
  }

  /** Number of explorer actors (n in the PCT bound). */
  get actorCount(): number {
    return this.cell.cpus * (this.hyp ? 3 : 2);
  }

  run(seed: RunSeed, opts: RunOptions = {}): RunResult {
    const k = this.k;
    const tracer = opts.trace === true ? new Tracer(k) : null;
    k.tracer = tracer;
    const explorer = opts.decisions !== undefined ? new ReplayExplorer(opts.decisions) : this.explorer;
    let outcome: OutcomeKind = 'ok';
    let pluginError: PluginErrorInfo | null = null;
    try {
      k.resetState();
      k.hook = 1;
      this.hooks.reset(k);
      k.hook = 0;
      this.wlRng.seed(seed[0], seed[1], seed[2], seed[3]);
      this.exRng.seed(seed[0] ^ 0x5bd1e995, seed[1] ^ 0x27d4eb2f, seed[2] ^ 0x165667b1, seed[3] ^ 0x61c88647);
      this.lastEstimate = this.generator.generate(k, this.wlRng);
      explorer.begin(this.exRng, this.cell.cpus * ACTORS_PER_CPU, this.lastEstimate);
      outcome = this.loop(explorer, tracer);
    } catch (e) {
      if (k.hook !== 0) {
        outcome = 'plugin-error';
        pluginError = { hook: HOOK_NAMES[k.hook] ?? `hook ${k.hook}`, message: e instanceof Error ? e.message : String(e) };
        k.hook = 0;
      } else {
        throw e;
      }
    } finally {
      k.tracer = null;
    }
    const keep = opts.keepDecisions === true || outcome !== 'ok';
    return {
      outcome,
      steps: k.step,
      violation: k.violation,
      pluginError,
      decisions: keep ? this.decisions.slice(0, k.step) : null,
      trace: tracer !== null ? tracer.events : null,
    };
  }

  private loop(explorer: Explorer, tracer: Tracer | null): OutcomeKind {
    const k = this.k;
    const st = this.stepper;
    const en = this.enabled;
    const ncpu = this.cell.cpus;
    const budget = this.cell.stepBudget;
    const hyp = this.hyp;
    const cost = k.cost;
    const decisions = this.decisions;
    for (;;) {
      let n = 0;
      for (let c = 0; c < ncpu; c++) {
        const base = c * ACTORS_PER_CPU;
        if (st.taskEnabled(c)) en[n++] = base;
        if (st.irqEnabled(c)) en[n++] = base + 1;
        if (hyp && st.hypEnabled(c)) en[n++] = base + 2;
      }
      if (n === 0) return this.finish();
      if (k.step >= budget) return 'budget';
      const a = explorer.pick(en, n, k.step);
      decisions[k.step] = a;
      const c = this.actorCpu[a]!;
      const kind = this.actorKind[a]!;
      k.cpu = c;
      if (tracer !== null) tracer.beginStep(k.step, kind === 0 ? 'task' : kind === 1 ? 'irq' : 'hyp');
      if (kind === 0) st.taskStep(c);
      else if (kind === 1) st.irqStep(c);
      else st.hypStep(c);
      checkCpu(k, c);
      if (k.touchedLen > 0) checkRefcounts(k, c);
      cost[C_STEPS]! += 1;
      cost[C_LAZY_PINNED_MM_STEPS]! += k.zombies;
      k.step++;
      if (k.violation !== null) return 'violation';
    }
  }

  /** No actor can move: quiescence (all tasks done) is checked for leaks; anything else is a deadlock. */
  private finish(): OutcomeKind {
    const k = this.k;
    for (let t = 0; t < k.ntasks; t++) {
      const s = k.taskState[t];
      if (k.taskKind[t] !== TASK_IDLE && s !== TS_DEAD && s !== TS_UNSTARTED) return 'deadlock';
    }
    for (let c = 0; c < k.ncpu; c++) {
      if (k.cpuSp[c]! > 0 || k.cpuWait[c]! > 0 || k.ipiLen[c]! > 0) return 'deadlock';
    }
    checkQuiescent(k);
    return k.violation !== null ? 'violation' : 'ok';
  }
}

/** Create a simulator; throws a clear error on an invalid plugin, option, scheme or workload. */
export function createSimulator(opts: SimulatorOptions): Simulator {
  return new Simulator(opts);
}

export { ModelError };
