#!/usr/bin/env node
// Writes schemas/results.schema.json and schemas/mutants.schema.json (JSON Schema 2020-12) from
// the zod schemas in dist/ (src/results/json-schema.ts says how): run by `build` after tsc, so the
// packed package ships the schemas of the code it ships. The files are committed as well (readable
// on GitHub, a schema change visible in review); src/results/json-schema.test.ts fails when the
// committed ones are not what the sources produce. A file is only rewritten when its content
// changes, so a build that changes nothing leaves it (and its mtime) alone.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MutantsFile } from '../dist/index.js';
import { jsonSchemaText, mutantsJsonSchema, resultsJsonSchema } from '../dist/results/json-schema.js';

const pkgRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(pkgRoot, 'schemas');
mkdirSync(outDir, { recursive: true });
for (const [name, doc] of [
  ['results.schema.json', resultsJsonSchema()],
  ['mutants.schema.json', mutantsJsonSchema(MutantsFile)],
]) {
  const file = join(outDir, name);
  const next = jsonSchemaText(doc);
  let current = null;
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    current = null;
  }
  if (current !== next) {
    writeFileSync(file, next);
    console.log(`gen-schemas: wrote schemas/${name} (${doc.$id}): commit it`);
  }
}
