/**
 * Stress test of worker loading: rounds of 8 WorkerPools × 4 threads started at once (32
 * workers loading on however many cores: the CPU is oversubscribed), half of them running
 * real batches, every pool closed while some of its workers are still starting.
 *
 * Regression test for the worker entry (worker-entry.cts): when piscina loaded the ESM
 * worker.js itself, it did so with require(esm), and a worker terminated while require(esm)
 * was instantiating the module graph aborted the whole process ("FATAL ERROR:
 * v8::Module::IsGraphAsync must be used on an instantiated module"), which vitest reports as
 * "Worker exited unexpectedly". Pools closed at random moments around the time a worker
 * takes to load hit that window: with the old entry this test aborted in about half of the
 * runs (see the report of the change); with the CommonJS entry a worker can be terminated
 * anywhere in its loading.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Simulator } from '@lazytlb/core';
import { prepareCells, simulatorFor } from './cells.js';
import { WorkerPool, workerFileUrl } from './pool.js';
import { runBatch } from './run-batch.js';
import { smallCells } from './test-support.js';
import type { EngineCellAggregate } from './types.js';

const POOLS = 8;
const THREADS = 4;
/** Start rounds for this long (a round takes 1-2 s on 2 cores). */
const STRESS_MS = 9_000;
const RUNS_PER_BATCH = 4;

describe('worker loading', () => {
  it('the pool loads a CommonJS entry that import()s the ESM worker (no require(esm))', () => {
    const entry = workerFileUrl();
    expect(entry).toMatch(/\/worker-entry\.cjs$/);
    const src = readFileSync(fileURLToPath(entry), 'utf8');
    expect(src).toMatch(/\bimport\(target\)/);
    expect(src).not.toMatch(/require\([^)]*worker\.js/);
  });

  it('survives many pools started and closed concurrently under load', async () => {
    const cells = await prepareCells(smallCells(), 'pool-stress', []);
    const sims = new Map<number, Promise<Simulator>>();
    const expected = (cell: number, runStart: number): Promise<EngineCellAggregate> => {
      let sim = sims.get(cell);
      if (sim === undefined) sims.set(cell, (sim = simulatorFor(cells[cell]!.spec, [])));
      return sim.then((s) => runBatch(s, cell, cells[cell]!.cellHash, runStart, runStart + RUNS_PER_BATCH));
    };

    // Time from starting a pool to its first result: about when its workers finish loading.
    let loadMs = 500;
    let rounds = 0, batches = 0, closedEarly = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < STRESS_MS) {
      rounds++;
      await Promise.all(
        Array.from({ length: POOLS }, async (_, p) => {
          const started = performance.now();
          const pool = new WorkerPool(THREADS);
          try {
            if (p % 2 === 0) {
              // Two real batches of a cell; close as soon as they are done (the pool's other
              // workers are typically still loading).
              const cell = cells[(rounds + p / 2) % cells.length]!;
              const runStarts = [0, RUNS_PER_BATCH].map((r) => r + rounds * 2 * RUNS_PER_BATCH);
              const aggs = await Promise.all(
                runStarts.map((runStart) =>
                  pool.runBatch({ cell: cell.spec, cellHash: cell.cellHash, pluginPaths: [], runStart, runEnd: runStart + RUNS_PER_BATCH, coverage: false }, cell.actors),
                ),
              );
              loadMs = 0.7 * loadMs + 0.3 * (performance.now() - started);
              for (const [i, agg] of aggs.entries()) {
                expect(agg.firstErrors).toEqual({});
                expect(agg.crashes).toBe(0);
                expect(agg.runs).toBe(RUNS_PER_BATCH);
                expect(agg).toEqual(await expected(cell.index, runStarts[i]!));
              }
              batches += aggs.length;
            } else {
              // No task: closed at a random moment around the loading of its workers.
              await new Promise((r) => setTimeout(r, loadMs * (0.4 + 0.8 * Math.random())));
              closedEarly++;
            }
          } finally {
            await pool.close();
          }
        }),
      );
    }
    expect(rounds).toBeGreaterThanOrEqual(2);
    expect(batches).toBe(rounds * POOLS);
    expect(closedEarly).toBe((rounds * POOLS) / 2);
  }, 60_000);
});
