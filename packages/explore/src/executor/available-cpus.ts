/**
 * How many CPUs this process may use: min(CPU affinity, ceil(cgroup CPU quota / period)).
 *
 * Why: on Node 20, os.availableParallelism() is libuv's uv_available_parallelism(), which (libuv
 * < 1.49) counts the sched_getaffinity() mask only. A container with `limits.cpu: 2` on a 64-core
 * node is throttled by the CFS bandwidth controller to 2 CPUs' worth of time per period, but its
 * affinity mask still holds all 64 CPUs: 64 workers then share 2 CPUs, each with its own V8 heap.
 * The quota is what the kernel enforces, so it is read here:
 *
 * - cgroup v2 (Documentation/admin-guide/cgroup-v2.rst, "cpu.max"): "$MAX $PERIOD", where $MAX is
 *   "max" for no limit: "150000 100000" allows 1.5 CPUs. Limits are hierarchical ("a cgroup ...
 *   can't use more than its parent allows"), so the process's own cgroup and every ancestor up to
 *   the mount's root are read, and the tightest one wins.
 * - cgroup v1 (Documentation/scheduler/sched-bwc.rst, the cpu controller's cpu.cfs_quota_us and
 *   cpu.cfs_period_us): quota -1 is no limit; a parent's bandwidth also bounds its children, so
 *   ancestors are read there too.
 *
 * A fraction is rounded up (1.5 → 2, as Go's GOMAXPROCS and the JDK do): the quota is time, not
 * CPUs, and the second thread uses the half CPU the first would leave idle. Never below 1.
 *
 * Where: /proc/self/cgroup names the process's cgroup ("0::/path" on v2; "N:cpu,cpuacct:/path" on
 * v1) relative to a hierarchy's root; /proc/self/mountinfo says where that hierarchy is mounted
 * and which cgroup the mount shows (field 4: "/" in a container with its own cgroup namespace,
 * where /proc/self/cgroup says "/" too and the mount point is the container's own cgroup). Without
 * mountinfo, the usual places under /sys/fs/cgroup are tried.
 *
 * Nothing here throws: a missing file means that level sets no limit (cpu.max is absent in the
 * root cgroup and where the cpu controller is not enabled); an unreadable file or unparsable
 * content is skipped and named in `notes`, and the answer falls back to the affinity count.
 *
 * On Node ≥ 22 (libuv ≥ 1.49) availableParallelism() already applies the quota, rounded down; the
 * minimum below then keeps that lower figure.
 */
import { readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { posix } from 'node:path';

export interface AvailableCpusOptions {
  /** Where procfs is mounted (default '/proc'): /self/cgroup and /self/mountinfo are read under it. */
  readonly procRoot?: string;
  /** Where sysfs is mounted (default '/sys'): mount points under /sys in mountinfo are resolved under it. */
  readonly sysRoot?: string;
  /** The CPU affinity count (default: os.availableParallelism(), the sched_getaffinity() mask on Node 20). */
  readonly affinity?: number;
}

/** One cgroup CPU quota: `quotaUs` of CPU time per `periodUs`. */
export interface CpuQuota {
  readonly version: 1 | 2;
  /** The cgroup directory whose file set it. */
  readonly dir: string;
  readonly quotaUs: number;
  readonly periodUs: number;
  /** ceil(quotaUs / periodUs), at least 1. */
  readonly cpus: number;
}

export interface AvailableCpus {
  /** min(affinity, quota.cpus): the CPUs this process may use (at least 1). */
  readonly cpus: number;
  readonly affinity: number;
  /** The tightest cgroup CPU quota on the process's cgroup and its ancestors, or null when none is set. */
  readonly quota: CpuQuota | null;
  /** Why `cpus` is what it is, in one line (for the CLI to say). */
  readonly source: string;
  /** Files that could not be read or parsed (each skipped); empty normally. */
  readonly notes: readonly string[];
}

interface CgroupMount {
  readonly version: 1 | 2;
  /** The cgroup the mount shows at its mount point (mountinfo field 4). */
  readonly root: string;
  /** The mount point, resolved under sysRoot. */
  readonly dir: string;
}

type Read = { readonly text: string } | { readonly missing: true } | { readonly error: string };

function read(file: string): Read {
  try {
    return { text: readFileSync(file, 'utf8') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { missing: true };
    return { error: `${file}: ${code ?? (e as Error).message}` };
  }
}

function isDir(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** mountinfo escapes space, tab, newline and backslash in paths as \ooo (octal). */
function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/** A mount point as the process sees it, under the (possibly fake) sysfs root. */
function underSys(mountPoint: string, sysRoot: string): string {
  if (sysRoot === '/sys') return mountPoint;
  if (mountPoint === '/sys') return sysRoot;
  if (mountPoint.startsWith('/sys/')) return posix.join(sysRoot, mountPoint.slice('/sys'.length));
  return mountPoint;
}

/**
 * The cgroup mounts from /proc/self/mountinfo (Documentation/filesystems/proc.rst, 3.5):
 * "id parent maj:min root mount-point options [optional...] - fstype source super-options".
 * v1: only mounts of the cpu controller (super-options name it).
 */
function parseMountinfo(text: string, sysRoot: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (sep < 0 || f.length < sep + 4) continue;
    const fstype = f[sep + 1];
    const root = unescapeMountPath(f[3]!);
    const dir = underSys(unescapeMountPath(f[4]!), sysRoot);
    if (fstype === 'cgroup2') mounts.push({ version: 2, root, dir });
    else if (fstype === 'cgroup' && f[sep + 3]!.split(',').includes('cpu')) mounts.push({ version: 1, root, dir });
  }
  return mounts;
}

/** The usual mount points when mountinfo cannot be read (unified, hybrid, and v1 layouts). */
function guessMounts(sysRoot: string): CgroupMount[] {
  const cg = posix.join(sysRoot, 'fs/cgroup');
  const mounts: CgroupMount[] = [];
  for (const dir of [cg, posix.join(cg, 'unified')]) {
    if ('text' in read(posix.join(dir, 'cgroup.controllers'))) mounts.push({ version: 2, root: '/', dir });
  }
  for (const name of ['cpu,cpuacct', 'cpuacct,cpu', 'cpu']) {
    const dir = posix.join(cg, name);
    if (isDir(dir)) {
      mounts.push({ version: 1, root: '/', dir });
      break;
    }
  }
  return mounts;
}

/**
 * /proc/self/cgroup (man 7 cgroups): "hierarchy-ID:controller-list:cgroup-path" per line; v2 is
 * "0::path"; v1's cpu controller is the line whose list names `cpu`.
 */
function parseProcCgroup(text: string): { v2: string | null; v1cpu: string | null } {
  let v2: string | null = null;
  let v1cpu: string | null = null;
  for (const line of text.split('\n')) {
    const a = line.indexOf(':');
    const b = a < 0 ? -1 : line.indexOf(':', a + 1);
    if (b < 0) continue;
    const id = line.slice(0, a);
    const controllers = line.slice(a + 1, b);
    const path = line.slice(b + 1);
    if (!path.startsWith('/')) continue;
    if (id === '0' && controllers === '') v2 = path;
    else if (controllers.split(',').includes('cpu')) v1cpu = path;
  }
  return { v2, v1cpu };
}

/**
 * The directories to read, the process's cgroup first, then each ancestor up to the mount point.
 * The cgroup path is relative to the hierarchy's root; the mount shows `mount.root` of it. When
 * the path is not under that root, or its directory is not there (a container that sees the
 * host's path but has only its own cgroup mounted), the mount point itself is the best there is.
 */
function cgroupLevels(mount: CgroupMount, path: string, notes: string[]): string[] {
  let rel: string | null;
  if (mount.root === '/') rel = path;
  else if (path === mount.root || path.startsWith(`${mount.root}/`)) rel = path.slice(mount.root.length);
  else rel = null;
  let dir = mount.dir;
  if (rel !== null) {
    const joined = posix.join(mount.dir, rel).replace(/(.)\/+$/, '$1');
    const back = posix.relative(mount.dir, joined);
    if (back.startsWith('..') || posix.isAbsolute(back)) rel = null;
    else dir = joined;
  }
  if (rel === null || !isDir(dir)) {
    if (dir !== mount.dir) notes.push(`cgroup ${path} is not at ${dir}; reading ${mount.dir}`);
    dir = mount.dir;
  }
  const levels = [dir];
  while (dir !== mount.dir && dir.length > mount.dir.length) {
    dir = posix.dirname(dir);
    levels.push(dir);
  }
  return levels;
}

const INT = /^[0-9]+$/;

function quotaOf(version: 1 | 2, dir: string, quotaUs: number, periodUs: number): CpuQuota {
  return { version, dir, quotaUs, periodUs, cpus: Math.max(1, Math.ceil(quotaUs / periodUs)) };
}

/** cgroup v2 cpu.max: "max 100000" (no limit) or "150000 100000"; null when there is no limit. */
function readCpuMax(dir: string, notes: string[]): CpuQuota | null {
  const file = posix.join(dir, 'cpu.max');
  const r = read(file);
  if ('missing' in r) return null;
  if ('error' in r) {
    notes.push(r.error);
    return null;
  }
  const [max, period, ...rest] = r.text.trim().split(/\s+/);
  if (max === 'max' && (period === undefined || INT.test(period)) && rest.length === 0) return null;
  if (max !== undefined && period !== undefined && INT.test(max) && INT.test(period) && rest.length === 0 && Number(max) > 0 && Number(period) > 0) {
    return quotaOf(2, dir, Number(max), Number(period));
  }
  notes.push(`${file}: unexpected content ${JSON.stringify(r.text.slice(0, 40))}`);
  return null;
}

/** cgroup v1 cpu.cfs_quota_us (-1: no limit) over cpu.cfs_period_us; null when there is no limit. */
function readCfsQuota(dir: string, notes: string[]): CpuQuota | null {
  const qFile = posix.join(dir, 'cpu.cfs_quota_us');
  const q = read(qFile);
  if ('missing' in q) return null;
  if ('error' in q) {
    notes.push(q.error);
    return null;
  }
  const quota = q.text.trim();
  if (quota === '-1') return null;
  if (!INT.test(quota) || Number(quota) <= 0) {
    notes.push(`${qFile}: unexpected content ${JSON.stringify(q.text.slice(0, 40))}`);
    return null;
  }
  const pFile = posix.join(dir, 'cpu.cfs_period_us');
  const p = read(pFile);
  if (!('text' in p)) {
    notes.push('error' in p ? p.error : `${pFile}: missing (quota ${quota} without a period)`);
    return null;
  }
  const period = p.text.trim();
  if (!INT.test(period) || Number(period) <= 0) {
    notes.push(`${pFile}: unexpected content ${JSON.stringify(p.text.slice(0, 40))}`);
    return null;
  }
  return quotaOf(1, dir, Number(quota), Number(period));
}

function describe(q: CpuQuota): string {
  return q.version === 2
    ? `cgroup v2 cpu.max ${q.quotaUs}/${q.periodUs} at ${q.dir}`
    : `cgroup v1 cpu.cfs_quota_us/cpu.cfs_period_us ${q.quotaUs}/${q.periodUs} at ${q.dir}`;
}

/** The CPUs this process may use, and why (see the module comment). Reads files; never throws. */
export function availableCpus(opts: AvailableCpusOptions = {}): AvailableCpus {
  const procRoot = opts.procRoot ?? '/proc';
  const sysRoot = opts.sysRoot ?? '/sys';
  const affinity = Math.max(1, Math.floor(opts.affinity ?? availableParallelism()));
  const notes: string[] = [];
  let quota: CpuQuota | null = null;

  const self = read(posix.join(procRoot, 'self/cgroup'));
  if ('error' in self) notes.push(self.error);
  if ('text' in self) {
    const paths = parseProcCgroup(self.text);
    const info = read(posix.join(procRoot, 'self/mountinfo'));
    if ('error' in info) notes.push(info.error);
    const mounts = 'text' in info ? parseMountinfo(info.text, sysRoot) : guessMounts(sysRoot);
    for (const version of [2, 1] as const) {
      const path = version === 2 ? paths.v2 : paths.v1cpu;
      if (path === null) continue;
      const ofVersion = mounts.filter((m) => m.version === version);
      // Several mounts of one hierarchy (bind mounts): the one showing the longest prefix of the path.
      const under = ofVersion.filter((m) => m.root === '/' || path === m.root || path.startsWith(`${m.root}/`));
      const mount = (under.length > 0 ? under : ofVersion).sort((a, b) => b.root.length - a.root.length)[0];
      if (mount === undefined) continue;
      for (const dir of cgroupLevels(mount, path, notes)) {
        const q = version === 2 ? readCpuMax(dir, notes) : readCfsQuota(dir, notes);
        if (q !== null && (quota === null || q.quotaUs / q.periodUs < quota.quotaUs / quota.periodUs)) quota = q;
      }
    }
  }

  if (quota !== null && quota.cpus < affinity) {
    return { cpus: quota.cpus, affinity, quota, source: `${describe(quota)} (${quota.cpus} of the ${affinity} CPUs in the affinity mask)`, notes };
  }
  const why = quota !== null ? `; ${describe(quota)} allows ${quota.cpus}` : '; no cgroup CPU quota';
  return { cpus: affinity, affinity, quota, source: `CPU affinity: ${affinity} CPU${affinity === 1 ? '' : 's'}${why}`, notes };
}

let processCpusMemo: AvailableCpus | undefined;

/**
 * availableCpus() for this process, read once: the default and the ceiling of --threads are
 * asked several times per command, and a limit changed while a sweep runs would not resize its pool.
 */
export function processCpus(): AvailableCpus {
  processCpusMemo ??= availableCpus();
  return processCpusMemo;
}
