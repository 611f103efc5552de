/** mm_alloc() / dup_mm() -> mm_init() (kernel/fork.c): a new mm with mm_users = mm_count = 1. */
import { checkHwRootsAll } from './invariant-checks.js';
import { arch_init_new_context } from './arch-calls.js';
import { MM_LIVE } from '../machine/constants.js';
import { type Kernel, ModelError } from './kernel.js';

export function allocMm(k: Kernel, cpu: number): number {
  const mm = k.nmm;
  if (mm >= k.mmCapacity) throw new ModelError(`mm capacity ${k.mmCapacity} exceeded (workload sizing bug)`);
  k.nmm = mm + 1;
  k.mmUsers[mm] = 1;
  k.mmCount[mm] = 1;
  k.mmUsersRef[mm] = 1;
  k.mmGrabHolders[mm] = 0;
  k.mmStage[mm] = MM_LIVE;
  k.mmCpumask[mm] = 0; // mm_init_cpumask(): empty
  k.mmLineOwner[mm] = cpu;
  k.mmUnmapGen[mm] = 0;
  k.mmFreedGen[mm] = 0;
  k.mmFreedTablesGen[mm] = 0;
  k.mmHasVmas[mm] = 1;
  k.mmLazyPinned[mm] = 0;
  k.mmMembarrierState[mm] = 0;
  k.mmSlotHeld[mm] = 0;
  k.mmPtBusy[mm] = 0;
  // kmem_cache_alloc(mm_cachep) on this CPU: SLUB hands out the CPU's most recently freed object first (ABA).
  k.mmAddr[mm] = k.slab.alloc(cpu);
  arch_init_new_context(k, cpu, mm);
  // Handing out a context id / PID may reassign one a CPU still has loaded (powerpc): every
  // CPU's MMU root is re-checked, as at mm_free_pgd and destroy_context.
  checkHwRootsAll(k);
  return mm;
}
