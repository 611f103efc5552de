/**
 * Durations as people write them on a command line or in a matrix file: "500ms", "90s",
 * "2m", "1h", combinations such as "1m30s", or a bare number of milliseconds.
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export class DurationError extends Error {
  override name = 'DurationError';
}

const ALLOWED = 'a duration such as "500ms", "90s", "2m", "1h", "1m30s" or a number of milliseconds';

/** Parse a duration into milliseconds (a positive integer). */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input <= 0) throw new DurationError(`invalid duration ${input}: expected ${ALLOWED} (> 0)`);
    return Math.round(input);
  }
  const text = input.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return parseDuration(Number(text));
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  let parts = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = re.lastIndex;
    parts++;
  }
  if (parts === 0 || pos !== text.length || total <= 0) throw new DurationError(`invalid duration "${input}": expected ${ALLOWED}`);
  return Math.round(total);
}

/** Format milliseconds back into the shortest readable form ("2m", "1m30s", "500ms"). */
export function formatDuration(ms: number): string {
  if (ms < 1000 || ms % 1000 !== 0) return `${ms}ms`;
  let s = ms / 1000;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h > 0 ? `${h}h` : ''}${m > 0 ? `${m}m` : ''}${s > 0 ? `${s}s` : ''}`;
}
