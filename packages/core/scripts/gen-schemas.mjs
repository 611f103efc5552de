#!/usr/bin/env node
// Writes schemas/artifact.schema.json (JSON Schema 2020-12) from the zod schema in dist/
// (src/artifact/json-schema.ts says how): run by `build` after tsc, so the packed package ships
// the schema of the code it ships. The file is committed as well (readable on GitHub, a schema
// change visible in review); src/artifact/json-schema.test.ts fails when the committed one is not
// what the sources produce. Only rewritten when its content changes (a build that changes nothing
// leaves it and its mtime alone).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { artifactJsonSchema, jsonSchemaText } from '../dist/artifact/json-schema.js';

const pkgRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(pkgRoot, 'schemas');
mkdirSync(outDir, { recursive: true });
for (const [name, doc] of [['artifact.schema.json', artifactJsonSchema()]]) {
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
