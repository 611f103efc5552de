/**
 * One error type for the engine and its callers: a LazytlbError with a code per cause, made by
 * the factories below (Rollup's way: one shape, one factory per cause). The CLI maps codes to
 * exit codes in one place; a library never decides an exit code, never prints.
 *
 * Core's own error classes (PluginLoadError, ArtifactError, ModelError, ...) are classified into
 * the same codes by `classifyError`, so a caller handles one vocabulary.
 */
import {
  ArtifactError,
  InvalidKconfigError,
  ModelError,
  MutationError,
  PluginLoadError,
  ReplayDivergence,
  SchemeOptionsError,
  SketchError,
  WorkloadError,
} from '@lazytlb/core';

export const ERROR_CODES = [
  /** Bad arguments or configuration a user can fix (flags, matrix values, option values). */
  'usage',
  /** An input file is unreadable or invalid (matrix, results, artifact): names the file and field. */
  'input',
  /** A plugin failed to load or validate (a path that does not import, a bad descriptor, setup() that throws). */
  'plugin-load',
  /** A plugin threw inside a hook during a run. */
  'plugin',
  /** A plugin behaved differently on the same input (Math.random, Date, hidden module state). */
  'nondeterminism',
  /** The model reached an inconsistent state (a lazytlb bug, or a plugin that broke an invariant core relies on). */
  'model',
  /** A replay did not reproduce the recorded run. */
  'replay-mismatch',
  /** Two sweeps (resume, merge) or a sweep and a model do not match. */
  'mismatch',
  /** Reading or writing files failed (no space, read-only, a path under a file). */
  'io',
  /** Interrupted (SIGINT, SIGTERM) before the work was done. */
  'interrupted',
  /** Anything else: a lazytlb bug. */
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorDetails {
  /** The plugin (name) and hook an error is about. */
  readonly plugin?: string;
  readonly hook?: string;
  /** The file an input or I/O error is about. */
  readonly file?: string;
  /** The seed (32 hex digits) that reproduces it. */
  readonly seed?: string;
}

export class LazytlbError extends Error {
  override name = 'LazytlbError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const usageError = (message: string): LazytlbError => new LazytlbError('usage', message);
export const inputError = (message: string, file?: string): LazytlbError => new LazytlbError('input', message, file !== undefined ? { file } : {});
export const pluginLoadError = (message: string, plugin?: string): LazytlbError =>
  new LazytlbError('plugin-load', message, plugin !== undefined ? { plugin } : {});
export const pluginError = (message: string, details: ErrorDetails = {}): LazytlbError => new LazytlbError('plugin', message, details);
export const mismatchError = (message: string): LazytlbError => new LazytlbError('mismatch', message);
export const ioError = (message: string, file?: string, cause?: unknown): LazytlbError =>
  new LazytlbError('io', message, file !== undefined ? { file } : {}, cause !== undefined ? { cause } : undefined);

/** The code of any error: a LazytlbError's own, core's error classes by cause, else `internal`. */
export function classifyError(e: unknown): ErrorCode {
  if (e instanceof LazytlbError) return e.code;
  if (e instanceof PluginLoadError) return 'plugin-load';
  if (e instanceof ArtifactError || e instanceof SketchError) return 'input';
  if (e instanceof InvalidKconfigError || e instanceof SchemeOptionsError || e instanceof MutationError || e instanceof WorkloadError) return 'usage';
  if (e instanceof ReplayDivergence) return 'replay-mismatch';
  if (e instanceof ModelError) return 'model';
  return 'internal';
}
