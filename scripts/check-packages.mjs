#!/usr/bin/env node
// Checks that every workspace package is publishable, on the tarball that would be published:
// for each package, `pnpm pack` (which rewrites `workspace:` ranges, as `pnpm publish` does)
// into a temp dir, then
//   - publint on that tarball (strict: its warnings fail too),
//   - @arethetypeswrong/cli (attw) on that tarball,
//   - our own rules: license/repository/engines/publishConfig/exports metadata, README and
//     LICENSE in the tarball, no tests, test support or fixtures in it, no `workspace:` left,
//   - JSON Schemas (a package exporting `./schemas/*.json`): at least one schemas/*.schema.json in
//     the tarball, each a draft 2020-12 schema with `$id`, `title` and `description`, and each
//     the committed file (the build regenerates them: a difference from git HEAD means a schema
//     change that was not committed; an error under CI=true, a warning otherwise).
// It builds nothing: run it after `pnpm build` (the root `test` script runs it after turbo's
// build+test). Usage: node scripts/check-packages.mjs [package dir...]   (default: all)
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

/** pnpm itself: the one running this script if any (npm_execpath), else the pinned one via npx. */
function pnpmCommand() {
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: set by npm/pnpm when a script runs; absent otherwise
  const execPath = process.env.npm_execpath;
  if (execPath && /pnpm/.test(execPath)) {
    return /\.c?js$/.test(execPath) ? [process.execPath, [execPath]] : [execPath, []];
  }
  return ['npx', ['-y', 'pnpm@10.34.8']];
}

/** Workspace package dirs from pnpm-workspace.yaml's `packages:` globs (only `dir/*` forms). */
export function workspacePackageDirs() {
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

const TEST_FILE = /(^|\/)(__tests__|test-support|test-fixtures)(\/|\.)|\.(test|spec)\.[cm]?[jt]sx?(\.map)?$|\.test\.d\.[cm]?ts(\.map)?$/;

/** Our own publishability rules on the packed package.json and file list. */
function ownRules(dir, pkg, files) {
  const problems = [];
  const rel = relative(root, dir);
  if (pkg.license !== 'MIT') problems.push(`license is ${JSON.stringify(pkg.license)}, expected "MIT"`);
  if (pkg.repository?.type !== 'git' || !pkg.repository?.url || pkg.repository?.directory !== rel) {
    problems.push(`repository must be { type: "git", url, directory: "${rel}" }`);
  }
  if (pkg.engines?.node !== '>=20') problems.push('engines.node must be ">=20"');
  if (pkg.name.startsWith('@') && pkg.publishConfig?.access !== 'public') {
    problems.push('scoped package without publishConfig.access "public"');
  }
  if (!pkg.types) problems.push('no "types"');
  const dot = pkg.exports?.['.'];
  if (!dot || typeof dot !== 'object' || !dot.types) problems.push('exports["."] must be an object with "types"');
  for (const f of ['package.json', 'README.md', 'LICENSE']) {
    if (!files.includes(f)) problems.push(`${f} is not in the tarball`);
  }
  const tests = files.filter((f) => TEST_FILE.test(f));
  if (tests.length > 0) problems.push(`test files in the tarball: ${tests.slice(0, 5).join(', ')}${tests.length > 5 ? ', …' : ''}`);
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [dep, range] of Object.entries(pkg[field] ?? {})) {
      if (String(range).startsWith('workspace:')) problems.push(`${field}.${dep} is still ${range}`);
    }
  }
  return problems;
}

const JSON_SCHEMA_DRAFT = 'https://json-schema.org/draft/2020-12/schema';

/** The JSON Schemas a package ships (exports `./schemas/*.json`): present, well-formed, and the committed ones. */
async function schemaRules(dir, pkg, files, tarball) {
  if (pkg.exports?.['./schemas/*.json'] === undefined) return [];
  const problems = [];
  const schemas = files.filter((f) => /^schemas\/[^/]+\.schema\.json$/.test(f));
  if (schemas.length === 0) problems.push('exports ./schemas/*.json but the tarball has no schemas/*.schema.json (is "schemas" in files?)');
  for (const f of schemas) {
    const { stdout } = await run('tar', ['-xzOf', tarball, `package/${f}`], { maxBuffer: 16 << 20 });
    let doc;
    try {
      doc = JSON.parse(stdout);
    } catch (e) {
      problems.push(`${f} is not JSON: ${e.message}`);
      continue;
    }
    if (doc.$schema !== JSON_SCHEMA_DRAFT) problems.push(`${f}: $schema is ${JSON.stringify(doc.$schema)}, expected ${JSON_SCHEMA_DRAFT}`);
    for (const k of ['$id', 'title', 'description']) if (typeof doc[k] !== 'string' || doc[k] === '') problems.push(`${f}: no ${k}`);
    // The build rewrites schemas/ from the zod schemas: if the packed file is not the committed one,
    // a schema change was not committed, and what GitHub shows differs from what is published.
    const path = relative(root, join(dir, f));
    let committed = null;
    try {
      committed = (await run('git', ['show', `HEAD:${path}`], { cwd: root, maxBuffer: 16 << 20 })).stdout;
    } catch {
      committed = null; // not a git checkout, or the file is new: nothing to compare against
    }
    if (committed !== null && committed !== stdout) {
      const msg = `${f} differs from the committed ${path}: the build regenerated it from a changed zod schema; commit it`;
      // CI: set by CI systems (GitHub Actions, GitLab CI, …); locally a reminder is enough before committing.
      if (process.env.CI) problems.push(msg);
      else console.warn(`warning: ${msg}`);
    }
  }
  return problems;
}

async function checkPackage(dir, pnpm) {
  const rel = relative(root, dir);
  const src = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (src.private) return { rel, skipped: true, problems: [] };
  if (!existsSync(join(dir, 'dist'))) {
    return { rel, problems: [`no dist/: build first (npx -y pnpm@10.34.8 build)`] };
  }
  const tmp = mkdtempSync(join(tmpdir(), 'lazytlb-check-'));
  try {
    const [cmd, pre] = pnpm;
    await run(cmd, [...pre, 'pack', '--pack-destination', tmp], { cwd: dir, maxBuffer: 16 << 20 });
    const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tgz) return { rel, problems: ['pnpm pack produced no tarball'] };
    const tarball = join(tmp, tgz);
    const { stdout: list } = await run('tar', ['-tzf', tarball], { maxBuffer: 16 << 20 });
    const files = list
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ''));
    const { stdout: packedJson } = await run('tar', ['-xzOf', tarball, 'package/package.json']);
    const pkg = JSON.parse(packedJson);
    const problems = ownRules(dir, pkg, files);
    problems.push(...(await schemaRules(dir, pkg, files, tarball)));

    const buf = readFileSync(tarball);
    const lint = await publint({
      pack: { tarball: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) },
      level: 'warning',
      strict: true,
    });
    for (const m of lint.messages) {
      problems.push(`publint ${m.type}: ${formatMessage(m, lint.pkg) ?? m.code}`);
    }

    // ESM-only packages ("type": "module", exports with only `types` + `import`): the
    // `esm-only` profile skips the node10 and node16-from-CJS resolution modes, where a
    // require() of an ESM-only package is expected to fail (attw's cjs-resolves-to-esm /
    // no-resolution). Everything else (node16-from-ESM, bundler) must resolve to typed ESM.
    try {
      await run(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii', '--no-color', '--no-emoji'], {
        maxBuffer: 16 << 20,
      });
    } catch (e) {
      problems.push(`attw:\n${String(e.stdout || e.stderr || e.message).trim()}`);
    }
    return { rel, problems, files: files.length };
  } catch (e) {
    return { rel, problems: [`check failed: ${String(e.stderr || e.message).trim()}`] };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function main() {
  const args = process.argv.slice(2);
  const dirs = args.length > 0 ? args.map((a) => resolve(a)) : workspacePackageDirs();
  const pnpm = pnpmCommand();
  const t0 = Date.now();
  const results = new Array(dirs.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(dirs.length, Math.max(2, availableParallelism())) }, async () => {
    while (next < dirs.length) {
      const i = next++;
      results[i] = await checkPackage(dirs[i], pnpm);
    }
  });
  await Promise.all(workers);
  let failed = 0;
  for (const r of results) {
    if (r.skipped) {
      console.log(`- ${r.rel}: private, skipped`);
    } else if (r.problems.length === 0) {
      console.log(`✓ ${r.rel}: publint, attw (esm-only) and package rules pass (${r.files} files)`);
    } else {
      failed++;
      console.log(`✗ ${r.rel}:`);
      for (const p of r.problems) console.log(`    ${p.replace(/\n/g, '\n    ')}`);
    }
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (failed > 0) {
    console.error(`check-packages: ${failed} of ${results.length} packages are not publishable as packed (${secs} s)`);
    process.exit(1);
  }
  console.log(`check-packages: ${results.length} packages OK (${secs} s)`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
