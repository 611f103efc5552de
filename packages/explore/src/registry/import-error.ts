/**
 * Why a plugin module failed to import, in one line. A syntax error names the file, line and
 * column: Node's import() error for a module that does not parse does not say where, so the
 * file is run through Node's own parser (`node --check`), whose report does.
 */
import { spawnSync } from 'node:child_process';

export function describeImportError(e: unknown, file: string): string {
  const message = e instanceof Error ? e.message : String(e);
  if (!(e instanceof SyntaxError)) return message;
  const r = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8', timeout: 10_000 });
  const where = syntaxErrorLocation(r.stderr ?? '', file);
  return where !== null ? `${where.file}:${where.line}:${where.column}: SyntaxError: ${where.message ?? message}` : `SyntaxError: ${message}`;
}

/** "FILE:LINE", the source line, a caret line and "SyntaxError: ..." from `node --check` → the location. */
export function syntaxErrorLocation(stderr: string, file: string): { file: string; line: number; column: number; message: string | null } | null {
  const lines = stderr.split('\n');
  const i = lines.findIndex((l) => /:(\d+)$/.test(l) && l.includes(file));
  if (i < 0) return null;
  const line = Number(/:(\d+)$/.exec(lines[i]!)![1]);
  const caret = lines.slice(i + 1, i + 4).find((l) => /^\s*\^+\s*$/.test(l));
  const column = caret !== undefined ? caret.indexOf('^') + 1 : 1;
  const msg = lines.find((l) => l.startsWith('SyntaxError: '));
  return { file, line, column, message: msg !== undefined ? msg.slice('SyntaxError: '.length) : null };
}
