/**
 * availableCpus() against fake /proc and /sys trees in a temp dir (one per test), laid out as the
 * kernel shows them, and once against this machine's real /proc and /sys.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { availableCpus, processCpus } from './available-cpus.js';
import { defaultThreads, maxThreads } from './pool.js';

const MOUNT_V2 = '30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot';
const MOUNT_V1_CPU = '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct';
const MOUNT_V1_CPUSET = '34 31 0:31 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,cpuset';
const MOUNT_PROC = '22 28 0:20 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw';

let roots: string[] = [];

afterEach(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
  roots = [];
});

/** A fake root with proc/ and sys/ under it; `files` maps paths under it ("proc/self/cgroup") to content. */
function fakeRoot(files: Record<string, string>): { procRoot: string; sysRoot: string; root: string } {
  const root = mkdtempSync(join(tmpdir(), 'lazytlb-cpus-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return { procRoot: join(root, 'proc'), sysRoot: join(root, 'sys'), root };
}

const POD = 'kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-abc.scope';

describe('cgroup v2', () => {
  it('cpu.max "200000 100000" on the process cgroup: 2 of 64 CPUs, and says where', () => {
    const f = fakeRoot({
      'proc/self/cgroup': `0::/${POD}\n`,
      'proc/self/mountinfo': `${MOUNT_PROC}\n${MOUNT_V2}\n`,
      'sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io memory pids\n',
      [`sys/fs/cgroup/${POD}/cpu.max`]: '200000 100000\n',
    });
    const r = availableCpus({ ...f, affinity: 64 });
    expect(r.cpus).toBe(2);
    expect(r.affinity).toBe(64);
    expect(r.quota).toEqual({ version: 2, dir: join(f.sysRoot, 'fs/cgroup', POD), quotaUs: 200000, periodUs: 100000, cpus: 2 });
    expect(r.source).toBe(`cgroup v2 cpu.max 200000/100000 at ${join(f.sysRoot, 'fs/cgroup', POD)} (2 of the 64 CPUs in the affinity mask)`);
    expect(r.notes).toEqual([]);
  });

  it('a fraction rounds up: 150000/100000 is 2; 50000/100000 is 1, never 0', () => {
    for (const [max, want] of [
      ['150000 100000', 2],
      ['50000 100000', 1],
      ['1000 100000', 1],
      ['250000 50000', 5],
    ] as const) {
      const f = fakeRoot({ 'proc/self/cgroup': '0::/job\n', 'proc/self/mountinfo': `${MOUNT_V2}\n`, 'sys/fs/cgroup/job/cpu.max': `${max}\n` });
      expect(availableCpus({ ...f, affinity: 64 }).cpus, max).toBe(want);
    }
  });

  it('"max 100000" is no limit: the affinity count, and the source says there is no quota', () => {
    const f = fakeRoot({ 'proc/self/cgroup': '0::/job\n', 'proc/self/mountinfo': `${MOUNT_V2}\n`, 'sys/fs/cgroup/job/cpu.max': 'max 100000\n' });
    const r = availableCpus({ ...f, affinity: 8 });
    expect(r).toEqual({ cpus: 8, affinity: 8, quota: null, source: 'CPU affinity: 8 CPUs; no cgroup CPU quota', notes: [] });
  });

  it('a tighter ancestor wins over a looser (or absent) limit below it', () => {
    const f = fakeRoot({
      'proc/self/cgroup': '0::/a/b/c\n',
      'proc/self/mountinfo': `${MOUNT_V2}\n`,
      'sys/fs/cgroup/a/cpu.max': '300000 100000\n',
      'sys/fs/cgroup/a/b/cpu.max': '800000 100000\n',
      'sys/fs/cgroup/a/b/c/cpu.max': 'max 100000\n',
    });
    const r = availableCpus({ ...f, affinity: 64 });
    expect(r.cpus).toBe(3);
    expect(r.quota?.dir).toBe(join(f.sysRoot, 'fs/cgroup/a'));
  });

  it('the tightest is compared as a ratio, not by quota alone (different periods)', () => {
    const f = fakeRoot({
      'proc/self/cgroup': '0::/a/b\n',
      'proc/self/mountinfo': `${MOUNT_V2}\n`,
      'sys/fs/cgroup/a/cpu.max': '400000 100000\n', // 4 CPUs
      'sys/fs/cgroup/a/b/cpu.max': '300000 200000\n', // 1.5 CPUs: the larger quota, the tighter limit
    });
    const r = availableCpus({ ...f, affinity: 64 });
    expect(r.cpus).toBe(2);
    expect(r.quota).toMatchObject({ quotaUs: 300000, periodUs: 200000, dir: join(f.sysRoot, 'fs/cgroup/a/b') });
  });

  it('affinity below the quota: the affinity count, and the source names the looser quota', () => {
    const f = fakeRoot({ 'proc/self/cgroup': '0::/job\n', 'proc/self/mountinfo': `${MOUNT_V2}\n`, 'sys/fs/cgroup/job/cpu.max': '800000 100000\n' });
    const r = availableCpus({ ...f, affinity: 2 });
    expect(r.cpus).toBe(2);
    expect(r.source).toBe(`CPU affinity: 2 CPUs; cgroup v2 cpu.max 800000/100000 at ${join(f.sysRoot, 'fs/cgroup/job')} allows 8`);
  });

  it('a container with its own cgroup namespace: /proc/self/cgroup says "/", the mount point is its cgroup', () => {
    const f = fakeRoot({
      'proc/self/cgroup': '0::/\n',
      'proc/self/mountinfo': `${MOUNT_V2.replace('rw,nosuid', 'ro,nosuid')}\n`,
      'sys/fs/cgroup/cgroup.controllers': 'cpu memory pids\n',
      'sys/fs/cgroup/cpu.max': '200000 100000\n',
    });
    const r = availableCpus({ ...f, affinity: 64 });
    expect(r.cpus).toBe(2);
    expect(r.quota?.dir).toBe(join(f.sysRoot, 'fs/cgroup'));
  });

  it('the mount shows a sub-tree (mountinfo root): the path is taken relative to it', () => {
    const f = fakeRoot({
      'proc/self/cgroup': `0::/${POD}\n`,
      'proc/self/mountinfo': `${MOUNT_V2.replace(' / /sys/fs/cgroup ', ` /${POD} /sys/fs/cgroup `)}\n`,
      'sys/fs/cgroup/cpu.max': '100000 100000\n',
    });
    expect(availableCpus({ ...f, affinity: 64 }).cpus).toBe(1);
  });

  it("the host's path but only the container's cgroup mounted: falls back to the mount point, with a note", () => {
    const f = fakeRoot({
      'proc/self/cgroup': `0::/${POD}\n`,
      'proc/self/mountinfo': `${MOUNT_V2}\n`,
      'sys/fs/cgroup/cpu.max': '300000 100000\n',
    });
    const r = availableCpus({ ...f, affinity: 64 });
    expect(r.cpus).toBe(3);
    expect(r.notes).toEqual([`cgroup /${POD} is not at ${join(f.sysRoot, 'fs/cgroup', POD)}; reading ${join(f.sysRoot, 'fs/cgroup')}`]);
  });

  it('a path escaping the mount ("/../..", a cgroup outside the namespace) reads the mount point only', () => {
    const f = fakeRoot({
      'proc/self/cgroup': '0::/../../elsewhere\n',
      'proc/self/mountinfo': `${MOUNT_V2}\n`,
      'sys/fs/cgroup/cpu.max': '200000 100000\n',
      'sys/elsewhere/cpu.max': '100000 100000\n',
    });
    const r = availableCpus({ ...f, affinity: 64 });
    expect(r.cpus).toBe(2);
    expect(r.quota?.dir).toBe(join(f.sysRoot, 'fs/cgroup'));
  });

  it('no mountinfo: the usual /sys/fs/cgroup (unified) is found by its cgroup.controllers', () => {
    const f = fakeRoot({ 'proc/self/cgroup': '0::/job\n', 'sys/fs/cgroup/cgroup.controllers': 'cpu\n', 'sys/fs/cgroup/job/cpu.max': '200000 100000\n' });
    expect(availableCpus({ ...f, affinity: 64 }).cpus).toBe(2);
  });

  it('mount points with escaped spaces (\\040) in mountinfo are unescaped', () => {
    const f = fakeRoot({
      'proc/self/cgroup': '0::/job\n',
      'proc/self/mountinfo': `${MOUNT_V2.replace(' /sys/fs/cgroup ', ' /sys/fs/my\\040cgroup ')}\n`,
      'sys/fs/my cgroup/job/cpu.max': '200000 100000\n',
    });
    expect(availableCpus({ ...f, affinity: 64 }).cpus).toBe(2);
  });
});

describe('cgroup v1', () => {
  const v1 = (path: string) => `12:cpuset:/\n11:memory:${path}\n4:cpu,cpuacct:${path}\n1:name=systemd:${path}\n0::/\n`;

  it('cpu.cfs_quota_us 150000 / cpu.cfs_period_us 100000 under the cpu,cpuacct mount: 2', () => {
    const f = fakeRoot({
      'proc/self/cgroup': v1('/kubepods/pod1/abc'),
      'proc/self/mountinfo': `${MOUNT_PROC}\n${MOUNT_V1_CPUSET}\n${MOUNT_V1_CPU}\n`,
      'sys/fs/cgroup/cpu,cpuacct/kubepods/pod1/abc/cpu.cfs_quota_us': '150000\n',
      'sys/fs/cgroup/cpu,cpuacct/kubepods/pod1/abc/cpu.cfs_period_us': '100000\n',
      'sys/fs/cgroup/cpu,cpuacct/kubepods/cpu.cfs_quota_us': '-1\n',
      'sys/fs/cgroup/cpu,cpuacct/kubepods/cpu.cfs_period_us': '100000\n',
    });
    const r = availableCpus({ ...f, affinity: 64 });
    expect(r.cpus).toBe(2);
    expect(r.source).toBe(
      `cgroup v1 cpu.cfs_quota_us/cpu.cfs_period_us 150000/100000 at ${join(f.sysRoot, 'fs/cgroup/cpu,cpuacct/kubepods/pod1/abc')} (2 of the 64 CPUs in the affinity mask)`,
    );
    expect(r.notes).toEqual([]);
  });

  it('quota -1 at every level is no limit', () => {
    const f = fakeRoot({
      'proc/self/cgroup': v1('/job'),
      'proc/self/mountinfo': `${MOUNT_V1_CPU}\n`,
      'sys/fs/cgroup/cpu,cpuacct/job/cpu.cfs_quota_us': '-1\n',
      'sys/fs/cgroup/cpu,cpuacct/job/cpu.cfs_period_us': '100000\n',
      'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '-1\n',
      'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000\n',
    });
    expect(availableCpus({ ...f, affinity: 6 })).toMatchObject({ cpus: 6, quota: null, notes: [] });
  });

  it('a tighter v1 ancestor wins', () => {
    const f = fakeRoot({
      'proc/self/cgroup': v1('/a/b'),
      'proc/self/mountinfo': `${MOUNT_V1_CPU}\n`,
      'sys/fs/cgroup/cpu,cpuacct/a/b/cpu.cfs_quota_us': '-1\n',
      'sys/fs/cgroup/cpu,cpuacct/a/b/cpu.cfs_period_us': '100000\n',
      'sys/fs/cgroup/cpu,cpuacct/a/cpu.cfs_quota_us': '400000\n',
      'sys/fs/cgroup/cpu,cpuacct/a/cpu.cfs_period_us': '100000\n',
    });
    expect(availableCpus({ ...f, affinity: 64 }).cpus).toBe(4);
  });

  it('no mountinfo: the usual /sys/fs/cgroup/cpu,cpuacct', () => {
    const f = fakeRoot({
      'proc/self/cgroup': v1('/job'),
      'sys/fs/cgroup/cpu,cpuacct/job/cpu.cfs_quota_us': '300000\n',
      'sys/fs/cgroup/cpu,cpuacct/job/cpu.cfs_period_us': '100000\n',
    });
    expect(availableCpus({ ...f, affinity: 64 }).cpus).toBe(3);
  });

  it('hybrid: v1 cpu controller alongside an empty v2 hierarchy (as systemd lays it out)', () => {
    const f = fakeRoot({
      'proc/self/cgroup': '4:cpu,cpuacct:/job\n0::/job\n',
      'proc/self/mountinfo': `${MOUNT_V2.replace(' /sys/fs/cgroup ', ' /sys/fs/cgroup/unified ')}\n${MOUNT_V1_CPU}\n`,
      'sys/fs/cgroup/unified/job/cgroup.procs': '1\n',
      'sys/fs/cgroup/cpu,cpuacct/job/cpu.cfs_quota_us': '200000\n',
      'sys/fs/cgroup/cpu,cpuacct/job/cpu.cfs_period_us': '100000\n',
    });
    expect(availableCpus({ ...f, affinity: 64 })).toMatchObject({ cpus: 2, quota: { version: 1 }, notes: [] });
  });
});

describe('missing, unreadable, garbage: the affinity count, never a throw', () => {
  it('no /proc at all', () => {
    const f = fakeRoot({});
    expect(availableCpus({ ...f, affinity: 5 })).toEqual({ cpus: 5, affinity: 5, quota: null, source: 'CPU affinity: 5 CPUs; no cgroup CPU quota', notes: [] });
  });

  it('no cpu.max in the cgroup or its ancestors (the cpu controller not enabled): no limit, no note', () => {
    const f = fakeRoot({ 'proc/self/cgroup': '0::/a/b\n', 'proc/self/mountinfo': `${MOUNT_V2}\n`, 'sys/fs/cgroup/a/b/cgroup.procs': '1\n' });
    expect(availableCpus({ ...f, affinity: 5 })).toMatchObject({ cpus: 5, quota: null, notes: [] });
  });

  it('an unreadable cpu.max (here a directory: EISDIR, which root cannot read either) is skipped and named', () => {
    const f = fakeRoot({ 'proc/self/cgroup': '0::/job\n', 'proc/self/mountinfo': `${MOUNT_V2}\n`, 'sys/fs/cgroup/job/cpu.max/x': '' });
    const r = availableCpus({ ...f, affinity: 5 });
    expect(r).toMatchObject({ cpus: 5, quota: null });
    expect(r.notes).toEqual([`${join(f.sysRoot, 'fs/cgroup/job/cpu.max')}: EISDIR`]);
  });

  it('an unreadable /proc/self/cgroup is named; an unreadable mountinfo falls back to the usual mounts', () => {
    const a = fakeRoot({ 'proc/self/cgroup/x': '' });
    expect(availableCpus({ ...a, affinity: 3 })).toMatchObject({ cpus: 3, notes: [`${join(a.procRoot, 'self/cgroup')}: EISDIR`] });
    const b = fakeRoot({
      'proc/self/cgroup': '0::/job\n',
      'proc/self/mountinfo/x': '',
      'sys/fs/cgroup/cgroup.controllers': 'cpu\n',
      'sys/fs/cgroup/job/cpu.max': '100000 100000\n',
    });
    expect(availableCpus({ ...b, affinity: 3 })).toMatchObject({ cpus: 1, notes: [`${join(b.procRoot, 'self/mountinfo')}: EISDIR`] });
  });

  it('a quota without its period (v1) is skipped and named', () => {
    const f = fakeRoot({
      'proc/self/cgroup': '4:cpu:/job\n',
      'proc/self/mountinfo': `${MOUNT_V1_CPU}\n`,
      'sys/fs/cgroup/cpu,cpuacct/job/cpu.cfs_quota_us': '100000\n',
    });
    const r = availableCpus({ ...f, affinity: 4 });
    expect(r).toMatchObject({ cpus: 4, quota: null });
    expect(r.notes).toEqual([`${join(f.sysRoot, 'fs/cgroup/cpu,cpuacct/job/cpu.cfs_period_us')}: missing (quota 100000 without a period)`]);
  });

  const garbageV2 = ['', '\n', 'banana', '200000', '200000 0', '0 100000', '-5 100000', '2e5 100000', '200000 100000 7', 'max banana', '1.5 1'];
  for (const text of garbageV2) {
    it(`cpu.max ${JSON.stringify(text)}: skipped with a note`, () => {
      const f = fakeRoot({ 'proc/self/cgroup': '0::/job\n', 'proc/self/mountinfo': `${MOUNT_V2}\n`, 'sys/fs/cgroup/job/cpu.max': text });
      const r = availableCpus({ ...f, affinity: 7 });
      expect(r).toMatchObject({ cpus: 7, quota: null });
      expect(r.notes).toHaveLength(1);
      expect(r.notes[0]).toContain('unexpected content');
    });
  }

  const garbageV1: Array<[string, string]> = [
    ['banana', '100000'],
    ['0', '100000'],
    ['-2', '100000'],
    ['150000', '0'],
    ['150000', 'x'],
  ];
  for (const [quota, period] of garbageV1) {
    it(`cfs quota ${quota} / period ${period}: skipped with a note`, () => {
      const f = fakeRoot({
        'proc/self/cgroup': '4:cpu,cpuacct:/job\n',
        'proc/self/mountinfo': `${MOUNT_V1_CPU}\n`,
        'sys/fs/cgroup/cpu,cpuacct/job/cpu.cfs_quota_us': `${quota}\n`,
        'sys/fs/cgroup/cpu,cpuacct/job/cpu.cfs_period_us': `${period}\n`,
      });
      const r = availableCpus({ ...f, affinity: 7 });
      expect(r).toMatchObject({ cpus: 7, quota: null });
      expect(r.notes).toHaveLength(1);
    });
  }

  it('garbage /proc/self/cgroup and mountinfo lines are ignored', () => {
    const f = fakeRoot({
      'proc/self/cgroup': 'nonsense\n::\n0::relative\n\u0000\u0001\n0::/job\n',
      'proc/self/mountinfo': `garbage line\n- - -\n1 2 3\n${MOUNT_V2}\n`,
      'sys/fs/cgroup/job/cpu.max': '200000 100000\n',
    });
    expect(availableCpus({ ...f, affinity: 64 }).cpus).toBe(2);
  });

  it('a fractional or zero affinity is made a whole CPU count of at least 1', () => {
    const f = fakeRoot({});
    expect(availableCpus({ ...f, affinity: 0 }).cpus).toBe(1);
    expect(availableCpus({ ...f, affinity: 3.7 }).cpus).toBe(3);
  });
});

describe('this machine', () => {
  it('reads the real /proc and /sys: at least 1, at most availableParallelism(), and the pool uses it', () => {
    const r = availableCpus();
    expect(r.cpus).toBeGreaterThanOrEqual(1);
    expect(r.cpus).toBeLessThanOrEqual(availableParallelism());
    expect(r.affinity).toBe(availableParallelism());
    expect(r.source).not.toBe('');
    expect(processCpus()).toEqual(r);
    expect(defaultThreads()).toBe(r.cpus);
    expect(maxThreads()).toBe(4 * r.cpus);
  });
});
