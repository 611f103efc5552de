/**
 * The shrink passes, one per dimension (pass.ts for the interface). Each offers candidates in a
 * fixed order and goes on from whatever the runner accepted:
 *
 * - decisions: chunks of the decision list removed, chunk sizes halving down to 1 (after an
 *   acceptance the same position is tried again), then every decision of one actor dropped,
 *   highest actor first;
 * - options: simpler arch option sets one change away (options.ts), listed again after each
 *   acceptance;
 * - cpus: CPU x removed, highest first, renumbering the ones above it: together with the tasks
 *   that start on it (and its actors' decisions), or else moving its tasks and actors to x-1
 *   (or 0); CPUs map to actors by core's ACTORS_PER_CPU;
 * - tasks: each task removed (last first, so earlier names stay put), or else removed with the
 *   children it forks or clones started at boot instead;
 * - ops: each op removed (last task first, last op first; never a task's final exit);
 * - simplify-ops: each op replaced by its simpler variants, simplest first (workload.ts's
 *   simplerOps, by its total order opComplexity: 'munmap all' by 'munmap', then by 'munmap
 *   freed-tables'; 'munmap freed-tables' by 'munmap'; 'membarrier_register_and_command' by
 *   'membarrier_register'), last task first, last op first; the first variant accepted stays;
 * - budgets: no tick preemptions, no vCPU preemptions, no deep-idle entries.
 *
 * The workload passes offer nothing while the workload is still the artifact's generated one.
 */
import { constants as C } from '@lazytlb/core';
import { type OptionSpace, simplerOptionCandidates } from './options.js';
import type { CandidateStream, ShrinkPass, ShrinkSubject } from './pass.js';
import { remapCpus, removeOp, removeTask, removeTaskStartingChildren, replaceOp, simplerOps } from './workload.js';

export const decisionsPass: ShrinkPass = {
  name: 'decisions',
  *candidates<S extends ShrinkSubject>(current: S): CandidateStream<S> {
    let cur = current;
    for (let chunk = Math.max(1, cur.decisions.length >> 1); chunk >= 1; chunk >>= 1) {
      for (let i = 0; i < cur.decisions.length; ) {
        const d = cur.decisions;
        const cand = new Uint8Array(d.length - Math.min(chunk, d.length - i));
        cand.set(d.subarray(0, i));
        cand.set(d.subarray(Math.min(d.length, i + chunk)), i);
        const got = yield { decisions: cand };
        if (got !== undefined) cur = got;
        else i += chunk;
      }
    }
    for (const a of [...new Set(cur.decisions)].sort((x, y) => y - x)) {
      const got = yield { decisions: cur.decisions.filter((x) => x !== a) };
      if (got !== undefined) cur = got;
    }
  },
};

/** Simpler arch options, one change at a time (same CPUs, workload and decisions). */
export function optionsPass(space: OptionSpace): ShrinkPass {
  return {
    name: 'options',
    *candidates<S extends ShrinkSubject>(current: S): CandidateStream<S> {
      let cur = current;
      relist: for (;;) {
        for (const archOptions of simplerOptionCandidates(space, cur.archOptions)) {
          const got = yield { decisions: cur.decisions, archOptions };
          if (got !== undefined) {
            cur = got;
            continue relist; // the candidates depend on the options
          }
        }
        return;
      }
    },
  };
}

const cpuOfActor = (a: number): number => Math.floor(a / C.ACTORS_PER_CPU);

export const cpusPass: ShrinkPass = {
  name: 'cpus',
  *candidates<S extends ShrinkSubject>(current: S): CandidateStream<S> {
    let cur = current;
    if (cur.workload === null) return;
    for (let x = cur.cpus - 1; x >= 0 && cur.cpus > 1; x--) {
      const w = cur.workload!;
      const n = cur.cpus - 1;
      const map = (cpu: number): number => (cpu === x ? Math.max(0, Math.min(x - 1, n - 1)) : cpu > x ? cpu - 1 : cpu);
      const remapActor = (a: number): number => map(cpuOfActor(a)) * C.ACTORS_PER_CPU + (a % C.ACTORS_PER_CPU);
      const onX = w.tasks.flatMap((t, i) => (t.cpu === x ? [i] : []));
      if (onX.length > 0 && onX.length < w.tasks.length) {
        let without = w;
        for (let i = onX.length - 1; i >= 0; i--) without = removeTask(without, onX[i]!);
        const got = yield { cpus: n, workload: remapCpus(without, map), decisions: cur.decisions.filter((a) => cpuOfActor(a) !== x).map(remapActor) };
        if (got !== undefined) {
          cur = got;
          continue;
        }
      }
      const got = yield { cpus: n, workload: remapCpus(w, map), decisions: cur.decisions.map(remapActor) };
      if (got !== undefined) cur = got;
    }
  },
};

export const tasksPass: ShrinkPass = {
  name: 'tasks',
  *candidates<S extends ShrinkSubject>(current: S): CandidateStream<S> {
    let cur = current;
    if (cur.workload === null) return;
    for (let i = cur.workload.tasks.length - 1; i >= 0; i--) {
      const w = cur.workload!;
      if (w.tasks.length <= 1 || i >= w.tasks.length) continue;
      const got = yield { workload: removeTask(w, i), decisions: cur.decisions };
      if (got !== undefined) {
        cur = got;
        continue;
      }
      const promoted = removeTaskStartingChildren(w, i);
      if (promoted === null) continue;
      const again = yield { workload: promoted, decisions: cur.decisions };
      if (again !== undefined) cur = again;
    }
  },
};

export const opsPass: ShrinkPass = {
  name: 'ops',
  *candidates<S extends ShrinkSubject>(current: S): CandidateStream<S> {
    let cur = current;
    if (cur.workload === null) return;
    for (let i = cur.workload.tasks.length - 1; i >= 0; i--) {
      for (let j = (cur.workload!.tasks[i]?.program.length ?? 0) - 1; j >= 0; j--) {
        const prog = cur.workload!.tasks[i]!.program;
        if (j >= prog.length || (j === prog.length - 1 && prog[j]!.op === 'exit')) continue;
        const got = yield { workload: removeOp(cur.workload!, i, j), decisions: cur.decisions };
        if (got !== undefined) cur = got;
      }
    }
  },
};

export const simplifyOpsPass: ShrinkPass = {
  name: 'simplify-ops',
  *candidates<S extends ShrinkSubject>(current: S): CandidateStream<S> {
    let cur = current;
    if (cur.workload === null) return;
    for (let i = cur.workload.tasks.length - 1; i >= 0; i--) {
      for (let j = (cur.workload!.tasks[i]?.program.length ?? 0) - 1; j >= 0; j--) {
        const op = cur.workload!.tasks[i]?.program[j];
        if (op === undefined) continue;
        for (const simpler of simplerOps(op)) {
          const got = yield { workload: replaceOp(cur.workload!, i, j, simpler), decisions: cur.decisions };
          if (got !== undefined) {
            cur = got; // the rest are less simple than what was accepted
            break;
          }
        }
      }
    }
  },
};

export const budgetsPass: ShrinkPass = {
  name: 'budgets',
  *candidates<S extends ShrinkSubject>(current: S): CandidateStream<S> {
    let cur = current;
    if (cur.workload === null) return;
    for (const key of ['tickPreemptions', 'vcpuPreemptions', 'deepIdles'] as const) {
      if ((cur.workload![key] ?? 0) === 0) continue;
      const got = yield { workload: { ...cur.workload!, [key]: 0 }, decisions: cur.decisions };
      if (got !== undefined) cur = got;
    }
  },
};

/**
 * The workload passes, in the order a round runs them. simplify-ops comes first: a simpler op
 * (a membarrier without its command's IPIs, an munmap that frees no tables) can make the CPUs,
 * tasks and ops it drags in removable in the same round. Measured on the identity battery: the
 * radix-trim-clears-other-cpus 4-CPU kill shrinks to 39 steps on 3 CPUs with it first, and to
 * 117 steps on 4 CPUs with it after the ops pass. Another shrink that uses up its budget went the
 * other way: the lazy-mm-scan I5 took 206 steps, not 168.
 */
export const WORKLOAD_PASSES: readonly ShrinkPass[] = [simplifyOpsPass, cpusPass, tasksPass, opsPass, budgetsPass];
