/**
 * The JSON Schema (draft 2020-12) of a failure artifact (`lazytlb.artifact/3`), generated from
 * the zod schema Artifact with `z.toJSONSchema`. scripts/gen-schemas.mjs writes it into
 * schemas/artifact.schema.json at build time (from dist/); json-schema.test.ts checks that the
 * committed file is what this produces now, so a change of the zod schema shows in review.
 */
import { z } from 'zod';
import { ARTIFACT_SCHEMA, ARTIFACT_SCHEMA_V2, Artifact } from './artifact.js';

/** Where the schemas' `$id`s live (the same base as @lazytlb/explore's): an identifier, not a download address. */
export const JSON_SCHEMA_ID_BASE = 'https://lazytlb.dev/schemas/';

/** The text of a schema file: 2-space JSON and a final newline (stable: key order is the zod schema's). */
export function jsonSchemaText(doc: Record<string, unknown>): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/**
 * schemas/artifact.schema.json. Anything zod cannot convert throws (the default
 * `unrepresentable: 'throw'`): a transform or custom type added to the artifact must be decided
 * on, not silently turned into `{}`. The workload parameters' refinement (some op weight > 0) is
 * dropped by the conversion, which is why the description names it.
 */
export function artifactJsonSchema(): Record<string, unknown> {
  // io 'input': what parseArtifact accepts. Workload parameters have defaults, so an artifact may
  // omit them (lazytlb writes them all); the output schema would wrongly require them.
  const { $schema, ...body } = z.toJSONSchema(Artifact, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
  const version = ARTIFACT_SCHEMA.slice(ARTIFACT_SCHEMA.lastIndexOf('/') + 1);
  return {
    $schema,
    $id: `${JSON_SCHEMA_ID_BASE}artifact-${version}.json`,
    title: 'lazytlb failure artifact',
    description:
      'A failure artifact: everything needed to replay one run exactly (`lazytlb replay FILE`), written by `lazytlb sweep --out DIR` under ' +
      "failures/ (`<cell>-<key>.json`, and `.shrunk.json` for the shrunk counterexample) and by @lazytlb/core's makeArtifact. " +
      `Schema \`${ARTIFACT_SCHEMA}\`; parseArtifact also reads \`${ARTIFACT_SCHEMA_V2}\` files (\`modelHash\` instead of \`fingerprints\`), ` +
      'which this schema does not describe. It describes what lazytlb reads (zod input): workload parameters with a default may be omitted, ' +
      'although lazytlb always writes them. The zod schema is the reference; this JSON Schema cannot express: that some workload op weight ' +
      "is positive; that `cell.arch.options` and `cell.schemeOptions` are valid for the arch and scheme (the plugins' own schemas check them); " +
      "that `decisions` is base64 of actor ids the cell has; that the fingerprints are the recording model's (replay checks them).",
    ...body,
  };
}
