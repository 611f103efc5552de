/**
 * From validated input (a matrix file or flags) to a MatrixSpec: fill defaults, resolve every
 * scheme that is not a bundled one (a --plugin PATH scheme plugin or an installed
 * @lazytlb/scheme-NAME) and validate its options against the plugin's schema, then check
 * every arch against its plugin (it must resolve, its options must parse, the CPU counts
 * must fit its maxCpus, it must offer every memory model (core's memoryModelRefusal), every
 * mutation must be one it declares: core's or its own). Shared by
 * parse-file.ts and flags.ts so both give the same messages.
 */
import {
  type ArchPlugin,
  CORE_MUTATIONS,
  formatScheme,
  memoryModelRefusal,
  mutationsFor,
  PluginLoadError,
  type SchemeOptions,
  strategyToString,
} from '@lazytlb/core';
import type { z } from 'zod';
import {
  formatArchSpec,
  LazytlbError,
  type MatrixSpec,
  normaliseMutationSet,
  type PluginRegistry,
  type SchemeSpec,
  schemeName,
  schemeOptionsOf,
} from '@lazytlb/explore';
import { createRegistry } from '../plugins/bundled.js';
import { DEFAULT_MATRIX } from './default.js';
import { MatrixError, type MatrixIssue, fieldPath } from './errors.js';
import { MatrixFile, allowedKeysAt, normaliseSchemeEntry, PendingScheme } from './schema.js';

/** Where a field lives in the input: position (files) and how to name it (flags). */
export type Locate = (path: readonly PropertyKey[], at: 'key' | 'value') => { line?: number; col?: number; field?: string };

function issue(locate: Locate, path: readonly PropertyKey[], message: string, at: 'key' | 'value' = 'value'): MatrixIssue {
  const loc = locate(path, at);
  const out: { field: string; message: string; line?: number; col?: number } = { field: loc.field ?? fieldPath(path), message };
  if (loc.line !== undefined) {
    out.line = loc.line;
    out.col = loc.col ?? 1;
  }
  return out;
}

/** zod issues of MatrixFile → MatrixIssues (unknown keys get their own position and the allowed keys). */
export function zodIssues(error: z.ZodError, locate: Locate): MatrixIssue[] {
  const out: MatrixIssue[] = [];
  for (const i of error.issues) {
    if (i.code === 'unrecognized_keys') {
      const allowed = allowedKeysAt(i.path);
      for (const key of i.keys) {
        out.push(issue(locate, [...i.path, key], `unknown key "${key}"${allowed !== null ? `: allowed ${allowed.join(', ')}` : ''}`, 'key'));
      }
    } else {
      out.push(issue(locate, i.path, i.message));
    }
  }
  // One line per problem: zod reports a value past two bounds (an unsafe integer, say) once per check.
  const seen = new Set<string>();
  return out.filter((x) => !seen.has(`${x.field}\u0000${x.message}`) && seen.add(`${x.field}\u0000${x.message}`) !== undefined);
}

export interface BuildOptions {
  /** Where arch and scheme names resolve (default: the bundled plugins only). */
  readonly registry?: PluginRegistry;
  /** Skip plugin checks (for tests of the pure schema). */
  readonly checkPlugins?: boolean;
}

/** Validate raw input (parsed YAML/JSON, or an object built from flags) into a MatrixSpec. */
export async function buildMatrixSpec(raw: unknown, source: string, locate: Locate, opts: BuildOptions = {}): Promise<MatrixSpec> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new MatrixError(source, [issue(locate, [], `expected a mapping with keys ${allowedKeysAt([])!.join(', ')}`)]);
  }
  const r = MatrixFile.safeParse(raw);
  if (!r.success) throw new MatrixError(source, zodIssues(r.error, locate));
  const f = r.data;
  const schemes =
    f.scheme !== undefined
      ? await resolveSchemes(f.scheme, Array.isArray((raw as Record<string, unknown>).scheme), source, locate, opts)
      : DEFAULT_MATRIX.schemes;
  const spec: MatrixSpec = {
    arches: f.arch ?? DEFAULT_MATRIX.arches,
    schemes,
    ...(f.preempt !== undefined ? { preempts: f.preempt } : {}),
    ...(f.memory !== undefined ? { memories: f.memory } : {}),
    cpus: f.cpus ?? DEFAULT_MATRIX.cpus,
    workloads: f.workload ?? DEFAULT_MATRIX.workloads,
    strategies: f.strategy ?? DEFAULT_MATRIX.strategies,
    runs: f.runs ?? DEFAULT_MATRIX.runs,
    seed: f.seed ?? DEFAULT_MATRIX.seed,
    ...(f.timeBudget !== undefined ? { timeBudgetMs: f.timeBudget } : {}),
    ...(f.stepBudget !== undefined ? { stepBudget: f.stepBudget } : {}),
    ...(f.mutation !== undefined ? { mutations: f.mutation } : {}),
  };
  const mutationList = Array.isArray((raw as Record<string, unknown>).mutation);
  checkDuplicateSets(spec, source, locate, mutationList);
  checkDuplicateAxes(spec, raw as Record<string, unknown>, source, locate);
  if (opts.checkPlugins !== false) {
    await checkArches(
      spec,
      source,
      locate,
      opts.registry ?? (await createRegistry()),
      f.arch !== undefined,
      f.cpus !== undefined,
      Array.isArray((raw as Record<string, unknown>).memory),
      mutationList,
    );
  }
  return spec;
}

/**
 * Schemes the schema could not settle (not bundled: PendingScheme) are resolved here, once the
 * plugins can be loaded (plugins/schemes.ts: --plugin PATH, then @lazytlb/scheme-NAME), and
 * their options validated against the plugin's schema with the messages bundled schemes get.
 * An unknown name lists the known schemes and how to load one. Without plugin checks they
 * pass through unvalidated.
 */
async function resolveSchemes(
  entries: readonly (SchemeSpec | PendingScheme)[],
  list: boolean,
  source: string,
  locate: Locate,
  opts: BuildOptions,
): Promise<SchemeSpec[]> {
  const issues: MatrixIssue[] = [];
  const out: SchemeSpec[] = [];
  for (const [i, e] of entries.entries()) {
    if (!(e instanceof PendingScheme)) {
      out.push(e);
      continue;
    }
    const at = (rel: readonly PropertyKey[]): PropertyKey[] => (list ? ['scheme', i, ...rel] : ['scheme', ...rel]);
    if (opts.checkPlugins === false) {
      out.push(Object.keys(e.options).length > 0 ? { name: e.name, options: { ...e.options } } : e.name);
      continue;
    }
    let plugin;
    try {
      plugin = await (opts.registry ?? (await createRegistry())).scheme(e.name);
    } catch (err) {
      if (!(err instanceof LazytlbError) && !(err instanceof PluginLoadError)) throw err;
      issues.push(issue(locate, at(e.namePath), (err as Error).message.replace(/\n\s*/g, ' ')));
      continue;
    }
    const r = normaliseSchemeEntry(plugin, e.options);
    if ('error' in r) issues.push(issue(locate, at(e.optionsPath), r.error));
    else out.push(r.spec);
  }
  if (issues.length > 0) throw new MatrixError(source, issues);
  return out;
}

const setLabel = (set: readonly string[]): string => (set.length === 0 ? 'none' : set.join('+'));

/** The same scheme (after dropping default options), preemption model or memory model twice would give the same cells twice. */
function checkDuplicateAxes(spec: MatrixSpec, raw: Record<string, unknown>, source: string, locate: Locate): void {
  const issues: MatrixIssue[] = [];
  const check = (key: string, labels: readonly string[], note = ''): void => {
    const seen = new Map<string, number>();
    labels.forEach((l, j) => {
      const first = seen.get(l);
      if (first !== undefined) issues.push(issue(locate, Array.isArray(raw[key]) ? [key, j] : [key], `${l} is listed twice (also ${key}[${first}]${note})`));
      else seen.set(l, j);
    });
  };
  if (raw.scheme !== undefined) {
    check(
      'scheme',
      spec.schemes.map((x) => formatScheme(schemeName(x), schemeOptionsOf(x) as SchemeOptions | undefined)),
      '; default options are dropped',
    );
  }
  if (raw.preempt !== undefined && spec.preempts !== undefined) check('preempt', spec.preempts);
  if (raw.memory !== undefined && spec.memories !== undefined) check('memory', spec.memories);
  if (raw.arch !== undefined) check('arch', spec.arches.map(formatArchSpec));
  if (raw.cpus !== undefined) check('cpus', spec.cpus.map(String));
  if (raw.workload !== undefined)
    check(
      'workload',
      spec.workloads.map((w) => JSON.stringify(w)),
    );
  if (raw.strategy !== undefined) check('strategy', spec.strategies.map(strategyToString));
  if (issues.length > 0) throw new MatrixError(source, issues);
}

/** The same mutation set twice would give the same cell twice. */
function checkDuplicateSets(spec: MatrixSpec, source: string, locate: Locate, mutationList: boolean): void {
  const seen = new Map<string, number>();
  const issues: MatrixIssue[] = [];
  (spec.mutations ?? []).forEach((set, j) => {
    const key = setLabel(normaliseMutationSet(set));
    const first = seen.get(key);
    if (first !== undefined)
      issues.push(issue(locate, mutationList ? ['mutation', j] : ['mutation'], `mutation set "${key}" is listed twice (also mutation[${first}])`));
    else seen.set(key, j);
  });
  if (issues.length > 0) throw new MatrixError(source, issues);
}

/**
 * Every arch must resolve, its options parse against the plugin's schema, every CPU count fit
 * its maxCpus and every memory model be one it offers (else the plugin's reason is given).
 */
async function checkArches(
  spec: MatrixSpec,
  source: string,
  locate: Locate,
  registry: PluginRegistry,
  archGiven: boolean,
  cpusGiven: boolean,
  memoryList: boolean,
  mutationList: boolean,
): Promise<void> {
  const issues: MatrixIssue[] = [];
  const archPath = (i: number, ...rest: PropertyKey[]): PropertyKey[] => (archGiven ? ['arch', i, ...rest] : ['arch']);
  const resolved: ArchPlugin<unknown>[] = [];
  const refused = new Set<string>();
  for (let i = 0; i < spec.arches.length; i++) {
    const a = spec.arches[i]!;
    let plugin;
    try {
      plugin = await registry.arch(a.name);
    } catch (e) {
      issues.push(issue(locate, archPath(i, 'name'), (e as Error).message));
      continue;
    }
    const r = plugin.options.safeParse(a.options);
    if (!r.success) {
      for (const oi of r.error.issues) {
        const what = oi.code === 'unrecognized_keys' ? `${oi.message}; options of ${plugin.name}: ${optionKeys(plugin.options).join(', ')}` : oi.message;
        issues.push(issue(locate, archPath(i, 'options', ...oi.path), `invalid option for arch ${plugin.name}: ${what}`));
      }
    }
    spec.cpus.forEach((n, j) => {
      if (n > plugin.capabilities.maxCpus) {
        issues.push(
          issue(locate, cpusGiven ? ['cpus', j] : ['cpus'], `arch ${plugin.name} models at most ${plugin.capabilities.maxCpus} CPUs, ${n} requested`),
        );
      }
    });
    (spec.memories ?? []).forEach((m, j) => {
      const why = memoryModelRefusal(plugin, m);
      if (why === null || refused.has(`${plugin.name}\u0000${m}`)) return; // once per plugin (arch entries may differ in options only)
      refused.add(`${plugin.name}\u0000${m}`);
      const reason = why.includes(plugin.name) ? why : `arch ${plugin.name}: ${why}`;
      issues.push(issue(locate, memoryList ? ['memory', j] : ['memory'], `memory model ${m} is not offered by every arch of the matrix: ${reason}`));
    });
    resolved.push(plugin);
  }
  // Plugins that may declare a mutation an arch lacks (for "declared by ..."): bundled, --plugin paths, the matrix's.
  const known: ArchPlugin<unknown>[] = [...registry.loadedArches().map((a) => a.plugin), ...resolved];
  issues.push(...checkMutations(spec, locate, resolved, known, mutationList));
  if (issues.length > 0) throw new MatrixError(source, issues);
}

/**
 * Every id of every mutation set must be declared for every arch of the matrix (a mutation set
 * applies to each cell): core mutations exist for all arches, a plugin's only for its own.
 */
function checkMutations(
  spec: MatrixSpec,
  locate: Locate,
  plugins: readonly ArchPlugin<unknown>[],
  known: readonly ArchPlugin<unknown>[],
  mutationList: boolean,
): MatrixIssue[] {
  const issues: MatrixIssue[] = [];
  const declaredBy = (id: string): string[] => {
    const names = new Set<string>();
    for (const p of known) {
      if ((p.mutations ?? []).some((m) => m.id === id)) names.add(p.name);
    }
    return [...names];
  };
  const reported = new Set<string>();
  const allMutations = [...new Set([...CORE_MUTATIONS.map((m) => m.id), ...known.flatMap((p) => (p.mutations ?? []).map((m) => m.id))])];
  (spec.mutations ?? []).forEach((set, j) => {
    for (const id of set) {
      // An id no plugin declares: once, not once per arch.
      if (declaredBy(id).length > 0 || CORE_MUTATIONS.some((m) => m.id === id)) continue;
      if (reported.has(`${j}\u0000${id}`)) continue;
      reported.add(`${j}\u0000${id}`);
      const allowed = [...new Set(plugins.flatMap((p) => mutationsFor(p).map((m) => m.id)))];
      const where = plugins.length === 1 ? ` for arch ${plugins[0]!.name}` : plugins.length > 1 ? ` for arches ${plugins.map((p) => p.name).join(', ')}` : '';
      issues.push(
        issue(
          locate,
          mutationList ? ['mutation', j] : ['mutation'],
          `unknown mutation "${id}"${where}: allowed ${(plugins.length > 0 ? allowed : allMutations).join(', ')}`,
        ),
      );
    }
    for (const plugin of plugins) {
      const allowed = mutationsFor(plugin).map((m) => m.id);
      for (const id of set) {
        if (allowed.includes(id) || reported.has(`${j}\u0000${id}`) || reported.has(`${j}\u0000${plugin.name}\u0000${id}`)) continue;
        reported.add(`${j}\u0000${plugin.name}\u0000${id}`);
        issues.push(
          issue(
            locate,
            mutationList ? ['mutation', j] : ['mutation'],
            `arch ${plugin.name} lacks mutation "${id}" (declared by ${declaredBy(id).join(', ')}): allowed ${allowed.join(', ')}`,
          ),
        );
      }
    }
  });
  return issues;
}

function optionKeys(schema: unknown): string[] {
  const shape = (schema as { shape?: Record<string, unknown> }).shape;
  return shape !== undefined ? Object.keys(shape) : [];
}
