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
 *   32-bit word in core), tlb_may_hold a boolean, describe_cpu a string, ipi_name a string.
 */
import { INIT_MM, IPI_ARCH_BASE, constants, type Kernel, type Simulator } from '@lazytlb/core';
import { type CellSpec, cellLabel, makeSim, seedsOf } from './cell.js';

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
