import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { OpWeights, WorkloadParams } from './params.js';
import { PROFILE_NAMES, resolveWorkload, WorkloadSpec } from './profiles.js';

function zodIssues(f: () => unknown): ZodError['issues'] {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ZodError);
    return (e as ZodError).issues;
  }
  throw new Error('expected a ZodError, none was thrown');
}

function zodError(f: () => unknown): ZodError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ZodError);
    return e as ZodError;
  }
  throw new Error('expected a ZodError, none was thrown');
}

const IDLE_HEAVY_OPS = { run: 1, munmap: 0.3, munmapFreeTables: 0.2, munmapAll: 0, sleep: 6, yield: 1, migrate: 2, mremap: 0, membarrier: 0, textPoke: 0 };

describe('profiles', () => {
  it("has the four profiles model-spec §5 asks for, plus hotplug and pingpong (the §7.9 reproducer's shape)", () => {
    expect([...PROFILE_NAMES].sort()).toEqual(['default', 'exit-heavy', 'hotplug', 'idle-heavy', 'kthread-heavy', 'pingpong']);
  });

  it.each(PROFILE_NAMES)('resolveWorkload("%s") returns params that validate, unchanged, against WorkloadParams', (name) => {
    const r = resolveWorkload(name);
    expect(r.profile).toBe(name);
    expect(WorkloadParams.parse(r.params)).toEqual(r.params);
    // Every field is present (nothing left to defaults the profile did not choose), except the
    // optional ones that are absent unless given (so cells without them keep their canonical JSON).
    const optional = new Set(['hotplugs', 'swarm']);
    const required = Object.keys(WorkloadParams.shape).filter((key) => !optional.has(key));
    expect(
      Object.keys(r.params)
        .filter((key) => !optional.has(key))
        .sort(),
    ).toEqual(required.sort());
    expect('swarm' in r.params).toBe(false);
    expect(Object.keys(r.params.ops).sort()).toEqual(Object.keys(OpWeights.shape).sort());
  });

  it('the string form and the object form resolve to the same workload', () => {
    for (const name of PROFILE_NAMES) expect(resolveWorkload({ profile: name })).toEqual(resolveWorkload(name));
  });

  it('a parameter renamed since 0.1 gets a message naming the new one', () => {
    expect(() => resolveWorkload({ profile: 'default', params: { ioWorkers: 2 } } as never)).toThrow(
      /"ioWorkers" was renamed in lazytlb 0\.2: use useMmWorkers/,
    );
  });

  it("an override of an optional parameter keeps the profile's other new parameters (not their defaults)", () => {
    const d = resolveWorkload('default').params;
    const r = resolveWorkload({ profile: 'default', params: { swarm: 0.5 } }).params;
    expect({ ...r, swarm: undefined }).toEqual({ ...d, swarm: undefined });
    expect(d.ioUring).toBeGreaterThan(0);
    expect(d.deepIdles).toBeGreaterThan(0);
  });

  it('profiles differ in the way their names promise', () => {
    const d = resolveWorkload('default').params;
    const exit = resolveWorkload('exit-heavy').params;
    const kt = resolveWorkload('kthread-heavy').params;
    const idle = resolveWorkload('idle-heavy').params;
    expect(exit.processes).toBeGreaterThan(d.processes);
    expect(kt.useMmWorkers).toBeGreaterThan(d.useMmWorkers);
    expect(kt.useMmRounds).toBeGreaterThan(d.useMmRounds);
    expect(idle.threadsPerProcess).toBe(8);
    expect(idle.ops.sleep).toBeGreaterThan(d.ops.sleep);
    expect(idle.ops).toEqual(IDLE_HEAVY_OPS);
  });

  it('an empty spec is the default profile', () => {
    expect(resolveWorkload({})).toEqual(resolveWorkload('default'));
  });

  it('rejects an unknown profile name, listing the profiles', () => {
    const issues = zodIssues(() => resolveWorkload('heavy'));
    expect(issues[0]!.path).toEqual(['profile']);
    for (const name of PROFILE_NAMES) expect(issues[0]!.message).toContain(name);
  });
});

describe('resolveWorkload overrides', () => {
  it('a scalar override replaces only that field', () => {
    const base = resolveWorkload('exit-heavy').params;
    const r = resolveWorkload({ profile: 'exit-heavy', params: { processes: 1, execRate: 1 } });
    expect(r.profile).toBe('exit-heavy');
    expect(r.params).toEqual({ ...base, processes: 1, execRate: 1 });
  });

  it('an override of the default profile keeps the other params', () => {
    const base = resolveWorkload('default').params;
    expect(resolveWorkload({ params: { kthreads: 0 } }).params).toEqual({ ...base, kthreads: 0 });
  });

  it('a nested ops override on the default profile replaces only that weight', () => {
    const base = resolveWorkload('default').params;
    const r = resolveWorkload({ profile: 'default', params: { ops: { migrate: 9 } } });
    expect(r.params).toEqual({ ...base, ops: { ...base.ops, migrate: 9 } });
  });

  it('a full ops override replaces all weights', () => {
    const ops = { run: 1, munmap: 0, munmapFreeTables: 0, munmapAll: 0, sleep: 0, yield: 0, migrate: 0, mremap: 0, membarrier: 0, textPoke: 0 };
    expect(resolveWorkload({ profile: 'idle-heavy', params: { ops } }).params.ops).toEqual(ops);
  });

  // Regression: a partial `ops` override used to reset resets the profile's other weights to the global OpWeights
  // defaults. WorkloadSpec's params.ops is `OpWeights.partial()`, whose fields keep their
  // `.default(...)`s, and zod 4 applies defaults inside optional fields: { sleep: 5 } parses to
  // { run: 3, munmap: 2, munmapFreeTables: 1, munmapAll: 0.2, sleep: 5, yield: 1, migrate: 1 }, which
  // then overwrites idle-heavy's own weights (run 1, munmap 0.3, ..., migrate 2) in the merge.
  it("a nested ops override keeps the profile's other weights (idle-heavy)", () => {
    const r = resolveWorkload({ profile: 'idle-heavy', params: { ops: { sleep: 5 } } });
    expect(r.params.ops).toEqual({ ...IDLE_HEAVY_OPS, sleep: 5 });
  });

  // Same bug, seen through the parsed spec itself: fields the user did not give appear.
  it('WorkloadSpec does not invent ops weights the user did not give', () => {
    const s = WorkloadSpec.parse({ profile: 'kthread-heavy', params: { ops: { run: 7 } } });
    expect(s.params?.ops).toEqual({ run: 7 });
  });

  it('overrides do not leak into later resolutions', () => {
    resolveWorkload({ profile: 'default', params: { processes: 8, ops: { run: 100 } } });
    expect(resolveWorkload('default').params.processes).toBe(2);
    expect(resolveWorkload('default').params.ops.run).toBe(3);
  });
});

describe('resolveWorkload rejects invalid overrides with the field path', () => {
  const cases: [string, unknown, (string | number)[], string][] = [
    ['processes 0', { params: { processes: 0 } }, ['params', 'processes'], '>=1'],
    ['processes 9', { params: { processes: 9 } }, ['params', 'processes'], '<=8'],
    ['fractional threadsPerProcess', { params: { threadsPerProcess: 1.5 } }, ['params', 'threadsPerProcess'], 'expected int'],
    ['execRate above 1', { params: { execRate: 1.5 } }, ['params', 'execRate'], '<=1'],
    ['negative op weight', { params: { ops: { run: -1 } } }, ['params', 'ops', 'run'], '>=0'],
    ['negative nested weight on another profile', { profile: 'idle-heavy', params: { ops: { migrate: -0.5 } } }, ['params', 'ops', 'migrate'], '>=0'],
    ['string where a number is expected', { params: { kthreads: '2' } }, ['params', 'kthreads'], 'number'],
  ];
  it.each(cases)('%s', (_label, spec, path, why) => {
    const e = zodError(() => resolveWorkload(spec as WorkloadSpec));
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]!.path).toEqual(path);
    expect(e.issues[0]!.message).toContain(why);
    // The thrown error's own message carries the path too (what a CLI would print).
    for (const part of path) expect(e.message).toContain(JSON.stringify(part));
  });

  it('an unknown key in params is named', () => {
    const issues = zodIssues(() => resolveWorkload({ params: { proceses: 2 } } as unknown as WorkloadSpec));
    expect(issues[0]!.code).toBe('unrecognized_keys');
    expect(issues[0]!.path).toEqual(['params']);
    expect(issues[0]!.message).toContain('proceses');
  });

  it('an unknown op weight is named', () => {
    const issues = zodIssues(() => resolveWorkload({ params: { ops: { fork: 1 } } } as unknown as WorkloadSpec));
    expect(issues[0]!.code).toBe('unrecognized_keys');
    expect(issues[0]!.path).toEqual(['params', 'ops']);
    expect(issues[0]!.message).toContain('fork');
  });

  it('an unknown top-level key is named', () => {
    const issues = zodIssues(() => resolveWorkload({ profile: 'default', cpus: 4 } as unknown as WorkloadSpec));
    expect(issues[0]!.code).toBe('unrecognized_keys');
    expect(issues[0]!.path).toEqual([]);
    expect(issues[0]!.message).toContain('cpus');
  });

  it('reports every bad field at once', () => {
    const issues = zodIssues(() => resolveWorkload({ params: { processes: 0, opsPerTask: 65 } }));
    expect(issues.map((i) => i.path.join('.')).sort()).toEqual(['params.opsPerTask', 'params.processes']);
  });
});

describe('WorkloadParams', () => {
  it('fills op weights with their documented defaults when ops is omitted', () => {
    const { ops: _ops, ...rest } = resolveWorkload('default').params;
    const p = WorkloadParams.parse(rest);
    expect(p.ops).toEqual({ run: 3, munmap: 2, munmapFreeTables: 1, munmapAll: 0.2, sleep: 3, yield: 1, migrate: 1, mremap: 0, membarrier: 0, textPoke: 0 });
  });

  it('requires every scalar field', () => {
    const { processes: _p, ...rest } = resolveWorkload('default').params;
    const r = WorkloadParams.safeParse(rest);
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(['processes']);
  });
});
