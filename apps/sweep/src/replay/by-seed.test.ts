/**
 * `replay --cell --seed` on a real small sweep: a recorded first failure prints byte for byte as
 * its artifact replays (every format), a passing seed prints its run and says it passes, and
 * every way the two forms can be misused or the cell cannot be rebuilt is one line with its code.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSeed, seedFromHex, seedToHex } from '@lazytlb/core';
import { classifyError, type ErrorCode, type ResultsFile, runSweep } from '@lazytlb/explore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { replayCommand, type ReplayCommandOptions } from './command.js';
import { replayFile, REPLAY_FORMATS } from './replay.js';
import { type SmallSweep, smallSweep } from '../test-support/small-sweep.js';
import { createRegistry } from '../plugins/bundled.js';
import { writeResultDir } from '../results/write.js';

let sweep: SmallSweep;
beforeAll(async () => {
  sweep = await smallSweep('lazytlb-by-seed-');
}, 120_000);
afterAll(() => rmSync(sweep.dir, { recursive: true, force: true }));

type Cell = ResultsFile['cells'][number];
const violating = (): { cell: Cell; f: Cell['firstFailures'][number] } => {
  for (const cell of sweep.results.cells) {
    const f = cell.firstFailures.find((x) => x.class === 'violation');
    if (f !== undefined) return { cell, f };
  }
  throw new Error('the small sweep found no violation');
};
const run = (o: Partial<ReplayCommandOptions>, artifact?: string) => replayCommand(artifact, { format: 'lkml', ...o });

/** The error's code and whether its message is one line. */
async function failure(p: Promise<unknown>): Promise<{ code: ErrorCode; message: string }> {
  try {
    await p;
  } catch (e) {
    return { code: classifyError(e), message: (e as Error).message };
  }
  throw new Error('expected it to fail');
}

describe('replay --cell --seed', () => {
  it('a first failure by id and by cell JSON, with --results: byte-identical to replaying its artifact, in every format', async () => {
    const { cell, f } = violating();
    for (const format of REPLAY_FORMATS) {
      const want = await replayFile(join(sweep.dir, f.artifact), { format });
      const byId = await run({ format, cell: cell.id, seed: f.seed, results: sweep.dir });
      expect(byId.text).toBe(want);
      expect(byId.notes).toEqual([]);
      // the cell's JSON as results.json holds it, and results.json itself as --results
      const byJson = await run({ format, cell: cell.raw.cellId, seed: f.seed, results: join(sweep.dir, 'results.json') });
      expect(byJson.text).toBe(want);
    }
    expect((await run({ cell: cell.id, seed: f.seed, results: sweep.dir })).text).toContain(`(run ${f.runIndex})\n`);
  });

  it('a cell JSON file without --results: the same run, with nothing recorded to compare it with', async () => {
    const { cell, f } = violating();
    const path = join(sweep.dir, 'cell.json');
    writeFileSync(path, `${cell.raw.cellId}\n`);
    const r = await run({ cell: path, seed: f.seed.toUpperCase() });
    expect(r.text).toContain(`lazytlb: ${f.key} `);
    expect(r.text).toContain(`  seed:      ${f.seed}\n`);
    expect(r.text).toContain(`  replay:    run from its seed (no recorded outcome to compare with), ${f.steps} steps`);
    const json = JSON.parse((await run({ cell: path, seed: f.seed, format: 'json' })).text) as {
      reproduced: unknown;
      recorded: unknown;
      outcome: { steps: number };
    };
    expect(json.reproduced).toBeNull();
    expect(json.recorded).toBeNull();
    expect(json.outcome.steps).toBe(f.steps);
    // the artifact's replay is the same run: same rows
    const rows = (t: string) => t.slice(t.indexOf('\n step'));
    expect(rows(r.text)).toBe(rows(await replayFile(join(sweep.dir, f.artifact))));
  });

  it('a seed whose run passes: printed, said to pass, with its run index', async () => {
    const safe = sweep.results.cells.find((c) => c.verdict === 'safe')!;
    const seed = seedToHex(runSeed(seedFromHex(safe.raw.cellHash), 7));
    const r = await run({ cell: safe.id, seed, results: sweep.dir });
    expect(r.text).toMatch(/^lazytlb: run ended ok\n/);
    expect(r.text).toContain(`  seed:      ${seed} (run 7)\n`);
    expect(r.text).toContain('  replay:    run from its seed (no recorded outcome to compare with)');
    expect(r.notes).toEqual([expect.stringMatching(new RegExp(`^run ${seed} \\(run 7\\) of cell ${safe.id} passes: it ended ok after \\d+ steps$`))]);
    // a seed that is none of the cell's runs still runs, and says so
    const other = await run({ cell: safe.id, seed: '0123456789abcdef0123456789abcdef', results: sweep.dir });
    expect(other.notes[0]).toMatch(/^seed 0123456789abcdef0123456789abcdef is not one of the 300 runs of cell [0-9a-f]{32} in .*results\.json/);
    expect(other.text).toContain('  seed:      0123456789abcdef0123456789abcdef\n');
  });

  it('a recorded first failure that now ends otherwise did not reproduce (replay-mismatch: exit 1)', async () => {
    const { cell, f } = violating();
    const dir = join(sweep.dir, 'edited');
    const results = JSON.parse(readFileSync(join(sweep.dir, 'results.json'), 'utf8')) as ResultsFile;
    const edited = {
      ...results,
      cells: results.cells.map((c) =>
        c.id !== cell.id ? c : { ...c, firstFailures: c.firstFailures.map((x) => (x.seed === f.seed ? { ...x, steps: x.steps + 1 } : x)) },
      ),
    };
    writeFileSync(join(sweep.dir, 'edited.json'), JSON.stringify(edited));
    const e = await failure(run({ cell: cell.id, seed: f.seed, results: join(sweep.dir, 'edited.json') }));
    expect(e.code).toBe('replay-mismatch');
    expect(e.message.split('\n')[0]).toMatch(
      new RegExp(
        `^run ${f.seed} of cell ${cell.id} did not reproduce: .* records its first ${f.key} \\(${f.artifact}\\) at ${f.steps + 1} steps, this run ended violation after ${f.steps}$`,
      ),
    );
    void dir;
  });

  it('refuses a sweep of another model unless --allow-model-mismatch, which says what differs', async () => {
    const { cell, f } = violating();
    const results = JSON.parse(readFileSync(join(sweep.dir, 'results.json'), 'utf8')) as ResultsFile;
    const path = join(sweep.dir, 'other-model.json');
    writeFileSync(path, JSON.stringify({ ...results, fingerprints: { ...results.fingerprints, core: '0123456789abcdef' } }));
    const e = await failure(run({ cell: cell.id, seed: f.seed, results: path }));
    expect(e.code).toBe('input');
    expect(e.message).toMatch(/^cell [0-9a-f]{32} was swept with another model \(lazytlb .*\): .*core.*--allow-model-mismatch to run it anyway\.$/);
    expect(e.message).not.toContain('\n');
    const r = await run({ cell: cell.id, seed: f.seed, results: path, allowModelMismatch: true });
    expect(r.text).toContain('behaviour fingerprints core 0123456789abcdef');
    expect(r.text).toMatch(/\n {13}DIFFERS: .*core.* \(replayed anyway: --allow-model-mismatch\)\n/);
  });

  it('a canonical:NAME cell (an explicit workload a sweep runs by seed): its first failure replays byte for byte', async () => {
    const registry = await createRegistry();
    const dir = mkdtempSync(join(tmpdir(), 'lazytlb-by-seed-canonical-'));
    try {
      const cells = [
        {
          index: 0,
          arch: { name: 'reference', options: {} },
          scheme: 'none',
          cpus: 2,
          workload: { profile: 'canonical:switch-vs-flush' as const },
          strategy: { kind: 'pct' as const, depth: 3 },
        },
      ];
      const file = writeResultDir(dir, await runSweep({ registry, cells, matrixSeed: 'by-seed-canonical', runs: 200, threads: 1 }), registry);
      const f = file.cells[0]!.firstFailures.find((x) => x.class === 'violation')!;
      expect(f.key).toBe('I14');
      const byId = await run({ cell: file.cells[0]!.id, seed: f.seed, results: dir });
      expect(byId.text).toBe(await replayFile(join(dir, f.artifact), { format: 'lkml' }));
      expect(byId.notes).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('misuse and bad input: one line each, usage/input/mismatch', async () => {
    const { cell, f } = violating();
    const artifact = join(sweep.dir, f.artifact);
    const cases: [Promise<unknown>, ErrorCode, RegExp][] = [
      [run({ cell: cell.id, seed: f.seed, results: sweep.dir }, artifact), 'usage', /^give an artifact or --cell with --seed, not both/],
      [run({ cell: cell.id, results: sweep.dir }), 'usage', /^--cell needs --seed SEED/],
      [run({ seed: f.seed }), 'usage', /^--seed and --results need --cell/],
      [run({}), 'usage', /^replay needs an artifact/],
      [run({ cell: cell.id, seed: f.seed }), 'usage', /^an id needs --results DIR \(or give the cell as JSON\)$/],
      [run({ cell: cell.id, seed: 'abc', results: sweep.dir }), 'usage', /^--seed takes a run's seed, 32 hex digits .*got "abc"$/],
      [
        run({ cell: '0'.repeat(32), seed: f.seed, results: sweep.dir }),
        'input',
        /^no cell with id 0{32} in .*results\.json \(4 cells; ids are cells\[\]\.id\)$/,
      ],
      [run({ cell: '{"arch":', seed: f.seed }), 'usage', /^--cell is not JSON: /],
      [run({ cell: '{"arch":{"name":"reference"}}', seed: f.seed }), 'usage', /^--cell is not a resolved cell \(results.json raw.cellId\): arch.version: /],
      [
        run({ cell: 'no-such-file.json', seed: f.seed }),
        'usage',
        /^--cell takes a cell id \(32 hex digits\), the cell as JSON .* cannot read "no-such-file.json": ENOENT/,
      ],
      [run({ cell: cell.id, seed: f.seed, results: join(sweep.dir, 'nope') }), 'input', /^cannot read --results .*nope: ENOENT/],
      [run({ cell: cell.id, seed: f.seed, results: join(sweep.dir, 'failures') }), 'input', /^cannot read .*failures\/results\.json: ENOENT/],
    ];
    const c = JSON.parse(cell.raw.cellId) as { arch: { version: string } };
    cases.push([
      run({ cell: JSON.stringify({ ...c, arch: { ...c.arch, version: '9.9.9' } }), seed: f.seed }),
      'mismatch',
      /^the cell cannot be run as it was swept: it was swept with arch plugin reference@9\.9\.9, this is reference@.* \(another plugin version is another cell\)$/,
    ]);
    cases.push([run({ cell: JSON.stringify({ ...c, arch: { ...c.arch, name: 'no-such-arch' } }), seed: f.seed }), 'usage', /no-such-arch/]);
    for (const [p, code, re] of cases) {
      const e = await failure(p);
      expect([e.code, e.message]).toEqual([code, expect.stringMatching(re)]);
      expect(e.message).not.toContain('\n');
    }
  });
});
