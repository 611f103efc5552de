/**
 * Failure artifacts: everything needed to replay a run exactly (model-spec §10): tool
 * version, model hash, the resolved cell, the seed and the explorer's decision list. An
 * artifact from another model version is refused, not replayed wrongly.
 */
import { z } from 'zod';
import type { ArchPlugin } from '../abi/plugin.js';
import { Scheme } from '../config/scheme.js';
import { StrategySpec } from '../explorer/strategy.js';
import { CORE_VERSION, MODEL_HASH } from '../generated/model-hash.js';
import { INVARIANTS, type InvariantId } from '../invariants/catalog.js';
import { seedFromHex, seedToHex, type RunSeed } from '../prng/seed.js';
import { WorkloadParams } from '../workload/params.js';
import { ExplicitWorkload } from '../workload/explicit.js';
import { ProfileName } from '../workload/profiles.js';
import { type CellConfig, type RunResult, Simulator } from './simulator.js';

export const ARTIFACT_SCHEMA = 'lazytlb.artifact/1';

const InvariantIdSchema = z.enum(Object.keys(INVARIANTS) as [InvariantId, ...InvariantId[]]);

export const Outcome = z
  .object({
    kind: z.enum(['ok', 'violation', 'budget', 'plugin-error', 'deadlock']),
    steps: z.number().int().min(0),
    invariant: InvariantIdSchema.optional(),
    invariantName: z.string().optional(),
    cpu: z.number().int().optional(),
    step: z.number().int().optional(),
    message: z.string().optional(),
    hook: z.string().optional(),
  })
  .strict();
export type Outcome = z.infer<typeof Outcome>;

export const Artifact = z
  .object({
    schema: z.literal(ARTIFACT_SCHEMA),
    toolVersion: z.string(),
    modelHash: z.string(),
    cell: z
      .object({
        arch: z.object({ name: z.string(), version: z.string(), options: z.unknown() }).strict(),
        scheme: Scheme,
        cpus: z.number().int().min(1).max(32),
        workload: z.union([z.object({ profile: ProfileName, params: WorkloadParams }).strict(), z.object({ explicit: ExplicitWorkload }).strict()]),
        strategy: StrategySpec,
        stepBudget: z.number().int().min(1),
        mutations: z.array(z.string()).min(1).optional(),
      })
      .strict(),
    seed: z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex digits'),
    runIndex: z.number().int().min(0).optional(),
    /** Explorer decisions (actor ids, one byte per step), base64. */
    decisions: z.string(),
    outcome: Outcome,
  })
  .strict();
export type Artifact = z.infer<typeof Artifact>;

export function outcomeOf(r: RunResult): Outcome {
  const o: Outcome = { kind: r.outcome, steps: r.steps };
  if (r.violation !== null) {
    o.invariant = r.violation.invariant;
    o.invariantName = INVARIANTS[r.violation.invariant].name;
    o.cpu = r.violation.cpu;
    o.step = r.violation.step;
    o.message = r.violation.message;
  }
  if (r.pluginError !== null) {
    o.hook = r.pluginError.hook;
    o.message = r.pluginError.message;
  }
  return o;
}

export function makeArtifact(cell: CellConfig, seed: RunSeed, result: RunResult, runIndex?: number): Artifact {
  if (result.decisions === null) throw new Error('makeArtifact: the run kept no decision list (run with keepDecisions)');
  const a: Artifact = {
    schema: ARTIFACT_SCHEMA,
    toolVersion: CORE_VERSION,
    modelHash: MODEL_HASH,
    cell: {
      arch: { ...cell.arch }, scheme: cell.scheme, cpus: cell.cpus, workload: { ...cell.workload }, strategy: { ...cell.strategy },
      stepBudget: cell.stepBudget, ...(cell.mutations !== undefined ? { mutations: [...cell.mutations] } : {}),
    },
    seed: seedToHex(seed),
    decisions: Buffer.from(result.decisions).toString('base64'),
    outcome: outcomeOf(result),
  };
  if (runIndex !== undefined) a.runIndex = runIndex;
  return a;
}

export class ArtifactError extends Error {
  override name = 'ArtifactError';
}

/** Parse and validate an artifact (e.g. from JSON.parse of a file); errors name the field. */
export function parseArtifact(value: unknown, source = 'artifact'): Artifact {
  const r = Artifact.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new ArtifactError(`invalid ${source}:\n${issues}`);
  }
  return r.data;
}

export interface ReplayResult {
  readonly result: RunResult;
  /** The replay ended exactly as recorded (same outcome, step count, invariant, CPU, step). */
  readonly reproduced: boolean;
  readonly simulator: Simulator;
}

/**
 * Re-run an artifact exactly. Refuses an artifact of another model version, or of another
 * plugin name or version, with the reason.
 */
export function replayArtifact(artifact: Artifact, plugin: ArchPlugin<any>, opts: { trace?: boolean } = {}): ReplayResult {
  if (artifact.modelHash !== MODEL_HASH) {
    throw new ArtifactError(
      `artifact was recorded with model ${artifact.modelHash} (lazytlb ${artifact.toolVersion}); this is model ${MODEL_HASH} (lazytlb ${CORE_VERSION}). ` +
        'Replaying it would not reproduce the run: use the lazytlb version that wrote it.',
    );
  }
  if (plugin.name !== artifact.cell.arch.name || plugin.version !== artifact.cell.arch.version) {
    throw new ArtifactError(
      `artifact was recorded with arch ${artifact.cell.arch.name}@${artifact.cell.arch.version}, but ${plugin.name}@${plugin.version} was given`,
    );
  }
  const c = artifact.cell;
  const sim = new Simulator({
    plugin,
    archOptions: c.arch.options,
    scheme: c.scheme,
    cpus: c.cpus,
    workload: 'explicit' in c.workload ? { explicit: c.workload.explicit } : { profile: c.workload.profile, params: c.workload.params },
    strategy: c.strategy,
    stepBudget: c.stepBudget,
    ...(c.mutations !== undefined ? { mutations: c.mutations } : {}),
  });
  const decisions = new Uint8Array(Buffer.from(artifact.decisions, 'base64'));
  const result = sim.run(seedFromHex(artifact.seed), { trace: opts.trace ?? false, decisions, keepDecisions: true });
  const got = outcomeOf(result);
  const want = artifact.outcome;
  const reproduced = got.kind === want.kind && got.steps === want.steps && got.invariant === want.invariant && got.cpu === want.cpu && got.step === want.step;
  return { result, reproduced, simulator: sim };
}
