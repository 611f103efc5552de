/**
 * Failure artifacts: everything needed to replay a run exactly (model-spec §10): tool
 * version, the behaviour fingerprints of the model that recorded it (core, arch plugin,
 * scheme plugin: ../behaviour/fingerprint.ts), the resolved cell, the seed and the explorer's
 * decision list. An artifact from a model that behaves differently is refused, naming the
 * part that changed, not replayed wrongly (or, asked to, replayed anyway and checked).
 */
import { z } from 'zod';
import type { ArchPlugin } from '../abi/plugin.js';
import { PreemptModel, SchemeName } from '../config/scheme.js';
import type { SchemePlugin } from '../scheme/abi.js';
import { MEMORY_MODELS } from '../machine/store-buffer.js';
import { HAZARD_IDS } from '../model/kernel.js';
import { StrategySpec } from '../explorer/strategy.js';
import { CORE_VERSION } from '../generated/version.js';
import {
  type BehaviourFingerprints,
  archFingerprint,
  behaviourFingerprints,
  coreFingerprint,
  fingerprintMismatch,
  schemeFingerprint,
} from '../behaviour/fingerprint.js';
import { builtinScheme } from '../scheme/builtin/index.js';
import { ReplayDivergence } from '../explorer/strategy.js';
import { INVARIANTS, type InvariantId } from '../invariants/catalog.js';
import { seedFromHex, seedToHex, type RunSeed } from '../prng/seed.js';
import { WorkloadParams } from '../workload/params.js';
import { ExplicitWorkload } from '../workload/explicit.js';
import { ProfileName } from '../workload/profiles.js';
import { type CellConfig, type FindingTarget, type RunResult, Simulator, type SimulatorOptions } from '../run/simulator.js';

export const ARTIFACT_SCHEMA = 'lazytlb.artifact/3';
/**
 * The schema before behaviour fingerprints: same fields, `modelHash` (a hash of core's source
 * bytes) instead of `fingerprints`. Still read; its model cannot be checked, so replay refuses
 * it unless asked to try anyway (ReplayOptions.allowModelMismatch).
 */
export const ARTIFACT_SCHEMA_V2 = 'lazytlb.artifact/2';
/** The prefix of a v2 artifact's source hash where a fingerprint goes (parseArtifact). */
export const SOURCE_HASH_PREFIX = 'source:';
/** Schemas this version refuses with a reason (their model predates hazards, I14 and the slab). */
const OLD_ARTIFACT_SCHEMAS: Record<string, string> = {
  'lazytlb.artifact/1':
    'it was written by lazytlb 0.1 (arch ABI v1, before hazards, I14 freed-mm-use, scheme options and the SLUB model); ' +
    'its model is gone, so it cannot be replayed exactly: re-run the sweep with this version, or replay it with @lazytlb/sweep 0.1',
};

const InvariantIdSchema = z.enum(Object.keys(INVARIANTS) as [InvariantId, ...InvariantId[]]);

export const Outcome = z
  .object({
    kind: z.enum(['ok', 'violation', 'budget', 'plugin-error', 'deadlock', 'stopped']),
    steps: z.number().int().min(0),
    invariant: InvariantIdSchema.optional(),
    invariantName: z.string().optional(),
    cpu: z.number().int().optional(),
    step: z.number().int().optional(),
    message: z.string().optional(),
    hook: z.string().optional(),
    /** I14 / WARN: the use site (kernel function) of the violation and what it did. */
    site: z.string().optional(),
    siteKind: z.enum(['dereference', 'stale-compare', 'warn']).optional(),
    /** Hazards recorded and use sites that fired in the run (ids), when any did. */
    hazards: z.array(z.string()).optional(),
    useSites: z.array(z.string()).optional(),
  })
  .strict();
export type Outcome = z.infer<typeof Outcome>;

/** The finding a run was recorded for when it is not the run's end (the replay stops there). */
export const Target = z.union([z.object({ hazard: z.enum(HAZARD_IDS) }).strict(), z.object({ site: z.string().min(1) }).strict()]);

const FingerprintSchema = z.string().regex(/^([0-9a-f]{16}|source:[0-9a-f]{16})$/, 'must be 16 lowercase hex digits');
export const Fingerprints = z.object({ core: FingerprintSchema, arch: FingerprintSchema, scheme: FingerprintSchema.optional() }).strict();

export const Artifact = z
  .object({
    schema: z.literal(ARTIFACT_SCHEMA),
    toolVersion: z.string(),
    /** Behaviour fingerprints of the model that recorded it (scheme: a scheme plugin's only). */
    fingerprints: Fingerprints,
    cell: z
      .object({
        arch: z.object({ name: z.string(), version: z.string(), options: z.unknown() }).strict(),
        scheme: SchemeName,
        schemeOptions: z.record(z.string(), z.unknown()).optional(),
        /** A scheme plugin's version (absent for core's built-in schemes). */
        schemeVersion: z.string().optional(),
        preempt: PreemptModel.optional(),
        memory: z.enum(MEMORY_MODELS).optional(),
        cpus: z.number().int().min(1).max(32),
        workload: z.union([z.object({ profile: ProfileName, params: WorkloadParams }).strict(), z.object({ explicit: ExplicitWorkload }).strict()]),
        strategy: StrategySpec,
        stepBudget: z.number().int().min(1),
        mutations: z.array(z.string()).min(1).optional(),
        disabledInvariants: z.array(InvariantIdSchema).min(1).optional(),
      })
      .strict(),
    seed: z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex digits'),
    runIndex: z.number().int().min(0).optional(),
    /** Explorer decisions (actor ids, one byte per step), base64. */
    decisions: z.string(),
    /**
     * The choices made inside steps (one byte each, in order), base64: present (possibly empty)
     * when an exhaustive search enumerated them (RunResult.choices): its replay enumerates them
     * too (Kernel.choicesExplored()); absent when they were drawn from the seed (random and PCT
     * runs). Replayed with the decisions.
     */
    choices: z.string().optional(),
    /** Recorded for this hazard or use site (the run stops right after it); absent: for how the run ended. */
    target: Target.optional(),
    outcome: Outcome,
  })
  .strict();
export type Artifact = z.infer<typeof Artifact>;

/** The run's findings as ids: hazards by HAZARD_IDS bit, use sites by the cell's site order. */
export function findingIds(r: Pick<RunResult, 'hazards' | 'useSites' | 'siteIds'>): { hazards: string[]; useSites: string[] } {
  const hazards = HAZARD_IDS.filter((_, i) => (r.hazards & (1 << i)) !== 0);
  const useSites = r.siteIds.filter((_, i) => (r.useSites & (1 << i)) !== 0);
  return { hazards, useSites };
}

export function outcomeOf(r: RunResult): Outcome {
  const o: Outcome = { kind: r.outcome, steps: r.steps };
  if (r.violation !== null) {
    o.invariant = r.violation.invariant;
    o.invariantName = INVARIANTS[r.violation.invariant].name;
    o.cpu = r.violation.cpu;
    o.step = r.violation.step;
    o.message = r.violation.message;
    if (r.violation.site !== undefined) o.site = r.violation.site;
    if (r.violation.siteKind !== undefined) o.siteKind = r.violation.siteKind;
  }
  const f = findingIds(r);
  if (f.hazards.length > 0) o.hazards = f.hazards;
  if (f.useSites.length > 0) o.useSites = f.useSites;
  if (r.pluginError !== null) {
    o.hook = r.pluginError.hook;
    o.message = r.pluginError.message;
  }
  return o;
}

/**
 * The artifact of a run of `sim`; `target`: the hazard or use site the run was stopped at
 * (RunOptions.stopAt). The first artifact of a process computes the model's behaviour
 * fingerprints (tens of milliseconds per plugin, then memoised).
 */
export function makeArtifact(sim: Simulator, seed: RunSeed, result: RunResult, runIndex?: number, target?: FindingTarget): Artifact {
  if (!(sim instanceof Simulator)) throw new TypeError('makeArtifact: pass the Simulator that ran (its plugins are fingerprinted), not its cell');
  if (result.decisions === null) throw new Error('makeArtifact: the run kept no decision list (run with keepDecisions)');
  const cell: CellConfig = sim.cell;
  const a: Artifact = {
    schema: ARTIFACT_SCHEMA,
    toolVersion: CORE_VERSION,
    fingerprints: behaviourFingerprints(sim),
    cell: {
      arch: { ...cell.arch },
      scheme: cell.scheme,
      ...(cell.schemeOptions !== undefined ? { schemeOptions: { ...cell.schemeOptions } } : {}),
      ...(cell.schemeVersion !== undefined ? { schemeVersion: cell.schemeVersion } : {}),
      ...(cell.preempt !== undefined ? { preempt: cell.preempt } : {}),
      ...(cell.memory !== undefined ? { memory: cell.memory } : {}),
      cpus: cell.cpus,
      workload: { ...cell.workload },
      strategy: { ...cell.strategy },
      stepBudget: cell.stepBudget,
      ...(cell.mutations !== undefined ? { mutations: [...cell.mutations] } : {}),
      ...(cell.disabledInvariants !== undefined ? { disabledInvariants: [...cell.disabledInvariants] } : {}),
    },
    seed: seedToHex(seed),
    decisions: Buffer.from(result.decisions).toString('base64'),
    ...(result.choices !== null ? { choices: Buffer.from(result.choices).toString('base64') } : {}),
    ...(target !== undefined ? { target } : {}),
    outcome: outcomeOf(result),
  };
  if (runIndex !== undefined) a.runIndex = runIndex;
  return a;
}

export class ArtifactError extends Error {
  override name = 'ArtifactError';
}

/**
 * Parse and validate an artifact (e.g. from JSON.parse of a file); errors name the field. A
 * `lazytlb.artifact/2` file (before behaviour fingerprints) is read as this schema with its
 * source hash in place of the fingerprints (`source:<hash>`), which replay reports as a model
 * it cannot check.
 */
export function parseArtifact(value: unknown, source = 'artifact'): Artifact {
  const schema = typeof value === 'object' && value !== null ? (value as { schema?: unknown }).schema : undefined;
  if (schema === ARTIFACT_SCHEMA_V2) {
    const { modelHash, ...rest } = value as { modelHash?: unknown };
    if (typeof modelHash !== 'string' || !/^[0-9a-f]{16}$/.test(modelHash))
      throw new ArtifactError(`invalid ${source}:\n  - modelHash: must be 16 lowercase hex digits (a ${ARTIFACT_SCHEMA_V2} file)`);
    const fp = `${SOURCE_HASH_PREFIX}${modelHash}`;
    return parseArtifact({ ...rest, schema: ARTIFACT_SCHEMA, fingerprints: { core: fp, arch: fp } }, source);
  }
  if (typeof schema === 'string' && schema !== ARTIFACT_SCHEMA) {
    const why = OLD_ARTIFACT_SCHEMAS[schema] ?? `this version of lazytlb reads ${ARTIFACT_SCHEMA} and ${ARTIFACT_SCHEMA_V2} only`;
    throw new ArtifactError(`${source}: artifact schema ${schema} is not ${ARTIFACT_SCHEMA}: ${why}`);
  }
  const r = Artifact.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new ArtifactError(`invalid ${source}:\n${issues}`);
  }
  return r.data;
}

/** Whether an artifact was recorded before behaviour fingerprints (a v2 file: its model cannot be checked). */
export function isSourceHashArtifact(artifact: Pick<Artifact, 'fingerprints'>): boolean {
  return artifact.fingerprints.core.startsWith(SOURCE_HASH_PREFIX);
}

/**
 * How the model of `artifact` differs from the model that would replay it (`plugin`,
 * `scheme`), one sentence per changed part; empty when they behave the same.
 */
export function artifactModelMismatch(artifact: Artifact, plugin: ArchPlugin<any>, scheme?: SchemePlugin<any>): string[] {
  const c = artifact.cell;
  if (isSourceHashArtifact(artifact)) {
    return [
      `it was recorded by lazytlb ${artifact.toolVersion} before behaviour fingerprints (model ${artifact.fingerprints.core.slice(SOURCE_HASH_PREFIX.length)}, a hash of ` +
        "that version's source), so whether this model behaves the same cannot be checked",
    ];
  }
  const sp = scheme ?? builtinScheme(c.scheme);
  const current: BehaviourFingerprints = {
    core: coreFingerprint(),
    arch: archFingerprint(plugin),
    ...(sp !== undefined && builtinScheme(sp.name) !== sp ? { scheme: schemeFingerprint(sp) } : {}),
  };
  const archName = plugin.version !== c.arch.version ? `${c.arch.name}@${c.arch.version} (now ${plugin.version})` : `${c.arch.name}@${c.arch.version}`;
  const schemeName =
    sp !== undefined && c.schemeVersion !== undefined && sp.version !== c.schemeVersion
      ? `${c.scheme}@${c.schemeVersion} (now ${sp.version})`
      : `${c.scheme}${c.schemeVersion !== undefined ? `@${c.schemeVersion}` : ''}`;
  return fingerprintMismatch(artifact.fingerprints, current, { arch: archName, scheme: schemeName });
}

export interface ReplayResult {
  readonly result: RunResult;
  /** The replay ended exactly as recorded (same outcome, step count, invariant, CPU, step). */
  readonly reproduced: boolean;
  readonly simulator: Simulator;
  /** How the replaying model differs from the recording one (ReplayOptions.allowModelMismatch); empty when it does not. */
  readonly modelMismatch: readonly string[];
}

export interface ReplayOptions {
  readonly trace?: boolean;
  /** The scheme plugin of a cell whose scheme is not built into core. */
  readonly scheme?: SchemePlugin<any>;
  /**
   * Replay even when the model's behaviour fingerprints differ from the artifact's (or cannot
   * be checked): the result says whether it reproduced; a decision the changed model cannot
   * take ends in an ArtifactError that says so.
   */
  readonly allowModelMismatch?: boolean;
}

/** Refuses an arch plugin other than the artifact's, or a missing or other scheme plugin for a cell of one. */
function checkArtifactPlugins(artifact: Artifact, plugin: ArchPlugin<any>, scheme: SchemePlugin<any> | undefined): void {
  if (plugin.name !== artifact.cell.arch.name) {
    throw new ArtifactError(
      `artifact was recorded with arch ${artifact.cell.arch.name}@${artifact.cell.arch.version}, but ${plugin.name}@${plugin.version} was given`,
    );
  }
  const c = artifact.cell;
  if (c.schemeVersion !== undefined) {
    const sp = scheme;
    if (sp === undefined)
      throw new ArtifactError(`artifact was recorded with scheme plugin ${c.scheme}@${c.schemeVersion}: load that scheme plugin to replay it`);
    if (sp.name !== c.scheme)
      throw new ArtifactError(`artifact was recorded with scheme ${c.scheme}@${c.schemeVersion}, but ${sp.name}@${sp.version} was given`);
  }
}

function simulatorOptionsOf(artifact: Artifact, plugin: ArchPlugin<any>, scheme: SchemePlugin<any> | undefined): SimulatorOptions {
  const c = artifact.cell;
  return {
    plugin,
    archOptions: c.arch.options,
    scheme: c.scheme,
    ...(c.schemeVersion !== undefined && scheme !== undefined ? { schemePlugin: scheme } : {}),
    ...(c.schemeOptions !== undefined ? { schemeOptions: c.schemeOptions } : {}),
    ...(c.preempt !== undefined ? { preempt: c.preempt } : {}),
    ...(c.memory !== undefined ? { memory: c.memory } : {}),
    cpus: c.cpus,
    workload: 'explicit' in c.workload ? { explicit: c.workload.explicit } : { profile: c.workload.profile, params: c.workload.params },
    strategy: c.strategy,
    stepBudget: c.stepBudget,
    ...(c.mutations !== undefined ? { mutations: c.mutations } : {}),
    ...(c.disabledInvariants !== undefined ? { disabledInvariants: c.disabledInvariants } : {}),
  };
}

/**
 * The SimulatorOptions of an artifact's cell: what replayArtifact builds its Simulator from
 * (`scheme`: the scheme plugin of a cell whose scheme is not built into core). Refuses, as
 * replay does, an arch plugin other than the artifact's and a missing or other scheme plugin;
 * does not check behaviour fingerprints (artifactModelMismatch). Spread it to vary the cell
 * (CPUs, workload, strategy) while keeping what the failure is about.
 */
export function artifactSimulatorOptions(artifact: Artifact, plugin: ArchPlugin<any>, scheme?: SchemePlugin<any>): SimulatorOptions {
  checkArtifactPlugins(artifact, plugin, scheme);
  return simulatorOptionsOf(artifact, plugin, scheme);
}

/**
 * Re-run an artifact exactly. Refuses, with the reason, an artifact of another arch or scheme
 * plugin, or of a model whose behaviour fingerprints differ (naming core, the arch or the
 * scheme), unless `allowModelMismatch`.
 */
export function replayArtifact(artifact: Artifact, plugin: ArchPlugin<any>, opts: ReplayOptions = {}): ReplayResult {
  checkArtifactPlugins(artifact, plugin, opts.scheme);
  const modelMismatch = artifactModelMismatch(artifact, plugin, opts.scheme);
  if (modelMismatch.length > 0 && opts.allowModelMismatch !== true) {
    throw new ArtifactError(
      `artifact was recorded with another model (lazytlb ${artifact.toolVersion}; this is ${CORE_VERSION}): ${modelMismatch.join('; ')}. ` +
        'Replaying it may not reproduce the run: use the lazytlb version and plugins that wrote it, or replay with --allow-model-mismatch to try anyway.',
    );
  }
  const sim = new Simulator(simulatorOptionsOf(artifact, plugin, opts.scheme));
  const decisions = new Uint8Array(Buffer.from(artifact.decisions, 'base64'));
  let result: RunResult;
  try {
    result = sim.run(seedFromHex(artifact.seed), {
      trace: opts.trace ?? false,
      decisions,
      ...(artifact.choices !== undefined ? { choices: new Uint8Array(Buffer.from(artifact.choices, 'base64')) } : {}),
      keepDecisions: true,
      ...(artifact.target !== undefined ? { stopAt: artifact.target } : {}),
    });
  } catch (e) {
    if (modelMismatch.length === 0 || !(e instanceof ReplayDivergence)) throw e;
    throw new ArtifactError(`tried anyway on a model that differs (${modelMismatch.join('; ')}): it did not reproduce: ${e.message}`);
  }
  const got = outcomeOf(result);
  const want = artifact.outcome;
  const same = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean => (a ?? []).join(',') === (b ?? []).join(',');
  const reproduced =
    got.kind === want.kind &&
    got.steps === want.steps &&
    got.invariant === want.invariant &&
    got.cpu === want.cpu &&
    got.step === want.step &&
    got.site === want.site &&
    same(got.hazards, want.hazards) &&
    same(got.useSites, want.useSites);
  return { result, reproduced, simulator: sim, modelMismatch };
}
