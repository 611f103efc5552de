/**
 * The zod schema of a matrix file (YAML or JSON) and of the same values given as flags.
 * Every list field also accepts a single scalar. Example:
 *
 *   arch: [x86-native, { name: x86-native, options: { cpumask: clear-on-switch } }, "powerpc:mmu=hash"]
 *   scheme: [refcount, "shootdown:mask=online", { name: shootdown, options: { mask: online } },
 *            { MMU_LAZY_TLB_REFCOUNT: false, MMU_LAZY_TLB_SHOOTDOWN: false }]
 *   preempt: [full, rt]    # none | voluntary | full | rt (default: full)
 *   memory: [sc, tso]      # sc | tso (default: sc); every arch must offer each model
 *   cpus: [2, 4]
 *   workload: [default, { profile: exit-heavy, params: { processes: 3 } }]
 *   strategy: [random, "pct:3"]   # or exhaustive, "exhaustive:2", { kind: exhaustive, preemptions: 2, maxExecutions: 100000 }
 *   runs: 1000
 *   timeBudget: 2m        # or 30s, 500ms, or a number of ms
 *   seed: nightly-1
 *   stepBudget: 20000
 *   mutation: [none, kernel-execve-preempt, "kthread-use-mm-irqs-on+kernel-execve-preempt"]
 *
 * `mutation` lists mutation sets, one cell dimension value each: an id enables that mutation,
 * "a+b" (or a list [a, b]) enables both together, "none" is the unmutated model.
 */
import {
  InvalidKconfigError,
  Kconfig,
  canonicalWorkload,
  isCanonicalRef,
  MAX_CPUS,
  MEMORY_MODELS,
  PROFILE_NAMES,
  PreemptModel,
  SchemeName,
  SchemeOptionsError,
  type SchemePlugin,
  StrategySpec,
  WorkloadParams,
  WorkloadSpec,
  parseStrategy,
  resolveSchemeOptions,
  resolveWorkload,
  schemeFromKconfig,
  type MemoryModel as MemoryModelT,
  type PreemptModel as PreemptModelT,
  type StrategySpec as StrategySpecT,
  type WorkloadSpec as WorkloadSpecT,
} from '@lazytlb/core';
import { z } from 'zod';
import { schemeOptionsHelp } from '@lazytlb/explore';
import { BUNDLED_SCHEME_NAMES, BUNDLED_SCHEMES } from '../plugins/bundled.js';
import { parseArchFlag, parseSchemeFlag } from './arch-flag.js';
import { parseDuration } from './duration.js';
import type { ArchSpec, SchemeSpec } from '@lazytlb/explore';

type Issue = { message: string; path: PropertyKey[] };

/** Parse `v` with `schema`, forwarding its issues (with their relative paths) to `ctx`. */
function forward<T>(schema: z.ZodType<T>, v: unknown, ctx: z.RefinementCtx): T | typeof z.NEVER {
  const r = schema.safeParse(v);
  if (r.success) return r.data;
  for (const i of r.error.issues as Issue[]) {
    // unknown keys keep their code so the caller can point at each key and list the allowed ones
    if ((i as { code?: string }).code === 'unrecognized_keys') ctx.addIssue({ ...(i as object), input: v } as Parameters<typeof ctx.addIssue>[0]);
    else ctx.addIssue({ code: 'custom', message: i.message, path: i.path as (string | number)[] });
  }
  return z.NEVER;
}

function custom(ctx: z.RefinementCtx, message: string): typeof z.NEVER {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** A scalar or a non-empty list of `item`s, always a list after parsing. */
function listOf<T>(item: z.ZodType<T>, what: string) {
  return z.unknown().transform((v, ctx): T[] => {
    if (Array.isArray(v)) {
      if (v.length === 0) return custom(ctx, `must not be empty: give one or more ${what}`);
      return forward(z.array(item), v, ctx) as T[];
    }
    return [forward(item, v, ctx) as T];
  });
}

const ArchObject = z
  .object({
    name: z.string().min(1, 'must be an arch plugin name such as x86-native'),
    options: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export const ArchEntry = z.unknown().transform((v, ctx): ArchSpec => {
  if (typeof v === 'string') {
    try {
      return parseArchFlag(v);
    } catch (e) {
      return custom(ctx, (e as Error).message);
    }
  }
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return forward(ArchObject, v, ctx) as ArchSpec;
  return custom(ctx, `expected an arch name ("x86-native", "x86-native:cpumask=clear-on-switch") or { name, options }, got ${describeValue(v)}`);
});

/** A core SchemeOptionsError's message on one line (matrix issues are one line each), without zod's "(root)" path. */
function oneLine(message: string): string {
  return message
    .replace(/:\n\s*-\s*/g, ': ')
    .replace(/\n\s*-\s*/g, '; ')
    .replace(/\n\s*/g, '; ')
    .replace(/\(root\): /g, '');
}

/**
 * Validate a scheme's options against its plugin (core's resolveSchemeOptions: the plugin's zod
 * schema and structuralRefusal): the bare name when none differs from the defaults, or the
 * error message on one line.
 */
export function normaliseSchemeEntry(plugin: SchemePlugin<unknown>, options: unknown): { spec: SchemeSpec } | { error: string } {
  try {
    const o = resolveSchemeOptions(plugin, options);
    return { spec: o === null ? plugin.name : { name: plugin.name, options: { ...o } } };
  } catch (e) {
    if (!(e instanceof SchemeOptionsError)) throw e;
    return { error: oneLine(e.message) };
  }
}

function resolveSchemeEntry(plugin: SchemePlugin<unknown>, options: unknown, ctx: z.RefinementCtx, path: PropertyKey[]): SchemeSpec | typeof z.NEVER {
  const r = normaliseSchemeEntry(plugin, options);
  if ('spec' in r) return r.spec;
  ctx.addIssue({ code: 'custom', message: r.error, path: path as (string | number)[] });
  return z.NEVER;
}

/**
 * A scheme entry whose name is not a bundled scheme: it may be a `--plugin PATH` scheme plugin's
 * or an installed `@lazytlb/scheme-NAME`'s, which only buildMatrixSpec can find (after the
 * plugins are loaded). It resolves the name and validates the options there, with the same
 * messages, at `namePath` / `optionsPath` (relative to the entry).
 */
export class PendingScheme {
  constructor(
    readonly name: string,
    readonly options: Readonly<Record<string, unknown>>,
    readonly namePath: readonly PropertyKey[],
    readonly optionsPath: readonly PropertyKey[],
  ) {}
}

const bundledScheme = (name: string): SchemePlugin<unknown> | undefined =>
  BUNDLED_SCHEMES.find((b) => b.plugin.name === name)?.plugin as SchemePlugin<unknown> | undefined;

const SCHEME_HELP =
  `expected a scheme (${BUNDLED_SCHEME_NAMES.join(', ')} or a scheme plugin's name), with options as NAME:key=value,... (e.g. "shootdown:mask=online"), ` +
  '{ name, options }, or Kconfig symbols { MMU_LAZY_TLB_REFCOUNT: bool, MMU_LAZY_TLB_SHOOTDOWN: bool }';

export const SchemeEntry = z.unknown().transform((v, ctx): SchemeSpec | PendingScheme => {
  if (typeof v === 'string') {
    let parsed;
    try {
      parsed = parseSchemeFlag(v);
    } catch (e) {
      return custom(ctx, (e as Error).message);
    }
    const plugin = bundledScheme(parsed.name);
    if (plugin === undefined) return new PendingScheme(parsed.name, parsed.options, [], []);
    return resolveSchemeEntry(plugin, parsed.options, ctx, []) as SchemeSpec;
  }
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    if ('name' in v) {
      const o = v as Record<string, unknown>;
      const extra = Object.keys(o).filter((k) => k !== 'name' && k !== 'options');
      for (const k of extra) ctx.addIssue({ code: 'custom', message: `unknown key "${k}": allowed name, options`, path: [k] });
      if (extra.length > 0) return z.NEVER;
      const name = SchemeName.safeParse(o.name);
      if (!name.success) {
        ctx.addIssue({
          code: 'custom',
          message: `invalid scheme name ${JSON.stringify(o.name)}: a scheme name is lowercase letters, digits and dashes, starting with a letter (bundled: ${BUNDLED_SCHEME_NAMES.join(', ')})`,
          path: ['name'],
        });
        return z.NEVER;
      }
      const options = o.options ?? {};
      if (typeof options !== 'object' || options === null || Array.isArray(options)) {
        const plugin = bundledScheme(name.data);
        const help = plugin !== undefined ? schemeOptionsHelp([plugin]) : `see \`lazytlb schemes\``;
        ctx.addIssue({ code: 'custom', message: `expected an object of scheme options (${help}), got ${describeValue(options)}`, path: ['options'] });
        return z.NEVER;
      }
      const plugin = bundledScheme(name.data);
      if (plugin === undefined) return new PendingScheme(name.data, options as Record<string, unknown>, ['name'], ['options']);
      return resolveSchemeEntry(plugin, options, ctx, ['options']) as SchemeSpec;
    }
    const k = forward(Kconfig, v, ctx);
    if (k === z.NEVER) return z.NEVER;
    try {
      return schemeFromKconfig(k as Kconfig);
    } catch (e) {
      if (e instanceof InvalidKconfigError) return custom(ctx, e.message);
      throw e;
    }
  }
  return custom(ctx, `${SCHEME_HELP}, got ${describeValue(v)}`);
});

export const PreemptEntry = z.unknown().transform((v, ctx): PreemptModelT => {
  const r = PreemptModel.safeParse(typeof v === 'string' ? v.trim() : v);
  if (r.success) return r.data;
  return custom(
    ctx,
    `expected a preemption model (CONFIG_PREEMPT_*): ${PreemptModel.options.join(', ')} (default full), got ${typeof v === 'string' ? `"${v}"` : describeValue(v)}`,
  );
});

export const MemoryEntry = z.unknown().transform((v, ctx): MemoryModelT => {
  const t = typeof v === 'string' ? v.trim() : v;
  if (typeof t === 'string' && (MEMORY_MODELS as readonly string[]).includes(t)) return t as MemoryModelT;
  return custom(
    ctx,
    `expected a memory model: ${MEMORY_MODELS.join(', ')} (default sc; tso: per-CPU store buffers), got ${typeof v === 'string' ? `"${v}"` : describeValue(v)}`,
  );
});

export const CpusEntry = z
  .number({ message: `expected a CPU count (an integer 1..${MAX_CPUS})` })
  .int(`expected a CPU count (an integer 1..${MAX_CPUS})`)
  .min(1, `expected a CPU count (an integer 1..${MAX_CPUS})`)
  .max(MAX_CPUS, `at most ${MAX_CPUS} CPUs (mm_cpumask is a 32-bit word)`);

export const WorkloadEntry = z.unknown().transform((v, ctx): WorkloadSpecT => {
  let spec: WorkloadSpecT;
  if (typeof v === 'string') {
    // canonical:NAME (an explicit workload of core's CANONICAL_WORKLOADS): its cell is checked when its simulator is built (CPUs)
    if (isCanonicalRef(v)) {
      try {
        canonicalWorkload(v);
      } catch (e) {
        return custom(ctx, (e as Error).message);
      }
      return { profile: v };
    }
    if (!(PROFILE_NAMES as string[]).includes(v)) return custom(ctx, `unknown workload profile "${v}": allowed ${PROFILE_NAMES.join(', ')}`);
    spec = { profile: v as WorkloadSpecT['profile'] };
  } else if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const r = forward(WorkloadSpec, v, ctx);
    if (r === z.NEVER) return z.NEVER;
    spec = v as WorkloadSpecT;
  } else {
    return custom(ctx, `expected a workload profile (${PROFILE_NAMES.join(', ')}) or { profile, params }, got ${describeValue(v)}`);
  }
  try {
    if (!isCanonicalRef(spec.profile)) resolveWorkload(spec);
  } catch (e) {
    return custom(ctx, e instanceof z.ZodError ? e.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : (e as Error).message);
  }
  return spec;
});

export const StrategyEntry = z.unknown().transform((v, ctx): StrategySpecT => {
  if (typeof v === 'string') {
    try {
      return parseStrategy(v);
    } catch (e) {
      return custom(ctx, (e as Error).message);
    }
  }
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return forward(StrategySpec, v, ctx) as StrategySpecT;
  return custom(ctx, `expected a strategy ("random", "pct:D" with D in 1..16, "exhaustive" or "exhaustive:P"), got ${describeValue(v)}`);
});

export const DurationEntry = z.unknown().transform((v, ctx): number => {
  if (typeof v !== 'string' && typeof v !== 'number')
    return custom(ctx, `expected a duration such as "2m", "30s", "500ms" or a number of ms, got ${describeValue(v)}`);
  try {
    return parseDuration(v);
  } catch (e) {
    return custom(ctx, (e as Error).message);
  }
});

/** Mutation ids: as core's MutationDoc ids. */
const MUTATION_ID = /^[a-z][a-z0-9-]*$/;
const MUTATION_HELP = 'expected a mutation id (e.g. kernel-execve-preempt), several joined with "+" (a+b), a list of ids, or "none" (unmutated)';

/** One mutation set: "none" → [], "a" → [a], "a+b" → [a, b], [a, b] → [a, b]. Ids are checked against the arches in spec.ts. */
export const MutationEntry = z.unknown().transform((v, ctx): string[] => {
  let ids: unknown[];
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === 'none') return [];
    ids = t.split('+').map((x) => x.trim());
  } else if (Array.isArray(v)) {
    if (v.length === 0) return [];
    ids = v;
  } else {
    return custom(ctx, `${MUTATION_HELP}, got ${describeValue(v)}`);
  }
  for (const id of ids) {
    if (typeof id !== 'string' || !MUTATION_ID.test(id) || (id === 'none' && ids.length > 1)) {
      const what = typeof id === 'string' ? `"${id}"` : describeValue(id);
      return custom(ctx, `invalid mutation ${what}${ids.length > 1 ? ` in ${JSON.stringify(v)}` : ''}: ${MUTATION_HELP}`);
    }
  }
  const dup = (ids as string[]).find((id, i) => ids.indexOf(id) !== i);
  if (dup !== undefined) return custom(ctx, `mutation "${dup}" is given twice in ${JSON.stringify(v)}`);
  return ids as string[];
});

export const SeedEntry = z.union([z.string().min(1), z.number()], { message: 'expected a seed (a string or a number)' }).transform((v) => String(v));

const RUNS_RANGE = `expected an integer from 1 to ${Number.MAX_SAFE_INTEGER} (2^53 - 1)`;
export const RunsEntry = z
  .number({ message: 'expected a number of runs per cell (an integer >= 1)' })
  .int(RUNS_RANGE)
  .min(1, RUNS_RANGE)
  .max(Number.MAX_SAFE_INTEGER, RUNS_RANGE);
export const StepBudgetEntry = z
  .number({ message: 'expected a step budget per run (an integer 1..100000000)' })
  .int('expected an integer 1..100000000')
  .min(1, 'expected an integer 1..100000000')
  .max(100_000_000, 'expected an integer 1..100000000');

export const MATRIX_KEYS = [
  'arch',
  'scheme',
  'preempt',
  'memory',
  'cpus',
  'workload',
  'strategy',
  'runs',
  'timeBudget',
  'seed',
  'stepBudget',
  'mutation',
] as const;

/** A matrix file, validated and normalised (lists everywhere; missing fields are filled by toMatrixSpec). */
export const MatrixFile = z
  .object({
    arch: listOf(ArchEntry, 'arches').optional(),
    scheme: listOf(SchemeEntry, 'schemes').optional(),
    preempt: listOf(PreemptEntry, 'preemption models').optional(),
    memory: listOf(MemoryEntry, 'memory models').optional(),
    cpus: listOf(CpusEntry, 'CPU counts').optional(),
    workload: listOf(WorkloadEntry, 'workloads').optional(),
    strategy: listOf(StrategyEntry, 'strategies').optional(),
    runs: RunsEntry.optional(),
    timeBudget: DurationEntry.optional(),
    seed: SeedEntry.optional(),
    stepBudget: StepBudgetEntry.optional(),
    mutation: listOf(MutationEntry, 'mutation sets').optional(),
  })
  .strict();
export type MatrixFile = z.output<typeof MatrixFile>;

/** Keys allowed at a path of a matrix file (for "unknown key" messages). */
export function allowedKeysAt(path: readonly PropertyKey[]): readonly string[] | null {
  if (path.length === 0) return MATRIX_KEYS;
  const [top] = path;
  const rest = typeof path[1] === 'number' ? path.slice(2) : path.slice(1);
  if (top === 'arch' && rest.length === 0) return ['name', 'options'];
  if (top === 'workload' && rest.length === 0) return ['profile', 'params'];
  if (top === 'workload' && rest.length === 1 && rest[0] === 'params') return Object.keys(WorkloadParams.shape);
  if (top === 'workload' && rest.length === 2 && rest[1] === 'ops') return ['run', 'munmap', 'munmapFreeTables', 'munmapAll', 'sleep', 'yield', 'migrate'];
  if (top === 'scheme' && rest.length === 0) return ['name', 'options', 'MMU_LAZY_TLB_REFCOUNT', 'MMU_LAZY_TLB_SHOOTDOWN'];
  if (top === 'strategy' && rest.length === 0) return ['kind', 'depth', 'preemptions', 'maxExecutions'];
  return null;
}
