/**
 * The memory model (model-spec §0): `sc` (every store is visible to every CPU at once) or
 * `tso`, x86's model (Intel SDM vol. 3 §9.2.2, Sewell et al., "x86-TSO", CACM 2010): each CPU
 * has a FIFO store buffer; a plain store enters it and becomes visible to other CPUs only when
 * it drains; the CPU's own loads see its newest buffered store (store forwarding); a locked
 * RMW (`lock`-prefixed: atomic_inc, cmpxchg, cpumask_set_cpu's `lock bts`), MFENCE (smp_mb())
 * and serializing instructions (a CR3 write, IRET, CPUID, a VM exit) drain it first. When a
 * buffered store drains is an explorer decision: every CPU with a non-empty buffer has a
 * drain actor (ACTOR_DRAIN), so random, PCT, replay and shrinking all control it.
 *
 * Only state that other CPUs read is buffered, and only the state its owner declared: core
 * state (rq->curr, task->mm) and the arch plugin's (ABI v2 `sharedState`, e.g. x86
 * cpu_tlbstate.loaded_mm and cpu_tlbstate_shared.is_lazy). Each declared slot has two arrays:
 * `view`, what the writing CPU sees (it reads its own newest store), and `mem`, what memory
 * holds (what every other CPU reads). Every declared location has a single writer (the CPU
 * that owns it: per-CPU state, or the task running there for task->mm, which only migrates
 * after the rq lock, a locked RMW, has drained the buffer), so "the writer reads `view`, other
 * CPUs read `mem`" is exactly TSO's store forwarding. Under `sc` the two are the same array:
 * a store is one array write and nothing is ever buffered.
 *
 * Location written by several CPUs with plain stores are not declared (the model has none
 * whose ordering matters: mm->context.next_trim_cpumask is a heuristic's timestamp).
 */
import { ModelError } from './model-error.js';

export const MEMORY_MODELS = ['sc', 'tso'] as const;
export type MemoryModel = (typeof MEMORY_MODELS)[number];

/** Stores a CPU may have in flight before the next one forces the oldest out (real buffers hold 40-100). */
export const SB_CAPACITY = 16;
/** Declared shared slots (core + arch + scheme). */
export const MAX_SHARED_SLOTS = 32;

/** Core slots: rq->curr (membarrier's private expedited command reads it remotely) and task->mm. */
export const SH_RQ_CURR = 0;
export const SH_TASK_MM = 1;
/** First slot an arch plugin's declared state gets (in its `sharedState` order). */
export const SH_ARCH_BASE = 2;
/** Slots a scheme plugin may declare, and the first of them (the arch's end below it). */
export const MAX_SCHEME_SHARED = 8;
export const SH_SCHEME_BASE = MAX_SHARED_SLOTS - MAX_SCHEME_SHARED;

export type SharedArray = Int32Array | Uint8Array;

export class StoreBuffers {
  /** The memory model is TSO: plain stores to declared slots are buffered. */
  tso = false;
  /** Per slot: the writer's view and memory (the same array under sc). */
  readonly view: SharedArray[] = [];
  readonly mem: SharedArray[] = [];
  /** Slot names (traces, errors). */
  readonly names: string[] = [];
  /** Per CPU FIFO (ring of SB_CAPACITY): slot, index, value. */
  head = new Int32Array(0);
  len = new Int32Array(0);
  slot = new Uint8Array(0);
  index = new Int32Array(0);
  value = new Int32Array(0);
  /** Non-zero buffers (a quick test for the run loop and the oracles). */
  busy = 0;
  /** Per CPU: stores buffered so far and stores drained so far in this run (release/acquire marks). */
  pushed = new Float64Array(0);
  drained = new Float64Array(0);

  ensureCpus(n: number): void {
    if (this.head.length >= n) return;
    this.head = new Int32Array(n);
    this.len = new Int32Array(n);
    this.pushed = new Float64Array(n);
    this.drained = new Float64Array(n);
    this.slot = new Uint8Array(n * SB_CAPACITY);
    this.index = new Int32Array(n * SB_CAPACITY);
    this.value = new Int32Array(n * SB_CAPACITY);
  }

  reset(): void {
    this.head.fill(0);
    this.len.fill(0);
    this.pushed.fill(0);
    this.drained.fill(0);
    this.busy = 0;
  }

  /**
   * Declare slot `s` with the writer's `view` array; returns the memory array other CPUs read
   * (`view` itself under sc; under tso a separate array reused across runs, filled by sync()).
   */
  declare(s: number, name: string, view: SharedArray): SharedArray {
    if (s < 0 || s >= MAX_SHARED_SLOTS) throw new ModelError(`shared slot ${s} out of range (at most ${MAX_SHARED_SLOTS})`);
    this.names[s] = name;
    this.view[s] = view;
    let mem = view;
    if (this.tso) {
      const old = this.mem[s];
      mem =
        old !== undefined && old !== view && old.length === view.length && old.constructor === view.constructor
          ? old
          : new (view.constructor as new (n: number) => SharedArray)(view.length);
      mem.set(view);
    }
    this.mem[s] = mem;
    return mem;
  }

  /** Make memory equal to every writer's view (run start, after the workload is set up). */
  sync(): void {
    if (!this.tso) return;
    for (let s = 0; s < this.view.length; s++) {
      const v = this.view[s];
      const m = this.mem[s];
      if (v !== undefined && m !== undefined && m !== v) m.set(v);
    }
  }

  /** A plain store by `cpu` to slot `s` at `i`: visible to `cpu` now, to the others when it drains. */
  store(cpu: number, s: number, i: number, v: number): void {
    this.view[s]![i] = v;
    if (!this.tso) return;
    let n = this.len[cpu]!;
    if (n === SB_CAPACITY) {
      this.drainOne(cpu); // the buffer is full: the oldest store has to go first
      n--;
    }
    const e = cpu * SB_CAPACITY + ((this.head[cpu]! + n) % SB_CAPACITY);
    this.slot[e] = s;
    this.index[e] = i;
    this.value[e] = v;
    this.len[cpu] = n + 1;
    this.pushed[cpu]! += 1;
    if (n === 0) this.busy++;
  }

  /** The oldest buffered store of `cpu` becomes visible (the drain actor's step). */
  drainOne(cpu: number): void {
    const n = this.len[cpu]!;
    if (n === 0) return;
    const h = this.head[cpu]!;
    const e = cpu * SB_CAPACITY + h;
    const s = this.slot[e]!;
    const i = this.index[e]!;
    const v = this.value[e]!;
    this.mem[s]![i] = v;
    this.head[cpu] = (h + 1) % SB_CAPACITY;
    this.len[cpu] = n - 1;
    this.drained[cpu]! += 1;
    if (n === 1) this.busy--;
  }

  /**
   * An acquire that observed `cpu`'s release store made when it had buffered `mark` stores
   * (x86-TSO keeps store order: every store before the release is visible once it is).
   */
  drainUpTo(cpu: number, mark: number): void {
    while (this.drained[cpu]! < mark && this.len[cpu]! > 0) this.drainOne(cpu);
  }

  /** smp_mb() / a locked RMW / a serializing instruction on `cpu`: its whole buffer drains, in order. */
  drainAll(cpu: number): void {
    while (this.len[cpu]! > 0) this.drainOne(cpu);
  }

  /** Is a store of `cpu` to (s, i) still buffered (the others cannot see it yet)? For oracles and tests. */
  pending(cpu: number, s: number, i: number): boolean {
    const n = this.len[cpu]!;
    for (let j = 0; j < n; j++) {
      const e = cpu * SB_CAPACITY + ((this.head[cpu]! + j) % SB_CAPACITY);
      if (this.slot[e] === s && this.index[e] === i) return true;
    }
    return false;
  }

  /** The buffered stores of `cpu`, oldest first, at most `count` (default: all), as "name[i]=v" (traces). */
  describe(cpu: number, count = this.len[cpu]!): string {
    const out: string[] = [];
    const n = Math.min(count, this.len[cpu]!);
    for (let j = 0; j < n; j++) {
      const e = cpu * SB_CAPACITY + ((this.head[cpu]! + j) % SB_CAPACITY);
      out.push(`${this.names[this.slot[e]!] ?? `slot${this.slot[e]}`}[${this.index[e]}]=${this.value[e]}`);
    }
    return out.join(', ');
  }
}
