/**
 * The worker pool: piscina with a fixed number of threads. Each worker loads
 * dist/executor/worker-entry.cjs, a CommonJS entry that import()s the ESM worker
 * (dist/executor/worker.js, or an explicit worker file) — never require(esm), which aborts
 * the process when a worker is terminated while still loading (see worker-entry.cts).
 *
 * Crashes: when a task rejects (the worker died, or threw outside a run), the batch is
 * bisected — each half is re-run in a (fresh, if the old one died) worker — down to the
 * single run that fails, which is reported as a `crash` with its run index and seed; all
 * other runs of the batch are kept, so a crash costs O(log batch) extra tasks and results
 * stay exact for every run that can be run.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { runSeed, seedFromHex, seedToHex } from '@lazytlb/core';
import { emptyAggregate, mergeAggregate } from '../aggregate/aggregate.js';
import type { EngineCellAggregate } from '../aggregate/types.js';
import type { RegistrySpec } from '../registry/registry.js';
import { processCpus } from './available-cpus.js';
import type { BatchTask, Executor } from './executor.js';
import type { WorkerTask } from './worker.js';

/**
 * The compiled CommonJS worker entry (which loads worker.js next to it): next to this module
 * in dist, or dist/executor/worker-entry.cjs when running from src (tests).
 */
export function workerFileUrl(): string {
  const here = new URL('./worker-entry.cjs', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here.href;
  const dist = new URL('../../dist/executor/worker-entry.cjs', import.meta.url);
  if (existsSync(fileURLToPath(dist))) return dist.href;
  throw new Error(`the sweep worker is not built: ${fileURLToPath(dist)} is missing (run the build first)`);
}

/**
 * One worker per CPU this process may use: the affinity mask, lowered by a cgroup CPU quota
 * (a container's limits.cpu), which os.availableParallelism() does not see on Node 20
 * (available-cpus.ts says how, and processCpus().source says why, for this process).
 */
export function defaultThreads(): number {
  return processCpus().cpus;
}

/**
 * The most worker threads a sweep may start: 4 per CPU the process may use. Each worker is a V8
 * isolate with its own heap and one simulator per cell; more threads than CPUs only add memory,
 * and a few hundred exhaust it (V8 aborts the process).
 */
export function maxThreads(): number {
  return 4 * defaultThreads();
}

export interface PoolOptions {
  readonly threads: number;
  /** The caller's plugin registry, as its spec: each worker rebuilds it. */
  readonly registry: RegistrySpec;
  /** A worker module to use instead of worker.js (its default export runs the tasks); the entry import()s it. */
  readonly workerFile?: string;
}

/** An Executor on a piscina pool of worker threads (see the module comment). */
export class PoolExecutor implements Executor {
  private readonly pool: WorkerPool;
  private readonly registry: RegistrySpec;

  constructor(opts: PoolOptions) {
    this.pool = new WorkerPool(opts.threads, opts.workerFile);
    this.registry = opts.registry;
  }

  get tasks(): number {
    return this.pool.tasks;
  }

  runBatch(task: BatchTask): Promise<EngineCellAggregate> {
    return this.pool.runBatch({ ...task, registry: this.registry }, task.actors);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

export class WorkerPool {
  private readonly pool: Piscina;
  /** Tasks dispatched to workers (including bisection retries). */
  tasks = 0;

  /** `workerFile`: a worker module to use instead of worker.js (its default export runs the tasks); the entry import()s it. */
  constructor(threads: number, workerFile?: string) {
    const workerData = workerFile !== undefined ? { workerModule: pathToFileURL(workerFile).href } : {};
    this.pool = new Piscina({
      filename: workerFileUrl(),
      workerData,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 60_000,
      concurrentTasksPerWorker: 1,
    });
  }

  /** Run a batch; a rejected task is bisected down to the crashing run(s) (see the module comment). */
  async runBatch(task: WorkerTask, actors: number): Promise<EngineCellAggregate> {
    this.tasks++;
    try {
      return (await this.pool.run(task)) as EngineCellAggregate;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (task.runEnd - task.runStart <= 1) {
        const agg = emptyAggregate(task.cell.index, actors);
        const seed = seedToHex(runSeed(seedFromHex(task.cellHash), task.runStart));
        agg.runs = 1;
        agg.crashes = 1;
        agg.firstErrors.crash = { kind: 'crash', runIndex: task.runStart, seed, message: `worker crashed: ${message}` };
        agg.batches = [`${task.runStart}-${task.runEnd}`];
        return agg;
      }
      const mid = task.runStart + Math.floor((task.runEnd - task.runStart) / 2);
      const a = await this.runBatch({ ...task, runEnd: mid }, actors);
      const b = await this.runBatch({ ...task, runStart: mid }, actors);
      return mergeAggregate(a, b);
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
