/**
 * Contracts of individual hooks that core relies on but cannot check when it loads a plugin:
 *
 * - boot state (sched_init / secondary start: every CPU runs its idle task with
 *   active_mm = &init_mm, kernel-reference §2.7): right after reset() the MMU root of every
 *   CPU is init_mm (hw_root = INIT_MM), the TLB holds nothing stale of init_mm
 *   (tlb_may_hold(init_mm, any unmap generation) is false — at boot and at every
 *   step: init_mm's tables are never freed), the arch's own check() finds the boot state
 *   coherent, and
 *   switch_mm_irqs_off(init_mm, init_mm) (what do_shoot_lazy_tlb / idle_task_exit do on a CPU
 *   already on init_mm) leaves the root at init_mm;
 * - value types, at boot and after every step of some runs: hw_root returns an mm id
 *   (INIT_MM or an allocated mm), shoot_lazies_mask a 32-bit integer (mm_cpumask is a
 *   32-bit word in core), tlb_may_hold a boolean, describe_cpu a string, ipi_name a string;
 * - the optional hooks of today's lazy exits and flush users (cpu_idle_deep, use_temporary_mm,
 *   suspend_resume, tlbbatch_flush; the default workload drives them: deep idle, text_poke, a
 *   suspend/resume kworker, kswapd reclaim): a plugin that has one gets it called with
 *   well-formed arguments (the executing, online CPU; for cpu_idle_deep that CPU is idle; the
 *   task is that CPU's current task, a kernel thread for suspend_resume; the mm of
 *   tlbbatch_flush is allocated and has users), the hook returns nothing (an async hook would
 *   return a Promise: hooks are synchronous) and never throws, under every scheme.
 */
import { INIT_MM, IPI_ARCH_BASE, Kernel, constants, resolveWorkload, type ArchHooks, type ArchPlugin, type Simulator } from '@lazytlb/core';
import { type CellSpec, cellLabel, makeSim, seedsOf } from './cell.js';
import { WORKLOAD_ACTIVITIES } from './clean-runs.js';

function is32(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= -0x80000000 && v <= 0xffffffff;
}

/** Checks value types of the hooks on every CPU and live mm; returns problems found. */
function typeProblems(k: Kernel, where: string): string[] {
  const out: string[] = [];
  const h = k.arch;
  for (let c = 0; c < k.ncpu; c++) {
    const root: unknown = h.hw_root(k, c);
    if (typeof root !== 'number' || !Number.isInteger(root) || root < INIT_MM || root >= k.nmm) {
      out.push(`${where}: hw_root(CPU${c}) returned ${String(root)}, not an mm id in 0..${k.nmm - 1}`);
    }
    const d: unknown = h.describe_cpu(k, c);
    if (typeof d !== 'string') out.push(`${where}: describe_cpu(CPU${c}) returned ${typeof d}, not a string`);
    for (let mm = INIT_MM; mm < k.nmm; mm++) {
      const hold: unknown = h.tlb_may_hold(k, c, mm, k.mmUnmapGen[mm]! + 1);
      if (typeof hold !== 'boolean') out.push(`${where}: tlb_may_hold(CPU${c}, mm ${mm}) returned ${typeof hold}, not a boolean`);
    }
    // init_mm is never unmapped (its generation never moves): nothing of it can be stale.
    if (h.tlb_may_hold(k, c, INIT_MM, k.mmUnmapGen[INIT_MM]! + 1) !== false) {
      out.push(`${where}: tlb_may_hold(CPU${c}, init_mm, any generation) is not false: init_mm's kernel mappings are never torn down`);
    }
  }
  for (let mm = 1; mm < k.nmm; mm++) {
    if (k.mmStage[mm] === constants.MM_FREED) continue;
    const m: unknown = h.shoot_lazies_mask(k, mm);
    if (!is32(m)) out.push(`${where}: shoot_lazies_mask(mm ${mm}) returned ${String(m)}, not a 32-bit integer`);
  }
  return out;
}

/** Boot-state contracts, on a freshly begun run (no step taken). */
export function checkBootState(cell: CellSpec): void {
  const sim = makeSim(cell);
  const [seed] = seedsOf(sim, 1);
  sim.begin(seed!);
  const k = sim.k;
  const h = k.arch;
  const problems: string[] = [];
  for (let c = 0; c < k.ncpu; c++) {
    const root = h.hw_root(k, c);
    if (root !== INIT_MM) problems.push(`hw_root(CPU${c}) is ${root} right after reset(), expected INIT_MM (${INIT_MM}): CPUs boot on init_mm`);
    const gen = k.mmUnmapGen[INIT_MM]!;
    if (h.tlb_may_hold(k, c, INIT_MM, gen) !== false) {
      problems.push(`tlb_may_hold(CPU${c}, init_mm, gen ${gen}) is not false: nothing of init_mm was ever unmapped, so nothing of it can be stale`);
    }
  }
  for (let fn = IPI_ARCH_BASE; fn < IPI_ARCH_BASE + 16; fn++) {
    const name: unknown = h.ipi_name(fn);
    if (typeof name !== 'string') problems.push(`ipi_name(${fn}) returned ${typeof name}, not a string`);
  }
  problems.push(...typeProblems(k, 'boot'));
  for (let c = 0; c < k.ncpu; c++) {
    h.check(k, c);
    if (k.violation !== null) {
      problems.push(`check(CPU${c}) reports ${k.violation.invariant} on the boot state: ${k.violation.message}`);
      break;
    }
  }
  for (let c = 0; c < k.ncpu; c++) {
    k.cpu = c;
    h.switch_mm_irqs_off(k, c, INIT_MM, INIT_MM, k.cpuCurr[c]!);
    const root = h.hw_root(k, c);
    if (root !== INIT_MM) problems.push(`after switch_mm_irqs_off(init_mm, init_mm) on CPU${c} at boot, hw_root is ${root}, expected INIT_MM`);
    h.check(k, c);
    if (k.violation !== null) {
      problems.push(`after switch_mm_irqs_off(init_mm, init_mm) on CPU${c} at boot, check() reports ${k.violation.invariant}: ${k.violation.message}`);
      break;
    }
  }
  sim.end('ok');
  if (problems.length > 0) throw new Error(`${cellLabel(cell)}: boot-state contract broken:\n  - ${problems.join('\n  - ')}`);
}

/** A small deterministic picker (the scenario-style step API, no explorer). */
function pick(enabled: readonly number[], step: number, run: number): number {
  return enabled[(step * 7 + run * 13 + (step >> 3)) % enabled.length]!;
}

/** Value-type contracts after every step of `nRuns` runs driven through the step API. */
export function checkHookTypesDuringRuns(cell: CellSpec, nRuns: number): void {
  const sim: Simulator = makeSim(cell);
  const problems: string[] = [];
  seedsOf(sim, nRuns).forEach((seed, run) => {
    sim.begin(seed);
    const k = sim.k;
    for (let step = 0; step < 20_000 && problems.length === 0; step++) {
      const en = sim.enabledActors();
      if (en.length === 0) break;
      if (!sim.stepActor(pick(en, step, run))) break;
      problems.push(...typeProblems(k, `run ${run} after step ${step}`));
    }
    const r = sim.end();
    if (r.pluginError !== null) problems.push(`run ${run}: hook ${r.pluginError.hook} threw: ${r.pluginError.message}`);
  });
  if (problems.length > 0) throw new Error(`${cellLabel(cell)}: hook contract broken:\n  - ${problems.slice(0, 10).join('\n  - ')}`);
}

/**
 * The optional hooks the core calls during runs of a profile workload (WORKLOAD_ACTIVITIES
 * names the activity and the workload parameter that drive each).
 */
export const OPTIONAL_RUN_HOOKS = ['cpu_idle_deep', 'use_temporary_mm', 'suspend_resume', 'tlbbatch_flush'] as const;
export type OptionalRunHook = (typeof OPTIONAL_RUN_HOOKS)[number];

/** Every optional hook of the ABI (a plugin that sets one must set a function). */
export const OPTIONAL_HOOKS = [
  'vcpu_preempt',
  'vcpu_resume',
  'arch_continue',
  'cpu_disable',
  'cpu_up',
  ...OPTIONAL_RUN_HOOKS,
] as const satisfies readonly (keyof ArchHooks)[];

const EXPECTED_ARGS: Record<OptionalRunHook, number> = { cpu_idle_deep: 2, use_temporary_mm: 3, suspend_resume: 3, tlbbatch_flush: 3 };

/** Does a run of `cell`'s workload give `hook` a chance to be called? */
function workloadDrives(cell: CellSpec, hook: OptionalRunHook): boolean {
  const p = resolveWorkload(cell.workload).params;
  return WORKLOAD_ACTIVITIES.some((a) => a.hook === hook && a.on(p));
}

/** Problems with the arguments of one call of an optional run hook (empty: well formed). */
function argProblems(hook: OptionalRunHook, k: Kernel, args: readonly unknown[]): string[] {
  const out: string[] = [];
  const [kk, cpu, third] = args;
  if (args.length !== EXPECTED_ARGS[hook]) out.push(`called with ${args.length} arguments, expected ${EXPECTED_ARGS[hook]}`);
  if (!(kk instanceof Kernel) || kk !== k) out.push("the first argument is not the run's Kernel");
  if (typeof cpu !== 'number' || !Number.isInteger(cpu) || cpu < 0 || cpu >= k.ncpu) {
    out.push(`cpu ${String(cpu)} is not a CPU of the cell (0..${k.ncpu - 1})`);
    return out;
  }
  if (k.cpuOnline[cpu] === 0) out.push(`CPU${cpu} is offline`);
  if (cpu !== k.cpu) out.push(`cpu ${cpu} is not the executing CPU (k.cpu = ${k.cpu})`);
  const curr = k.cpuCurr[cpu]!;
  switch (hook) {
    case 'cpu_idle_deep':
      if (k.taskKind[curr] !== constants.TASK_IDLE) out.push(`CPU${cpu} runs ${k.taskName(curr)}, not its idle task`);
      break;
    case 'use_temporary_mm':
    case 'suspend_resume':
      if (third !== curr) out.push(`task ${String(third)} is not CPU${cpu}'s current task (${k.taskName(curr)})`);
      if (hook === 'suspend_resume' && k.taskKind[curr] !== constants.TASK_KTHREAD) out.push(`suspend_resume runs in ${k.taskName(curr)}, not a kworker`);
      break;
    case 'tlbbatch_flush':
      if (typeof third !== 'number' || !Number.isInteger(third) || third <= INIT_MM || third >= k.nmm) {
        out.push(`mm ${String(third)} is not a user mm of the run (1..${k.nmm - 1})`);
      } else if (k.mmStage[third] === constants.MM_FREED || k.mmUsers[third]! <= 0) {
        out.push(`mm ${k.mmName(third)} has no users (reclaim only reaches live address spaces)`);
      }
      break;
  }
  return out;
}

export interface OptionalHookCalls {
  /** Calls per optional run hook the plugin has (hooks it lacks are absent). */
  readonly calls: Partial<Record<OptionalRunHook, number>>;
  readonly problems: readonly string[];
}

/**
 * The plugin, its optional run hooks wrapped to record and check each call. The descriptor
 * keeps its name, version and options, so cells and seeds are the plugin's own.
 */
function probed(
  plugin: ArchPlugin<unknown>,
  sink: { calls: Partial<Record<OptionalRunHook, number>>; problems: string[]; k: Kernel | null; where: string },
): ArchPlugin<unknown> {
  return {
    ...plugin,
    setup(options, env) {
      const hooks = plugin.setup(options, env);
      const wrapped: Partial<ArchHooks> = {};
      for (const name of OPTIONAL_RUN_HOOKS) {
        const fn = hooks[name] as ((...a: unknown[]) => unknown) | undefined;
        if (typeof fn !== 'function') continue;
        sink.calls[name] = 0;
        (wrapped as Record<string, unknown>)[name] = function (this: unknown, ...args: unknown[]): void {
          sink.calls[name] = (sink.calls[name] ?? 0) + 1;
          const k = args[0] as Kernel;
          if (sink.problems.length < 20) {
            for (const p of argProblems(name, sink.k ?? k, args)) sink.problems.push(`${sink.where}, step ${k?.step}: ${name}: ${p}`);
          }
          const ret: unknown = fn.apply(hooks, args);
          if (ret !== undefined && sink.problems.length < 20) {
            sink.problems.push(
              `${sink.where}: ${name} returned ${ret instanceof Promise ? 'a Promise (hooks are synchronous: no async)' : String(ret)}; it must return nothing`,
            );
          }
        };
      }
      return { ...hooks, ...wrapped };
    },
  };
}

/**
 * Runs `nSeeds` seeds of each cell (e.g. one per scheme) with the plugin's optional run hooks
 * probed: every call must have well-formed arguments and return nothing, and no run may end
 * in a plugin error. Every optional hook the plugin has must be called at least once over all
 * the cells when their workload drives it (so the check is not vacuous; counted over all cells
 * because runs of a scheme that fails early may stop before). Returns the call counts.
 */
export function checkOptionalHooks(cells: CellSpec | readonly CellSpec[], nSeeds: number): OptionalHookCalls {
  const list: readonly CellSpec[] = Array.isArray(cells) ? cells : [cells as CellSpec];
  const total: Partial<Record<OptionalRunHook, number>> = {};
  const problems: string[] = [];
  for (const cell of list) {
    const sink = { calls: {} as Partial<Record<OptionalRunHook, number>>, problems: [] as string[], k: null as Kernel | null, where: '' };
    const sim = makeSim({ ...cell, plugin: probed(cell.plugin, sink) });
    sink.k = sim.k;
    const errors: string[] = [];
    seedsOf(sim, nSeeds).forEach((seed, i) => {
      sink.where = `run ${i}`;
      const r = sim.run(seed);
      if (r.pluginError !== null && errors.length < 5) errors.push(`run ${i}: hook ${r.pluginError.hook} threw: ${r.pluginError.message}`);
    });
    for (const p of [...errors, ...sink.problems]) problems.push(`${cellLabel(cell)}: ${p}`);
    for (const [name, n] of Object.entries(sink.calls) as [OptionalRunHook, number][]) total[name] = (total[name] ?? 0) + n;
  }
  for (const name of OPTIONAL_RUN_HOOKS) {
    if (total[name] === 0 && list.some((c) => workloadDrives(c, name))) {
      problems.push(
        `${name} was never called in ${nSeeds} runs of ${list.length === 1 ? 'the cell' : `each of ${list.length} cells`} although the workload drives it: the check exercised nothing (raise hookSeeds)`,
      );
    }
  }
  if (problems.length > 0) throw new Error(`arch ${list[0]?.plugin.name}: optional hook contract broken:\n  - ${problems.slice(0, 12).join('\n  - ')}`);
  return { calls: total, problems };
}
