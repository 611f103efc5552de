#!/usr/bin/env node
// Computes a stable hash of the core model sources and writes
// src/generated/model-hash.ts. The hash covers every src/**/*.ts file except
// tests (*.test.ts, src/test-support/) and the generated folder itself, sorted by relative path.
// The output file is only rewritten when its content changes, so builds that
// change nothing leave its mtime alone.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const pkgRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
const srcDir = join(pkgRoot, "src");
const genDir = join(srcDir, "generated");
const testSupportDir = join(srcDir, "test-support");
const outFile = join(genDir, "model-hash.ts");

/** @param {string} dir @returns {string[]} */
function walk(dir) {
  /** @type {string[]} */
  const found = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code === "ENOENT") return found;
    throw err;
  }
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (full === genDir || full === testSupportDir) continue;
      found.push(...walk(full));
    } else if (entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) {
      found.push(full);
    }
  }
  return found;
}

const files = walk(srcDir)
  .map((full) => ({ full, rel: relative(srcDir, full).split(sep).join("/") }))
  .sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));

const hash = createHash("sha256");
for (const { full, rel } of files) {
  const content = readFileSync(full);
  hash.update(rel, "utf8");
  hash.update("\0");
  hash.update(String(content.length));
  hash.update("\0");
  hash.update(content);
  hash.update("\0");
}
const modelHash = hash.digest("hex").slice(0, 16);

const pkg = JSON.parse(readFileSync(join(pkgRoot, "package.json"), "utf8"));
const next =
  `export const MODEL_HASH = "${modelHash}";\n` +
  `export const CORE_VERSION = "${pkg.version}";\n`;

let current = null;
try {
  current = readFileSync(outFile, "utf8");
} catch {
  current = null;
}
if (current !== next) {
  mkdirSync(genDir, { recursive: true });
  writeFileSync(outFile, next);
  console.log(`gen-model-hash: wrote ${relative(pkgRoot, outFile)} (${modelHash}, ${files.length} files)`);
} else {
  console.log(`gen-model-hash: up to date (${modelHash}, ${files.length} files)`);
}
