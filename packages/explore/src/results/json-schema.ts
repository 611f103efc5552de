/**
 * JSON Schemas (draft 2020-12) of the files this package defines, generated from their zod
 * schemas with `z.toJSONSchema`: results.json (`lazytlb.results/3`, ResultsFile) and the mutants
 * output (`lazytlb.mutants/3`, MutantsFile). scripts/gen-schemas.mjs writes them into schemas/ at
 * build time (from dist/); json-schema.test.ts checks that the committed files are what these
 * functions produce now, so a change of a zod schema shows in review as a change of the JSON one.
 *
 * The mutants schema takes its zod schema as an argument instead of importing it: mutants/
 * already imports results/ (mutants/run.ts builds results), and folders must not import each
 * other in a cycle (scripts/check-imports.mjs).
 */
import { z } from 'zod';
import { ResultsFile } from './schema.js';

/** Where the schemas' `$id`s live: `<base><name>-<version>.json` (results-3.json). An identifier, not a download address. */
export const JSON_SCHEMA_ID_BASE = 'https://lazytlb.dev/schemas/';

/** What every generated schema says it leaves out, whatever the file. */
const COMMON_LIMITS =
  'It describes what lazytlb reads (zod input): fields a parser fills with a default may be omitted, although lazytlb always writes them. ' +
  'The zod schema is the reference; this JSON Schema cannot express';

export interface JsonSchemaMeta {
  readonly title: string;
  /** What the file is and who writes it (the schema string and the limits are appended). */
  readonly about: string;
  /** What the zod parser checks that JSON Schema cannot (appended after COMMON_LIMITS). */
  readonly limits: readonly string[];
}

/**
 * The JSON Schema document of a zod schema of a lazytlb file whose `schema` field is a literal
 * (`lazytlb.results/3`): `$id` from that literal, `title`, `description`, then the converted
 * schema. Anything zod cannot convert throws (the default `unrepresentable: 'throw'`): a transform
 * or a custom type added to a file's schema must be decided on, not silently turned into `{}`.
 */
export function jsonSchemaDocument(schema: z.ZodType, meta: JsonSchemaMeta): Record<string, unknown> {
  // io 'input': what parseResults / parseArtifact accept, so a file written by an older version
  // of this schema that omitted a defaulted field is still valid.
  const { $schema, ...body } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
  const literal = (body.properties as Record<string, { const?: unknown }> | undefined)?.schema?.const;
  if (typeof literal !== 'string' || !/^lazytlb\.[a-z]+\/\d+$/.test(literal)) {
    throw new Error(`jsonSchemaDocument(${meta.title}): the zod schema has no literal \`schema\` field of the form lazytlb.NAME/N`);
  }
  const id = `${JSON_SCHEMA_ID_BASE}${literal.slice('lazytlb.'.length).replace('/', '-')}.json`;
  const description = `${meta.about} Schema \`${literal}\`. ${COMMON_LIMITS}: ${meta.limits.join('; ')}.`;
  return { $schema, $id: id, title: meta.title, description, ...body };
}

/** The text of a schema file: 2-space JSON and a final newline (stable: key order is the zod schema's). */
export function jsonSchemaText(doc: Record<string, unknown>): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** schemas/results.schema.json. */
export function resultsJsonSchema(): Record<string, unknown> {
  return jsonSchemaDocument(ResultsFile, {
    title: 'lazytlb results.json',
    about:
      'The results of a lazytlb sweep: results.json, written by `lazytlb sweep --out DIR`, `lazytlb merge` and printed by `--json`; ' +
      "@lazytlb/explore's buildResults builds it and parseResults reads it.",
    limits: [
      'that the totals are the sums over the cells and a verdict follows from its counts (`lazytlb merge` and `--resume` recompute them)',
      "that a cell's `options`, `schemeOptions` and `workload` are valid for its arch, scheme and workload generator (the plugins' own schemas check them)",
      "that `fingerprints.plugins` names the plugins the cells ran, and that `raw.coverage`'s run ranges lie within `matrix.runs`",
    ],
  });
}

/** schemas/mutants.schema.json, from MutantsFile (passed in: see the module comment). */
export function mutantsJsonSchema(mutantsFile: z.ZodType): Record<string, unknown> {
  return jsonSchemaDocument(mutantsFile, {
    title: 'lazytlb mutants output',
    about: "The output of `lazytlb mutants`: mutants.json in `--out DIR`, printed by `--json`; @lazytlb/explore's runMutants builds it.",
    limits: [
      'that the totals are the counts over `mutations` and `controls`',
      'that a killed mutation has a killed cell and its `status` agrees with `killed` and `noVictim`',
      "that a cell's `options` and `schemeOptions` are valid for its arch and scheme (the plugins' own schemas check them)",
    ],
  });
}
