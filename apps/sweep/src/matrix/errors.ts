/** Errors of matrix input: each issue names the file (or flag), line, column, field and what is allowed. */
import { LazytlbError } from '@lazytlb/explore';

export interface MatrixIssue {
  /** Dotted field path, e.g. "arch[1].options.cpumask". */
  readonly field: string;
  readonly message: string;
  /** 1-based, when the input is a file. */
  readonly line?: number;
  readonly col?: number;
}

/** A LazytlbError (code `input`) that keeps its issues, so callers and tests can read them one by one. */
export class MatrixError extends LazytlbError {
  override name = 'MatrixError';
  constructor(
    /** The file name, or "command line". */
    readonly source: string,
    readonly issues: readonly MatrixIssue[],
  ) {
    super('input', formatIssues(source, issues), source === 'command line' ? {} : { file: source });
  }
}

export function formatIssues(source: string, issues: readonly MatrixIssue[]): string {
  const lines = issues.map((i) => {
    const where = i.line !== undefined ? `${source}:${i.line}:${i.col ?? 1}` : source;
    return `${where}: ${i.field === '' ? '(root)' : i.field}: ${i.message}`;
  });
  return lines.length === 1 ? lines[0]! : `invalid matrix (${issues.length} problems):\n${lines.map((l) => `  ${l}`).join('\n')}`;
}

/** "arch[1].options.cpumask" from ['arch', 1, 'options', 'cpumask']. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? String(p) : `.${String(p)}`;
  return s;
}
