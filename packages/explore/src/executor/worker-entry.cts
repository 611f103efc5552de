/**
 * The file piscina loads in each worker thread (compiled to dist/engine/worker-entry.cjs):
 * a CommonJS module whose export, the task handler, import()s the ESM worker
 * (./worker.js, or the module in workerData.workerModule) once and delegates to its
 * default export.
 *
 * Why: piscina loads its filename with require() first. Node 20.19+ then loads an ESM
 * file through require(esm), and if the worker is terminated while require(esm) is
 * instantiating the module graph (pool.destroy() or process exit while the worker is still
 * starting), ModuleWrap::InstantiateSync calls v8::Module::IsGraphAsync on a module that
 * did not instantiate and the whole process aborts with "FATAL ERROR: v8::Module::IsGraphAsync
 * must be used on an instantiated module". require() of this CommonJS file never goes
 * through that path, and import() (the async module loader) handles termination.
 *
 * TypeScript keeps `import()` as is in a .cts file under module NodeNext (it does not turn
 * it into require()); pool-stress.test.ts checks the compiled file.
 */
import path = require('node:path');
import url = require('node:url');
import workerThreads = require('node:worker_threads');

type Handler = (task: unknown) => unknown;

/** What the pool passes in workerData (piscina's `workerData` option). */
interface EntryData {
  /** URL of the ESM (or CommonJS) worker module; default ./worker.js next to this file. */
  readonly workerModule?: string;
}

const data = workerThreads.workerData as EntryData | null | undefined;
const target = data?.workerModule ?? url.pathToFileURL(path.join(__dirname, 'worker.js')).href;

function handlerOf(ns: { default?: unknown }): Handler {
  const d = ns.default as { default?: unknown } | Handler | undefined;
  if (typeof d === 'function') return d;
  // A CommonJS worker with `exports.default = fn` comes back as { default: { default: fn } }.
  if (d !== null && typeof d === 'object' && typeof d.default === 'function') return d.default as Handler;
  throw new TypeError(`the sweep worker module ${target} has no default export function`);
}

// Start loading now, while piscina finishes starting the worker; a load error is reported
// by the tasks that await it (the catch only stops an unhandled rejection when no task comes).
const handler: Promise<Handler> = import(target).then(handlerOf);
handler.catch(() => {});

async function runTask(task: unknown): Promise<unknown> {
  return (await handler)(task);
}

export = runTask;
