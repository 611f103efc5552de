import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { matrixErrorOf } from '../test-support/matrix-error.js';
import { memoryModelRefusal } from '@lazytlb/core';
import powerpc from '@lazytlb/arch-powerpc';
import { parseMatrixFile, parseMatrixText } from './parse-file.js';

const err = matrixErrorOf;

const GOOD_YAML = `# a matrix
arch:
  - x86-native
  - { name: x86-native, options: { cpumask: clear-on-switch } }
  - "powerpc:mmu=hash"
scheme: [refcount, { MMU_LAZY_TLB_REFCOUNT: false, MMU_LAZY_TLB_SHOOTDOWN: true }]
cpus: 4
workload: [default, { profile: exit-heavy, params: { processes: 3 } }]
strategy: "pct:3"
runs: 100
timeBudget: 30s
seed: 7
stepBudget: 20000
`;

describe('parseMatrixText', () => {
  it('parses YAML with scalars for lists, Kconfig schemes and durations', async () => {
    const m = await parseMatrixText(GOOD_YAML, 'm.yaml');
    expect(m).toEqual({
      arches: [
        { name: 'x86-native', options: {} },
        { name: 'x86-native', options: { cpumask: 'clear-on-switch' } },
        { name: 'powerpc', options: { mmu: 'hash' } },
      ],
      schemes: ['refcount', 'shootdown'],
      cpus: [4],
      workloads: [{ profile: 'default' }, { profile: 'exit-heavy', params: { processes: 3 } }],
      strategies: [{ kind: 'pct', depth: 3 }],
      runs: 100,
      timeBudgetMs: 30_000,
      seed: '7',
      stepBudget: 20000,
    });
  });

  it('parses JSON the same way', async () => {
    const json = JSON.stringify({ arch: ['reference'], scheme: 'none', cpus: [2], timeBudget: 500, runs: 3 }, null, 2);
    const m = await parseMatrixText(json, 'm.json');
    expect(m.arches).toEqual([{ name: 'reference', options: {} }]);
    expect(m.schemes).toEqual(['none']);
    expect(m.timeBudgetMs).toBe(500);
  });

  it('parses scheme options (NAME:k=v, { name, options }; default options dropped) and preemption models', async () => {
    const m = await parseMatrixText(
      'arch: reference\nscheme: [refcount, "shootdown:mask=online", { name: none }, { name: shootdown, options: { mask: cpumask } }]\npreempt: [full, rt]\n',
      'm.yaml',
    );
    expect(m.schemes).toEqual(['refcount', { name: 'shootdown', options: { mask: 'online' } }, 'none', 'shootdown']);
    expect(m.preempts).toEqual(['full', 'rt']);
  });

  it('parses memory models (a list or a scalar); absent: no memories (sc only)', async () => {
    expect((await parseMatrixText('arch: x86-native\nmemory: [sc, tso]\n', 'm.yaml')).memories).toEqual(['sc', 'tso']);
    expect((await parseMatrixText('arch: x86-native\nmemory: tso\n', 'm.yaml')).memories).toEqual(['tso']);
    expect((await parseMatrixText('{"arch": "reference", "memory": ["sc"]}', 'm.json')).memories).toEqual(['sc']);
    expect(await parseMatrixText('arch: x86-native\n', 'm.yaml')).not.toHaveProperty('memories');
  });

  it("a memory model an arch does not offer: the file, line, field, the arch and the plugin's reason (core's memoryModelRefusal)", async () => {
    const e = await err(parseMatrixText('arch:\n  - x86-native\n  - "powerpc:mmu=radix"\n  - "powerpc:mmu=hash"\nmemory: [sc, tso]\n', 'm.yaml'));
    // once per plugin, not per arch entry; x86-native offers tso
    expect(e.issues).toHaveLength(1);
    const why = memoryModelRefusal(powerpc as never, 'tso')!;
    expect(why).not.toBeNull();
    expect(e.message).toBe(
      `m.yaml:5:14: memory[1]: memory model tso is not offered by every arch of the matrix: ${why.includes('powerpc') ? why : `arch powerpc: ${why}`}`,
    );
  });

  const cases: [string, string, string, RegExp][] = [
    [
      'bad scheme option',
      'arch: reference\nscheme:\n  - { name: shootdown, options: { mask: all } }\n',
      'm.yaml:3:33: scheme[0].options',
      /invalid options for scheme shootdown: mask: .*; allowed: mask \(/,
    ],
    [
      'bad scheme option (string)',
      'arch: reference\nscheme: [refcount, "shootdown:mask=all"]\n',
      'm.yaml:2:20: scheme[1]',
      /invalid options for scheme shootdown: mask: .*; allowed: mask \(/,
    ],
    [
      'unknown scheme key',
      'arch: reference\nscheme: [{ name: shootdown, opts: {} }]\n',
      'm.yaml:2:35: scheme[0].opts',
      /unknown key "opts": allowed name, options/,
    ],
    [
      'bad preempt',
      'arch: reference\npreempt: [full, lazy]\n',
      'm.yaml:2:17: preempt[1]',
      /expected a preemption model \(CONFIG_PREEMPT_\*\): none, voluntary, full, rt/,
    ],
    ['bad field value', 'arch: reference\ncpus: [2, 0]\n', 'm.yaml:2:11: cpus[1]', /expected a CPU count/],
    // `memory` is allowed since the memory-model axis (after preempt, as the cells expand)
    [
      'unknown key',
      'arch: reference\ncpu: 2\n',
      'm.yaml:2:1: cpu',
      /unknown key "cpu": allowed arch, scheme, preempt, memory, cpus, workload, strategy, runs, timeBudget, seed, stepBudget/,
    ],
    [
      'bad memory model',
      'arch: x86-native\nmemory: [sc, pso]\n',
      'm.yaml:2:14: memory[1]',
      /expected a memory model: sc, tso \(default sc; tso: per-CPU store buffers\), got "pso"/,
    ],
    ['memory model twice', 'arch: x86-native\nmemory: [tso, sc, tso]\n', 'm.yaml:2:19: memory[2]', /tso is listed twice \(also memory\[0\]\)/],
    [
      'memory model an arch does not offer',
      'arch: [x86-native, powerpc]\nmemory: [sc, tso]\n',
      'm.yaml:2:14: memory[1]',
      /memory model tso is not offered by every arch of the matrix: .*powerpc/,
    ],
    [
      'memory model as a scalar',
      'arch: x86-paravirt\nmemory: tso\n',
      'm.yaml:2:9: memory',
      /memory model tso is not offered by every arch of the matrix: arch (plugin )?x86-paravirt/,
    ],
    ['wrong type', 'arch: reference\nruns: many\n', 'm.yaml:2:7: runs', /expected a number of runs per cell/],
    [
      'invalid Kconfig',
      'arch: reference\nscheme:\n  - refcount\n  - { MMU_LAZY_TLB_REFCOUNT: true, MMU_LAZY_TLB_SHOOTDOWN: true }\n',
      'm.yaml:4:5: scheme[1]',
      /MMU_LAZY_TLB_REFCOUNT is "def_bool y, depends on !MMU_LAZY_TLB_SHOOTDOWN"/,
    ],
    [
      'unknown strategy',
      'arch: reference\nstrategy: [random, dfs]\n',
      'm.yaml:2:20: strategy[1]',
      /invalid strategy "dfs": expected "random", "pct:D" with D in 1..16, "exhaustive" or "exhaustive:P"/,
    ],
    ['unknown nested key', 'arch: [{ name: reference, opts: {} }]\n', 'm.yaml:1:27: arch[0].opts', /unknown key "opts": allowed name, options/],
    [
      'bad arch option',
      'arch:\n  - name: x86-native\n    options:\n      cpumask: sometimes\n',
      'm.yaml:4:16: arch[0].options.cpumask',
      /invalid option for arch x86-native: .*"lazy-trim"\|"clear-on-switch"/,
    ],
    [
      'unknown arch',
      'arch: [reference, riscv]\n',
      'm.yaml:1:19: arch[1].name',
      /unknown arch "riscv". Installed arches: reference, x86-native, x86-paravirt, powerpc, arm64/,
    ],
    [
      'workload params',
      'arch: reference\nworkload: { profile: default, params: { threads: 2 } }\n',
      'm.yaml:2:41: workload.params.threads',
      /unknown key "threads": allowed processes, threadsPerProcess/,
    ],
    ['empty list', 'arch: reference\nscheme: []\n', 'm.yaml:2:9: scheme', /must not be empty/],
    ['bad duration', 'arch: reference\ntimeBudget: 2 minutes\n', 'm.yaml:2:13: timeBudget', /invalid duration "2 minutes"/],
    ['syntax', 'arch: [reference\ncpus: 2\n', 'm.yaml:', /YAML syntax error/],
    ['not a mapping', '- a\n- b\n', 'm.yaml:1:1: (root)', /expected a mapping/],
  ];
  it.each(cases)('YAML %s: names file, line, column, field and what is allowed', async (_name, text, where, re) => {
    const e = await err(parseMatrixText(text, 'm.yaml'));
    expect(e.message).toContain(where);
    expect(e.message).toMatch(re);
    expect(e.issues[0]!.line).toBeGreaterThan(0);
  });

  const json: [string, string, string, RegExp][] = [
    ['bad field value', '{\n  "arch": "reference",\n  "cpus": [2, 0]\n}\n', 'm.json:3:15: cpus[1]', /expected a CPU count/],
    ['unknown key', '{\n  "arch": "reference",\n  "cpu": 2\n}\n', 'm.json:3:3: cpu', /unknown key "cpu"/],
    ['wrong type', '{\n  "arch": "reference",\n  "runs": "many"\n}\n', 'm.json:3:11: runs', /expected a number of runs/],
    [
      'invalid Kconfig',
      '{\n  "arch": "reference",\n  "scheme": {"MMU_LAZY_TLB_REFCOUNT": true, "MMU_LAZY_TLB_SHOOTDOWN": true}\n}\n',
      'm.json:3:13: scheme',
      /depends on !MMU_LAZY_TLB_SHOOTDOWN/,
    ],
    ['unknown strategy', '{\n  "arch": "reference",\n  "strategy": ["random", "pct:x"]\n}\n', 'm.json:3:26: strategy[1]', /invalid strategy "pct:x"/],
    ['syntax', '{\n  "arch": "reference",\n  "cpus": [2,\n}\n', 'm.json:', /JSON syntax error/],
  ];
  it.each(json)('JSON %s: names file, line, column, field and what is allowed', async (_name, text, where, re) => {
    const e = await err(parseMatrixText(text, 'm.json'));
    expect(e.message).toContain(where);
    expect(e.message).toMatch(re);
  });

  it('reports every problem at once', async () => {
    const e = await err(parseMatrixText('arch: reference\ncpus: 0\nruns: -1\nfoo: 1\n', 'm.yaml'));
    expect(e.issues.map((i) => i.field)).toEqual(expect.arrayContaining(['cpus', 'runs', 'foo']));
    expect(e.message).toMatch(/^invalid matrix \(3 problems\)/);
  });
});

describe('parseMatrixFile', () => {
  it('reads a file and names it in errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lazytlb-matrix-'));
    const good = join(dir, 'good.yaml');
    writeFileSync(good, GOOD_YAML);
    expect((await parseMatrixFile(good)).runs).toBe(100);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"arch": "reference", "scheme": "lazy"}');
    const e = await err(parseMatrixFile(bad));
    expect(e.message).toContain(`${bad}:1:33: scheme`);
    const missing = await err(parseMatrixFile(join(dir, 'nope.yaml')));
    expect(missing.message).toMatch(/cannot read the matrix file/);
  });
});
