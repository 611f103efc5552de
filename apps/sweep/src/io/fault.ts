/**
 * Test-only fault-injection hooks, off by default. They exist for the fault-injection suite
 * (src/fault/fault-injection.e2e.test.ts), which kills `lazytlb sweep` at random points of each
 * phase and checks that the output directory is still one sweep's (or the previous one's) and
 * that `--resume` finishes it: without them a kill cannot be aimed at a phase (a phase is known
 * only from the outside) nor land while a directory is half written (writing takes a few ms).
 *
 *   LAZYTLB_FAULT_PHASES=1          `lazytlb sweep` prints `lazytlb: phase <name> at <ms>` on stderr
 *                                   as it enters each phase (run, checkpoint, verify, write-1, shrink, write-2,
 *                                   done; and swap, between the two renames of each write; <ms>:
 *                                   Date.now(), so a test can tell whether a signal it sent came
 *                                   before a phase began, whenever it reads the line).
 *   LAZYTLB_FAULT_WRITE_DELAY_MS=N  sleep N ms after each output file's temporary copy is written
 *                                   (before its rename), and 5·N ms between the two renames that
 *                                   swap an output directory in, so a SIGKILL can land mid-write
 *                                   or mid-swap.
 *
 * Both are read once, when this module loads; unset (the only setting outside tests) they cost a
 * comparison. Not in --help nor the README: they are for tests, and no result depends on them.
 */

const PHASES = process.env.LAZYTLB_FAULT_PHASES === '1';
const WRITE_DELAY_MS = Math.max(0, Math.min(10_000, Number(process.env.LAZYTLB_FAULT_WRITE_DELAY_MS ?? 0) || 0));

export type FaultPhase = 'run' | 'checkpoint' | 'verify' | 'write-1' | 'swap' | 'shrink' | 'write-2' | 'done';

/** LAZYTLB_FAULT_PHASES=1: say on stderr that the sweep enters `phase` (stderr on a pipe is synchronous: written before the phase starts). */
export function faultPhase(phase: FaultPhase): void {
  if (PHASES) process.stderr.write(`lazytlb: phase ${phase} at ${Date.now()}\n`);
}

/** LAZYTLB_FAULT_WRITE_DELAY_MS=N: block for `times`·N ms (synchronously, as the writes around it are). */
export function faultWriteDelay(times = 1): void {
  if (WRITE_DELAY_MS > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, times * WRITE_DELAY_MS);
}
