/**
 * From validated input (a matrix file or flags) to a MatrixSpec: fill defaults, then check
 * every arch against its plugin (it must resolve, its options must parse, the CPU counts
 * must fit its maxCpus). Shared by parse-file.ts and flags.ts so both give the same messages.
 */
import type { z } from 'zod';
import { resolvePlugin } from '../plugins/resolve.js';
import { DEFAULT_MATRIX } from './default.js';
import { MatrixError, type MatrixIssue, fieldPath } from './errors.js';
import { MatrixFile, allowedKeysAt } from './schema.js';
import type { MatrixSpec } from './types.js';

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
  return out;
}

export interface BuildOptions {
  readonly pluginPaths?: readonly string[];
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
  const spec: MatrixSpec = {
    arches: f.arch ?? DEFAULT_MATRIX.arches,
    schemes: f.scheme ?? DEFAULT_MATRIX.schemes,
    cpus: f.cpus ?? DEFAULT_MATRIX.cpus,
    workloads: f.workload ?? DEFAULT_MATRIX.workloads,
    strategies: f.strategy ?? DEFAULT_MATRIX.strategies,
    runs: f.runs ?? DEFAULT_MATRIX.runs,
    seed: f.seed ?? DEFAULT_MATRIX.seed,
    ...(f.timeBudget !== undefined ? { timeBudgetMs: f.timeBudget } : {}),
    ...(f.stepBudget !== undefined ? { stepBudget: f.stepBudget } : {}),
  };
  if (opts.checkPlugins !== false) await checkArches(spec, source, locate, opts.pluginPaths ?? [], f.arch !== undefined, f.cpus !== undefined);
  return spec;
}

/** Every arch must resolve, its options parse against the plugin's schema and every CPU count fit its maxCpus. */
async function checkArches(spec: MatrixSpec, source: string, locate: Locate, pluginPaths: readonly string[], archGiven: boolean, cpusGiven: boolean): Promise<void> {
  const issues: MatrixIssue[] = [];
  const archPath = (i: number, ...rest: PropertyKey[]): PropertyKey[] => (archGiven ? ['arch', i, ...rest] : ['arch']);
  for (let i = 0; i < spec.arches.length; i++) {
    const a = spec.arches[i]!;
    let plugin;
    try {
      plugin = await resolvePlugin(a.name, pluginPaths);
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
        issues.push(issue(locate, cpusGiven ? ['cpus', j] : ['cpus'], `arch ${plugin.name} models at most ${plugin.capabilities.maxCpus} CPUs, ${n} requested`));
      }
    });
  }
  if (issues.length > 0) throw new MatrixError(source, issues);
}

function optionKeys(schema: unknown): string[] {
  const shape = (schema as { shape?: Record<string, unknown> }).shape;
  return shape !== undefined ? Object.keys(shape) : [];
}
