/**
 * The `mutation` axis of matrix files and `--mutation` flags: mutation sets (an id, "a+b",
 * a list, "none"), expansion into cells, and validation against the cells' arches.
 */
import { fileURLToPath } from 'node:url';
import { CORE_MUTATIONS } from '@lazytlb/core';
import { describe, expect, it } from 'vitest';
import { matrixErrorOf } from '../test-support/matrix-error.js';
import { cellKey, expandMatrix } from '@lazytlb/explore';
import { matrixFromFlags } from './flags.js';
import { parseMatrixText } from './parse-file.js';
import { createRegistry } from '../plugins/bundled.js';

const TOY = fileURLToPath(new URL('../mutants/test-fixtures/toy-plugin.mjs', import.meta.url));
const CORE_IDS = CORE_MUTATIONS.map((m) => m.id).join(', ');
const TOY_IDS = `${CORE_IDS}, toy-no-flush, toy-rare, toy-noop, toy-on-none, toy-no-victim`;
const [A, B] = [CORE_MUTATIONS[0]!.id, CORE_MUTATIONS[1]!.id];

describe('mutation sets in matrix files', () => {
  it('parses ids, "a+b", lists and "none"; absent means no mutation axis', async () => {
    const m = await parseMatrixText(`arch: reference\ncpus: 2\nmutation: [none, ${A}, "${B}+${A}", [${B}]]\n`, 'm.yaml');
    expect(m.mutations).toEqual([[], [A], [B, A], [B]]);
    const plain = await parseMatrixText('arch: reference\ncpus: 2\n', 'm.yaml');
    expect(plain.mutations).toBeUndefined();
    const one = await parseMatrixText(`arch: reference\nmutation: ${A}\n`, 'm.yaml');
    expect(one.mutations).toEqual([[A]]);
  });

  it('each set is one innermost cell dimension value; unmutated cells keep their keys', async () => {
    const m = await parseMatrixText(`arch: reference\ncpus: 2\nscheme: [refcount, none]\nmutation: [none, "${B}+${A}"]\n`, 'm.yaml');
    const cells = expandMatrix(m);
    expect(cells.map((c) => `${c.scheme}/${(c.mutations ?? []).join('+') || 'none'}`)).toEqual([
      'refcount/none',
      `refcount/${[A, B].sort().join('+')}`,
      'none/none',
      `none/${[A, B].sort().join('+')}`,
    ]);
    expect(cells[0]!.mutations).toBeUndefined();
    const plain = expandMatrix(await parseMatrixText('arch: reference\ncpus: 2\nscheme: [refcount, none]\n', 'm.yaml'));
    expect(cellKey(cells[0]!)).toBe(cellKey(plain[0]!));
    expect(cellKey(cells[1]!)).toContain(`"mutations":["${[A, B].sort().join('","')}"]`);
  });

  it('accepts a plugin mutation on the arch that declares it', async () => {
    const m = await parseMatrixText('arch: toy\nmutation: [none, toy-no-flush]\n', 'm.yaml', { registry: await createRegistry([TOY]) });
    expect(m.mutations).toEqual([[], ['toy-no-flush']]);
  });

  const cases: [string, string, string][] = [
    [
      'a malformed id',
      `arch: reference\nmutation: [${A}, Bad_Id]\n`,
      `m.yaml:2:${14 + A.length}: mutation[1]: invalid mutation "Bad_Id": expected a mutation id (e.g. kernel-execve-preempt), several joined with "+" (a+b), a list of ids, or "none" (unmutated)`,
    ],
    [
      'none inside a combination',
      `arch: reference\nmutation: "none+${A}"\n`,
      `m.yaml:2:11: mutation: invalid mutation "none" in "none+${A}": expected a mutation id (e.g. kernel-execve-preempt), several joined with "+" (a+b), a list of ids, or "none" (unmutated)`,
    ],
    [
      'a number',
      'arch: reference\nmutation: [3]\n',
      'm.yaml:2:12: mutation[0]: expected a mutation id (e.g. kernel-execve-preempt), several joined with "+" (a+b), a list of ids, or "none" (unmutated), got number 3',
    ],
    ['an id twice in a set', `arch: reference\nmutation: "${A}+${A}"\n`, `m.yaml:2:11: mutation: mutation "${A}" is given twice in "${A}+${A}"`],
    [
      'a set twice',
      `arch: reference\nmutation: [${A}, none, ${A}]\n`,
      `m.yaml:2:${20 + A.length}: mutation[2]: mutation set "${A}" is listed twice (also mutation[0])`,
    ],
    [
      'an unknown id',
      'arch: reference\ncpus: 2\nmutation: [none, nosuch]\n',
      `m.yaml:3:18: mutation[1]: unknown mutation "nosuch" for arch reference: allowed ${CORE_IDS}`,
    ],
    [
      'a mutation the arch lacks',
      'arch: [toy, reference]\nmutation: [toy-no-flush]\n',
      `m.yaml:2:12: mutation[0]: arch reference lacks mutation "toy-no-flush" (declared by toy): allowed ${CORE_IDS}`,
    ],
  ];
  it.each(cases)('%s: names the file, line, column, field, the id and what is allowed', async (_name, text, message) => {
    const e = await matrixErrorOf(parseMatrixText(text, 'm.yaml', { registry: await createRegistry([TOY]) }));
    expect(e.message).toBe(message);
  });

  it('the allowed ids of an arch with its own mutations include them', async () => {
    const e = await matrixErrorOf(parseMatrixText('arch: toy\nmutation: nosuch\n', 'm.json', { registry: await createRegistry([TOY]) }));
    expect(e.message).toBe(`m.json:2:11: mutation: unknown mutation "nosuch" for arch toy: allowed ${TOY_IDS}`);
  });
});

describe('--mutation flags', () => {
  it('repeat or take commas; each value is one set', async () => {
    const m = await matrixFromFlags({ arch: ['reference'], mutation: [`none,${A}`, `${A}+${B}`] });
    expect(m.mutations).toEqual([[], [A], [A, B]]);
  });

  it('name the flag value in errors', async () => {
    const e = await matrixErrorOf(matrixFromFlags({ arch: ['reference'], mutation: ['toy-no-flush'] }, { registry: await createRegistry([TOY]) }));
    expect(e.message).toBe(`command line: --mutation toy-no-flush: arch reference lacks mutation "toy-no-flush" (declared by toy): allowed ${CORE_IDS}`);
  });
});
