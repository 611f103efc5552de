/**
 * The invariant oracles of model-spec §7 / kernel-reference §4. Ids are the reference's;
 * I10 is checked under tso (membarrier.ts); I8 (publish, barrier, read) is not an oracle: under
 * tso its failures are judged by their consequence (I2). I3 is a violation or a hazard
 * depending on the scheme (config/scheme.ts SCHEME_DANGLING_PREMISE); I14 is new in the
 * second round (findings/sites.ts).
 */
import type { UseSiteKind } from '../findings/sites.js';

export const INVARIANTS = {
  I1: { name: 'hw-root-live', summary: "no CPU's MMU root (pgd / PID / context) belongs to a freed mm or a freed/reassigned context" },
  I2: { name: 'no-stale-tlb', summary: 'no CPU may still hold a translation or paging-structure entry when the page or table it points to is freed' },
  I3: { name: 'lazy-pointer-live', summary: 'no lazy active_mm, rq->prev_mm or offline idle active_mm names a freed mm (a hazard under `none`)' },
  I4: { name: 'refcount-conservation', summary: 'mm_count equals the holders it stands for' },
  I5: { name: 'single-free', summary: '__mmdrop once, on 1->0, never for init_mm, never negative, never from IRQ context' },
  I6: { name: 'no-leak', summary: 'at quiescence every mm with no holder left has been freed' },
  I7: { name: 'mask-coverage', summary: 'at the final mmdrop under SHOOTDOWN every CPU lazy on the mm is in mm_cpumask' },
  I10: {
    name: 'membarrier-ordering',
    summary:
      "when membarrier(PRIVATE_EXPEDITED) returns, every CPU running the mm's user code took its IPI or executed a full barrier " +
      'after its rq->curr / tsk->mm store before that user code (tso)',
  },
  I9: { name: 'irq-off-atomicity', summary: '(mm, active_mm, hardware mm) change together with respect to IPIs' },
  I11: { name: 'no-resurrection', summary: 'after mm_users == 0 nothing newly loads the mm; after mm_count == 0 nothing grabs it' },
  I12: { name: 'lazy-cardinality', summary: 'one lazy mm per CPU; rq->prev_mm only inside IRQs-off; sleeping kthreads hold none' },
  I13: { name: 'arch-coherence', summary: 'arch-specific coherence between core and arch per-CPU state (plugin-provided)' },
  I14: {
    name: 'freed-mm-use',
    summary:
      'no kernel function reads a field of a freed mm (dereference), or acts on a compare that a stale pointer decided ' +
      'by address reuse (stale compare); counted per use site',
  },
  I15: {
    name: 'scheme-check',
    summary:
      "a check in the scheme's own kernel code holds (a WARN_ON or lockdep assertion of a proposal: e.g. hazptr's slot free at mmgrab_lazy_tlb, hazptr_scan preemptible)",
  },
} as const;

export type InvariantId = keyof typeof INVARIANTS;
export const INVARIANT_IDS = Object.keys(INVARIANTS) as InvariantId[];

export function invariantName(id: InvariantId): string {
  return INVARIANTS[id].name;
}

/** A violation found during a run. */
export interface Violation {
  readonly invariant: InvariantId;
  /** The invariant's short name, e.g. "lazy-pointer-live". */
  readonly name: string;
  readonly cpu: number;
  readonly step: number;
  readonly message: string;
  /** I14 and the __mmdrop WARN: the use site (kernel function) and what it did with the mm. */
  readonly site?: string;
  readonly siteKind?: UseSiteKind;
}
