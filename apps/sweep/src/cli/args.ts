/** Numeric command-line values, checked the same way by every command (one line, exit 2). */
import { maxThreads, processCpus } from '@lazytlb/explore';
import { UsageError } from './exit-codes.js';

export function positiveInt(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) throw new UsageError(`${flag} ${text}: expected a positive integer`);
  return Number(text);
}

/**
 * --threads: 1 to 4 per CPU the process may use (more only adds memory; a few hundred workers
 * exhaust it). The CPUs are the affinity mask lowered by a cgroup CPU quota (a container's CPU
 * limit); the message says which one set the figure, since a pod's limit is easy to forget.
 */
export function threadsFlag(text: string | undefined): number | undefined {
  const n = positiveInt('--threads', text);
  if (n !== undefined && n > maxThreads()) {
    throw new UsageError(
      `--threads ${text}: at most ${maxThreads()} here (4 per CPU this process may use; ${processCpus().source}); more threads than CPUs only add memory`,
    );
  }
  return n;
}
