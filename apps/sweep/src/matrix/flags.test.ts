import { describe, expect, it } from 'vitest';
import { matrixErrorOf } from '../test-support/matrix-error.js';
import { memoryModelRefusal } from '@lazytlb/core';
import powerpc from '@lazytlb/arch-powerpc';
import x86Paravirt from '@lazytlb/arch-x86-paravirt';
import { matrixFromFlags } from './flags.js';

const err = matrixErrorOf;

describe('matrixFromFlags', () => {
  it('builds a spec with coercion, comma lists and repeated flags', async () => {
    const m = await matrixFromFlags({
      arch: ['x86-native:cpumask=clear-on-switch,invlpgb=true', 'reference'],
      scheme: ['refcount,none'],
      cpus: ['2', '4,8'],
      workload: ['default', '{"profile":"exit-heavy","params":{"processes":3}}'],
      strategy: ['random', 'pct:3'],
      runs: '50',
      timeBudget: '2m',
      seed: 'abc',
      stepBudget: '5000',
    });
    expect(m).toEqual({
      arches: [
        { name: 'x86-native', options: { cpumask: 'clear-on-switch', invlpgb: true } },
        { name: 'reference', options: {} },
      ],
      schemes: ['refcount', 'none'],
      cpus: [2, 4, 8],
      workloads: [{ profile: 'default' }, { profile: 'exit-heavy', params: { processes: 3 } }],
      strategies: [{ kind: 'random' }, { kind: 'pct', depth: 3 }],
      runs: 50,
      timeBudgetMs: 120_000,
      seed: 'abc',
      stepBudget: 5000,
    });
  });

  it('--scheme NAME:k=v (commas inside options) and --preempt', async () => {
    const m = await matrixFromFlags({ arch: ['reference'], scheme: ['refcount,shootdown:mask=online', 'none'], preempt: ['full,rt'] });
    expect(m.schemes).toEqual(['refcount', { name: 'shootdown', options: { mask: 'online' } }, 'none']);
    expect(m.preempts).toEqual(['full', 'rt']);
    // default options are dropped: the bare scheme
    expect((await matrixFromFlags({ arch: ['reference'], scheme: ['shootdown:mask=cpumask'] })).schemes).toEqual(['shootdown']);
  });

  it('--memory: repeatable and comma-separated, into the memories axis', async () => {
    const m = await matrixFromFlags({ arch: ['x86-native'], memory: ['sc', ' tso '] });
    expect(m.memories).toEqual(['sc', 'tso']);
    expect((await matrixFromFlags({ arch: ['x86-native'], memory: ['sc,tso'] })).memories).toEqual(['sc', 'tso']);
    expect(await matrixFromFlags({ arch: ['x86-native'] })).not.toHaveProperty('memories');
    // sc alone is offered by every arch (ABI v1 plugins included)
    expect((await matrixFromFlags({ arch: ['powerpc', 'arm64', 'reference', 'x86-paravirt'], memory: ['sc'] })).memories).toEqual(['sc']);
  });

  it("--arch powerpc --memory tso: a usage error naming the flag, the arch and the plugin's reason (core's memoryModelRefusal)", async () => {
    const e = await err(matrixFromFlags({ arch: ['powerpc'], memory: ['tso'] }));
    const why = memoryModelRefusal(powerpc as never, 'tso')!;
    expect(why).not.toBeNull();
    expect(e.message).toBe(
      `command line: --memory tso: memory model tso is not offered by every arch of the matrix: ${why.includes('powerpc') ? why : `arch powerpc: ${why}`}`,
    );
    // every arch that refuses it is named, each once; x86-native (which offers tso) is not
    const two = await err(matrixFromFlags({ arch: ['x86-native', 'x86-paravirt:backend=kvm', 'x86-paravirt:backend=xen', 'arm64'], memory: ['sc,tso'] }));
    expect(two.issues.map((i) => i.field)).toEqual(['--memory tso', '--memory tso']);
    expect(two.issues[0]!.message).toContain(memoryModelRefusal(x86Paravirt as never, 'tso')!);
    expect(two.issues[1]!.message).toMatch(/arm64/);
    expect(two.message).not.toMatch(/arch (plugin )?x86-native /);
  });

  it.each([
    [{ memory: ['pso'] }, /^command line: --memory pso: expected a memory model: sc, tso \(default sc; tso: per-CPU store buffers\), got "pso"$/],
    [{ memory: ['tso,sc,tso'] }, /--memory tso: tso is listed twice \(also memory\[0\]\)$/],
    [
      { scheme: ['refcnt'] },
      /^command line: --scheme refcnt: unknown scheme "refcnt": known schemes refcount, shootdown, none, hazptr, lazy-mm-scan, implicit-shootdown \(options: shootdown: mask=cpumask\|online; hazptr: .*; refcount, none: no options\); load another with --plugin PATH .* or install @lazytlb\/scheme-NAME/,
    ],
    [
      { scheme: ['shootdown:mask=all'] },
      /--scheme shootdown:mask=all: invalid options for scheme shootdown: mask: .*"cpumask"\|"online".*; allowed: mask \(CPUs cleanup_lazy_tlbs\(\) IPIs/,
    ],
    [
      { scheme: ['refcount:mask=online'] },
      /--scheme refcount:mask=online: invalid options for scheme refcount: .*mask.*; allowed: none \(this scheme takes no options\)/,
    ],
    [{ scheme: ['shootdown:mask'] }, /--scheme shootdown:mask: invalid scheme "shootdown:mask": option "mask" is not key=value/],
    [{ preempt: ['lazy'] }, /--preempt lazy: expected a preemption model \(CONFIG_PREEMPT_\*\): none, voluntary, full, rt \(default full\), got "lazy"/],
    [
      { scheme: ['shootdown', 'shootdown:mask=cpumask'] },
      /--scheme shootdown:mask=cpumask: shootdown is listed twice \(also scheme\[0\]; default options are dropped\)/,
    ],
    [{ preempt: ['full,rt,full'] }, /--preempt full: full is listed twice \(also preempt\[0\]\)$/],
    [{ scheme: ['refcount:mask=online'] }, /: invalid options for scheme refcount: Unrecognized key: "mask"; allowed: none/],
    [{ cpus: ['two'] }, /--cpus two: expected a CPU count/],
    [{ cpus: ['64'] }, /--cpus 64: at most 32 CPUs/],
    [{ strategy: ['pct:99'] }, /--strategy pct:99: invalid strategy "pct:99": expected "random", "pct:D" with D in 1..16, "exhaustive" or "exhaustive:P"/],
    [{ strategy: ['dfs'] }, /--strategy dfs: invalid strategy "dfs"/],
    [{ workload: ['heavy'] }, /--workload heavy: unknown workload profile "heavy": allowed default, exit-heavy/],
    [{ workload: ['{"profile":"default","params":{"processes":99}}'] }, /--workload .*params\.processes/],
    [{ workload: ['{oops'] }, /--workload: invalid JSON/],
    [{ runs: '0' }, /--runs: expected an integer from 1 to 9007199254740991/],
    [{ runs: '9007199254740992' }, /--runs: expected an integer from 1 to 9007199254740991 \(2\^53 - 1\)$/],
    [{ timeBudget: 'soon' }, /--time-budget: invalid duration "soon"/],
    [{ arch: ['x86-native:cpumask'] }, /--arch x86-native:cpumask: .*not key=value/],
    [
      { arch: ['x86-native:cpumask=sometimes'] },
      /--arch x86-native:cpumask=sometimes \(options\.cpumask\): invalid option for arch x86-native: Invalid option: expected one of "lazy-trim"\|"clear-on-switch"/,
    ],
    [{ arch: ['x86-native:bogus=1'] }, /invalid option for arch x86-native: .*bogus.*options of x86-native: release, cpumask, invlpgb/],
    [{ arch: ['nosuch'] }, /--arch nosuch \(name\): unknown arch "nosuch". Installed arches: reference, x86-native, x86-paravirt, powerpc, arm64/],
  ])('names the flag and what is allowed: %j', async (flags, re) => {
    const e = await err(matrixFromFlags(flags));
    expect(e.source).toBe('command line');
    expect(e.message).toMatch(re);
  });
});
