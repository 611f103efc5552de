/**
 * An output directory that changes as a unit: a sweep's files are written into a fresh sibling
 * (`OUT.partial-PID`), flushed to disk (each file and the directory: fsync), and swapped in with
 * two renames (`OUT` → `OUT.previous-PID`, the partial → `OUT`), after which the previous one is
 * removed. A reader, a `--resume` or a kill at any moment therefore finds `OUT` as one sweep
 * wrote it or as the previous one left it, never one's results.json beside the other's
 * failures/. The only window without `OUT` is between the two renames; `prepare` repairs it on
 * the next run (the `previous` directory goes back), and removes partial directories of
 * processes that are gone.
 *
 * `prepare` runs before a sweep: a path that is a file, under a file, or not writable is found
 * then (one line, exit 2), not after the sweep ran.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { ioError, usageError } from '@lazytlb/explore';
import { faultPhase, faultWriteDelay } from '../io/fault.js';

const PARTIAL = '.partial-';
const PREVIOUS = '.previous-';

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function why(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code !== undefined ? `${err.code}: ${err.message.replace(/^[A-Z]+: /, '')}` : String(err.message ?? e);
}

/**
 * `mkdir -p` reports ENOENT when the first missing directory cannot be made (a read-only file
 * system, no permission): make that one alone to get the real reason.
 */
function mkdirCause(dir: string, e: unknown): unknown {
  if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return e;
  let first = dir;
  while (dirname(first) !== first && !existsSync(dirname(first))) first = dirname(first);
  try {
    mkdirSync(first);
  } catch (inner) {
    return inner;
  }
  return e;
}

/** fsync a file or directory (directories: so a rename or a new entry survives a crash). */
function fsyncPath(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return; // not openable for reading (some platforms refuse directories): nothing to flush through this path
  }
  try {
    fsyncSync(fd);
  } catch {
    /* EINVAL on file systems that cannot fsync directories */
  } finally {
    closeSync(fd);
  }
}

function fsyncTree(dir: string): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) fsyncTree(p);
    else fsyncPath(p);
  }
  fsyncPath(dir);
}

export class OutputDir {
  readonly path: string;
  private readonly parent: string;
  private readonly base: string;

  private constructor(out: string) {
    this.path = resolve(out);
    this.parent = dirname(this.path);
    this.base = basename(this.path);
  }

  /**
   * Check `out` before anything runs: repair an interrupted swap, remove stale partial
   * directories, and probe that a directory can be created and written beside it.
   */
  static prepare(out: string, flag = '--out'): OutputDir {
    const d = new OutputDir(out);
    if (existsSync(d.path) && !statSync(d.path).isDirectory()) throw usageError(`${flag} ${out}: is a file, not a directory`);
    for (let a = d.parent; ; a = dirname(a)) {
      if (existsSync(a)) {
        if (!statSync(a).isDirectory()) throw usageError(`${flag} ${out}: is under ${a}, which is a file`);
        break;
      }
      if (dirname(a) === a) break;
    }
    try {
      mkdirSync(d.parent, { recursive: true });
    } catch (e) {
      throw usageError(`${flag} ${out}: cannot create its parent directory ${d.parent}: ${why(mkdirCause(d.parent, e))}`);
    }
    d.repair(`${flag} ${out}`);
    const probe = d.partialPath();
    try {
      rmSync(probe, { recursive: true, force: true });
      mkdirSync(probe);
      writeFileSync(join(probe, 'probe'), 'lazytlb\n');
      fsyncPath(join(probe, 'probe'));
    } catch (e) {
      throw usageError(`${flag} ${out}: cannot write there: ${why(e)}`);
    } finally {
      rmSync(probe, { recursive: true, force: true });
    }
    return d;
  }

  private partialPath(): string {
    return join(this.parent, `${this.base}${PARTIAL}${process.pid}`);
  }

  private siblings(marker: string): { path: string; pid: number }[] {
    let names: string[];
    try {
      names = readdirSync(this.parent);
    } catch {
      return [];
    }
    return names
      .filter((n) => n.startsWith(`${this.base}${marker}`))
      .map((n) => ({ path: join(this.parent, n), pid: Number(n.slice(this.base.length + marker.length)) }));
  }

  /**
   * Undo what a killed process left: OUT missing with OUT.previous-PID beside it; partials of
   * dead processes. Leftovers that cannot be removed (a read-only place) stay: the probe after
   * this reports the place; OUT that cannot be restored is a one-line error naming both.
   */
  private repair(what: string): void {
    const remove = (path: string): void => {
      try {
        rmSync(path, { recursive: true, force: true });
      } catch {
        /* best effort: see above */
      }
    };
    for (const p of this.siblings(PARTIAL)) if (p.pid !== process.pid && !pidAlive(p.pid)) remove(p.path);
    const previous = this.siblings(PREVIOUS).filter((p) => !pidAlive(p.pid) || p.pid === process.pid);
    if (!existsSync(this.path) && previous.length > 0) {
      try {
        renameSync(previous[0]!.path, this.path);
      } catch (e) {
        throw usageError(`${what}: cannot restore it from ${previous[0]!.path} (a previous run was killed while replacing it): ${why(e)}`);
      }
      process.stderr.write(`lazytlb: restored ${this.path} from ${previous[0]!.path} (a previous run was killed while replacing it)\n`);
    }
    for (const p of this.siblings(PREVIOUS)) if (!pidAlive(p.pid) || p.pid === process.pid) remove(p.path);
  }

  /**
   * Write a whole sweep's files with `write` (into an empty directory) and swap them in. When
   * that fails (a full disk, say), nothing of OUT changes and the error says where what could be
   * written went: the partial directory, or results.json alone in the system's temp directory.
   */
  commit(write: (dir: string) => void, fallback?: () => string): void {
    const partial = this.partialPath();
    rmSync(partial, { recursive: true, force: true });
    try {
      mkdirSync(partial);
      write(partial);
      fsyncTree(partial);
    } catch (e) {
      let kept = '';
      if (existsSync(join(partial, 'results.json'))) kept = `; what was written is in ${partial}`;
      else if (fallback !== undefined) {
        const rescue = join(tmpdir(), `lazytlb-results-${process.pid}-${Date.now()}.json`);
        try {
          writeFileSync(rescue, fallback());
          kept = `; results.json was written to ${rescue} instead`;
        } catch {
          /* nowhere left to write */
        }
        rmSync(partial, { recursive: true, force: true });
      }
      throw ioError(`cannot write ${this.path}: ${why(e)} (the directory is unchanged${kept})`, this.path, e);
    }
    const previous = join(this.parent, `${this.base}${PREVIOUS}${process.pid}`);
    const had = existsSync(this.path);
    try {
      if (had) renameSync(this.path, previous);
      // Test-only (io/fault.ts; no-ops unless set): a marker and a window for a kill between the two renames.
      faultPhase('swap');
      faultWriteDelay(5);
      renameSync(partial, this.path);
    } catch (e) {
      if (had && !existsSync(this.path) && existsSync(previous)) renameSync(previous, this.path);
      throw ioError(`cannot replace ${this.path}: ${why(e)} (it is unchanged; the new results are in ${partial})`, this.path, e);
    }
    fsyncPath(this.parent);
    if (had) rmSync(previous, { recursive: true, force: true });
  }
}
