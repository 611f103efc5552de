/**
 * Matrix files and flags with scheme plugins: scheme names are no longer a closed enum, so a
 * name that is not bundled is resolved after the plugins are loaded (--plugin PATH,
 * @lazytlb/scheme-NAME) and its options are validated against the plugin's schema, with the
 * messages bundled schemes get: file, line, column, field, what is allowed, the known schemes.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { matrixErrorOf as err } from '../test-support/matrix-error.js';
import { expandMatrix } from '@lazytlb/explore';
import { matrixFromFlags } from './flags.js';
import { parseMatrixText } from './parse-file.js';
import { createRegistry } from '../plugins/bundled.js';

const COUNTED = fileURLToPath(new URL('../plugins/test-fixtures/counted-scheme.mjs', import.meta.url));
const plugins = { registry: await createRegistry([COUNTED]) };

describe('matrix files with scheme plugins', () => {
  it('accepts a plugin scheme with options in every form; default options are dropped', async () => {
    const m = await parseMatrixText(
      'arch: reference\ncpus: 2\nscheme:\n  - refcount\n  - counted\n  - "counted:mode=skip"\n  - { name: counted, options: { mode: skip, mb: false } }\n',
      'm.yaml',
      plugins,
    );
    expect(m.schemes).toEqual([
      'refcount',
      'counted',
      { name: 'counted', options: { mode: 'skip' } },
      { name: 'counted', options: { mode: 'skip', mb: false } },
    ]);
    const cells = expandMatrix(m);
    expect(cells.map((c) => [c.scheme, c.schemeOptions])).toEqual([
      ['refcount', undefined],
      ['counted', undefined],
      ['counted', { mode: 'skip' }],
      ['counted', { mode: 'skip', mb: false }],
    ]);
    expect((await parseMatrixText('arch: reference\nscheme: "counted:mode=grab"\n', 'm.yaml', plugins)).schemes).toEqual(['counted']);
  });

  const cases: [string, string, string, RegExp][] = [
    [
      'unknown scheme (string)',
      'arch: reference\nscheme: [refcount, rcu-lazy]\n',
      'm.yaml:2:20: scheme[1]',
      /unknown scheme "rcu-lazy": known schemes refcount, shootdown, none, hazptr, lazy-mm-scan, implicit-shootdown, counted \(options: .*counted: mode=grab\|skip, mb.*\); load another with --plugin PATH/,
    ],
    [
      'unknown scheme (object)',
      'arch: reference\nscheme:\n  - { name: rcu-lazy, options: { slots: 2 } }\n',
      'm.yaml:3:13: scheme[0].name',
      /unknown scheme "rcu-lazy": known schemes .*counted/,
    ],
    ['unknown scheme (scalar)', 'arch: reference\nscheme: rcu-lazy\n', 'm.yaml:2:9: scheme', /unknown scheme "rcu-lazy"/],
    [
      'bad option of a bundled scheme package',
      'arch: reference\nscheme:\n  - { name: hazptr, options: { slots: 2 } }\n',
      'm.yaml:3:30: scheme[0].options',
      /invalid options for scheme hazptr: Unrecognized key: "slots"; allowed: rfc \(/,
    ],
    [
      'bad plugin option value',
      'arch: reference\nscheme:\n  - { name: counted, options: { mode: sometimes } }\n',
      'm.yaml:3:31: scheme[0].options',
      /invalid options for scheme counted: mode: .*"grab"\|"skip".*; allowed: mode \(grab: mmgrab per lazy user/,
    ],
    [
      'unknown plugin option (string)',
      'arch: reference\nscheme: [refcount, "counted:slots=2"]\n',
      'm.yaml:2:20: scheme[1]',
      /invalid options for scheme counted: Unrecognized key: "slots"; allowed: mode \(.*\); mb \(/,
    ],
    [
      "the plugin's structural refusal",
      'arch: reference\nscheme:\n  - { name: counted, options: { mb: false } }\n',
      'm.yaml:3:31: scheme[0].options',
      /scheme counted: mb=false needs mode=skip/,
    ],
    [
      'listed twice once defaults are dropped',
      'arch: reference\nscheme: [counted, "counted:mode=grab,mb=true"]\n',
      'm.yaml:2:19: scheme[1]',
      /counted is listed twice \(also scheme\[0\]; default options are dropped\)/,
    ],
    [
      'an invalid name',
      'arch: reference\nscheme: [{ name: Hazptr }]\n',
      'm.yaml:2:18: scheme[0].name',
      /invalid scheme name "Hazptr": a scheme name is lowercase letters, digits and dashes/,
    ],
  ];
  it.each(cases)('%s: names the file, line, column, field and what is allowed', async (_name, text, where, re) => {
    const e = await err(parseMatrixText(text, 'm.yaml', plugins));
    expect(e.message).toContain(where);
    expect(e.message).toMatch(re);
    expect(e.message.split('\n')).toHaveLength(1);
  });

  it('reports every unresolved scheme at once', async () => {
    const e = await err(parseMatrixText('arch: reference\nscheme: [rcu-lazy, "counted:mode=all", lazy-mm-scan-v2]\n', 'm.yaml', plugins));
    expect(e.issues.map((i) => i.field)).toEqual(['scheme[0]', 'scheme[1]', 'scheme[2]']);
  });

  it('without the plugin the name is unknown, and the message says how to load it', async () => {
    const e = await err(parseMatrixText('arch: reference\nscheme: counted\n', 'm.yaml'));
    expect(e.message).toMatch(
      /^m\.yaml:2:9: scheme: unknown scheme "counted": known schemes refcount, shootdown, none, hazptr, lazy-mm-scan, implicit-shootdown \(options: [^)]*\); load another with --plugin PATH/,
    );
  });
});

describe('--scheme with scheme plugins', () => {
  it('resolves plugin schemes and their options; errors name the flag', async () => {
    const m = await matrixFromFlags({ arch: ['reference'], scheme: ['refcount,counted:mode=skip,mb=false', 'counted'] }, plugins);
    expect(m.schemes).toEqual(['refcount', { name: 'counted', options: { mode: 'skip', mb: false } }, 'counted']);
    const e = await err(matrixFromFlags({ arch: ['reference'], scheme: ['counted:mode=all'] }, plugins));
    expect(e.message).toMatch(/^command line: --scheme counted:mode=all: invalid options for scheme counted: mode: /);
    const u = await err(matrixFromFlags({ arch: ['reference'], scheme: ['nosuch'] }, plugins));
    expect(u.message).toMatch(
      /^command line: --scheme nosuch: unknown scheme "nosuch": known schemes refcount, shootdown, none, hazptr, lazy-mm-scan, implicit-shootdown, counted /,
    );
  });
});
