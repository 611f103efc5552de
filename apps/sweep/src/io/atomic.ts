/** Atomic file writes: a reader never sees a half-written file. */
import { renameSync, rmSync, writeFileSync } from 'node:fs';

let tmpCounter = 0;

/** Write `data` to `path` atomically (temp file in the same directory + rename). */
export function writeFileAtomic(path: string, data: string): void {
  const tmp = `${path}.tmp-${process.pid}-${++tmpCounter}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
