/**
 * A MatrixSpec from command-line flags (`--arch`, `--scheme`, `--preempt`, `--memory`, `--cpus`, `--workload`,
 * `--strategy`, `--mutation`, `--runs`, `--time-budget`, `--seed`, `--step-budget`), validated by the same
 * schema as a matrix file; messages name the flag. List flags are repeatable and also take
 * comma-separated values (`--cpus 2,4`), except `--arch`, whose commas separate options; in
 * `--scheme refcount,shootdown:mask=online` a piece with "=" and no ":" is an option of the
 * scheme before it.
 */
import { splitOptionList } from './arch-flag.js';
import { MatrixError } from './errors.js';
import { type BuildOptions, type Locate, buildMatrixSpec } from './spec.js';
import type { MatrixSpec } from '@lazytlb/explore';

export { parseArchFlag, parseSchemeFlag, coerceOptionValue, formatArchSpec } from './arch-flag.js';

/** Flag values as commander gives them (absent flags are undefined). */
export interface MatrixFlags {
  readonly arch?: readonly string[] | undefined;
  /** Schemes, NAME[:key=value,...] (commas separate schemes, and options after a ":"). */
  readonly scheme?: readonly string[] | undefined;
  /** Preemption models: none | voluntary | full | rt. */
  readonly preempt?: readonly string[] | undefined;
  /** Memory models: sc | tso. */
  readonly memory?: readonly string[] | undefined;
  readonly cpus?: readonly string[] | undefined;
  readonly workload?: readonly string[] | undefined;
  readonly strategy?: readonly string[] | undefined;
  /** Mutation sets: an id, "a+b" (together) or "none"; each value is one cell dimension value. */
  readonly mutation?: readonly string[] | undefined;
  readonly runs?: string | undefined;
  readonly timeBudget?: string | undefined;
  readonly seed?: string | undefined;
  readonly stepBudget?: string | undefined;
}

const FLAG_OF: Record<string, string> = {
  arch: '--arch',
  scheme: '--scheme',
  preempt: '--preempt',
  memory: '--memory',
  cpus: '--cpus',
  workload: '--workload',
  strategy: '--strategy',
  mutation: '--mutation',
  runs: '--runs',
  timeBudget: '--time-budget',
  seed: '--seed',
  stepBudget: '--step-budget',
};

function splitList(values: readonly string[] | undefined): string[] | undefined {
  if (values === undefined || values.length === 0) return undefined;
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function num(v: string): unknown {
  return /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v;
}

/** A workload flag value: a profile name, or a JSON object { profile, params }. */
function workloadValue(v: string): unknown {
  const t = v.trim();
  if (t.startsWith('{')) {
    try {
      return JSON.parse(t) as unknown;
    } catch (e) {
      return { __invalidJson: (e as Error).message };
    }
  }
  return t;
}

/** Build and validate a MatrixSpec from flag values (strings, as commander gives them). */
export async function matrixFromFlags(flags: MatrixFlags, opts: BuildOptions = {}): Promise<MatrixSpec> {
  const raw: Record<string, unknown> = {};
  const values: Record<string, unknown[]> = {};
  const set = (key: string, list: unknown[] | undefined): void => {
    if (list === undefined) return;
    values[key] = list;
    raw[key] = list;
  };
  set('arch', flags.arch !== undefined && flags.arch.length > 0 ? [...flags.arch] : undefined);
  set('scheme', flags.scheme !== undefined && flags.scheme.length > 0 ? splitOptionList(flags.scheme) : undefined);
  set('preempt', splitList(flags.preempt));
  set('memory', splitList(flags.memory));
  set('cpus', splitList(flags.cpus)?.map(num));
  set('strategy', splitList(flags.strategy));
  set('mutation', splitList(flags.mutation));
  if (flags.workload !== undefined && flags.workload.length > 0) {
    const ws = flags.workload.flatMap((w) => (w.trim().startsWith('{') ? [w] : w.split(','))).map(workloadValue);
    const bad = ws.find((w) => typeof w === 'object' && w !== null && '__invalidJson' in w) as { __invalidJson: string } | undefined;
    if (bad !== undefined) throw new MatrixError('command line', [{ field: '--workload', message: `invalid JSON: ${bad.__invalidJson}` }]);
    set('workload', ws);
  }
  if (flags.runs !== undefined) raw.runs = num(flags.runs);
  if (flags.timeBudget !== undefined) raw.timeBudget = flags.timeBudget;
  if (flags.seed !== undefined) raw.seed = flags.seed;
  if (flags.stepBudget !== undefined) raw.stepBudget = num(flags.stepBudget);
  const locate: Locate = (path) => {
    const key = String(path[0] ?? '');
    const flag = FLAG_OF[key] ?? key;
    const idx = path[1];
    if (typeof idx === 'number' && values[key] !== undefined) {
      const v = values[key]![idx];
      const rest = path.slice(2).map(String).join('.');
      return { field: `${flag} ${typeof v === 'string' ? v : JSON.stringify(v)}${rest !== '' ? ` (${rest})` : ''}` };
    }
    return { field: flag };
  };
  return buildMatrixSpec(raw, 'command line', locate, opts);
}
