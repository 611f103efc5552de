/**
 * `--fail-on violations|incomplete|hazards|never`: what makes a completed sweep (or merge) exit
 * non-zero. `incomplete`: violations, and exhaustive cells whose search did not finish (a CI job
 * that wants proofs); `hazards`: all of those, and hazards (a `hazard` cell, or a `proved` one
 * that recorded hazards or non-fatal use sites).
 * Violations are the expected outcome of most matrices, but a batch scheduler counts exit 1 as a
 * failed task (a Kubernetes Indexed Job stops after its backoff limit, a Slurm array task shows
 * FAILED): `never` exits 0 for whatever the sweep found (results.json still says it). Errors (a
 * plugin that threw or is nondeterministic, a crashed worker) exit 3 whatever the policy: the sweep
 * could not judge those cells. An interrupted sweep exits 130 / 143 as before.
 */
import type { ResultsFile } from '@lazytlb/explore';
import { EXIT_ERROR, EXIT_OK, EXIT_VIOLATIONS, UsageError } from './exit-codes.js';

export const FAIL_ON = ['violations', 'incomplete', 'hazards', 'never'] as const;
export type FailOn = (typeof FAIL_ON)[number];

export function parseFailOn(text: string | undefined): FailOn {
  if (text === undefined) return 'violations';
  if ((FAIL_ON as readonly string[]).includes(text)) return text as FailOn;
  throw new UsageError(`--fail-on ${text}: expected ${FAIL_ON.join(' | ')}`);
}

/** The exit code of a completed sweep's results under a policy. */
export function findingsExitCode(file: ResultsFile, failOn: FailOn): number {
  if (file.cells.some((c) => c.verdict === 'error')) return EXIT_ERROR;
  if (failOn === 'never') return EXIT_OK;
  if (file.cells.some((c) => c.verdict === 'violates')) return EXIT_VIOLATIONS;
  if ((failOn === 'incomplete' || failOn === 'hazards') && file.cells.some((c) => unfinished(file, c))) return EXIT_VIOLATIONS;
  if (failOn === 'hazards' && file.cells.some((c) => c.verdict === 'hazard' || (c.verdict === 'proved' && provedWithFindings(c)))) return EXIT_VIOLATIONS;
  // Hazards only (no violation) under the default: exit 0, as the run's premise allows them; the table names them.
  return EXIT_OK;
}

/** A proved exhaustive cell that recorded hazards or non-fatal use sites (no invariant violated, but something to look at). */
export function provedWithFindings(c: ResultsFile['cells'][number]): boolean {
  return Object.keys(c.hazards).length > 0 || Object.keys(c.useSites).length > 0;
}

/**
 * An `incomplete` cell that fails `--fail-on incomplete`: on a shard of several, only what the
 * shard itself left undone (a subtree out of its budget share, an execution over the step budget,
 * the time budget): its other units are the other shards' (their merge says whether the search
 * finished), so a shard that did all of its own work does not fail.
 */
function unfinished(file: ResultsFile, c: ResultsFile['cells'][number]): boolean {
  if (c.verdict !== 'incomplete') return false;
  if (file.shard === null || file.shard.count <= 1) return true;
  return file.timeBudgetHit || c.budgetExceeded > 0 || (c.exhaustive?.stoppedSubtrees ?? 0) > 0;
}
