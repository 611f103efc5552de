/**
 * @lazytlb/explore: the lazytlb exploration engine as a library. No CLI and no file I/O: plan a
 * sweep (cells, batches, shards), run it on an Executor (in this thread, a worker pool, or your
 * own), merge the aggregates into results, shrink failures (separate passes), measure bug depth,
 * run the mutants portfolio, and render replays (LKML, JSON, Perfetto). Plugins come from a
 * PluginRegistry passed in; errors are LazytlbErrors with a code per cause.
 */
export * from './errors/lazytlb-error.js';
export * from './registry/registry.js';
export { describeImportError } from './registry/import-error.js';
export * from './matrix/types.js';
export * from './matrix/expand.js';
export * from './plan/plan.js';
export * from './plan/intervals.js';
export * from './plan/seed.js';
export * from './aggregate/aggregate.js';
export * from './aggregate/coverage.js';
export * from './executor/executor.js';
export * from './executor/in-process.js';
export * from './executor/available-cpus.js';
export { defaultThreads, maxThreads, PoolExecutor, type PoolOptions, workerFileUrl } from './executor/pool.js';
export { runBatch, type RunBatchOptions } from './executor/run-batch.js';
export * from './run-cell.js';
export * from './sweep/types.js';
export * from './sweep/cells.js';
export * from './sweep/fingerprints.js';
export * from './sweep/sweep.js';
export * from './shrink/target.js';
export * from './shrink/cell.js';
export * from './shrink/options.js';
export * from './shrink/explicit.js';
export * from './shrink/workload.js';
export * from './shrink/pass.js';
export * from './shrink/passes.js';
export * from './shrink/runner.js';
export * from './shrink/shrink.js';
export * from './shrink/bug-depth.js';
export * from './exhaustive/dfs-explorer.js';
export * from './exhaustive/search.js';
export * from './exhaustive/subtrees.js';
export { DEFAULT_MAX_EXECUTIONS, exhaustiveBatch } from './exhaustive/batch.js';
export * from './shrink/first-failures.js';
export * from './determinism/trap.js';
export * from './results/verify.js';
export * from './mutants/catalog.js';
export * from './mutants/variants.js';
export * from './mutants/schema.js';
export * from './mutants/run.js';
export * from './results/schema.js';
export * from './results/build.js';
export * from './results/merge.js';
export * from './replay/lkml.js';
export * from './replay/json.js';
export * from './replay/perfetto.js';
export { EXPLORE_VERSION } from './version.js';
