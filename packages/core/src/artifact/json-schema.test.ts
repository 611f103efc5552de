/**
 * The shipped artifact JSON Schema (schemas/artifact.schema.json): the committed file is what the
 * zod schema produces now, and a standard validator (ajv, draft 2020-12) accepts real artifacts —
 * recorded here from runs of the reference arch over cells that fill the optional parts — and
 * rejects broken ones, as parseArtifact does.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { hashString128, runSeed } from '../prng/seed.js';
import { referenceArch } from '../reference-arch/reference-arch.js';
import { Simulator, type SimulatorOptions } from '../run/simulator.js';
import { ARTIFACT_SCHEMA, type Artifact, makeArtifact, parseArtifact } from './artifact.js';
import { artifactJsonSchema, jsonSchemaText } from './json-schema.js';
import { ARTIFACT_OPTION_CELLS } from '../test-support/artifact-cells.js';

const FILE = fileURLToPath(new URL('../../schemas/artifact.schema.json', import.meta.url));
const committed = JSON.parse(readFileSync(FILE, 'utf8')) as Record<string, unknown>;
// strict: an unknown keyword or a malformed schema is an error, not ignored.
const validate = new Ajv2020({ strict: true, allErrors: true }).compile(committed);

const CELLS = ARTIFACT_OPTION_CELLS;

/** Run 3 of the cell, as the JSON a sweep writes. */
function artifactOf(cell: Omit<SimulatorOptions, 'plugin'>): Record<string, any> {
  const sim = new Simulator({ plugin: referenceArch, ...cell });
  const seed = runSeed(hashString128(sim.cellId), 3);
  return JSON.parse(JSON.stringify(makeArtifact(sim, seed, sim.run(seed, { keepDecisions: true }), 3))) as Record<string, any>;
}

/** A hazard artifact: the first run of `none` that records I3, stopped there (its `target`). */
function hazardArtifact(): Record<string, any> {
  const sim = new Simulator({ plugin: referenceArch, scheme: 'none', cpus: 2, workload: 'idle-heavy' });
  for (let i = 0; i < 500; i++) {
    const seed = runSeed(hashString128(sim.cellId), i);
    const r = sim.run(seed, { keepDecisions: true, stopAt: { hazard: 'I3' } });
    if (r.outcome === 'stopped') return JSON.parse(JSON.stringify(makeArtifact(sim, seed, r, i, { hazard: 'I3' }))) as Record<string, any>;
  }
  throw new Error('no I3 hazard in 500 runs');
}

describe('schemas/artifact.schema.json', () => {
  it('is what the zod schema produces now (else: build the package and commit schemas/)', () => {
    expect(readFileSync(FILE, 'utf8'), 'packages/core/schemas/artifact.schema.json is stale: run the build and commit it').toBe(
      jsonSchemaText(artifactJsonSchema()),
    );
    expect(committed).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema', $id: 'https://lazytlb.dev/schemas/artifact-3.json' });
    expect((committed.properties as { schema: unknown }).schema).toEqual({ type: 'string', const: ARTIFACT_SCHEMA });
  });

  const artifacts = [...CELLS.map(artifactOf), hazardArtifact()];

  it.each(artifacts.map((a, i) => [i, a] as const))('accepts real artifact %i', (_i, a) => {
    expect(validate(a), JSON.stringify(validate.errors)).toBe(true);
    expect(parseArtifact(a)).toEqual(a as Artifact);
  });

  it('covers the optional parts (else the cells above no longer exercise them)', () => {
    const cells = artifacts.map((a) => a.cell);
    // (memory: the reference arch runs under sc only, which the cell leaves out)
    for (const k of ['schemeOptions', 'preempt', 'mutations', 'disabledInvariants'])
      expect(
        cells.some((c) => k in c),
        k,
      ).toBe(true);
    expect(cells.some((c) => 'explicit' in c.workload)).toBe(true);
    expect(artifacts.map((a) => a.outcome.kind)).toContain('violation');
    expect(artifacts.at(-1)).toMatchObject({ target: { hazard: 'I3' }, outcome: { kind: 'stopped' } });
  });

  it('accepts an artifact that omits defaulted workload parameters (zod input: parseArtifact fills them)', () => {
    const a = artifacts[1]!;
    const params = a.cell.workload.params as Record<string, unknown>;
    const { sleep: _defaulted, ...fewer } = params;
    const b = { ...a, cell: { ...a.cell, workload: { ...a.cell.workload, params: fewer } } };
    expect(validate(b), JSON.stringify(validate.errors)).toBe(true);
    expect(() => parseArtifact(b)).not.toThrow();
  });

  it.each<[string, (a: Record<string, any>) => void, string]>([
    ['a missing required field', (a) => delete a.decisions, 'required'],
    ['another schema string', (a) => (a.schema = 'lazytlb.artifact/1'), 'const'],
    ['an unknown field (the zod schema is strict)', (a) => (a.cell.extra = true), 'additionalProperties'],
    ['more CPUs than the model has', (a) => (a.cell.cpus = 33), 'maximum'],
    ['an unknown invariant', (a) => (a.outcome.invariant = 'I99'), 'enum'],
    ['a fingerprint that is not 16 hex digits', (a) => (a.fingerprints.core = 'abc'), 'pattern'],
  ])('rejects %s, as parseArtifact does', (_what, breakIt, keyword) => {
    const bad = JSON.parse(JSON.stringify(artifacts[0])) as Record<string, any>;
    breakIt(bad);
    expect(validate(bad)).toBe(false);
    expect(validate.errors!.map((e) => e.keyword)).toContain(keyword);
    expect(() => parseArtifact(bad)).toThrow();
  });
});
