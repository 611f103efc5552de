/** Atomic file writes: a reader never sees a half-written file. */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { faultWriteDelay } from './fault.js';

let tmpCounter = 0;

/** Write `data` to `path` atomically (temp file in the same directory + rename). */
export function writeFileAtomic(path: string, data: string): void {
  const tmp = `${path}.tmp-${process.pid}-${++tmpCounter}`;
  try {
    writeFileSync(tmp, data);
    faultWriteDelay(); // test-only (io/fault.ts): no-op unless LAZYTLB_FAULT_WRITE_DELAY_MS is set
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
