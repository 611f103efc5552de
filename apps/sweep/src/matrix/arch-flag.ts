/**
 * The `--arch NAME[:key=value,...]` form (also accepted as a string entry of a matrix
 * file's `arch` list): NAME is a bundled plugin, an installed package or the name of a
 * `--plugin PATH` plugin; values are coerced (true/false, numbers, else strings).
 */
import { type ArchSpec, formatArchSpec } from '@lazytlb/explore';

export class ArchFlagError extends Error {
  override name = 'ArchFlagError';
}

const NAME = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i;
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Coerce an option value written on a command line: true/false, numbers, else the string. */
export function coerceOptionValue(raw: string): unknown {
  const v = raw.trim();
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (v !== '' && /^-?(\d+(\.\d+)?|\.\d+)(e[+-]?\d+)?$/i.test(v)) return Number(v);
  return v;
}

/**
 * "NAME[:key=value,...]" into the name and its options (values coerced by coerceOptionValue).
 * `what` names the kind in messages ("arch", "scheme"), `names` says what NAME may be and
 * `example` shows the options form.
 */
function parseNameOptions(
  text: string,
  what: string,
  name: RegExp,
  names: string,
  example: (name: string) => string,
): { name: string; options: Record<string, unknown> } {
  const s = text.trim();
  const colon = s.indexOf(':');
  const n = (colon < 0 ? s : s.slice(0, colon)).trim();
  if (!name.test(n)) {
    throw new ArchFlagError(`invalid ${what} "${text}": expected NAME[:key=value,...] where NAME is ${names}`);
  }
  const options: Record<string, unknown> = {};
  if (colon >= 0) {
    const rest = s.slice(colon + 1);
    if (rest.trim() === '') throw new ArchFlagError(`invalid ${what} "${text}": nothing after ":" (expected key=value,...)`);
    for (const part of rest.split(',')) {
      const eq = part.indexOf('=');
      const key = (eq < 0 ? part : part.slice(0, eq)).trim();
      if (eq < 0 || !KEY.test(key)) {
        throw new ArchFlagError(`invalid ${what} "${text}": option "${part.trim()}" is not key=value (e.g. ${example(n)})`);
      }
      if (key in options) throw new ArchFlagError(`invalid ${what} "${text}": option "${key}" is given twice`);
      options[key] = coerceOptionValue(part.slice(eq + 1));
    }
  }
  return { name: n, options };
}

/** Parse "x86-native:cpumask=clear-on-switch,invlpgb=true" into { name, options }. */
export function parseArchFlag(text: string): ArchSpec {
  return parseNameOptions(text, 'arch', NAME, 'an arch plugin name such as x86-native', (n) => `${n}:cpumask=clear-on-switch,invlpgb=true`);
}

/**
 * The `--scheme NAME[:key=value,...]` form (also a string entry of a matrix file's `scheme`
 * list): the name and the raw options (values coerced as for arches). The name is resolved to
 * a scheme plugin (bundled, --plugin PATH, @lazytlb/scheme-NAME) and the options validated
 * against its schema by the matrix schema and buildMatrixSpec.
 */
export function parseSchemeFlag(text: string): { name: string; options: Record<string, unknown> } {
  return parseNameOptions(
    text,
    'scheme',
    /^[a-z][a-z0-9-]*$/,
    "a scheme name (lowercase letters, digits and dashes: refcount, shootdown, none or a scheme plugin's)",
    (n) => (n === 'shootdown' ? 'shootdown:mask=online' : `${n}:key=value`),
  );
}

/**
 * Split a comma-separated list flag whose items may carry `NAME:k=v,k=v` options (`--scheme
 * refcount,shootdown:mask=online`): a piece with "=" and no ":" continues the item before it.
 */
export function splitOptionList(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    let cur: string | null = null;
    for (const raw of v.split(',')) {
      const piece = raw.trim();
      if (cur !== null && piece.includes('=') && !piece.includes(':')) {
        cur += `,${piece}`;
        continue;
      }
      if (cur !== null) out.push(cur);
      cur = piece;
    }
    if (cur !== null) out.push(cur);
  }
  return out.filter((x) => x !== '');
}

/** The inverse of parseArchFlag (for labels and messages): explore's. */
export { formatArchSpec };
