/**
 * Reading a matrix file. YAML and JSON both go through the `yaml` parser (JSON is YAML 1.2
 * flow syntax), so every error — syntax or schema — names the file, line and column from
 * the parser's node ranges (LineCounter), the field path and what is allowed.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { MatrixError } from './errors.js';
import { type BuildOptions, type Locate, buildMatrixSpec } from './spec.js';
import type { MatrixSpec } from '@lazytlb/explore';

/** Position of the node at `path` (the key of the last segment when at = 'key'); the deepest existing node if the path runs out. */
export function locator(doc: Document, lc: LineCounter): Locate {
  return (path, at) => {
    let node: unknown = doc.contents;
    let pos: number | undefined = rangeStart(node);
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg);
        if (pair === undefined) break;
        if (last && at === 'key') {
          pos = rangeStart(pair.key) ?? pos;
          break;
        }
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        node = node.items[seg];
      } else {
        break;
      }
      pos = rangeStart(node) ?? pos;
    }
    if (pos === undefined) return {};
    const { line, col } = lc.linePos(pos);
    return { line, col };
  };
}

function rangeStart(node: unknown): number | undefined {
  const r = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return r?.[0];
}

/** Parse matrix text (YAML or JSON); `source` names it in errors. */
export async function parseMatrixText(text: string, source: string, opts: BuildOptions = {}): Promise<MatrixSpec> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const syntax = (message: string, pos: number | undefined): MatrixError => {
    const where = pos !== undefined ? lc.linePos(pos) : {};
    return new MatrixError(source, [{ field: '(syntax)', message: `${source.endsWith('.json') ? 'JSON' : 'YAML'} syntax error: ${message}`, ...where }]);
  };
  // The first error only: the parser's follow-on errors after it describe its recovery, not the file.
  const first = doc.errors[0];
  if (first !== undefined) throw syntax(first.message.split('\n')[0]!, first.pos[0]);
  let raw: unknown;
  try {
    // Aliases: an undefined one, or one that expands past 100 nodes (a "billion laughs" alias bomb), is refused here.
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    const m = (e as Error).message;
    const alias = /Unresolved alias \(the anchor must be set before the alias\): (\S+)/.exec(m);
    const pos = alias !== null ? text.indexOf(`*${alias[1]}`) : -1;
    throw syntax(
      alias !== null
        ? `alias *${alias[1]} names no anchor (&${alias[1]} must come before it)`
        : /alias/i.test(m)
          ? `${m.split('\n')[0]} (at most 100 alias expansions)`
          : m.split('\n')[0]!,
      pos >= 0 ? pos : undefined,
    );
  }
  return buildMatrixSpec(raw, source, locator(doc, lc), opts);
}

/** Read and validate a matrix file. */
export async function parseMatrixFile(path: string, opts: BuildOptions = {}): Promise<MatrixSpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new MatrixError(path, [{ field: '(file)', message: `cannot read the matrix file: ${(e as Error).message}` }]);
  }
  return parseMatrixText(text, path, opts);
}
