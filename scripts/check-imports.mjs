#!/usr/bin/env node
// The import graph's structural rules, checked on the sources (nothing is built or run):
//
//   1. no cycle between folders of a package: a folder is a directory directly under the
//      package's src/ (packages/explore/src/sweep, apps/sweep/src/report, …); a file directly in
//      src/ (index.ts, cli.ts, version.ts) is a node of its own. Folder A → folder B when a file
//      of A imports a file of B. Every strongly connected set of folders is a failure, printed as
//      cycles, each hop with the file-level imports that make it.
//   2. no cycle between workspace packages (the same graph one level up).
//   3. no library package (anything not under apps/) imports from apps/: neither an app's
//      package name (@lazytlb/sweep) nor a relative path into apps/.
//   4. no deep import across packages: a workspace package is imported only through its
//      `exports` ('@lazytlb/core', never '@lazytlb/core/dist/…' or '@lazytlb/core/src/…'), and
//      no relative specifier leaves the importing package's directory.
//   5. production code never imports test code (*.test.ts, test-support, test-fixtures).
//
// "Imports" are every module specifier TypeScript's own parser finds: import and `import type`,
// `export … from`, `import x = require()`, `import()` with a string literal, `require()` with a
// string literal and `import('…')` types. Type-only imports count: a cycle through types is
// still a cycle in the design (and moving the type is the fix).
//
// Test code (*.test.*, test-support/, test-support.*, test-fixtures/: what tsconfig.build.json
// and the packages' `files` keep out of the tarballs) is left out of rules 1 and 2: a test
// exercises several folders of its package at once (a sweep test drives executor, aggregate and
// results together) and is not part of the layering a user of the library sees. Rules 3 and 4
// apply to test code too: a library's tests must not reach into an app, and no test may bypass
// another package's public exports.
//
// Scanned: every .ts/.cts/.mts/.tsx/.js/.cjs/.mjs file under each workspace package's src/
// (packages from pnpm-workspace.yaml's `dir/*` globs).
//
// Usage: node scripts/check-imports.mjs [--root DIR] [package dir...]   (default: every package)
// Exit 1 on any problem, with one block per problem.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SOURCE = /\.(ts|cts|mts|tsx|js|cjs|mjs|jsx)$/;
const DECLARATION = /\.d\.[cm]?ts$/;
/** Test code: the same notion as scripts/check-packages.mjs's TEST_FILE and the packages' `files`. */
const TEST_FILE = /(^|\/)(__tests__|test-support|test-fixtures)(\/|\.)|\.(test|spec)\.[cm]?[jt]sx?$/;

const posix = (p) => p.split(sep).join('/');

/** Workspace package dirs (absolute) from pnpm-workspace.yaml's `packages:` globs (`dir/*` forms). */
export function workspacePackageDirs(root) {
  const yaml = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8');
  const globs = [...yaml.matchAll(/^\s*-\s*["']?([^"'\s]+)\/\*["']?\s*$/gm)].map((m) => m[1]);
  const dirs = [];
  for (const g of globs) {
    const base = join(root, g);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base).sort()) {
      if (existsSync(join(base, name, 'package.json'))) dirs.push(join(base, name));
    }
  }
  return dirs;
}

function walk(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, out);
    else if (SOURCE.test(name) && !DECLARATION.test(name)) out.push(p);
  }
  return out;
}

/** Every module specifier in a file: { spec, line, kind: 'import' | 'type' | 'dynamic' | 'require' }. */
export function moduleSpecifiers(fileName, text) {
  const kind = /\.(c|m)?js$|\.jsx$/.test(fileName) ? ts.ScriptKind.JS : fileName.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, kind);
  const found = [];
  const add = (lit, k) => {
    if (lit && ts.isStringLiteralLike(lit)) {
      found.push({ spec: lit.text, line: sf.getLineAndCharacterOfPosition(lit.getStart(sf)).line + 1, kind: k });
    }
  };
  const visit = (node) => {
    if (ts.isImportDeclaration(node)) {
      const typeOnly =
        node.importClause?.isTypeOnly ||
        (node.importClause &&
          !node.importClause.name &&
          node.importClause.namedBindings &&
          ts.isNamedImports(node.importClause.namedBindings) &&
          node.importClause.namedBindings.elements.length > 0 &&
          node.importClause.namedBindings.elements.every((e) => e.isTypeOnly));
      add(node.moduleSpecifier, typeOnly ? 'type' : 'import');
    } else if (ts.isExportDeclaration(node)) {
      if (node.moduleSpecifier) add(node.moduleSpecifier, node.isTypeOnly ? 'type' : 'import');
    } else if (ts.isImportEqualsDeclaration(node)) {
      if (ts.isExternalModuleReference(node.moduleReference)) {
        add(node.moduleReference.expression, node.isTypeOnly ? 'type' : 'require');
      }
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg)) add(arg.literal, 'type');
    } else if (ts.isCallExpression(node)) {
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0], 'dynamic');
      else if (ts.isIdentifier(node.expression) && node.expression.text === 'require' && node.arguments.length === 1) {
        add(node.arguments[0], 'require');
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** A relative specifier's target file: NodeNext maps ./x.js to x.ts, ./x.cjs to x.cts, … */
function resolveRelative(fromFile, spec) {
  const base = resolve(dirname(fromFile), spec);
  const candidates = [base];
  const m = /\.(c|m)?js(x)?$/.exec(base);
  if (m) {
    const stem = base.slice(0, -m[0].length);
    candidates.push(`${stem}.${m[1] ?? ''}ts${m[2] ?? ''}`);
  }
  candidates.push(`${base}.ts`, join(base, 'index.ts'), join(base, 'index.js'));
  for (const c of candidates) {
    if (existsSync(c) && statSync(c).isFile()) return c;
  }
  return base; // unresolved: still good enough to say which folder and package it points into
}

/** Bare specifier → { name, subpath } ('@a/b/c' → '@a/b', './c'). */
function splitBare(spec) {
  const parts = spec.split('/');
  const n = spec.startsWith('@') ? 2 : 1;
  const name = parts.slice(0, n).join('/');
  const rest = parts.slice(n).join('/');
  return { name, subpath: rest ? `./${rest}` : '.' };
}

/** Is `subpath` one of the package's exports (exact keys, or `*` patterns)? */
function exported(pkg, subpath) {
  const ex = pkg.exports;
  if (ex === undefined) return subpath === '.';
  if (typeof ex === 'string' || Array.isArray(ex)) return subpath === '.';
  const keys = Object.keys(ex);
  if (!keys.every((k) => k.startsWith('.'))) return subpath === '.'; // conditions only: "." alone
  return keys.some((k) => {
    if (k === subpath) return true;
    const star = k.indexOf('*');
    return star >= 0 && subpath.startsWith(k.slice(0, star)) && subpath.endsWith(k.slice(star + 1));
  });
}

/** Strongly connected components (Tarjan) of a graph given as Map<node, Set<node>>. */
function sccs(graph) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const out = [];
  const strong = (v) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), idx.get(w)));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      out.push(comp.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) strong(v);
  return out;
}

/** Shortest path from `from` to `to` inside `allowed` (BFS), as a node list, or undefined. */
function shortestPath(graph, from, to, allowed) {
  const prev = new Map([[from, undefined]]);
  const queue = [from];
  while (queue.length > 0) {
    const v = queue.shift();
    if (v === to) {
      const path = [];
      for (let x = to; x !== undefined; x = prev.get(x)) path.unshift(x);
      return path;
    }
    for (const w of [...(graph.get(v) ?? [])].sort()) {
      if (allowed.has(w) && !prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return undefined;
}

/**
 * The cycles that explain a strongly connected set: for every edge u → v inside it, u → v then
 * the shortest way back from v to u; deduplicated by rotation. Every edge of the set is in one.
 */
function explainCycles(graph, comp) {
  const allowed = new Set(comp);
  const seen = new Set();
  const cycles = [];
  for (const u of comp) {
    for (const v of [...(graph.get(u) ?? [])].sort()) {
      if (!allowed.has(v) || v === u) continue;
      const back = shortestPath(graph, v, u, allowed);
      if (!back) continue;
      const cycle = [u, ...back.slice(0, -1)];
      const min = cycle.indexOf([...cycle].sort()[0]);
      const canon = [...cycle.slice(min), ...cycle.slice(0, min)];
      const key = canon.join('\0');
      if (!seen.has(key)) {
        seen.add(key);
        cycles.push(canon);
      }
    }
  }
  return cycles.sort((a, b) => a.length - b.length || a.join().localeCompare(b.join()));
}

function addEdge(graph, edges, from, to, detail) {
  if (!graph.has(from)) graph.set(from, new Set());
  if (!graph.has(to)) graph.set(to, new Set());
  graph.get(from).add(to);
  const key = `${from}\0${to}`;
  if (!edges.has(key)) edges.set(key, []);
  edges.get(key).push(detail);
}

function formatCycles(graph, edges, comp, label) {
  const lines = [];
  for (const cycle of explainCycles(graph, comp)) {
    lines.push(`cycle ${[...cycle, cycle[0]].map(label).join(' → ')}`);
    for (let i = 0; i < cycle.length; i++) {
      const from = cycle[i];
      const to = cycle[(i + 1) % cycle.length];
      lines.push(`  ${label(from)} → ${label(to)}:`);
      for (const d of edges.get(`${from}\0${to}`)) lines.push(`    ${d}`);
    }
  }
  return lines;
}

/**
 * Checks the workspace at `root` (or only `only`, absolute package dirs). Returns
 * { problems: [{ package, rule, lines }], files, imports, packages }.
 */
export function checkImports(root, only) {
  root = resolve(root);
  const all = workspacePackageDirs(root).map((dir) => {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const rel = posix(relative(root, dir));
    return { dir, rel, pkg, name: pkg.name, isApp: rel.split('/')[0] === 'apps' };
  });
  const byName = new Map(all.map((p) => [p.name, p]));
  const owner = (abs) => {
    let best;
    for (const p of all) {
      if ((abs === p.dir || abs.startsWith(p.dir + sep)) && (!best || p.dir.length > best.dir.length)) best = p;
    }
    return best;
  };
  const targets = only ? all.filter((p) => only.some((d) => resolve(d) === p.dir)) : all;
  if (only && targets.length !== only.length) {
    const known = new Set(targets.map((p) => p.dir));
    const unknown = only.filter((d) => !known.has(resolve(d)));
    throw new Error(`not workspace packages: ${unknown.join(', ')}`);
  }

  const problems = [];
  const packageGraph = new Map();
  const packageEdges = new Map();
  let files = 0;
  let imports = 0;

  for (const p of targets) {
    const src = join(p.dir, 'src');
    const folderOf = (abs) => {
      const r = posix(relative(src, abs));
      if (r.startsWith('..')) return undefined;
      const parts = r.split('/');
      return parts.length === 1 ? parts[0] : `${parts[0]}/`;
    };
    const folderGraph = new Map();
    const folderEdges = new Map();
    const lines = { apps: [], deep: [], testcode: [] };
    packageGraph.set(p.name, packageGraph.get(p.name) ?? new Set());

    for (const file of walk(src)) {
      files++;
      const relFile = posix(relative(p.dir, file));
      const isTest = TEST_FILE.test(posix(relative(src, file)));
      for (const { spec, line, kind } of moduleSpecifiers(file, readFileSync(file, 'utf8'))) {
        imports++;
        const where = `${relFile}:${line}`;
        const how = kind === 'import' ? '' : ` (${kind})`;
        if (spec.startsWith('.') || spec.startsWith('/')) {
          const target = resolveRelative(file, spec);
          const tp = owner(target);
          const relTarget = posix(relative(root, target));
          if (!p.isApp && (tp?.isApp || relTarget.split('/')[0] === 'apps')) {
            lines.apps.push(`${where} imports '${spec}' → ${relTarget}, inside ${tp ? `${tp.name} (${tp.rel})` : 'apps/'}`);
          } else if (tp !== p) {
            lines.deep.push(`${where} imports '${spec}' → ${relTarget}: outside ${p.rel}${tp ? ` (into ${tp.name}: import '${tp.name}' instead)` : ''}`);
          } else if (!isTest) {
            const relInSrc = posix(relative(src, target));
            if (TEST_FILE.test(relInSrc) && !relInSrc.startsWith('..')) {
              lines.testcode.push(`${where} imports test code '${spec}' → ${relTarget}`);
            }
            const from = folderOf(file);
            const to = folderOf(target);
            if (from && to && from !== to) {
              addEdge(folderGraph, folderEdges, from, to, `src/${posix(relative(src, file))}:${line} → ${relTarget.slice(p.rel.length + 1)}${how}`);
            }
          }
        } else if (!spec.startsWith('node:')) {
          const { name, subpath } = splitBare(spec);
          const tp = byName.get(name);
          if (!tp) continue; // an external dependency: not ours to police
          if (!p.isApp && tp.isApp) {
            lines.apps.push(`${where} imports '${spec}': ${tp.name} is an app (${tp.rel})`);
          } else if (!exported(tp.pkg, subpath)) {
            lines.deep.push(`${where} imports '${spec}': '${subpath}' is not in ${tp.name}'s exports`);
          }
          if (!isTest && tp !== p) addEdge(packageGraph, packageEdges, p.name, tp.name, `${p.rel}/${relFile}:${line} imports '${spec}'${how}`);
        }
      }
    }

    if (lines.apps.length) problems.push({ package: p.rel, rule: 'library imports from apps/', lines: lines.apps });
    if (lines.deep.length) problems.push({ package: p.rel, rule: 'deep import across packages', lines: lines.deep });
    if (lines.testcode.length) problems.push({ package: p.rel, rule: 'production code imports test code', lines: lines.testcode });
    for (const comp of sccs(folderGraph)) {
      if (comp.length < 2) continue;
      const label = (f) => `src/${f}`;
      problems.push({
        package: p.rel,
        rule: `folder cycle between ${comp.map(label).join(', ')}`,
        lines: formatCycles(folderGraph, folderEdges, comp, label),
      });
    }
  }

  for (const comp of sccs(packageGraph)) {
    if (comp.length < 2) continue;
    problems.push({
      package: '(workspace)',
      rule: `package cycle between ${comp.join(', ')}`,
      lines: formatCycles(packageGraph, packageEdges, comp, (n) => n),
    });
  }
  return { problems, files, imports, packages: targets.length };
}

function main() {
  const args = process.argv.slice(2);
  let root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const dirs = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--root') root = resolve(args[++i]);
    else dirs.push(resolve(args[i]));
  }
  const t0 = Date.now();
  const { problems, files, imports, packages } = checkImports(root, dirs.length > 0 ? dirs : undefined);
  const ms = Date.now() - t0;
  for (const pr of problems) {
    console.log(`✗ ${pr.package}: ${pr.rule}`);
    for (const l of pr.lines) console.log(`    ${l}`);
  }
  if (problems.length > 0) {
    console.error(`check-imports: ${problems.length} problem(s) in ${packages} packages (${files} files, ${imports} imports, ${ms} ms)`);
    process.exit(1);
  }
  console.log(
    `check-imports: ${packages} packages OK: no folder or package cycle, no library → apps import, no deep import (${files} files, ${imports} imports, ${ms} ms)`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
