#!/usr/bin/env node
// Writes src/generated/version.ts: the core's package version, for artifacts and plugin
// setup. (What identifies the model for replay is not a hash of these sources but the
// behaviour fingerprint, computed at run time: src/behaviour/fingerprint.ts.)
// The output file is only rewritten when its content changes, so builds that change
// nothing leave its mtime alone.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const genDir = join(pkgRoot, 'src', 'generated');
const outFile = join(genDir, 'version.ts');
const pkg = JSON.parse(readFileSync(join(pkgRoot, 'package.json'), 'utf8'));
const next = `export const CORE_VERSION = '${pkg.version}';\n`;

let current = null;
try {
  current = readFileSync(outFile, 'utf8');
} catch {
  current = null;
}
if (current !== next) {
  mkdirSync(genDir, { recursive: true });
  writeFileSync(outFile, next);
  console.log(`gen-version: wrote ${relative(pkgRoot, outFile)} (${pkg.version})`);
}
