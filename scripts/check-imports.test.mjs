// Tests of scripts/check-imports.mjs on tiny workspaces written to a temp dir (node:test, no
// dependency): a clean one passes; a folder cycle, a library → app import (by name and by
// path), a deep import, a package cycle and production code importing test code each fail,
// with the file-level edges in the report; test files are left out of the cycle check but not
// out of the library → app rule. Run: node --test scripts/check-imports.test.mjs
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkImports, moduleSpecifiers } from './check-imports.mjs';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'check-imports.mjs');
const temps = [];
after(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

const pkgJson = (name) => JSON.stringify({ name, version: '0.0.0', type: 'module', exports: { '.': './dist/index.js', './package.json': './package.json' } });

/** A workspace: packages/lib (@t/lib), packages/base (@t/base), apps/app (@t/app), plus `files` (path → text) on top. */
function workspace(files) {
  const root = mkdtempSync(join(tmpdir(), 'check-imports-'));
  temps.push(root);
  const all = {
    'pnpm-workspace.yaml': 'packages:\n  - "packages/*"\n  - "plugins/*"\n  - "apps/*"\n',
    'packages/base/package.json': pkgJson('@t/base'),
    'packages/base/src/index.ts': 'export const base = 1;\n',
    'packages/lib/package.json': pkgJson('@t/lib'),
    'packages/lib/src/index.ts': "export * from './a/a.js';\nexport * from './b/b.js';\n",
    'packages/lib/src/a/a.ts': "import { base } from '@t/base';\nexport const a = base;\n",
    'packages/lib/src/b/b.ts': "import { a } from '../a/a.js';\nexport const b = a + 1;\n",
    'apps/app/package.json': pkgJson('@t/app'),
    'apps/app/src/cli/main.ts': "import { b } from '@t/lib';\nimport { run } from '../run/run.js';\nrun(b);\n",
    'apps/app/src/run/run.ts': 'export function run(n: number): void { console.log(n); }\n',
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    if (text === null) continue;
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const rules = (r) => r.problems.map((p) => `${p.package}: ${p.rule}`);
const cli = (root) => spawnSync(process.execPath, [SCRIPT, '--root', root], { encoding: 'utf8' });

describe('check-imports', () => {
  it('passes a clean workspace (exit 0)', () => {
    const root = workspace({});
    assert.deepEqual(rules(checkImports(root)), []);
    const r = cli(root);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /3 packages OK/);
  });

  it('fails on a folder cycle and prints it with the file-level edges (exit 1)', () => {
    const root = workspace({
      'packages/lib/src/a/types.ts': "import type { B } from '../b/b-types.js';\nexport interface A { b: B }\n",
      'packages/lib/src/b/b-types.ts': 'export interface B { n: number }\n',
      // a/ → b/ (type) and b/ → a/: a cycle through a type, even though no value goes round
      'packages/lib/src/a/a.ts': "import { base } from '@t/base';\nimport type { A } from './types.js';\nexport const a = base;\nexport type { A };\n",
    });
    assert.deepEqual(rules(checkImports(root)), ['packages/lib: folder cycle between src/a/, src/b/']);
    const r = cli(root);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /cycle src\/a\/ → src\/b\/ → src\/a\//);
    assert.match(r.stdout, /src\/a\/types\.ts:1 → src\/b\/b-types\.ts \(type\)/);
    assert.match(r.stdout, /src\/b\/b\.ts:1 → src\/a\/a\.ts/);
  });

  it('finds a three-folder cycle and every hop of it; a root-level file is a node of its own', () => {
    const root = workspace({
      'packages/lib/src/c/c.ts': "import { b } from '../b/b.js';\nexport const c = b;\n",
      'packages/lib/src/a/a.ts':
        "import { base } from '@t/base';\nimport { VERSION } from '../version.js';\nexport const a = base;\nexport const late = () => import('../c/c.js');\nexport { VERSION };\n",
      'packages/lib/src/version.ts': "export const VERSION = '1';\n",
    });
    const [p] = checkImports(root).problems;
    assert.equal(p.rule, 'folder cycle between src/a/, src/b/, src/c/');
    assert.deepEqual(
      p.lines.filter((l) => l.startsWith('cycle')),
      ['cycle src/a/ → src/c/ → src/b/ → src/a/'],
    );
    assert.ok(
      p.lines.some((l) => /src\/a\/a\.ts:4 → src\/c\/c\.ts \(dynamic\)/.test(l)),
      p.lines.join('\n'),
    );
  });

  it('leaves test files out of the cycle check', () => {
    const root = workspace({
      'packages/lib/src/a/a.test.ts': "import { b } from '../b/b.js';\nconsole.log(b);\n",
      'packages/lib/src/a/test-support.ts': "export { b } from '../b/b.js';\n",
      'packages/lib/src/test-support/fixtures.ts': "export { b } from '../b/b.js';\n",
    });
    assert.deepEqual(rules(checkImports(root)), []);
  });

  it('fails on a library importing from apps/: by package name and by relative path, tests included', () => {
    const root = workspace({
      'packages/lib/src/b/b.ts': "import { a } from '../a/a.js';\nimport type {} from '@t/app';\nexport const b = a + 1;\n",
      'packages/lib/src/a/a.test.ts': "import '../../../../apps/app/src/run/run.js';\n",
    });
    const r = checkImports(root);
    // the app imports the library, so the type import also closes a package cycle
    assert.deepEqual(rules(r), ['packages/lib: library imports from apps/', '(workspace): package cycle between @t/app, @t/lib']);
    assert.deepEqual(r.problems[0].lines, [
      "src/a/a.test.ts:1 imports '../../../../apps/app/src/run/run.js' → apps/app/src/run/run.ts, inside @t/app (apps/app)",
      "src/b/b.ts:2 imports '@t/app': @t/app is an app (apps/app)",
    ]);
    assert.equal(cli(root).status, 1);
  });

  it('an app may import libraries, and libraries each other through their exports', () => {
    const root = workspace({
      'apps/app/src/run/run.ts':
        "import { base } from '@t/base';\nimport pkg from '@t/base/package.json';\nexport function run(n: number): void { console.log(n, base, pkg); }\n",
    });
    assert.deepEqual(rules(checkImports(root)), []);
  });

  it('fails on deep imports across packages: a subpath outside the exports, a relative path out of the package', () => {
    const root = workspace({
      'packages/lib/src/b/b.ts': "import { a } from '../a/a.js';\nimport { base } from '@t/base/dist/index.js';\nexport const b = a + base;\n",
      'apps/app/src/run/run.ts': "import { a } from '../../../../packages/lib/src/a/a.js';\nexport function run(n: number): void { console.log(n, a); }\n",
    });
    const r = checkImports(root);
    assert.deepEqual(rules(r), ['packages/lib: deep import across packages', 'apps/app: deep import across packages']);
    assert.match(r.problems[0].lines[0], /src\/b\/b\.ts:2 imports '@t\/base\/dist\/index\.js': '\.\/dist\/index\.js' is not in @t\/base's exports/);
    assert.match(r.problems[1].lines[0], /outside apps\/app \(into @t\/lib: import '@t\/lib' instead\)/);
  });

  it('fails on a cycle between packages', () => {
    const root = workspace({ 'packages/base/src/index.ts': "import { b } from '@t/lib';\nexport const base = 1;\nexport const again = () => b;\n" });
    const r = checkImports(root);
    assert.deepEqual(rules(r), ['(workspace): package cycle between @t/base, @t/lib']);
    assert.ok(r.problems[0].lines.includes('cycle @t/base → @t/lib → @t/base'));
  });

  it('fails on production code importing test code', () => {
    const root = workspace({
      'packages/lib/src/b/b.ts': "import { a } from '../a/a.js';\nimport '../a/test-support.js';\nexport const b = a + 1;\n",
      'packages/lib/src/a/test-support.ts': 'export {};\n',
    });
    assert.deepEqual(rules(checkImports(root)), ['packages/lib: production code imports test code']);
  });

  it('reads every kind of module specifier, and nothing in strings or comments', () => {
    const text = [
      "import a from './a.js';",
      "import type { B } from './b.js';",
      "import { type C, type D } from './cd.js';",
      "import { type E, f } from './ef.js';",
      "export * from './g.js';",
      "export type { H } from './h.js';",
      "import i = require('./i.cjs');",
      "const j = await import('./j.js');",
      "const k = require('./k.cjs');",
      "type L = import('./l.js').L;",
      "// import x from './comment.js';",
      'const s = "import y from \'./string.js\'";',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the fixture's source text holds a template literal on purpose
      'const t = import(`./${name}.js`);',
    ].join('\n');
    assert.deepEqual(
      moduleSpecifiers('x.ts', text).map((s) => `${s.line} ${s.kind} ${s.spec}`),
      [
        '1 import ./a.js',
        '2 type ./b.js',
        '3 type ./cd.js',
        '4 import ./ef.js',
        '5 import ./g.js',
        '6 type ./h.js',
        '7 require ./i.cjs',
        '8 dynamic ./j.js',
        '9 require ./k.cjs',
        '10 type ./l.js',
      ],
    );
  });
});
