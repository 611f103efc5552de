/**
 * Stress tests of worker loading, where a worker can be terminated at any point.
 *
 * Regression tests for the worker entry (worker-entry.cts): when piscina loaded the ESM
 * worker.js itself, it did so with require(esm) (piscina require()s its filename first), and
 * a worker terminated while require(esm) was instantiating the module graph aborted the whole
 * process ("FATAL ERROR: v8::Module::IsGraphAsync must be used on an instantiated module"),
 * which vitest reports as "Worker exited unexpectedly". That happens when a pool is closed
 * (or the process exits) while some of its workers are still starting: end of a sweep with
 * many threads, time budget, interrupt, or a crashed worker's replacement.
 *
 * - Many pools: rounds of 8 WorkerPools × 4 threads started at once (32 workers loading on
 *   however many cores: the CPU is oversubscribed), half of them running real batches (checked
 *   against the same batches run in-process), every pool closed while some of its workers are
 *   still loading.
 * - Churn: workers that load the pool's worker file the way piscina does (require(), then a
 *   task), terminated at random moments of their loading, many per second.
 *
 * Both are probabilistic: the window (instantiation) is a small part of a worker's loading.
 * With the old entry (piscina on dist/engine/worker.js, before the move to dist/executor/), 6 of 10 runs of this file aborted
 * (on 2 busy cores); with the CommonJS entry, none.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { Simulator } from '@lazytlb/core';
import { PluginRegistry } from '../registry/registry.js';
import { prepareCells } from '../sweep/cells.js';
import { simulatorFor } from './cell-simulator.js';
import { WorkerPool, workerFileUrl } from './pool.js';
import { runBatch } from './run-batch.js';
import { smallCells } from '../sweep/test-support.js';
import type { EngineCellAggregate } from '../aggregate/types.js';

const POOLS = 8;
const THREADS = 4;
/** Start another round only if it should end within this budget (a round takes 2-5 s on 2 cores). */
const POOLS_BUDGET_MS = 6_000;
const RUNS_PER_BATCH = 4;
/** Churn: workers loading at a time, and for how long. */
const CHURN_LANES = 3;
const CHURN_MS = 6_000;

/**
 * A worker that loads `file` as piscina's worker does (require(), then the function it
 * exports or its default export), runs `task` with it and posts 'done'.
 */
const LOADER = `
const { parentPort, workerData } = require('node:worker_threads');
const m = require(workerData.file);
const run = typeof m === 'function' ? m : m.default;
Promise.resolve(run(workerData.task)).then(() => parentPort.postMessage('done'));
`;

describe('worker loading', () => {
  it('the pool loads a CommonJS entry that import()s the ESM worker (no require(esm))', () => {
    const entry = workerFileUrl();
    expect(entry).toMatch(/\/worker-entry\.cjs$/);
    const src = readFileSync(fileURLToPath(entry), 'utf8');
    expect(src).toMatch(/\bimport\(target\)/);
    expect(src).not.toMatch(/require\([^)]*worker\.js/);
  });

  it('survives many pools started and closed concurrently under load', async () => {
    const registry = await PluginRegistry.create();
    const { cells } = await prepareCells(smallCells(), 'pool-stress', registry);
    const sims = new Map<number, Promise<Simulator>>();
    const expected = (cell: number, runStart: number): Promise<EngineCellAggregate> => {
      let sim = sims.get(cell);
      if (sim === undefined) sims.set(cell, (sim = simulatorFor(cells[cell]!.spec, registry)));
      return sim.then((s) => runBatch(s, cell, cells[cell]!.cellHash, runStart, runStart + RUNS_PER_BATCH));
    };

    // Time from starting a pool to its first result: about when its workers finish loading.
    let loadMs = 500;
    let rounds = 0,
      batches = 0,
      closedEarly = 0,
      lastRoundMs = 0;
    const t0 = performance.now();
    while (rounds === 0 || performance.now() - t0 + lastRoundMs < POOLS_BUDGET_MS) {
      rounds++;
      const roundStart = performance.now();
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
                  pool.runBatch(
                    {
                      cell: cell.spec,
                      cellHash: cell.cellHash,
                      registry: registry.spec,
                      runStart,
                      runEnd: runStart + RUNS_PER_BATCH,
                      coverage: false,
                      actors: cell.actors,
                    },
                    cell.actors,
                  ),
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
      lastRoundMs = performance.now() - roundStart;
    }
    expect(batches).toBe(rounds * POOLS);
    expect(closedEarly).toBe((rounds * POOLS) / 2);
  }, 60_000);

  it('survives workers terminated at random moments of loading the worker file', async () => {
    const registry = await PluginRegistry.create();
    const [cell] = (await prepareCells(smallCells().slice(0, 1), 'pool-stress', registry)).cells;
    const file = fileURLToPath(workerFileUrl());
    const task = (run: number) => ({
      cell: cell!.spec,
      cellHash: cell!.cellHash,
      registry: registry.spec,
      runStart: run,
      runEnd: run + 1,
      coverage: false,
      actors: cell!.actors,
    });
    const errors: unknown[] = [];
    // Time from starting a worker to its first result, measured by every 4th worker.
    let loadMs = 300;
    let terminated = 0,
      completed = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CHURN_LANES }, async (_, lane) => {
        for (let i = 0; performance.now() - t0 < CHURN_MS; i++) {
          const started = performance.now();
          const w = new Worker(LOADER, { eval: true, workerData: { file, task: task(lane * 10_000 + i) } });
          w.on('error', (e) => errors.push(e));
          if (i % 4 === 0) {
            await new Promise<void>((resolve, reject) => {
              w.once('message', () => resolve());
              w.once('exit', (code) => reject(new Error(`loader worker exited (code ${code}) before its result`)));
            });
            loadMs = 0.7 * loadMs + 0.3 * (performance.now() - started);
            completed++;
          } else {
            // Instantiation ends at about 3/4 of the time to the first result (measured on
            // require(esm) of the old entry): aim around it.
            await new Promise((r) => setTimeout(r, loadMs * (0.45 + 0.55 * Math.random())));
            terminated++;
          }
          await w.terminate();
        }
      }),
    );
    expect(errors).toEqual([]);
    expect(completed).toBeGreaterThan(0);
    expect(terminated).toBeGreaterThan(0);
  }, 60_000);
});
