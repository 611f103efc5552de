/**
 * The mm_struct slab cache (mm_cachep), as SLUB reuses objects (mm/slub.c), because address
 * reuse is what turns a stale pointer compare into a bug (ABA, kernel-reference §12.2):
 *
 * - each CPU has an active slab (kmem_cache_cpu->slab) with a lockless per-CPU freelist;
 *   slab_alloc_node() pops it (LIFO), so an mm freed on a CPU is the next one that CPU hands out;
 * - do_slab_free(): a free of an object of the CPU's active slab pushes it on that per-CPU
 *   freelist; any other free (__slab_free) pushes it on the slab's own freelist, and a slab
 *   that was full goes to the freeing CPU's partial list (put_cpu_partial, SLUB_CPU_PARTIAL);
 * - when the per-CPU freelist is empty, ___slab_alloc() first takes the active slab's own
 *   freelist (get_freelist: the remote frees), then a slab from the CPU's partial list
 *   (most recently added first), then one from the node's partial list, then a new slab.
 *
 * Simplifications (said where users read them: the core README): one NUMA node; a slab holds
 * OBJECTS_PER_SLAB objects handed out in address order (CONFIG_SLAB_FREELIST_RANDOM only
 * shuffles the order of a new slab, which changes which address comes first, not LIFO reuse);
 * empty slabs are never given back to the page allocator (so the node partial list keeps them); the per-CPU sheaves of newer kernels
 * are not modelled (mm_struct's cache does not use them).
 *
 * Addresses: slab s, object i is address 1 + s * OBJECTS_PER_SLAB + i (0 is init_mm's).
 */
import { ModelError } from '../machine/model-error.js';

/** Objects per slab page: struct mm_struct is ~1.2-1.4 KiB, order-3 slabs hold about 24; fewer keep runs small. */
export const OBJECTS_PER_SLAB = 16;
/**
 * Partial slabs a CPU keeps before put_cpu_partial() drains its list to the node
 * (s->cpu_partial_slabs: set_cpu_partial() gives 13 objects, two slabs, for caches of 1-2 KiB objects).
 */
export const CPU_PARTIAL_SLABS = 2;

export class MmSlab {
  private nslabs = 0;
  private maxSlabs = 0;
  /** Per slab: its own freelist (LIFO stack of object indices) and length. */
  private slabFree = new Int32Array(0);
  private slabFreeLen = new Int32Array(0);
  /** Per slab: the CPU whose active slab it is (-1: none), and whether it sits on a partial list. */
  private slabCpu = new Int32Array(0);
  private slabPartial = new Uint8Array(0);
  /** Per CPU: active slab (-1: none), its lockless freelist (LIFO of object indices). */
  private cpuSlab = new Int32Array(0);
  private cpuFree = new Int32Array(0);
  private cpuFreeLen = new Int32Array(0);
  /** Per CPU partial list (stack: most recently added first) and the node partial list (FIFO). */
  private cpuPartial = new Int32Array(0);
  private cpuPartialLen = new Int32Array(0);
  private nodePartial = new Int32Array(0);
  private nodeHead = 0;
  private nodeLen = 0;

  /** The slab's state arrays (model/state-hash.ts: everything that decides which address the next allocation gets). */
  stateArrays(): Int32Array[] | Uint8Array[] {
    return [
      this.slabFree,
      this.slabFreeLen,
      this.slabCpu,
      this.cpuSlab,
      this.cpuFree,
      this.cpuFreeLen,
      this.cpuPartial,
      this.cpuPartialLen,
      this.nodePartial,
    ] as Int32Array[];
  }

  /** The slab's state scalars, written to out[i..]; returns the next index. */
  writeStateScalars(out: Float64Array, i: number): number {
    out[i++] = this.nslabs;
    out[i++] = this.nodeHead;
    out[i++] = this.nodeLen;
    return i;
  }

  /** Restore the scalars writeStateScalars wrote (model/snapshot.ts). */
  readStateScalars(src: Float64Array, i: number): number {
    this.nslabs = src[i++]!;
    this.nodeHead = src[i++]!;
    this.nodeLen = src[i++]!;
    return i;
  }

  /** The per-slab partial-list flags (a Uint8Array, hashed byte-wise). */
  statePartialFlags(): Uint8Array {
    return this.slabPartial;
  }

  /** Size for `ncpu` CPUs and at most `objects` live-or-freed objects per run (grows only). */
  ensureCapacity(ncpu: number, objects: number): void {
    const slabs = Math.ceil(objects / OBJECTS_PER_SLAB) + ncpu + 1;
    if (slabs > this.maxSlabs || ncpu > this.cpuSlab.length) {
      this.maxSlabs = Math.max(slabs, this.maxSlabs);
      const s = this.maxSlabs;
      const c = Math.max(ncpu, this.cpuSlab.length);
      this.slabFree = new Int32Array(s * OBJECTS_PER_SLAB);
      this.slabFreeLen = new Int32Array(s);
      this.slabCpu = new Int32Array(s);
      this.slabPartial = new Uint8Array(s);
      this.cpuSlab = new Int32Array(c);
      this.cpuFree = new Int32Array(c * OBJECTS_PER_SLAB);
      this.cpuFreeLen = new Int32Array(c);
      this.cpuPartial = new Int32Array(c * s);
      this.cpuPartialLen = new Int32Array(c);
      this.nodePartial = new Int32Array(s);
    }
  }

  reset(): void {
    this.nslabs = 0;
    this.cpuSlab.fill(-1);
    this.cpuFreeLen.fill(0);
    this.cpuPartialLen.fill(0);
    this.nodeHead = 0;
    this.nodeLen = 0;
  }

  /** kmem_cache_alloc(mm_cachep) on `cpu`: the address of the object handed out. */
  alloc(cpu: number): number {
    const f = cpu * OBJECTS_PER_SLAB;
    if (this.cpuFreeLen[cpu] === 0) this.refill(cpu);
    const n = --this.cpuFreeLen[cpu]!;
    return 1 + this.cpuSlab[cpu]! * OBJECTS_PER_SLAB + this.cpuFree[f + n]!;
  }

  /** kmem_cache_free(mm_cachep, obj) on `cpu` (free_mm). */
  free(cpu: number, addr: number): void {
    const s = Math.floor((addr - 1) / OBJECTS_PER_SLAB);
    const obj = (addr - 1) % OBJECTS_PER_SLAB;
    if (s < 0 || s >= this.nslabs) throw new ModelError(`slab: free of address ${addr}, which no slab holds`);
    if (this.cpuSlab[cpu] === s) {
      // do_slab_free() fast path: the CPU's own active slab, onto its lockless freelist
      this.cpuFree[cpu * OBJECTS_PER_SLAB + this.cpuFreeLen[cpu]!] = obj;
      this.cpuFreeLen[cpu]! += 1;
      return;
    }
    // __slab_free(): onto the slab's own freelist
    const was = this.slabFreeLen[s]!;
    this.slabFree[s * OBJECTS_PER_SLAB + was] = obj;
    this.slabFreeLen[s] = was + 1;
    // A full slab that is nobody's active slab becomes partial on the freeing CPU (put_cpu_partial).
    if (was === 0 && this.slabCpu[s] === -1 && this.slabPartial[s] === 0) {
      if (this.cpuPartialLen[cpu]! >= CPU_PARTIAL_SLABS) {
        // __put_partials(): the CPU's list is full; it goes to the node's partial list first
        for (let i = 0; i < this.cpuPartialLen[cpu]!; i++) {
          this.nodePartial[(this.nodeHead + this.nodeLen) % this.maxSlabs] = this.cpuPartial[cpu * this.maxSlabs + i]!;
          this.nodeLen++;
        }
        this.cpuPartialLen[cpu] = 0;
      }
      this.cpuPartial[cpu * this.maxSlabs + this.cpuPartialLen[cpu]!] = s;
      this.cpuPartialLen[cpu]! += 1;
      this.slabPartial[s] = 1;
    }
  }

  /** ___slab_alloc(): the per-CPU freelist is empty; find objects. */
  private refill(cpu: number): void {
    const cur = this.cpuSlab[cpu]!;
    if (cur >= 0 && this.slabFreeLen[cur]! > 0) {
      this.takeFreelist(cpu, cur); // get_freelist(): the remote frees of the active slab
      return;
    }
    if (cur >= 0) this.slabCpu[cur] = -1; // deactivate_slab(): full, on no list
    let s = -1;
    if (this.cpuPartialLen[cpu]! > 0) {
      const n = --this.cpuPartialLen[cpu]!;
      s = this.cpuPartial[cpu * this.maxSlabs + n]!;
    } else if (this.nodeLen > 0) {
      s = this.nodePartial[this.nodeHead]!;
      this.nodeHead = (this.nodeHead + 1) % this.maxSlabs;
      this.nodeLen--;
    }
    if (s >= 0) {
      this.slabPartial[s] = 0;
      this.slabCpu[s] = cpu;
      this.cpuSlab[cpu] = s;
      this.takeFreelist(cpu, s);
      return;
    }
    // new_slab(): objects in address order (the lowest address is handed out first)
    if (this.nslabs >= this.maxSlabs) throw new ModelError(`slab: more than ${this.maxSlabs} slabs (workload sizing bug)`);
    s = this.nslabs++;
    this.slabFreeLen[s] = 0;
    this.slabPartial[s] = 0;
    this.slabCpu[s] = cpu;
    this.cpuSlab[cpu] = s;
    const f = cpu * OBJECTS_PER_SLAB;
    for (let i = 0; i < OBJECTS_PER_SLAB; i++) this.cpuFree[f + i] = OBJECTS_PER_SLAB - 1 - i;
    this.cpuFreeLen[cpu] = OBJECTS_PER_SLAB;
  }

  /** Move slab `s`'s own freelist to `cpu`'s lockless freelist (most recent remote free on top). */
  private takeFreelist(cpu: number, s: number): void {
    const n = this.slabFreeLen[s]!;
    const f = cpu * OBJECTS_PER_SLAB;
    for (let i = 0; i < n; i++) this.cpuFree[f + i] = this.slabFree[s * OBJECTS_PER_SLAB + i]!;
    this.cpuFreeLen[cpu] = n;
    this.slabFreeLen[s] = 0;
  }

  /** Slabs allocated in this run so far. */
  get slabs(): number {
    return this.nslabs;
  }
}
