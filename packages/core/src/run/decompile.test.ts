import { describe, expect, it } from 'vitest';
import * as C from '../machine/constants.js';
import { hashString128, runSeed, type RunSeed } from '../prng/seed.js';
import { referenceArch } from '../reference-arch/reference-arch.js';
import { Simulator, type SimulatorOptions } from './simulator.js';
import { explicitFromRun } from '../test-support/app-explicit.js';
import { referenceVariant } from '../test-support/reference-variant.js';
import { thrown } from '../test-support/thrown.js';
import { decompileRun, decompileTasks, explicitWorkloadOf, traceNames } from './decompile.js';
import type { ExplicitWorkloadInput } from '../workload/explicit.js';
import { canonicalOpWord, decodeOp, encodeOp, formatOp, parseOp } from '../workload/ops.js';
import { PROFILE_NAMES } from '../workload/profiles.js';

/** A guest arch (vCPU preemption) for the vcpuPreemptions field. */
const guest = referenceVariant('guest', () => ({ vcpu_preempt() {}, vcpu_resume() {} }), { vcpuPreemption: true });

function sim(opts: Omit<SimulatorOptions, 'plugin' | 'scheme'>, plugin = referenceArch): Simulator {
  return new Simulator({ plugin, scheme: 'refcount', ...opts });
}

const seedOf = (s: Simulator, i: number): RunSeed => runSeed(hashString128(s.cellId), i);

/** Each task's program words right after begin(). */
function programs(s: Simulator, seed: RunSeed): number[][] {
  s.begin(seed);
  const k = s.k;
  const out: number[][] = [];
  for (let t = k.ncpu; t < k.ntasks; t++) out.push(Array.from(k.prog.subarray(k.taskPc[t]!, k.taskEnd[t]!)));
  s.end();
  return out;
}

/** A hand-written workload that uses every op of the grammar (bare sleep and leniencies too). */
const EVERY_OP: ExplicitWorkloadInput = {
  tasks: [
    {
      name: 'A',
      kind: 'user',
      cpu: 0,
      mm: 'app',
      program: [
        'run',
        'clone A.t1',
        'fork child',
        'use_mm_setup worker',
        'io_uring_setup iowq ringexit',
        'munmap',
        'munmap freed-tables',
        'mremap',
        'membarrier_register',
        'membarrier',
        'text_poke',
        'sleep',
        'sleep 1',
        'yield',
        'migrate 2',
        'run  now',
        'munmap all',
      ],
    },
    { name: 'A.t1', kind: 'user', cpu: 1, unstarted: true, program: ['run', 'exec', 'exit'] },
    { name: 'child', kind: 'user', cpu: 2, unstarted: true, program: ['exec', 'run'] },
    { name: 'worker', kind: 'kthread', cpu: 1, unstarted: true, program: ['kthread_use_mm', 'kwork', 'kthread_unuse_mm', 'sleep 0x1'] },
    { name: 'iowq', kind: 'user', cpu: 0, unstarted: true, program: ['kwork', 'sleep 2'] },
    { name: 'ringexit', kind: 'kthread', cpu: 2, unstarted: true, program: ['io_ring_exit'] },
    { name: 'helper', kind: 'kthread', cpu: 1, program: ['kwork', 'kernel_execve', 'run'] },
    { name: 'khugepaged', kind: 'kthread', cpu: 2, program: ['khugepaged app', 'sleep 0', 'reclaim other'] },
    { name: 'other.1', kind: 'user', cpu: 1, mm: 'other', program: ['run'] },
    { name: 'kworker', kind: 'kthread', cpu: 0, program: ['suspend'] },
    { name: 'ctl', kind: 'kthread', cpu: 0, program: ['kwork', 'cpu_down hp', 'cpu_up 2'] },
    { name: 'hp', kind: 'kthread', cpu: 2, unstarted: true, program: ['cpuhp'] },
  ],
  tickPreemptions: 3,
  vcpuPreemptions: 2,
  deepIdles: 1,
};

describe('decompiler', () => {
  it('compile -> decompile -> compile is the identity on an explicit workload using every op; names and canonical strings come back', () => {
    const a = sim({ cpus: 3, workload: { explicit: EVERY_OP } }, guest);
    const seed = seedOf(a, 0);
    const w = decompileRun(a, seed);
    const back = explicitWorkloadOf(w);
    // The canonical strings of the input (the loader's implicit exit written out).
    expect(back.tasks.map((t) => t.program)).toEqual(
      EVERY_OP.tasks.map((t) => {
        const p = (t.program ?? []).map((s) => formatOp(parseOp(s)).replace(/^sleep$/, `sleep ${t.cpu}`));
        return p[p.length - 1] === 'exit' || p[0] === 'cpuhp' ? p : [...p, 'exit'];
      }),
    );
    expect(back.tasks.map((t) => [t.name, t.kind, t.cpu, t.mm, t.unstarted])).toEqual(EVERY_OP.tasks.map((t) => [t.name, t.kind, t.cpu, t.mm, t.unstarted]));
    expect([back.tickPreemptions, back.vcpuPreemptions, back.deepIdles]).toEqual([3, 2, 1]);
    const b = sim({ cpus: 3, workload: { explicit: back } }, guest);
    expect(programs(b, seed)).toEqual(programs(a, seed));
    expect(explicitWorkloadOf(decompileRun(b, seed))).toEqual(back);
  });

  it('for generated workloads of every profile, decompiling and recompiling gives the same bytecode (kwork words lose only argument bits the model never reads)', () => {
    let words = 0;
    let kworkArgs = 0;
    let andCommand = 0;
    for (const profile of PROFILE_NAMES) {
      for (const cpus of [1, 2, 4]) {
        for (const swarm of [undefined, 0.5]) {
          const s = sim({ cpus, workload: { profile, params: swarm !== undefined ? { swarm } : {} } });
          for (let i = 0; i < 15; i++) {
            s.begin(seedOf(s, i));
            const k = s.k;
            const names = traceNames(k);
            const refs = (t: number) => ({
              cpu: k.taskCpu[t]!,
              taskId: (n: string) => Number(n.slice(1)),
              mmId: (n: string) => Number(n.slice(2)),
            });
            const tasks = decompileTasks(k, names);
            for (const task of tasks) {
              const raw = Array.from(k.prog.subarray(k.taskPc[task.id]!, k.taskEnd[task.id]!));
              const again = task.program.map((op) => encodeOp(op, refs(task.id)));
              expect(again).toEqual(raw.map(canonicalOpWord));
              raw.forEach((w, j) => {
                if (again[j] !== w) {
                  expect(w & C.OP_MASK).toBe(C.OP_KWORK);
                  kworkArgs++;
                }
                if (task.program[j]!.op === 'membarrier_register' && 'andCommand' in task.program[j]!) andCommand++;
                expect(decodeOp(w, names)).toEqual(task.program[j]);
              });
              words += raw.length;
            }
            s.end();
          }
        }
      }
    }
    expect(words).toBeGreaterThan(20_000);
    expect(kworkArgs).toBeGreaterThan(0);
    expect(andCommand).toBeGreaterThan(0);
  });

  it("a generated workload made explicit is what the sweep app's explicitFromRun gave but for membarrier_register_and_command (which it wrote membarrier_register), and compiles back to the same bytecode", () => {
    let combined = 0;
    for (const profile of PROFILE_NAMES) {
      for (const [plugin, cpus] of [
        [referenceArch, 2],
        [guest, 3],
        [referenceArch, 4],
      ] as const) {
        const s = sim({ cpus, workload: profile }, plugin);
        for (let i = 0; i < 10; i++) {
          const seed = seedOf(s, i);
          const got = explicitWorkloadOf(decompileRun(s, seed));
          const want = explicitFromRun(s, seed);
          combined += got.tasks.reduce((n, t) => n + (t.program ?? []).filter((op) => op === 'membarrier_register_and_command').length, 0);
          const old = {
            ...got,
            tasks: got.tasks.map((t) => ({
              ...t,
              program: (t.program ?? []).map((op) => (op === 'membarrier_register_and_command' ? 'membarrier_register' : op)),
            })),
          };
          expect(JSON.stringify(old)).toBe(JSON.stringify(want)); // key order too
          expect(explicitWorkloadOf(decompileRun(s, seed), { lossy: true })).toEqual(got);
          const e = sim({ cpus, workload: { explicit: got } }, plugin);
          const gen = programs(s, seed);
          const exp = programs(e, seed);
          expect(exp.length).toBe(gen.length);
          exp.forEach((p, t) => {
            // The loader writes the exit a cpuhp thread's generated program lacks.
            const g = gen[t]!.map(canonicalOpWord);
            expect(p).toEqual(g.length === 1 && g[0] === C.OP_CPUHP ? [C.OP_CPUHP, C.OP_EXIT] : g);
          });
        }
      }
    }
    expect(combined).toBeGreaterThan(0);
  });

  it('a generated run and the same run of its decompiled workload are the same run (membarrier ops included): outcome, steps, decisions', () => {
    const params = { ops: { run: 2, munmap: 1, munmapFreeTables: 0, munmapAll: 0, sleep: 1, yield: 1, migrate: 1, mremap: 0, textPoke: 0, membarrier: 3 } };
    let withCommand = 0;
    for (const cpus of [2, 3]) {
      const s = sim({ cpus, workload: { profile: 'default', params } });
      for (let i = 0; i < 40; i++) {
        const seed = seedOf(s, i);
        const w = explicitWorkloadOf(decompileRun(s, seed));
        if (w.tasks.some((t) => (t.program ?? []).includes('membarrier_register_and_command'))) withCommand++;
        const gen = s.run(seed, { keepDecisions: true });
        const e = sim({ cpus, workload: { explicit: w } });
        const exp = e.run(seed, { decisions: gen.decisions!, keepDecisions: true });
        expect([exp.outcome, exp.steps, exp.violation?.invariant, Array.from(exp.decisions!)]).toEqual([
          gen.outcome,
          gen.steps,
          gen.violation?.invariant,
          Array.from(gen.decisions!),
        ]);
      }
    }
    expect(withCommand).toBeGreaterThan(20);
  });

  it('trace names refuse an id outside the task table', () => {
    const s = sim({ cpus: 2, workload: 'default' });
    s.begin(seedOf(s, 0));
    expect(thrown(() => traceNames(s.k).task(0)).message).toMatch(/task 0 is not in the task table/);
    s.end();
  });
});
