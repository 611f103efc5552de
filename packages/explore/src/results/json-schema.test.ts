/**
 * The shipped JSON Schemas (schemas/*.schema.json): the committed files are what the zod schemas
 * produce now, and a standard validator (ajv, draft 2020-12) accepts real files — a sweep's
 * results.json and a `lazytlb mutants` output, made here by the engine — and rejects broken ones,
 * as parseResults / MutantsFile do.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CORE_MUTATIONS } from '@lazytlb/core';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { mutantCell } from '../mutants/catalog.js';
import { runMutants } from '../mutants/run.js';
import { MUTANTS_SCHEMA, MutantsFile } from '../mutants/schema.js';
import { parseVariants } from '../mutants/variants.js';
import { PluginRegistry } from '../registry/registry.js';
import { shrinkFirstFailures, shrunkBuildOptions } from '../shrink/first-failures.js';
import { runSweep } from '../sweep/sweep.js';
import { smallCells } from '../sweep/test-support.js';
import { buildResults } from './build.js';
import { jsonSchemaText, mutantsJsonSchema, resultsJsonSchema } from './json-schema.js';
import { parseResults, RESULTS_SCHEMA, type ResultsFile } from './schema.js';

const schemaFile = (name: string): string => fileURLToPath(new URL(`../../schemas/${name}`, import.meta.url));
const committed = (name: string): Record<string, unknown> => JSON.parse(readFileSync(schemaFile(name), 'utf8')) as Record<string, unknown>;

function validator(name: string): ValidateFunction {
  // strict: an unknown keyword or a malformed schema is an error, not ignored.
  return new Ajv2020({ strict: true, allErrors: true }).compile(committed(name));
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

const registry = await PluginRegistry.create();

describe('committed schemas', () => {
  it.each([
    ['results.schema.json', resultsJsonSchema],
    ['mutants.schema.json', () => mutantsJsonSchema(MutantsFile)],
  ] as const)('%s is what the zod schema produces now (else: build the package and commit schemas/)', (name, make) => {
    expect(readFileSync(schemaFile(name), 'utf8'), `packages/explore/schemas/${name} is stale: run the build and commit it`).toBe(jsonSchemaText(make()));
  });

  it('ids, titles and the schema strings they describe', () => {
    const r = committed('results.schema.json');
    expect(r).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema', $id: 'https://lazytlb.dev/schemas/results-3.json' });
    expect(r.description).toContain(`Schema \`${RESULTS_SCHEMA}\``);
    expect((r.properties as { schema: unknown }).schema).toEqual({ type: 'string', const: RESULTS_SCHEMA });
    const m = committed('mutants.schema.json');
    expect(m.$id).toBe('https://lazytlb.dev/schemas/mutants-3.json');
    expect((m.properties as { schema: unknown }).schema).toEqual({ type: 'string', const: MUTANTS_SCHEMA });
  });
});

// A real sweep with violations, hazards and use sites (the `none` cells), shrunk first failures
// (sizes, bug depths) and coverage on (growth points, state sketches): most optional parts filled.
const swept = await runSweep({ registry, cells: smallCells(), matrixSeed: 'json-schema', runs: 60, threads: 1, coverage: true });
const shrunk = await shrinkFirstFailures(swept, registry, () => {});
const resultsFile: ResultsFile = JSON.parse(JSON.stringify(buildResults(swept, shrunkBuildOptions(shrunk)))) as ResultsFile;
// The same cells sharded and without coverage: the null and absent parts.
const bareResults = buildResults(
  await runSweep({ registry, cells: smallCells(), matrixSeed: 'json-schema', runs: 20, threads: 1, shard: { index: 1, count: 2 } }),
);

describe('results.schema.json', () => {
  const validate = validator('results.schema.json');
  const file = resultsFile;

  it('accepts a real results.json', () => {
    expect(file.cells.some((c) => c.verdict === 'violates')).toBe(true);
    expect(file.cells.some((c) => c.firstFailures.some((f) => f.shrunk !== null))).toBe(true);
    expect(file.cells.every((c) => c.coverage !== null)).toBe(true);
    expect(validate(file), JSON.stringify(validate.errors)).toBe(true);
    const bare = bareResults;
    expect(bare.shard).toEqual({ index: 1, count: 2 });
    expect(validate(JSON.parse(JSON.stringify(bare))), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each<[string, (f: Record<string, any>) => void, string]>([
    ['a missing required field', (f) => delete f.totals, 'required'],
    ['another schema string', (f) => (f.schema = 'lazytlb.results/2'), 'const'],
    ['an unknown field (the zod schema is strict)', (f) => (f.extra = 1), 'additionalProperties'],
    ['a negative count in a cell', (f) => (f.cells[0].runs = -1), 'minimum'],
    ['an unknown verdict', (f) => (f.cells[0].verdict = 'fine'), 'enum'],
    ['a seed that is not 32 hex digits', (f) => (f.cells.find((c: any) => c.firstFailures.length > 0).firstFailures[0].seed = 'XYZ'), 'pattern'],
    ['a cost counter zod does not know', (f) => (f.cells[0].raw.costs.no_such_counter = 1), 'propertyNames'],
  ])('rejects %s, as parseResults does', (_what, breakIt, keyword) => {
    const bad = clone(file) as Record<string, any>;
    breakIt(bad);
    expect(validate(bad)).toBe(false);
    expect(validate.errors!.map((e) => e.keyword)).toContain(keyword);
    expect(() => parseResults(bad)).toThrow();
  });
});

// The mutants command's output for two core mutations on cells of the reference arch (explore
// loads no arch plugin; core mutations apply to every arch): artifacts named, kills shrunk.
const doc = (id: string) => {
  const m = CORE_MUTATIONS.find((x) => x.id === id)!;
  return { id: m.id, title: m.title, fixedBy: m.fixedBy, breaks: m.breaks, cells: m.cells, description: m.description };
};
const cell = mutantCell({ arch: 'reference', scheme: 'refcount', workload: 'hotplug', cpus: 2 });
const run = await runMutants({
  entries: [
    { doc: doc('idle-task-exit-mmdrop'), source: 'core', cells: [cell] },
    { doc: doc('kthread-use-mm-irqs-on'), source: 'core', cells: [mutantCell({ arch: 'reference', scheme: 'refcount', workload: 'kthread-heavy', cpus: 2 })] },
  ],
  variants: parseVariants(['random', 'pct:3']),
  budget: { kind: 'runs', runs: 200 },
  seed: 'json-schema',
  threads: 1,
  registry,
  artifactPaths: true,
});
const mutantsOutput = JSON.parse(JSON.stringify(run.file)) as Record<string, any>;

describe('mutants.schema.json', () => {
  const validate = validator('mutants.schema.json');
  const file = mutantsOutput;

  it('accepts a real mutants output', () => {
    expect(file.mutations).toHaveLength(2);
    expect(file.controls.length).toBeGreaterThan(0);
    // a kill with its record and artifact paths, so those parts of the schema are exercised too
    const killed = file.mutations.flatMap((m: any) => m.cells).find((c: any) => c.killed);
    expect(killed?.kill?.artifact).toMatch(/\.json$/);
    expect(validate(file), JSON.stringify(validate.errors)).toBe(true);
    expect(MutantsFile.safeParse(file).success).toBe(true);
  });

  it.each<[string, (f: Record<string, any>) => void, string]>([
    ['a missing required field', (f) => delete f.mutations, 'required'],
    ['another schema string', (f) => (f.schema = 'lazytlb.mutants/2'), 'const'],
    ['an unknown budget kind', (f) => (f.budget = { kind: 'steps', steps: 5 }), 'oneOf'],
    ['an unknown status', (f) => (f.mutations[0].status = 'dead'), 'enum'],
  ])('rejects %s, as MutantsFile does', (_what, breakIt, keyword) => {
    const bad = clone(file);
    breakIt(bad);
    expect(validate(bad)).toBe(false);
    expect(validate.errors!.map((e) => e.keyword)).toContain(keyword);
    expect(MutantsFile.safeParse(bad).success).toBe(false);
  });
});
