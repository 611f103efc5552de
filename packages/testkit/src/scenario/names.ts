/**
 * Scenario names ⇄ core ids. Core numbers tasks (idle tasks 0..ncpu-1, then the explicit
 * tasks in order) and mms (init_mm = 0, then allocation order), and its traces print them
 * as `T5` / `K5` / `swapper/1` and `M1@1` (id @ slab address). A scenario speaks in the names
 * it declared ("T1", "P"), so queries take those names and traces are rewritten with them.
 */
import { INIT_MM, NO_MM, type Kernel } from '@lazytlb/core';

/** An mm by name (a declared process, an alias, "init_mm") or by core id. */
export type MmRef = string | number;

export class UnknownNameError extends Error {
  override name = 'UnknownNameError';
}

export class ScenarioNames {
  private readonly taskIds = new Map<string, number>();
  private readonly taskById = new Map<number, string>();
  private readonly mmIds = new Map<string, number>();
  private readonly mmById = new Map<number, string>();

  constructor(
    private readonly k: Kernel,
    ncpu: number,
    taskNames: readonly string[],
  ) {
    for (let c = 0; c < ncpu; c++) this.addTask(`swapper/${c}`, c);
    taskNames.forEach((n, i) => this.addTask(n, ncpu + i));
  }

  private addTask(name: string, id: number): void {
    this.taskIds.set(name, id);
    this.taskById.set(id, name);
  }

  /** Bind `name` to mm `id` (declared processes once the workload is loaded; aliases later). */
  bindMm(name: string, id: number): void {
    if (name === 'init_mm' || name === 'NULL') throw new UnknownNameError(`"${name}" is reserved`);
    const old = this.mmIds.get(name);
    if (old !== undefined && old !== id) throw new UnknownNameError(`mm name "${name}" already names ${this.k.mmName(old)}`);
    this.mmIds.set(name, id);
    if (!this.mmById.has(id)) this.mmById.set(id, name);
  }

  taskId(name: string): number {
    const id = this.taskIds.get(name);
    if (id === undefined) {
      throw new UnknownNameError(`no task named "${name}" in this scenario (tasks: ${[...this.taskIds.keys()].join(', ')})`);
    }
    return id;
  }

  taskName(id: number): string {
    return this.taskById.get(id) ?? this.k.taskName(id);
  }

  mmId(ref: MmRef): number {
    if (typeof ref === 'number') {
      if (ref === NO_MM || (Number.isInteger(ref) && ref >= 0 && ref < this.k.nmm)) return ref;
      throw new UnknownNameError(`mm id ${ref} does not exist in this run (ids 0..${this.k.nmm - 1}, or NO_MM = -1)`);
    }
    if (ref === 'init_mm') return INIT_MM;
    if (ref === 'NULL') return NO_MM;
    const id = this.mmIds.get(ref);
    if (id === undefined) {
      const known = ['init_mm', ...this.mmIds.keys()].join(', ');
      throw new UnknownNameError(`no mm named "${ref}" in this scenario (mms: ${known}; name an mm created during the run with nameMm())`);
    }
    return id;
  }

  mmName(id: number): string {
    if (id === NO_MM) return 'NULL';
    if (id === INIT_MM) return 'init_mm';
    return this.mmById.get(id) ?? this.k.mmName(id);
  }

  /** Rewrite core's names in a trace text (`T5`, `K6`, `M1@1`) with scenario names. */
  rename(text: string): string {
    return text.replace(/\b(?:[TK](\d+)|M(\d+)@\d+)\b/g, (whole, task: string | undefined, mm: string | undefined) => {
      if (task !== undefined) return this.taskById.get(Number(task)) ?? whole;
      return this.mmById.get(Number(mm)) ?? whole;
    });
  }
}
