/**
 * `lazytlb mutants` in-process: the catalogue, budgets and variants, exact runs to kill under
 * the early stop, the false-alarm check, the mutants.json schema and exit codes. The test
 * plugin (test-fixtures/toy-plugin.mjs) declares mutations that die at once (toy-no-flush),
 * after a few runs (toy-rare), never (toy-noop), and one whose cell is unsafe unmutated
 * (toy-on-none).
 */
import { fileURLToPath } from 'node:url';
import { Artifact as ArtifactSchema, CORE_MUTATIONS, memoryModelRefusal } from '@lazytlb/core';
import { describe, expect, it } from 'vitest';
import { EXIT_FALSE_ALARM, EXIT_OK, EXIT_SURVIVED } from '../cli/exit-codes.js';
import { LazytlbError } from '@lazytlb/explore';
import { runSweep } from '@lazytlb/explore';
import type { CellSpec } from '@lazytlb/explore';
import { type CatalogEntry, cellLabel, formatCatalog, loadCatalog, mutantCell } from '@lazytlb/explore';
import { mutantsExitCode, parseBudget } from '../cli/mutants-command.js';
import { firstViolation, runMutants } from '@lazytlb/explore';
import { MutantsFile } from '@lazytlb/explore';
import { formatMutantsTable } from './table.js';
import { parseVariants } from '@lazytlb/explore';
import { createRegistry } from '../plugins/bundled.js';

const registry = await createRegistry();

const TOY = fileURLToPath(new URL('./test-fixtures/toy-plugin.mjs', import.meta.url));

async function toy(ids: string[]): Promise<CatalogEntry[]> {
  return loadCatalog(await createRegistry([TOY]), ids);
}

function usageMessage(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LazytlbError);
    expect((e as LazytlbError).code).toBe('usage');
    return (e as Error).message;
  }
  throw new Error('expected a usage error');
}

describe('catalogue, budget and variants', () => {
  it("lists core mutations first, then bundled plugins', then --plugin ones", async () => {
    const all = await loadCatalog(await createRegistry([TOY]));
    const ids = all.map((e) => e.doc.id);
    expect(ids.slice(0, CORE_MUTATIONS.length)).toEqual(CORE_MUTATIONS.map((m) => m.id));
    expect(ids.slice(-5)).toEqual(['toy-no-flush', 'toy-rare', 'toy-noop', 'toy-on-none', 'toy-no-victim']);
    expect(all.at(-1)!.source).toBe('toy');
    expect(all.at(-2)!.cells).toEqual([{ arch: { name: 'toy', options: {} }, scheme: 'none', cpus: 2, profile: 'default' }]);
    expect(all.at(-1)!.cells).toEqual([]);
    expect(all.at(-1)!.doc.noVictim).toMatch(/^test fixture/);
    // kernel-execve-preempt's window exists only on PREEMPT_RT: its cell says so
    const execve = all.find((e) => e.doc.id === 'kernel-execve-preempt')!;
    expect(execve.cells.some((c) => c.preempt === 'rt')).toBe(true);
    // A synthetic mutation (no kernel had the bug) is listed as such, not as "fixed by" a commit.
    const synthetic = all.find((e) => e.doc.id === 'mmgrab-lazy-nonatomic')!;
    expect(formatCatalog([synthetic]).split('\n')[0]).toMatch(
      /^mmgrab-lazy-nonatomic {2}\(core; breaks I4; synthetic: the anchor Promela model's BUG_NONATOMIC_GRAB/,
    );
    expect(formatCatalog([execve]).split('\n')[0]).toContain('fixed by d53c3dfb23c4');
    expect(all.filter((e) => e.doc.synthetic !== undefined).map((e) => e.doc.id)).toEqual(['mmgrab-lazy-nonatomic']);
  });

  it('a mutation without a modelled victim is reported with its reason, neither killed nor survived', async () => {
    const r = await runMutants({
      entries: await toy(['toy-no-victim', 'toy-no-flush']),
      variants: parseVariants(['random']),
      budget: { kind: 'runs', runs: 50 },
      seed: '0',
      threads: 1,
      registry: await createRegistry([TOY]),
      shrink: false,
    });
    const m = r.file.mutations.find((x) => x.id === 'toy-no-victim')!;
    expect(m).toMatchObject({ status: 'no-victim', killed: false, cells: [], noVictim: 'test fixture: the window it opens is not modelled by the toy arch' });
    expect(r.file.totals).toMatchObject({ mutations: 2, killed: 1, survived: 0, noVictim: 1 });
    expect(mutantsExitCode(r.file)).toBe(EXIT_OK);
  });

  it('an unknown --mutation lists the catalogued ids', async () => {
    await expect(loadCatalog(await createRegistry([TOY]), ['toy-rare', 'nosuch'])).rejects.toThrow(
      /^unknown mutation "nosuch": catalogued kthread-use-mm-irqs-on, .*toy-on-none, toy-no-victim$/,
    );
  });

  it('--budget: runs or a duration', () => {
    expect(parseBudget(undefined).kind).toBe('runs');
    expect(parseBudget('20000')).toEqual({ kind: 'runs', runs: 20000 });
    expect(parseBudget('2m')).toEqual({ kind: 'time', ms: 120_000 });
    expect(parseBudget('1m30s')).toEqual({ kind: 'time', ms: 90_000 });
    expect(usageMessage(() => parseBudget('soon'))).toBe(
      '--budget soon: expected a number of runs per (cell, strategy) such as 20000, or a duration such as "500ms", "90s", "2m", "1h", "1m30s" or a number of milliseconds',
    );
    expect(usageMessage(() => parseBudget('0'))).toMatch(/^--budget 0: expected a positive number of runs/);
  });

  it('--strategies: random, pct:D and swarm variants', () => {
    expect(parseVariants(undefined).map((v) => v.label)).toEqual(['random', 'pct:1', 'pct:2', 'pct:3', 'swarm+pct:3']);
    expect(parseVariants(['random,swarm', 'swarm=0.75+pct:2'])).toEqual([
      { label: 'random', strategy: { kind: 'random' } },
      { label: 'swarm+random', strategy: { kind: 'random' }, swarm: 0.5 },
      { label: 'swarm=0.75+pct:2', strategy: { kind: 'pct', depth: 2 }, swarm: 0.75 },
    ]);
    expect(usageMessage(() => parseVariants(['dfs']))).toBe(
      '--strategies dfs: invalid strategy "dfs": expected "random" or "pct:D" with D in 1..16, optionally prefixed by "swarm+" or "swarm=P+"',
    );
    expect(usageMessage(() => parseVariants(['random,random']))).toBe('--strategies: random is given twice');
    expect(usageMessage(() => parseVariants(['exhaustive:2']))).toBe(
      '--strategies exhaustive:2: the mutants portfolio takes "random" or "pct:D" (runs to kill); search a mutation exhaustively with lazytlb sweep --mutation ID --strategy exhaustive:2',
    );
  });
});

describe('runs to kill under the early stop', { timeout: 180_000 }, () => {
  it('is the lowest violating run index + 1 of a full sweep, for any threads and batch size', async () => {
    const cells: CellSpec[] = ['random', 'pct:1', 'pct:3'].map((s, index) => ({
      index,
      arch: { name: 'toy', options: {} },
      scheme: 'refcount',
      cpus: 2,
      workload: { profile: 'default' },
      strategy: s === 'random' ? { kind: 'random' } : { kind: 'pct', depth: Number(s.slice(4)) },
      mutations: ['toy-rare'],
    }));
    const full = await runSweep({ cells, matrixSeed: '0', runs: 400, threads: 1, registry: await createRegistry([TOY]) });
    const want = full.aggregates.map((a) => firstViolation(a)?.runIndex ?? null);
    expect(want.every((v) => v !== null && v > 2)).toBe(true); // not all at run 0: the test means something
    for (const [threads, batchSize] of [
      [1, 3],
      [2, 2],
      [2, 7],
    ] as const) {
      const early = await runSweep({
        cells,
        matrixSeed: '0',
        runs: 400,
        threads,
        batchSize,
        registry: await createRegistry([TOY]),
        stopOnViolation: () => true,
        interleave: true,
      });
      expect(early.aggregates.map((a) => firstViolation(a)?.runIndex ?? null)).toEqual(want);
      // it stopped well before the budget (how far past the kill depends on timing: batches in flight, and
      // batches above it may complete first)
      expect(early.aggregates.reduce((n, a) => n + a.runs, 0)).toBeLessThan(0.75 * 3 * 400);
    }
  });
});

// Each test starts a worker pool: generous timeouts for loaded machines.
describe('runMutants', { timeout: 180_000 }, () => {
  it('kills, reports the strategy with the fewest runs, shrinks, and keeps the false-alarm check clean', async () => {
    const variants = parseVariants(['random,pct:1,pct:3']);
    const r = await runMutants({
      entries: await toy(['toy-rare', 'toy-no-flush']),
      variants,
      budget: { kind: 'runs', runs: 400 },
      seed: '0',
      threads: 2,
      registry: await createRegistry([TOY]),
      artifactPaths: true,
    });
    const f = r.file;
    expect(f.totals).toMatchObject({ mutations: 2, killed: 2, survived: 0, matchingDeclared: 2, controls: 3, falseAlarms: 0 });
    const rare = f.mutations.find((m) => m.id === 'toy-rare')!.cells[0]!;
    const best = Math.min(...rare.strategies.map((s) => s.runsToKill!));
    expect(rare.runsToKill).toBe(best);
    expect(rare.strategy).toBe(rare.strategies.find((s) => s.runsToKill === best)!.strategy);
    expect(rare.invariant).toBe('I2');
    expect(rare.matchesDeclared).toBe(true);
    expect(rare.kill!.runIndex).toBe(best - 1);
    expect(rare.secondsToKill).toBeGreaterThan(0);
    expect(rare.shrunkSteps).not.toBeNull();
    expect(rare.depth).toBeGreaterThanOrEqual(1);
    expect(r.artifacts.has(rare.kill!.artifact!)).toBe(true);
    expect(r.artifacts.get(rare.kill!.shrunkArtifact!)!.cell.mutations).toEqual(['toy-rare']);
    // the same (cell, strategy) unmutated ran the whole budget, cleanly
    expect(f.controls.map((c) => [c.strategy, c.runs, c.clean, c.mutations])).toEqual(variants.map((v) => [v.label, 400, true, ['toy-no-flush', 'toy-rare']]));
    expect(mutantsExitCode(f)).toBe(EXIT_OK);
    // the schema round-trips
    expect(MutantsFile.parse(JSON.parse(JSON.stringify(f)))).toEqual(f);
  });

  it('kills real catalogued mutations (core and x86) on their declared cells, cleanly without them', async () => {
    const ids = ['kthread-use-mm-irqs-on', 'x86-lazy-skip-freed-tables'];
    const r = await runMutants({
      registry,
      entries: await loadCatalog(await createRegistry([]), ids),
      variants: parseVariants(['random,pct:3']),
      budget: { kind: 'runs', runs: 300 },
      seed: '0',
      threads: 2,
      depth: false,
      artifactPaths: true,
    });
    expect(r.file.mutations.map((m) => [m.id, m.source, m.killed])).toEqual([
      [ids[0], 'core', true],
      [ids[1], 'x86-native', true],
    ]);
    for (const m of r.file.mutations) {
      for (const c of m.cells) {
        expect(c.invariant).toBe(m.breaks);
        expect(c.runsToKill).toBeLessThanOrEqual(20);
        expect(c.shrunkSteps!).toBeLessThanOrEqual(c.kill!.steps);
      }
    }
    // The IRQs-on mutation is killed by the intermediate-state oracle (I13) itself; its cells ran again with I13 off:
    // a kill there is a kill by consequence (another invariant), recorded in the artifact's cell.
    const irqsOn = r.file.mutations[0]!.cells[0]!;
    expect(irqsOn.invariant).toBe('I13');
    const k = irqsOn.consequence!;
    expect(k.disabledInvariants).toEqual(['I13']);
    expect(k.strategies.map((s) => s.strategy)).toEqual(['random', 'pct:3']);
    for (const s of k.strategies) expect(s.invariant === null || s.invariant !== 'I13').toBe(true);
    if (k.killed) expect(r.artifacts.get(k.kill!.artifact!)!.cell.disabledInvariants).toEqual(['I13']);
    else expect(k.strategies.every((s) => s.runs === 300)).toBe(true);
    expect(r.file.mutations[1]!.cells[0]!.consequence).toBeNull(); // x86: declares I2, no second run
    expect(r.file.totals.consequenceCells).toBe(1);
    expect(r.file.totals.falseAlarms).toBe(0);
    expect(mutantsExitCode(r.file)).toBe(EXIT_OK);
  });

  it('runs to kill do not depend on threads or batch size', async () => {
    const go = async (threads: number, batchSize: number) => {
      const r = await runMutants({
        entries: await toy(['toy-rare']),
        variants: parseVariants(['random,pct:2']),
        budget: { kind: 'runs', runs: 300 },
        seed: 's1',
        threads,
        batchSize,
        registry: await createRegistry([TOY]),
        shrink: false,
      });
      return r.file.mutations[0]!.cells[0]!.strategies.map((s) => [s.strategy, s.runsToKill, s.invariant]);
    };
    expect(await go(2, 5)).toEqual(await go(1, 64));
  });

  it('a survivor is reported with the runs it got, exit 4', async () => {
    const r = await runMutants({
      entries: await toy(['toy-noop']),
      variants: parseVariants(['random']),
      budget: { kind: 'runs', runs: 50 },
      seed: '0',
      threads: 1,
      registry: await createRegistry([TOY]),
    });
    const c = r.file.mutations[0]!.cells[0]!;
    expect(c).toMatchObject({ killed: false, runsToKill: null, strategy: null, invariant: null, depth: null, shrunkSteps: null, kill: null });
    expect(c.strategies[0]!.runs).toBe(50);
    expect(r.file.totals.survived).toBe(1);
    expect(mutantsExitCode(r.file)).toBe(EXIT_SURVIVED);
  });

  it('the false-alarm check catches an unmutated cell that violates (scheme none), exit 5', async () => {
    const r = await runMutants({
      entries: await toy(['toy-on-none']),
      variants: parseVariants(['random,pct:3']),
      budget: { kind: 'runs', runs: 200 },
      seed: '0',
      threads: 1,
      registry: await createRegistry([TOY]),
      artifactPaths: true,
      shrink: false,
    });
    const f = r.file;
    expect(f.totals.falseAlarms).toBe(2);
    for (const c of f.controls) {
      expect(c.clean).toBe(false);
      expect(c.label).toBe('toy none 2cpu default');
      // under none I3 is a hazard, not a violation: the first violation is a use after free (I14) or a hardware one (I1)
      expect(c.firstViolation!.invariant).toMatch(/^I(1|14)$/);
      expect(r.artifacts.get(c.firstViolation!.artifact!)!.cell.mutations).toBeUndefined();
    }
    expect(mutantsExitCode(f)).toBe(EXIT_FALSE_ALARM);
  });

  it('a time budget is shared by the cells and bounds the command', async () => {
    const t0 = Date.now();
    const r = await runMutants({
      entries: await toy(['toy-noop']),
      variants: parseVariants(['random,pct:3']),
      budget: { kind: 'time', ms: 2000 },
      seed: '0',
      threads: 2,
      registry: await createRegistry([TOY]),
    });
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(r.file.budget).toMatchObject({ kind: 'time', ms: 2000 });
    expect(r.file.timeBudgetHit).toBe(true);
    const runs = [...r.file.mutations[0]!.cells[0]!.strategies.map((s) => s.runs), ...r.file.controls.map((c) => c.runs)];
    expect(Math.min(...runs)).toBeGreaterThan(0);
    // interleaved dispatch: no cell got far ahead of another (within a few batches)
    expect(Math.max(...runs) - Math.min(...runs)).toBeLessThanOrEqual(4 * 512);
  });
});

describe('the memory model of declared cells (MutationCell.memory)', { timeout: 180_000 }, () => {
  const TOY_TSO = fileURLToPath(new URL('./test-fixtures/toy-tso-plugin.mjs', import.meta.url));
  const TOY_SC_ONLY = fileURLToPath(new URL('./test-fixtures/toy-sc-only-plugin.mjs', import.meta.url));
  const recordsMemory = 'memory' in (ArtifactSchema as unknown as { shape: { cell: { shape: Record<string, unknown> } } }).shape.cell.shape;

  it('a declared tso cell keeps its memory model (sc is left out, as in sweep cells) and is labelled with it', async () => {
    const [e] = await loadCatalog(await createRegistry([TOY_TSO]), ['toy-tso-no-flush']);
    expect(e!.cells).toEqual([{ arch: { name: 'toy-tso', options: {} }, scheme: 'refcount', memory: 'tso', cpus: 2, profile: 'default' }]);
    expect(cellLabel(e!.cells[0]!)).toBe('toy-tso refcount memory=tso 2cpu default');
    expect(formatCatalog([e!])).toContain('  cell: toy-tso refcount memory=tso 2cpu default');
    expect(mutantCell({ arch: 'x86-native', scheme: 'refcount', memory: 'sc' })).not.toHaveProperty('memory');
    expect(mutantCell({ arch: 'x86-native', scheme: 'refcount', preempt: 'rt', memory: 'tso' })).toMatchObject({ preempt: 'rt', memory: 'tso' });
  });

  it("a declared cell whose arch does not offer its memory model fails the catalogue before anything runs, with the plugin's reason", async () => {
    const plugin = (await createRegistry([TOY_SC_ONLY])).loadedArches().find((a) => a.source.kind === 'path')!.plugin;
    const why = memoryModelRefusal(plugin, 'tso');
    expect(why).not.toBeNull();
    await expect(loadCatalog(await createRegistry([TOY_SC_ONLY]), ['toy-sc-only-tso'])).rejects.toMatchObject({ code: 'usage' });
    await expect(loadCatalog(await createRegistry([TOY_SC_ONLY]), ['toy-sc-only-tso'])).rejects.toThrow(
      `mutation "toy-sc-only-tso" (toy-sc-only) declares the cell toy-sc-only refcount memory=tso 2cpu default: ${why}`,
    );
  });

  it('runs the mutated cell and its unmutated control under the declared memory model; mutants.json and the table name it', async () => {
    const r = await runMutants({
      entries: await loadCatalog(await createRegistry([TOY_TSO]), ['toy-tso-no-flush']),
      variants: parseVariants(['random']),
      budget: { kind: 'runs', runs: 100 },
      seed: '0',
      threads: 1,
      registry: await createRegistry([TOY_TSO]),
      artifactPaths: true,
      depth: false,
    });
    expect(MutantsFile.parse(JSON.parse(JSON.stringify(r.file)))).toEqual(r.file);
    const c = r.file.mutations[0]!.cells[0]!;
    expect(c).toMatchObject({
      arch: 'toy-tso',
      memory: 'tso',
      preempt: 'full',
      label: 'toy-tso refcount memory=tso 2cpu default',
      killed: true,
      invariant: 'I2',
    });
    expect(r.file.controls.map((x) => x.label)).toEqual(['toy-tso refcount memory=tso 2cpu default']);
    expect(formatMutantsTable(r.file)).toMatch(/^toy-tso-no-flush\s+000000000011\s+toy-tso refcount memory=tso 2cpu default\s+yes\s/m);
    const kill = r.artifacts.get(c.kill!.artifact!)!;
    if (recordsMemory) {
      expect((kill.cell as { memory?: string }).memory).toBe('tso');
      expect(c.shrunkSteps).not.toBeNull();
    } else {
      // core's artifact drops the memory model: the kill is not shrunk as an sc run, and says why
      expect(c.shrunkSteps).toBeNull();
      expect(c.shrinkError).toMatch(/its cell runs under memory model tso but the artifact records sc/);
    }
  });
});
