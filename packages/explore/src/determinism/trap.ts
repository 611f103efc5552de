/**
 * A run is a pure function of its cell and seed; a plugin that reads a clock or a random source
 * breaks that silently (results then depend on threads, batching and timing, and artifacts do not
 * replay). While a run executes, the sources a plugin could reach are replaced by functions that
 * throw: core reports the throw as a plugin error naming the hook, and the engine files it as
 * `nondeterminism` (its message starts with NONDETERMINISM_MARK). Core itself reads none of them.
 *
 * Trapped: Math.random, Date.now, performance.now, crypto.getRandomValues. Not trapped: `new
 * Date()`, other crypto functions, module state that survives from run to run (hidden state):
 * replaying first failures twice finds that (results/verify.ts).
 */

export const NONDETERMINISM_MARK = 'nondeterminism:';

type Restore = () => void;

function replace(obj: object, key: string, what: string): Restore {
  const own = Object.hasOwn(obj, key);
  const saved = (obj as Record<string, unknown>)[key];
  Object.defineProperty(obj, key, {
    configurable: true,
    writable: true,
    value: () => {
      throw new Error(
        `${NONDETERMINISM_MARK} called ${what} during a run (a run must be a pure function of its cell and seed: derive randomness from the model, never from a clock or a random source)`,
      );
    },
  });
  return () => {
    if (own) Object.defineProperty(obj, key, { configurable: true, writable: true, value: saved });
    else delete (obj as Record<string, unknown>)[key];
  };
}

/** Run `fn` (synchronous) with the clocks and random sources trapped; they are restored after, whatever happens. */
export function withDeterminismTrap<T>(fn: () => T): T {
  const restores: Restore[] = [replace(Math, 'random', 'Math.random()'), replace(Date, 'now', 'Date.now()')];
  if (typeof performance !== 'undefined') restores.push(replace(performance, 'now', 'performance.now()'));
  const c = (globalThis as { crypto?: object }).crypto;
  if (c !== undefined) restores.push(replace(c, 'getRandomValues', 'crypto.getRandomValues()'));
  try {
    return fn();
  } finally {
    for (const r of restores.reverse()) r();
  }
}

/** Whether a plugin error's message is a trapped clock or random-source read. */
export function isNondeterminism(message: string): boolean {
  return message.startsWith(NONDETERMINISM_MARK);
}
