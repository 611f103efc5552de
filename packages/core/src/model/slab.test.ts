import { describe, expect, it } from 'vitest';
import { CPU_PARTIAL_SLABS, MmSlab, OBJECTS_PER_SLAB } from './slab.js';

function slab(ncpu = 2): MmSlab {
  const s = new MmSlab();
  s.ensureCapacity(ncpu, 200);
  s.reset();
  return s;
}

describe('MmSlab (SLUB reuse of mm_struct objects)', () => {
  it('hands a new slab out in address order, each CPU from its own slab', () => {
    const s = slab();
    expect([s.alloc(0), s.alloc(0), s.alloc(0)]).toEqual([1, 2, 3]);
    expect(s.alloc(1)).toBe(1 + OBJECTS_PER_SLAB); // CPU1 gets a slab of its own
    expect(s.slabs).toBe(2);
  });

  it('reuses LIFO what a CPU freed on its own active slab (the ABA source)', () => {
    const s = slab();
    const a = s.alloc(0);
    const b = s.alloc(0);
    s.free(0, a);
    s.free(0, b);
    expect(s.alloc(0)).toBe(b); // most recently freed first
    expect(s.alloc(0)).toBe(a);
  });

  it('a remote free goes to the slab freelist: the freeing CPU does not reuse it, the owner only after its own freelist', () => {
    const s = slab();
    const a = s.alloc(0);
    s.free(1, a); // __slab_free: CPU0's active slab, freed on CPU1
    expect(s.alloc(1)).not.toBe(a);
    // CPU0 hands out the rest of its lockless freelist first, then takes the slab's freelist (get_freelist)
    const seen: number[] = [];
    for (let i = 0; i < OBJECTS_PER_SLAB - 1; i++) seen.push(s.alloc(0));
    expect(seen).not.toContain(a);
    expect(s.alloc(0)).toBe(a);
  });

  it('a full slab that gets a remote free becomes partial on the freeing CPU, which takes it before a new slab', () => {
    const s = slab();
    const objs = Array.from({ length: OBJECTS_PER_SLAB }, () => s.alloc(0)); // CPU0's slab is full
    s.alloc(0); // CPU0 deactivates it (full) and starts a new slab
    s.free(1, objs[5]!); // the full slab gets a free on CPU1: put_cpu_partial(CPU1)
    expect(s.alloc(1)).toBe(objs[5]); // ___slab_alloc: the CPU's partial slabs before new_slab()
    expect(s.slabs).toBe(2);
  });

  it(`a CPU keeps at most ${CPU_PARTIAL_SLABS} partial slabs; more go to the node list, which any CPU takes`, () => {
    const s = slab(3);
    const full: number[][] = [];
    for (let j = 0; j <= CPU_PARTIAL_SLABS; j++) {
      full.push(Array.from({ length: OBJECTS_PER_SLAB }, () => s.alloc(0)));
    }
    s.alloc(0); // deactivate the last one
    for (const objs of full) s.free(1, objs[0]!); // each becomes partial on CPU1; the third drains the first two to the node
    // CPU2 has no partial slab of its own: the node's partial list (oldest first) before a new slab
    expect(s.alloc(2)).toBe(full[0]![0]);
    expect(s.alloc(1)).toBe(full[CPU_PARTIAL_SLABS]![0]); // CPU1 still has the last one
  });

  it('refuses a free of an address no slab holds (a model bug)', () => {
    const s = slab();
    expect(() => s.free(0, 999)).toThrow(/no slab holds/);
  });
});
