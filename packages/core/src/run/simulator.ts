/**
 * A simulator for one cell of the configuration space (arch + options, scheme, CPU count,
 * workload, strategy): set up once, then run seed after seed. The run loop allocates
 * nothing per step; a run is a pure function of the cell and the seed.
 */
import { z } from 'zod';
import type { ArchHooks, ArchPlugin } from '../abi/plugin.js';
import { memoryModelRefusal, parseArchOptions, PluginLoadError, PluginSetupError, validateArchPlugin, validateHooks } from '../abi/validate.js';
import { MEMORY_MODELS, type MemoryModel } from '../machine/store-buffer.js';
import { DEFAULT_PREEMPT, formatScheme, PreemptModel, resolveScheme, resolveSchemeOptions, SchemeInput, type SchemeOptions } from '../config/scheme.js';
import type { SchemeHooks, SchemePlugin } from '../scheme/abi.js';
import { builtinScheme } from '../scheme/builtin/index.js';
import { SCHEME_HOOK_BASE, SCHEME_HOOK_IDS, SCHEME_HOOK_NAMES, schemeHasMask } from '../model/scheme-calls.js';
import { validateSchemeHooks, validateSchemePlugin } from '../scheme/validate.js';
import { CORE_USE_SITES, type UseSiteKind } from '../findings/sites.js';
import { C_LAZY_PINNED_AT_END, costsToObject, type Costs } from '../cost/counters.js';
import { createExplorer, type StrategySpec, StrategySpec as StrategySchema } from '../explorer/strategy.js';
import type { Explorer } from '../explorer/explorer.js';
import { ReplayExplorer } from '../explorer/replay.js';
import { CORE_VERSION } from '../generated/version.js';
import { checkCpu, checkQuiescent, checkRefcounts } from '../model/invariant-checks.js';
import { HOOK_IDS, HOOK_NAMES } from '../model/arch-calls.js';
import { ACTOR_KIND_NAMES, ACTORS_PER_CPU, HOLDER_NAMES, MAX_CPUS, PREEMPT_MODELS, TASK_IDLE, TS_DEAD, TS_UNSTARTED } from '../machine/constants.js';
import { HAZARD_IDS, type HazardId, Kernel, ModelError } from '../model/kernel.js';
import { INVARIANTS, type InvariantId, type Violation } from '../invariants/catalog.js';
import { Stepper } from '../model/step.js';
import { StateHasher } from '../model/state-hash.js';
import { KernelSnapshot } from '../model/snapshot.js';
import type { RunSeed } from '../prng/seed.js';
import { Sfc32 } from '../prng/sfc32.js';
import { Tracer, type TraceEvent } from '../trace/tracer.js';
import { WorkloadGenerator, workloadBounds } from '../workload/generate.js';
import type { WorkloadParams } from '../workload/params.js';
import { type ExplicitWorkload, type ExplicitWorkloadInput, ExplicitWorkloadLoader } from '../workload/explicit.js';
import { type ProfileName, resolveWorkload, type WorkloadSpec } from '../workload/profiles.js';
import { type CanonicalWorkloadRef, canonicalWorkloadFor } from '../workload/canonical.js';
import { resolveMutations } from '../mutations/resolve.js';
import { canonicalJson } from './canonical.js';
import { fingerprintInt32 } from '../coverage/fingerprint.js';
import { HLL_REGISTERS, hllAdd } from '../coverage/hll.js';

export const DEFAULT_STEP_BUDGET = 100_000;
/** PCT's step estimate under tso is the workload's times this (store-buffer drains are steps too). */
export const TSO_ESTIMATE_FACTOR = 1.5;

/** What a caller gives to create a simulator. */
export interface SimulatorOptions {
  readonly plugin: ArchPlugin<any>;
  readonly archOptions?: unknown;
  /** The scheme by name (a built-in one, or the name of `schemePlugin`) or as Kconfig symbols. */
  readonly scheme: SchemeInput;
  /** The scheme's options (e.g. { mask: 'online' } for shootdown); validated per scheme. */
  readonly schemeOptions?: unknown;
  /** A scheme plugin (one not built into core: hazptr, lazy-mm-scan, ...); `scheme` must be its name. */
  readonly schemePlugin?: SchemePlugin<any>;
  /** Preemption model of the simulated kernel (CONFIG_PREEMPT_*): default "full". */
  readonly preempt?: PreemptModel;
  /** Memory model: "sc" (default) or "tso" (x86: per-CPU store buffers; ABI v2 plugins that offer it). */
  readonly memory?: MemoryModel;
  readonly cpus: number;
  /**
   * A profile (name or { profile, params }) drawn from each run's seed, an explicit task list, or
   * a canonical workload (`canonical:NAME`: recorded in the cell as its explicit task list).
   */
  readonly workload?: WorkloadSpec | ProfileName | CanonicalWorkloadRef | { readonly explicit: ExplicitWorkloadInput };
  readonly strategy?: StrategySpec;
  readonly stepBudget?: number;
  /**
   * Re-evaluate the per-CPU checks after every step, not only after steps that changed the
   * CPU's mm state (for cross-checking that optimisation; results must be identical).
   */
  readonly checkEveryStep?: boolean;
  /**
   * Named mutations to enable (core ones and the plugin's own; see CORE_MUTATIONS and
   * ArchPlugin.mutations): each restores a historical, since-fixed kernel bug.
   */
  readonly mutations?: readonly string[];
  /**
   * Oracles switched off (invariant ids): their violations are not reported and runs go on.
   * For measuring a bug past the oracle that would stop it first; recorded in the cell.
   */
  readonly disabledInvariants?: readonly InvariantId[];
}

/** The resolved, serialisable identity of a cell (recorded in artifacts). */
export interface CellConfig {
  readonly arch: { readonly name: string; readonly version: string; readonly options: unknown };
  readonly scheme: string;
  /** Scheme options that differ from the scheme's defaults; absent when none do (so cell ids stay put). */
  readonly schemeOptions?: SchemeOptions;
  /**
   * A scheme plugin's version; absent for core's built-in schemes (their version is the
   * core's, which artifacts record as toolVersion and the core fingerprint).
   */
  readonly schemeVersion?: string;
  /** Preemption model when not the default "full". */
  readonly preempt?: PreemptModel;
  /** Memory model when not the default "sc". */
  readonly memory?: MemoryModel;
  readonly cpus: number;
  readonly workload: { readonly profile: ProfileName; readonly params: WorkloadParams } | { readonly explicit: ExplicitWorkload };
  readonly strategy: StrategySpec;
  readonly stepBudget: number;
  /** Enabled mutations, sorted; absent for the unmutated model (so unmutated cell ids are unchanged). */
  readonly mutations?: readonly string[];
  /** Oracles switched off (sorted invariant ids); absent when all are on. */
  readonly disabledInvariants?: readonly InvariantId[];
}

/**
 * How a run ended. `stopped`: it was asked to stop at a finding that does not end runs (a
 * hazard or a use site that is not a violation, RunOptions.stopAt) and got there.
 */
export type OutcomeKind = 'ok' | 'violation' | 'budget' | 'plugin-error' | 'deadlock' | 'stopped';

/** A finding that does not end a run: a hazard id, or a use site (by its id) that fired. */
export type FindingTarget = { readonly hazard: HazardId } | { readonly site: string };

/** One finding of a run, for reports and replay (Simulator.findings()). */
export type RunFinding =
  | {
      readonly kind: 'hazard';
      readonly id: HazardId;
      readonly cpu: number;
      readonly step: number;
      /** Where the dangling pointer lives: a lazy task's active_mm or rq->prev_mm (HOLDER_NAMES). */
      readonly holder: (typeof HOLDER_NAMES)[number];
      readonly task: string;
      readonly mm: string;
      /** Steps the pointer stayed dangling; `open` when it still did when the run ended. */
      readonly danglingSteps: number;
      readonly open: boolean;
    }
  | {
      readonly kind: 'use-site';
      readonly site: string;
      readonly siteKind: UseSiteKind;
      readonly cpu: number;
      readonly step: number;
      readonly mm: string;
      /** The live mm a stale pointer compared equal to (stale compares), else null. */
      readonly other: string | null;
    };

export interface PluginErrorInfo {
  readonly hook: string;
  readonly message: string;
}

export interface RunResult {
  readonly outcome: OutcomeKind;
  readonly steps: number;
  readonly violation: Violation | null;
  /** Bit i: hazard HAZARD_IDS[i] was recorded (the run went on). */
  readonly hazards: number;
  /** Bit i: use site siteIds[i] fired (as the violation that ended the run, or as a hazard). */
  readonly useSites: number;
  /** The cell's use sites in bit order (Simulator.sites; the same array for every run). */
  readonly siteIds: readonly string[];
  readonly pluginError: PluginErrorInfo | null;
  /** The explorer's decisions (actor ids), kept when asked for or when the run did not end ok. */
  readonly decisions: Uint8Array | null;
  /**
   * The choices made inside steps when the explorer enumerated them (Explorer.chooseInStep), kept
   * with the decisions; null when they were drawn from the seed (random, PCT, their replays).
   */
  readonly choices: Uint8Array | null;
  /** Trace events, when tracing was on. */
  readonly trace: readonly TraceEvent[] | null;
}

export interface RunOptions {
  /** Record a trace (slower; for replay and scenarios). */
  readonly trace?: boolean;
  /** Replay this decision list instead of asking the strategy (the same as `explorer: new ReplayExplorer(decisions)`). */
  readonly decisions?: ArrayLike<number>;
  /** With `decisions`: the run's choice list (RunResult.choices), for a run whose explorer enumerated choices. */
  readonly choices?: ArrayLike<number>;
  /**
   * Schedule this run with `explorer` instead of the cell's strategy (not with `decisions`):
   * LenientReplayExplorer, RecordingExplorer, GuidedExplorer or any other Explorer. It gets
   * the run's explorer PRNG stream; its picks are checked to be enabled; it may end the run
   * itself (Explorer.stepLimit). The decisions it took replay the run exactly.
   */
  readonly explorer?: Explorer;
  /** Keep the decision list even when the run ends ok. */
  readonly keepDecisions?: boolean;
  /** End the run right after the step where this hazard or use site first fires (outcome `stopped`). */
  readonly stopAt?: FindingTarget;
}

const CpusSchema = z.number().int().min(1).max(MAX_CPUS);
const MemoryModelSchema = z.enum(MEMORY_MODELS, { message: `memory must be one of ${MEMORY_MODELS.join(', ')}` });
const BudgetSchema = z.number().int().min(1).max(100_000_000);

export class Simulator {
  readonly k = new Kernel();
  readonly cell: CellConfig;
  /** Canonical JSON of `cell`: hash it for per-run seeds. */
  readonly cellId: string;
  readonly plugin: ArchPlugin<unknown>;
  readonly schemePlugin: SchemePlugin<unknown>;
  private readonly hooks: ArchHooks;
  private readonly schemeHooks: SchemeHooks;
  /** The step executor (exposed for tests and tools that inspect enabled actors). */
  readonly stepper: Stepper;
  /**
   * Why this cell's states cannot be hashed for exhaustive search (a plugin that does not
   * declare all of its per-run state: ArchPlugin.declaresState, SchemePlugin.declaresState),
   * or null when they can (stateHasher()).
   */
  readonly stateHashRefusal: string | null;
  private readonly generator: WorkloadGenerator | null;
  /** Set when the cell runs an explicit workload: resolves task and mm names. */
  readonly explicit: ExplicitWorkloadLoader | null;
  private readonly explorer: Explorer;
  private readonly wlRng = new Sfc32();
  private readonly exRng = new Sfc32();
  private readonly enabled: Uint8Array;
  private readonly actorCpu: Uint8Array;
  private readonly actorKind: Uint8Array;
  private readonly decisions: Uint8Array;
  private readonly hyp: boolean;
  private readonly checkEveryStep: boolean;
  private lastEstimate = 0;
  /** Coverage sink: HyperLogLog registers the abstract-state fingerprints go to (null: off). */
  private cov: Uint8Array | null = null;

  constructor(opts: SimulatorOptions) {
    const plugin = validateArchPlugin(opts.plugin, opts.plugin?.name ?? 'arch plugin');
    this.plugin = plugin;
    const options = parseArchOptions(plugin, opts.archOptions);
    const scheme = resolveScheme(SchemeInput.parse(opts.scheme));
    const schemePlugin = resolveSchemePlugin(scheme, opts.schemePlugin);
    const builtin = builtinScheme(scheme) === schemePlugin;
    const schemeOptions = resolveSchemeOptions(schemePlugin, opts.schemeOptions);
    this.schemePlugin = schemePlugin;
    const preempt = PreemptModel.parse(opts.preempt ?? DEFAULT_PREEMPT);
    const memory = MemoryModelSchema.parse(opts.memory ?? 'sc');
    const refusal = memoryModelRefusal(plugin, memory);
    if (refusal !== null) throw new PluginLoadError(refusal);
    const cpus = CpusSchema.parse(opts.cpus);
    const caps = plugin.capabilitiesFor?.(options) ?? plugin.capabilities;
    const maxCpus = Math.min(caps.maxCpus, plugin.capabilities.maxCpus);
    if (cpus > maxCpus) throw new RangeError(`arch ${plugin.name} models at most ${maxCpus} CPUs, ${cpus} requested`);
    const wl = opts.workload ?? 'default';
    const explicitInput = typeof wl === 'object' && 'explicit' in wl ? wl.explicit : canonicalWorkloadFor(wl, cpus);
    const explicit = explicitInput !== null ? new ExplicitWorkloadLoader(explicitInput, cpus) : null;
    const workload = explicit !== null ? { explicit: explicit.spec } : resolveWorkload(wl as WorkloadSpec | ProfileName);
    const strategy = StrategySchema.parse(opts.strategy ?? { kind: 'random' });
    const stepBudget = BudgetSchema.parse(opts.stepBudget ?? DEFAULT_STEP_BUDGET);
    const mutations = resolveMutations(opts.mutations, plugin);
    const disabled = [...new Set(opts.disabledInvariants ?? [])].sort();
    for (const id of disabled)
      if (!(id in INVARIANTS)) throw new RangeError(`disabledInvariants: unknown invariant "${id}" (known: ${Object.keys(INVARIANTS).join(', ')})`);
    this.cell = {
      arch: { name: plugin.name, version: plugin.version, options },
      scheme,
      ...(schemeOptions !== null ? { schemeOptions } : {}),
      ...(!builtin ? { schemeVersion: schemePlugin.version } : {}),
      ...(preempt !== DEFAULT_PREEMPT ? { preempt } : {}),
      ...(memory !== 'sc' ? { memory } : {}),
      cpus,
      workload,
      strategy,
      stepBudget,
      ...(mutations.ids.length > 0 ? { mutations: mutations.ids } : {}),
      ...(disabled.length > 0 ? { disabledInvariants: disabled } : {}),
    };
    this.cellId = canonicalJson(this.cell);

    // setup() is the plugin's code: what it throws (or returns) is reported against this cell.
    const setupFailed = (who: string, e: unknown): PluginSetupError =>
      e instanceof PluginSetupError
        ? e
        : new PluginSetupError(
            e instanceof PluginLoadError ? e.message : `${who}: setup() threw: ${e instanceof Error ? e.message : String(e)}`,
            this.cellId,
            who,
            { cause: e },
          );
    try {
      this.hooks = validateHooks(plugin, plugin.setup(options, { coreVersion: CORE_VERSION, abi: plugin.abi, memory, mutations: mutations.arch }));
    } catch (e) {
      throw setupFailed(`arch plugin ${plugin.name}`, e);
    }
    if (caps.vcpuPreemption && (typeof this.hooks.vcpu_preempt !== 'function' || typeof this.hooks.vcpu_resume !== 'function')) {
      throw new PluginLoadError(`arch plugin ${plugin.name}: capabilitiesFor() gives vcpuPreemption, which needs vcpu_preempt and vcpu_resume hooks`);
    }
    const k = this.k;
    k.arch = this.hooks;
    k.memory = memory;
    k.mutations = mutations.coreBits;
    const fullSchemeOptions = schemePlugin.options.parse(schemeOptions ?? {});
    try {
      this.schemeHooks = validateSchemeHooks(
        schemePlugin,
        schemePlugin.setup(fullSchemeOptions, { coreVersion: CORE_VERSION, abi: schemePlugin.abi, memory, arch: plugin.name, archOptions: options }),
      );
    } catch (e) {
      throw setupFailed(`scheme plugin ${schemePlugin.name}`, e);
    }
    k.scheme = this.schemeHooks;
    k.schemeHas = schemeHasMask(this.schemeHooks);
    k.schemeName = schemePlugin.name;
    k.schemeLabel = formatScheme(schemePlugin.name, schemeOptions);
    k.shootdown = schemePlugin.kconfig.MMU_LAZY_TLB_SHOOTDOWN;
    k.danglingPremise = schemePlugin.claims.danglingPremise;
    k.noPrevMm = schemePlugin.restructures?.noPrevMm === true;
    k.preemptLevel = PREEMPT_MODELS.indexOf(preempt);
    const sites = [...CORE_USE_SITES, ...(plugin.useSites ?? []), ...(schemePlugin.useSites ?? [])];
    const clash = (schemePlugin.useSites ?? []).find((u) => (plugin.useSites ?? []).some((a) => a.id === u.id));
    if (clash !== undefined)
      throw new PluginLoadError(`scheme plugin ${schemePlugin.name} declares use site "${clash.id}", which arch ${plugin.name} declares too`);
    const patched = (schemePlugin.patchedSites?.(fullSchemeOptions) ?? []).filter((id) => sites.some((u) => u.id === id));
    k.setSites(sites, patched);
    k.disabled = new Set(disabled);
    this.sites = k.sites.map((u) => u.id);
    if (explicit !== null) {
      k.ensureCapacity(cpus, explicit.taskCount, explicit.mmBound, explicit.progWords);
    } else {
      const b = workloadBounds((workload as { params: WorkloadParams }).params, cpus);
      k.ensureCapacity(cpus, b.tasks, b.mms, b.progWords);
    }
    this.explicit = explicit;
    this.hyp = caps.vcpuPreemption;
    this.stepper = new Stepper(k, caps.irqsOffActivateMm, this.hyp);
    this.stateHashRefusal =
      plugin.declaresState !== true
        ? `arch plugin ${plugin.name}@${plugin.version} does not declare its per-run state (declaresState): its states cannot be hashed`
        : schemePlugin.declaresState !== true
          ? `scheme plugin ${schemePlugin.name}@${schemePlugin.version} does not declare its per-run state (declaresState): its states cannot be hashed`
          : null;
    this.generator = explicit !== null ? null : new WorkloadGenerator((workload as { params: WorkloadParams }).params);
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
    this.checkEveryStep = opts.checkEveryStep === true;
    this.activeExplorer = this.explorer;
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

  /**
   * Coverage mode: after every step that changed mm state (an arch hook ran, an active_mm
   * changed, or an mm's count or holders changed), add the abstract-state fingerprint of the
   * machine (coverage/fingerprint.ts) to `registers`, a HyperLogLog register array of
   * HLL_REGISTERS bytes that the caller owns (swap it between runs to sketch runs apart).
   * `null` turns it off (the default; then it costs one null check per step). Results of the
   * runs are the same either way.
   */
  setCoverageSink(registers: Uint8Array | null): void {
    if (registers !== null && registers.length !== HLL_REGISTERS) {
      throw new RangeError(`a coverage sink has ${HLL_REGISTERS} registers, got ${registers.length}`);
    }
    this.cov = registers;
  }

  /** The current coverage sink (null: coverage off). */
  get coverageSink(): Uint8Array | null {
    return this.cov;
  }

  /** The cell's use sites (core + arch), in RunResult.useSites bit order. */
  readonly sites: readonly string[];

  /**
   * The findings of the last run (allocates; for reports and replay): every hazard record, in
   * the order recorded, and the first firing of each use site. Records past the per-run cap
   * are counted only (Kernel.hazardOverflow).
   */
  findings(): RunFinding[] {
    const k = this.k;
    const out: RunFinding[] = [];
    for (let r = 0; r < k.hzLen; r++) {
      const until = k.hzUntil[r]!;
      out.push({
        kind: 'hazard',
        id: 'I3',
        cpu: k.hzCpu[r]!,
        step: k.hzStep[r]!,
        holder: HOLDER_NAMES[k.hzHolder[r]!]!,
        task: k.taskName(k.hzTask[r]!),
        mm: k.mmName(k.hzMm[r]!),
        danglingSteps: (until === -1 ? k.step : until) - k.hzStep[r]!,
        open: until === -1,
      });
    }
    for (let i = 0; i < k.sites.length; i++) {
      if ((k.siteMask & (1 << i)) === 0) continue;
      const other = k.siteOther[i]!;
      out.push({
        kind: 'use-site',
        site: k.sites[i]!.id,
        siteKind: k.sites[i]!.kind,
        cpu: k.siteCpu[i]!,
        step: k.siteStep[i]!,
        mm: k.mmName(k.siteMm[i]!),
        other: other >= 0 ? k.mmName(other) : null,
      });
    }
    return out;
  }

  /** Number of explorer actors (n in the PCT bound). */
  get actorCount(): number {
    return this.cell.cpus * ((this.hyp ? 3 : 2) + (this.k.memory === 'tso' ? 1 : 0));
  }

  run(seed: RunSeed, opts: RunOptions = {}): RunResult {
    const tracer = this.begin(seed, opts);
    let outcome: OutcomeKind | undefined = 'ok';
    if (this.pendingError === null) {
      try {
        const stop = opts.stopAt === undefined ? null : this.targetMask(opts.stopAt);
        // The strategy and a `decisions` replay run in loop() as ever; an injected explorer in loopWith().
        outcome = opts.explorer === undefined ? this.loop(tracer, stop) : this.loopWith(opts.explorer, tracer, stop);
      } catch (e) {
        outcome = this.catchPluginError(e);
      }
    }
    return this.end(outcome, opts);
  }

  // ---- step-by-step control (directed scenarios) ------------------------------------------

  private activeExplorer: Explorer;
  private activeTracer: Tracer | null = null;
  private pendingError: PluginErrorInfo | null = null;
  /** The pending plugin error was thrown during a step (not while setting the run up). */
  private errorInStep = false;

  /** Reset and load the workload for `seed` without taking a step. Returns the tracer, if tracing. */
  begin(seed: RunSeed, opts: RunOptions = {}): Tracer | null {
    const k = this.k;
    const tracer = opts.trace === true ? new Tracer(k) : null;
    k.tracer = tracer;
    this.activeTracer = tracer;
    if (opts.decisions !== undefined && opts.explorer !== undefined) throw new Error('RunOptions: give decisions or explorer, not both');
    if (opts.choices !== undefined && opts.decisions === undefined) throw new Error('RunOptions: choices replay with decisions');
    this.activeExplorer =
      opts.explorer ??
      (opts.decisions !== undefined ? new ReplayExplorer(opts.decisions, opts.choices !== undefined ? { choices: opts.choices } : {}) : this.explorer);
    this.nChoices = 0;
    this.runId++;
    const ex = this.activeExplorer;
    k.chooser = ex.chooseInStep !== undefined ? (n) => this.recordChoice(ex.chooseInStep!(n, k.step)) : null;
    this.pendingError = null;
    this.errorInStep = false;
    try {
      // Exhaustive search hashes and snapshots whole arrays: start it from a state that does not depend on earlier runs.
      if (k.chooser !== null) k.scrub();
      k.resetState();
      k.hook = HOOK_IDS.reset;
      this.hooks.reset(k);
      k.hook = SCHEME_HOOK_IDS.reset;
      this.schemeHooks.reset(k);
      k.hook = 0;
      this.wlRng.seed(seed[0], seed[1], seed[2], seed[3]);
      this.exRng.seed(seed[0] ^ 0x5bd1e995, seed[1] ^ 0x27d4eb2f, seed[2] ^ 0x165667b1, seed[3] ^ 0x61c88647);
      k.rng.seed(seed[0] ^ 0x85ebca6b, seed[1] ^ 0xc2b2ae35, seed[2] ^ 0x9e3779b9, seed[3] ^ 0x7feb352d);
      this.lastEstimate = this.generator !== null ? this.generator.generate(k, this.wlRng) : this.explicit!.generate(k);
      // PCT draws its change points over the estimate, so it must not fall short of the run: the
      // store buffers' drains lengthen runs (measured on x86-native v6.18, 4 CPUs, default
      // workload: 371 steps under tso for 295 under sc, the estimate 370), hence the factor.
      if (k.memory === 'tso') this.lastEstimate = Math.ceil(this.lastEstimate * TSO_ESTIMATE_FACTOR);
      k.rqCurr.set(k.cpuCurr.subarray(0, k.rqCurr.length));
      k.sb.sync(); // memory starts equal to every CPU's view
      this.activeExplorer.begin(this.exRng, this.cell.cpus * ACTORS_PER_CPU, this.lastEstimate, this.cell.stepBudget);
    } catch (e) {
      this.catchPluginError(e, false);
    }
    return tracer;
  }

  /**
   * A fingerprinter of this cell's state between steps (model/state-hash.ts), for exhaustive
   * search with state hashing: refresh() it after each Simulator.begin (Explorer.begin is the
   * place), then hash(). Throws when the cell's plugins do not declare their state (stateHashRefusal).
   */
  stateHasher(): StateHasher {
    if (this.stateHashRefusal !== null) throw new Error(this.stateHashRefusal);
    return new StateHasher(this.k);
  }

  /** Runs begun (identifies the run a snapshot list was collected for). */
  private runId = 0;
  private snap: KernelSnapshot | null = null;
  private snapRun = -1;
  private experimentChose = false;
  private readonly experimentChooser = (): number => {
    this.experimentChose = true;
    return 0;
  };

  /**
   * Partial-order reduction's question, answered by experiment: in the state now (between two
   * steps of a run), do the next steps of actors `a` and `b` commute? Takes a then b, and b then
   * a, from this state and comes back to it (KernelSnapshot): true when both orders can be
   * taken (each actor still enabled after the other's step), neither violates an invariant,
   * throws or makes an in-step choice, and both reach the same state (`hasher`'s fingerprint)
   * with the same hazards and use sites recorded. The state, the enabled actors and everything
   * recorded are as before the call. For exhaustive search; cells whose plugins declare their
   * state only (stateHashRefusal).
   */
  commutes(a: number, b: number, hasher: StateHasher): boolean {
    if (!(a >= 0 && a < 32)) throw new RangeError(`commutes: actor ${a} (actor ids below 32: at most 8 CPUs)`);
    return this.commutesWith(b, 1 << a, hasher) !== 0;
  }

  /**
   * commutes(u, a) for every actor u in the bitmask `candidates` (actor ids < 32), in one go:
   * the state is captured once. Returns the bitmask of those whose next step commutes with
   * a's. The two orders' states are compared exactly (StateHasher.keep/sameAsKept: what
   * `hasher` hashes), not by fingerprint.
   */
  commutesWith(a: number, candidates: number, hasher: StateHasher): number {
    if (this.stateHashRefusal !== null) throw new Error(this.stateHashRefusal);
    const k = this.k;
    if (this.snap === null) this.snap = new KernelSnapshot(k);
    if (this.snapRun !== this.runId) {
      this.snap.refresh();
      this.snapRun = this.runId;
    }
    const snap = this.snap;
    snap.capture();
    const chooser = k.chooser;
    const tracer = k.tracer;
    const cov = this.cov;
    const pending = this.pendingError;
    const inStep = this.errorInStep;
    k.chooser = this.experimentChooser;
    k.tracer = null;
    this.cov = null;
    let out = 0;
    let cand = candidates >>> 0;
    for (let u = 0; cand !== 0; u++, cand >>>= 1) {
      if ((cand & 1) === 0) continue;
      this.experimentChose = false;
      let same = false;
      if (this.tryStep(u) && this.tryStep(a)) {
        hasher.keep();
        const hazards = k.hazardMask;
        const sites = k.siteMask;
        snap.restore();
        if (this.tryStep(a) && this.tryStep(u)) same = k.hazardMask === hazards && k.siteMask === sites && hasher.sameAsKept();
      }
      snap.restore();
      if (same && !this.experimentChose) out |= 1 << u;
    }
    k.chooser = chooser;
    k.tracer = tracer;
    this.cov = cov;
    this.pendingError = pending;
    this.errorInStep = inStep;
    this.collectEnabled(); // the caller's enabled buffer holds this state's actors again
    return out >>> 0;
  }

  // ---- stateful exhaustive search: points of a run to come back to ---------------------------

  /** A point of this simulator's runs to come back to (saveRun, restoreRun): allocate one per slot, reuse it. */
  newRunPoint(): RunPoint {
    if (this.stateHashRefusal !== null) throw new Error(this.stateHashRefusal);
    return new RunPoint(new KernelSnapshot(this.k));
  }

  /**
   * Save the state now, between two steps of the current run, into `p`: the whole Kernel
   * (KernelSnapshot: typed arrays, scalars, store buffers, slab, the plugins' declared state,
   * the violation), the in-step PRNG (k.rng) and the run's own state here (in-step choices
   * made so far). The run's explorer keeps its own position (it is the caller's).
   */
  saveRun(p: RunPoint): void {
    if (this.pendingError !== null || this.k.violation !== null) throw new Error('saveRun: the run has ended');
    if (p.run !== this.runId) {
      p.snap.refresh();
      p.run = this.runId;
    }
    p.snap.capture();
    p.step = this.k.step;
    p.nChoices = this.nChoices;
    const r = this.k.rng as unknown as Sfc32State;
    p.rng[0] = r.a;
    p.rng[1] = r.b;
    p.rng[2] = r.c;
    p.rng[3] = r.d;
  }

  /**
   * Go back to a point saved in the current run (saveRun): the run goes on from there with
   * resume(). Only within one run (begin() starts another: its points are void), and the
   * decisions and choices up to the point must be the run's (the caller restores a point of
   * the branch it is on): the decision and choice buffers are not saved.
   */
  restoreRun(p: RunPoint): void {
    if (p.run !== this.runId) throw new Error('restoreRun: the point was saved in another run');
    p.snap.restore();
    this.nChoices = p.nChoices;
    const r = this.k.rng as unknown as Sfc32State;
    r.a = p.rng[0]!;
    r.b = p.rng[1]!;
    r.c = p.rng[2]!;
    r.d = p.rng[3]!;
    this.pendingError = null;
    this.errorInStep = false;
    this.k.tracer = null;
    this.activeTracer = null;
  }

  /**
   * Go on with the current run from where it stands (after restoreRun) to its end, with the
   * run's explorer (`opts.explorer`, the one begin() was given), as run() would after begin().
   */
  resume(opts: RunOptions & { readonly explorer: Explorer }): RunResult {
    if (opts.explorer !== this.activeExplorer) throw new Error('resume: give the explorer the run began with');
    if (opts.trace === true || opts.stopAt !== undefined || opts.decisions !== undefined) throw new Error('resume: no trace, stopAt or decisions');
    let outcome: OutcomeKind | undefined;
    try {
      outcome = this.loopWith(opts.explorer, null, null);
    } catch (e) {
      outcome = this.catchPluginError(e);
    }
    return this.end(outcome, opts);
  }

  /** One step of an experiment (commutes()): false when the actor is not enabled, the step throws, violates or makes a choice. */
  private tryStep(x: number): boolean {
    const n = this.collectEnabled();
    let on = false;
    for (let i = 0; i < n; i++) if (this.enabled[i] === x) on = true;
    if (!on) return false;
    try {
      this.doStep(x, null);
    } catch {
      return false;
    }
    return this.k.violation === null && !this.experimentChose;
  }

  /** Choices made inside steps this run (Explorer.chooseInStep), in order; grown on demand. */
  private choiceBuf = new Uint8Array(64);
  private nChoices = 0;

  private recordChoice(c: number): number {
    if (this.nChoices === this.choiceBuf.length) {
      const b = new Uint8Array(this.choiceBuf.length * 2);
      b.set(this.choiceBuf);
      this.choiceBuf = b;
    }
    this.choiceBuf[this.nChoices++] = c;
    return c;
  }

  /** Actor ids enabled now (actor = cpu * ACTORS_PER_CPU + 0 task / 1 irq / 2 hypervisor / 3 store-buffer drain). */
  enabledActors(): number[] {
    const n = this.collectEnabled();
    return Array.from(this.enabled.subarray(0, n));
  }

  /**
   * Take one step with `actor` (must be enabled). Returns false once the run has ended (a
   * violation or plugin error); the caller then calls end().
   */
  stepActor(actor: number): boolean {
    if (this.pendingError !== null || this.k.violation !== null) return false;
    const n = this.collectEnabled();
    let ok = false;
    for (let i = 0; i < n; i++) if (this.enabled[i] === actor) ok = true;
    if (!ok) throw new Error(`actor ${actor} (CPU${Math.floor(actor / ACTORS_PER_CPU)} ${ACTOR_KIND_NAMES[actor % ACTORS_PER_CPU]}) is not enabled now`);
    try {
      this.doStep(actor, this.activeTracer);
    } catch (e) {
      this.catchPluginError(e);
      return false;
    }
    return this.k.violation === null;
  }

  /** Finish a run: with no actor enabled, quiescence (I6) or deadlock; otherwise as it stands. */
  end(outcome?: OutcomeKind, opts: RunOptions = {}): RunResult {
    const k = this.k;
    let kind: OutcomeKind;
    if (this.pendingError !== null) kind = 'plugin-error';
    else if (outcome !== undefined) kind = outcome;
    else if (k.violation !== null) kind = 'violation';
    else kind = this.collectEnabled() === 0 ? this.finish() : 'ok';
    const tracer = this.activeTracer;
    k.tracer = null;
    k.finishAccounting();
    this.activeTracer = null;
    const keep = opts.keepDecisions === true || kind !== 'ok';
    return {
      outcome: kind,
      steps: k.step,
      violation: k.violation,
      hazards: k.hazardMask,
      useSites: k.siteMask,
      siteIds: this.sites,
      pluginError: this.pendingError,
      // A hook that threw did so inside step k.step: keep that step's decision so the replay
      // takes it too and throws again (the artifact reproduces the plugin error).
      decisions: keep ? this.decisions.slice(0, this.errorInStep ? k.step + 1 : k.step) : null,
      choices: keep && k.chooser !== null ? this.choiceBuf.slice(0, this.nChoices) : null,
      trace: tracer !== null ? tracer.events : null,
    };
  }

  private catchPluginError(e: unknown, inStep = true): OutcomeKind {
    const k = this.k;
    this.errorInStep = inStep;
    // The model's own errors stay the model's, whichever hook was running when they surfaced.
    if (k.hook === 0 || e instanceof ModelError) throw e;
    const hook =
      k.hook >= SCHEME_HOOK_BASE
        ? `${SCHEME_HOOK_NAMES[k.hook - SCHEME_HOOK_BASE] ?? `hook ${k.hook}`} (scheme ${k.schemeName})`
        : (HOOK_NAMES[k.hook] ?? `hook ${k.hook}`);
    this.pendingError = { hook, message: e instanceof Error ? e.message : String(e) };
    k.hook = 0;
    return 'plugin-error';
  }

  private collectEnabled(): number {
    return this.stepper.collectEnabled(this.enabled);
  }

  private doStep(a: number, tracer: Tracer | null): void {
    const k = this.k;
    this.decisions[k.step] = a;
    const c = this.actorCpu[a]!;
    const kind = this.actorKind[a]!;
    k.cpu = c;
    k.dirtyCpus |= 1 << c;
    if (tracer !== null) tracer.beginStep(k.step, ACTOR_KIND_NAMES[kind]!);
    k.mmStateTouched = false;
    if (kind === 0) this.stepper.taskStep(c);
    else if (kind === 1) this.stepper.irqStep(c);
    else if (kind === 2) this.stepper.hypStep(c);
    else this.stepper.drainStep(c);
    if (k.mmStateTouched || this.checkEveryStep) checkCpu(k, c);
    if (this.cov !== null && (k.mmStateTouched || k.touchedLen > 0)) hllAdd(this.cov, fingerprintInt32(k));
    if (k.touchedLen > 0) checkRefcounts(k, c);
    k.step++;
    // A hazard record closes when its CPU stops naming the mm: only a step that changed mm state can do that.
    if (k.danglingOpen > 0 && k.mmStateTouched) k.closeDangling();
    if (k.step === k.vcpuNextAt) k.dirtyCpus = -1; // a vCPU preemption becomes possible
    if (k.vcpusPreempted > 0) k.tickVcpuClocks();
  }

  /** `stop`: [hazard mask, site mask] of RunOptions.stopAt, or null. */
  private loop(tracer: Tracer | null, stop: readonly [number, number] | null): OutcomeKind {
    const k = this.k;
    const explorer = this.activeExplorer;
    const budget = this.cell.stepBudget;
    const en = this.enabled;
    for (;;) {
      const n = this.collectEnabled();
      if (n === 0) return this.finish();
      if (k.step >= budget) return 'budget';
      this.doStep(explorer.pick(en, n, k.step), tracer);
      if (k.violation !== null) return 'violation';
      if (stop !== null && ((k.hazardMask & stop[0]) !== 0 || (k.siteMask & stop[1]) !== 0)) return 'stopped';
    }
  }

  /**
   * loop() for an injected explorer (RunOptions.explorer): its picks are checked,
   * and it may end the run where it stands (undefined: end() decides, as for a step-by-step run).
   */
  private loopWith(explorer: Explorer, tracer: Tracer | null, stop: readonly [number, number] | null): OutcomeKind | undefined {
    const k = this.k;
    const budget = this.cell.stepBudget;
    const limit = explorer.stepLimit ?? Infinity;
    const en = this.enabled;
    for (;;) {
      const n = this.collectEnabled();
      if (n === 0) return this.finish();
      if (k.step >= limit) return undefined;
      if (k.step >= budget) return 'budget';
      const a = explorer.pick(en, n, k.step);
      let ok = false;
      for (let i = 0; i < n; i++) if (en[i] === a) ok = true;
      if (!ok) throw new Error(`step ${k.step}: the explorer picked actor ${a}, which is not enabled (enabled: ${Array.from(en.subarray(0, n)).join(',')})`);
      this.doStep(a, tracer);
      if (k.violation !== null) return 'violation';
      if (stop !== null && ((k.hazardMask & stop[0]) !== 0 || (k.siteMask & stop[1]) !== 0)) return 'stopped';
    }
  }

  private targetMask(t: FindingTarget): readonly [number, number] {
    if ('hazard' in t) {
      const i = (HAZARD_IDS as readonly string[]).indexOf(t.hazard);
      if (i < 0) throw new Error(`stopAt: unknown hazard "${t.hazard}" (known: ${HAZARD_IDS.join(', ')})`);
      return [1 << i, 0];
    }
    const i = this.k.sites.findIndex((s) => s.id === t.site);
    if (i < 0) throw new Error(`stopAt: use site "${t.site}" is not declared in this cell (sites: ${this.sites.join(', ')})`);
    return [0, 1 << i];
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
    try {
      checkQuiescent(k); // calls the scheme's lazy_refs
    } catch (e) {
      return this.catchPluginError(e, false);
    }
    k.cost[C_LAZY_PINNED_AT_END] = k.lazyPinned;
    return k.violation !== null ? 'violation' : 'ok';
  }
}

/** Sfc32's state words (private fields; read and written by saveRun/restoreRun only). */
interface Sfc32State {
  a: number;
  b: number;
  c: number;
  d: number;
}

/** A saved point of a run (Simulator.newRunPoint, saveRun, restoreRun): opaque to callers. */
export class RunPoint {
  /** The run it was saved in (Simulator's run id; -1: none yet). */
  run = -1;
  /** The step count at the point (k.step). */
  step = 0;
  nChoices = 0;
  readonly rng = new Int32Array(4);
  constructor(readonly snap: KernelSnapshot) {}
}

/**
 * The scheme plugin of a cell: `plugin` when given (validated, and its name must be the
 * cell's), else the built-in scheme of that name.
 */
function resolveSchemePlugin(name: string, plugin: SchemePlugin<any> | undefined): SchemePlugin<unknown> {
  if (plugin !== undefined) {
    const p = validateSchemePlugin(plugin, plugin?.name ?? 'scheme plugin');
    if (p.name !== name) throw new PluginLoadError(`scheme "${name}" was asked for, but the scheme plugin given is "${p.name}"`);
    return p;
  }
  const b = builtinScheme(name);
  if (b === undefined) {
    throw new PluginLoadError(
      `unknown scheme "${name}": core's built-in schemes are refcount, shootdown and none; pass a scheme plugin (schemePlugin) for any other`,
    );
  }
  return b;
}

/** Create a simulator; throws a clear error on an invalid plugin, option, scheme or workload. */
export function createSimulator(opts: SimulatorOptions): Simulator {
  return new Simulator(opts);
}

export { ModelError };
