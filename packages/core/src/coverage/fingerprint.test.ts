import { describe, expect, it } from 'vitest';
import { INIT_MM, MM_EXITING, MM_FREED, MM_LIVE, MM_TABLES_FREED, NO_MM, TASK_IDLE, TASK_KTHREAD, TASK_USER, TS_RUNNING } from '../machine/constants.js';
import { P_FINISH_SWITCH, P_MMDROP, P_MMPUT } from '../model/frames.js';
import { FRAME_DEPTH, Kernel } from '../model/kernel.js';
import { hashString128, runSeed } from '../prng/seed.js';
import { referenceArch } from '../reference-arch/reference-arch.js';
import { Simulator } from '../run/simulator.js';
import { fingerprint, fingerprintInt32, fmix32 } from './fingerprint.js';

/** The abstract state as the module comment states it, written plainly (O(ncpu²), strings): the spec. */
function naiveKey(k: Kernel): string {
  const n = k.ncpu;
  const lazyMm = (c: number): number => (k.taskMm[k.cpuCurr[c]!] === NO_MM ? k.taskActiveMm[k.cpuCurr[c]!]! : NO_MM);
  const holders = (mm: number): number => {
    let h = 0;
    for (let c = 0; c < n; c++) h += Number(lazyMm(c) === mm) + Number(k.cpuPrevMm[c] === mm) + Number(k.cpuLocalMm[c] === mm);
    return h;
  };
  const tuples: string[] = [];
  for (let c = 0; c < n; c++) {
    const t = k.cpuCurr[c]!;
    const a = k.taskActiveMm[t]!;
    const sp = k.cpuSp[c]!;
    const sig =
      a === NO_MM
        ? 'null'
        : a === INIT_MM
          ? `init/${(k.mmCpumask[INIT_MM]! >>> c) & 1}`
          : [k.mmStage[a], k.mmUsers[a]! > 0, Math.min(holders(a), 3), Math.max(-1, Math.min(2, k.mmCount[a]! - holders(a))), (k.mmCpumask[a]! >>> c) & 1].join(
              '/',
            );
    tuples.push(
      [
        k.cpuOnline[c],
        k.taskKind[t],
        k.taskMm[t] === NO_MM,
        k.cpuPrevMm[c] !== NO_MM,
        k.ipiLen[c]! > 0,
        sp > 0 ? k.frPath[c * FRAME_DEPTH + sp - 1] : 0,
        sig,
      ].join(','),
    );
  }
  return tuples.sort().join(' | '); // a multiset of per-CPU tuples
}

/** A hand-written machine state: mms by label, CPUs by position. */
interface MmDesc {
  stage: number;
  users: number;
  count: number;
  addr?: number;
}
interface CpuDesc {
  online?: boolean;
  kind: number;
  /** The task's mm (null: lazy) and active_mm, as mm labels ('init' = init_mm). */
  mm: string | null;
  active: string | null;
  inMask?: boolean;
  prev?: string | null;
  local?: string | null;
  path?: number | undefined;
  ipis?: number;
}
interface State {
  mms: Record<string, MmDesc>;
  cpus: CpuDesc[];
}

/**
 * Build a Kernel for `s` with CPU c's state on CPU perm[c], mms numbered in `mmOrder`, and
 * tasks created in reverse order when `reverseTasks` (identities that must not matter).
 */
function build(s: State, perm: number[] = s.cpus.map((_, i) => i), mmOrder = Object.keys(s.mms), reverseTasks = false): Kernel {
  const k = new Kernel();
  const n = s.cpus.length;
  k.ensureCapacity(n, 2 * n, mmOrder.length + 1, 8);
  k.resetState();
  const id = (label: string | null | undefined): number => (label == null ? NO_MM : label === 'init' ? INIT_MM : 1 + mmOrder.indexOf(label));
  for (const [i, label] of mmOrder.entries()) {
    const m = s.mms[label]!;
    const mm = i + 1;
    k.mmStage[mm] = m.stage;
    k.mmUsers[mm] = m.users;
    k.mmCount[mm] = m.count;
    k.mmAddr[mm] = m.addr ?? 100 + mm;
    k.mmCpumask[mm] = 0;
  }
  k.nmm = mmOrder.length + 1;
  k.mmCpumask[INIT_MM] = 0;
  for (let c = 0; c < n; c++) {
    const d = s.cpus[c]!;
    const cpu = perm[c]!;
    const t = reverseTasks ? 2 * n - 1 - c : c;
    k.taskKind[t] = d.kind;
    k.taskMm[t] = id(d.mm);
    k.taskActiveMm[t] = id(d.active);
    k.taskState[t] = TS_RUNNING;
    k.cpuCurr[cpu] = t;
    k.cpuOnline[cpu] = d.online === false ? 0 : 1;
    k.cpuPrevMm[cpu] = id(d.prev);
    k.cpuLocalMm[cpu] = id(d.local);
    if (d.path !== undefined) {
      k.cpuSp[cpu] = 2;
      k.frPath[cpu * FRAME_DEPTH] = 99; // an outer frame: only the top one counts
      k.frPath[cpu * FRAME_DEPTH + 1] = d.path;
      k.frPc[cpu * FRAME_DEPTH + 1] = 3 + c; // pc and registers are abstracted away
    }
    k.ipiLen[cpu] = d.ipis ?? 0;
    if (d.inMask === true) k.mmCpumask[id(d.active)]! |= 1 << cpu;
  }
  k.ntasks = 2 * n;
  return k;
}

const BASE: State = {
  mms: {
    A: { stage: MM_LIVE, users: 2, count: 1 },
    B: { stage: MM_EXITING, users: 0, count: 2 },
    C: { stage: MM_TABLES_FREED, users: 0, count: 1 },
  },
  cpus: [
    { kind: TASK_USER, mm: 'A', active: 'A', inMask: true },
    { kind: TASK_KTHREAD, mm: null, active: 'B', inMask: true, path: P_MMPUT, ipis: 1 },
    { kind: TASK_IDLE, mm: null, active: 'B', inMask: false },
    { kind: TASK_USER, mm: 'A', active: 'A', inMask: true, local: 'C', path: P_FINISH_SWITCH },
    { kind: TASK_IDLE, mm: null, active: 'init', online: false },
    { kind: TASK_KTHREAD, mm: null, active: 'C', prev: 'C', path: P_MMDROP },
  ],
};

/** Every permutation of 0..n-1 (Heap's algorithm). */
function permutations(n: number): number[][] {
  const a = Array.from({ length: n }, (_, i) => i);
  const out: number[][] = [a.slice()];
  const c = new Array<number>(n).fill(0);
  for (let i = 1; i < n; ) {
    if (c[i]! < i) {
      const j = i % 2 === 0 ? 0 : c[i]!;
      [a[j], a[i]] = [a[i]!, a[j]!];
      out.push(a.slice());
      c[i]!++;
      i = 1;
    } else {
      c[i] = 0;
      i++;
    }
  }
  return out;
}

describe('abstract-state fingerprint', () => {
  const f0 = fingerprint(build(BASE));

  it('is a 32-bit unsigned hash (the int32 form has the same bits)', () => {
    expect(Number.isInteger(f0)).toBe(true);
    expect(f0).toBeGreaterThanOrEqual(0);
    expect(f0).toBeLessThan(2 ** 32);
    expect(fingerprintInt32(build(BASE)) >>> 0).toBe(f0);
  });

  it('is invariant under every renaming of the CPUs (mm_cpumask bits renamed alike)', () => {
    const perms = permutations(BASE.cpus.length);
    expect(perms).toHaveLength(720);
    for (const p of perms) expect(fingerprint(build(BASE, p))).toBe(f0);
  });

  it('ignores mm ids, slab addresses, task ids, frame pcs and IPI counts beyond "pending"', () => {
    expect(fingerprint(build(BASE, undefined, ['C', 'A', 'B']))).toBe(f0);
    expect(fingerprint(build(BASE, [5, 4, 3, 2, 1, 0], ['B', 'C', 'A'], true))).toBe(f0);
    const moved: State = { ...BASE, mms: { ...BASE.mms, A: { ...BASE.mms.A!, addr: 7 } } };
    expect(fingerprint(build(moved))).toBe(f0);
    const moreIpis: State = { ...BASE, cpus: BASE.cpus.map((c, i) => (i === 1 ? { ...c, ipis: 5 } : c)) };
    expect(fingerprint(build(moreIpis))).toBe(f0);
    // mm_users: only whether it is 0
    const manyUsers: State = { ...BASE, mms: { ...BASE.mms, A: { ...BASE.mms.A!, users: 7 } } };
    expect(fingerprint(build(manyUsers))).toBe(f0);
  });

  it('changes with each kept feature', () => {
    const cpu = (i: number, patch: Partial<CpuDesc>): State => ({ ...BASE, cpus: BASE.cpus.map((c, j) => (j === i ? { ...c, ...patch } : c)) });
    const mm = (label: string, patch: Partial<MmDesc>): State => ({ ...BASE, mms: { ...BASE.mms, [label]: { ...BASE.mms[label]!, ...patch } } });
    const variants: [string, State][] = [
      ['online', cpu(4, { online: true })],
      ['task kind', cpu(2, { kind: TASK_KTHREAD })],
      ['lazy', cpu(0, { mm: null })],
      ['active_mm stage', mm('B', { stage: MM_FREED })],
      ['active_mm is init_mm', cpu(2, { active: 'init' })],
      ['in mm_cpumask', cpu(2, { inMask: true })],
      ['rq->prev_mm', cpu(1, { prev: 'B' })],
      ['path', cpu(1, { path: P_MMDROP })],
      ['no path', cpu(1, { path: undefined })],
      ['IPIs pending', cpu(0, { ipis: 1 })],
      ['mm_users 0 vs 1', mm('B', { users: 1 })],
      ['mm_count - holders', mm('B', { count: 3 })],
      ['mm_count below holders', mm('B', { count: 1 })],
      ['holders', cpu(0, { local: 'B' })],
    ];
    const seen = new Map<number, string>([[f0, 'base']]);
    for (const [what, s] of variants) {
      const f = fingerprint(build(s));
      expect(seen.get(f), `${what} gives the same fingerprint as ${seen.get(f)}`).toBeUndefined();
      seen.set(f, what);
    }
  });

  it('is a multiset hash: two CPUs in the same state differ from one', () => {
    const one: State = {
      mms: { A: { stage: MM_LIVE, users: 1, count: 1 } },
      cpus: [
        { kind: TASK_USER, mm: 'A', active: 'A', inMask: true },
        { kind: TASK_IDLE, mm: null, active: 'init' },
        { kind: TASK_IDLE, mm: null, active: 'init' },
      ],
    };
    const two: State = { ...one, cpus: [one.cpus[0]!, one.cpus[0]!, one.cpus[2]!] };
    expect(fingerprint(build(two))).not.toBe(fingerprint(build(one)));
  });

  it('agrees with the plain statement of the abstraction on states of real runs (equal keys, equal fingerprints)', () => {
    for (const cpus of [2, 3, 8]) {
      const sim = new Simulator({
        plugin: referenceArch,
        scheme: cpus === 3 ? 'none' : 'refcount',
        cpus,
        workload: 'default',
        strategy: { kind: 'pct', depth: 3 },
      });
      const byKey = new Map<string, number>();
      const byFp = new Map<number, string>();
      for (let i = 0; i < 40; i++) {
        sim.begin(runSeed(hashString128(sim.cellId), i));
        for (let s = 0; s < 2000; s++) {
          const en = sim.enabledActors();
          if (en.length === 0 || !sim.stepActor(en[(s * 7 + i) % en.length]!)) break;
          const key = naiveKey(sim.k);
          const f = fingerprint(sim.k);
          if (byKey.has(key)) expect(byKey.get(key)).toBe(f);
          else byKey.set(key, f);
          if (byFp.has(f)) expect(byFp.get(f), 'a fingerprint collision between different abstract states').toBe(key);
          else byFp.set(f, key);
        }
        sim.end();
      }
      expect(byKey.size).toBeGreaterThan(50);
    }
  });

  it('fmix32 is a bijection-style mixer (no collisions on a range)', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 100_000; i++) seen.add(fmix32(i));
    expect(seen.size).toBe(100_000);
  });
});
