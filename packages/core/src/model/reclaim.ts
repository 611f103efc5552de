/**
 * kswapd page reclaim of one page of `mm` (shrink_folio_list -> try_to_unmap with
 * TTU_BATCH_FLUSH): the PTE goes and the flush is batched (set_tlb_ubc_flush_pending adds
 * mm_cpumask(mm) to the batch), then try_to_unmap_flush() -> arch_tlbbatch_flush() flushes the
 * batch, and only then is the page freed. rmap reaches the mm without a reference; reclaim
 * skips an mm whose users are gone (its VMAs are being torn down under the mmap lock). A zap
 * of the same mm (munmap, exit_mmap) waits until the flush is done: arches without batched
 * flushes (powerpc) flush under the PTE lock (ptep_clear_flush); with batching the zap's
 * flush_tlb_batched_pending() flushes first — the model makes both wait for the flush.
 * Registers of P_RECLAIM: a = mm, b = unmap generation.
 */
import { checkStaleTlb } from './invariant-checks.js';
import { arch_tlbbatch_flush } from './arch-calls.js';
import { ret } from './frames.js';
import type { Kernel } from './kernel.js';

export function stepReclaim(k: Kernel, cpu: number, f: number): void {
  const mm = k.frA[f]!;
  if (k.frPc[f] === 0) {
    if (k.mmUsers[mm]! <= 0 || k.mmHasVmas[mm] === 0) {
      ret(k, cpu);
      return;
    }
    k.frB[f] = ++k.mmUnmapGen[mm]!;
    k.frPc[f] = 1;
    k.holdPtLock(mm);
    if (k.tracer !== null) k.tracer.ev(cpu, 'try_to_unmap', `a page of ${k.mmName(mm)}; try_to_unmap_flush -> arch_tlbbatch_flush`);
    arch_tlbbatch_flush(k, cpu, mm);
    return;
  }
  ret(k, cpu);
  k.releasePtLock(mm);
  if (k.tracer !== null) k.tracer.ev(cpu, 'shrink_folio_list', `free the page of ${k.mmName(mm)}`);
  checkStaleTlb(k, mm, k.frB[f]!, 'a reclaimed page', false);
}
