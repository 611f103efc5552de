/**
 * The reference arch: a minimal asm-generic-style MMU used to test the core alone and as a
 * worked example of the ABI. One page-table root per CPU, no ASIDs (loading a root flushes
 * the whole TLB), mm_cpumask set when a CPU loads an mm and cleared when it loads another,
 * and TLB flushes by IPI to mm_cpumask (flush_tlb_mm_range -> on_each_cpu_mask, wait=1).
 *
 * Like x86's flush_tlb_func, a CPU that is lazy on the mm leaves it for init_mm when page
 * tables were freed (so its MMU cannot walk freed tables), and keeps its mm_cpumask bit
 * while that mm is still its active_mm, so that shoot-lazies still finds it; the bit goes
 * when the CPU next switches to another mm.
 */
import { z } from 'zod';
import { defineArchPlugin, type ArchHooks } from '../abi/plugin.js';
import { C_TLB_FLUSH_LOCAL, C_TLB_FLUSH_REMOTE } from '../cost/counters.js';
import { FLUSH_FREED_TABLES, FLUSH_MM, INIT_MM, IPI_ARCH_BASE, NO_MM, REASON_FLUSH } from '../machine/constants.js';
import type { ArchKernel } from '../abi/arch-kernel.js';
import { CORE_VERSION } from '../generated/version.js';

/** The reference arch's one use site: switch_mm clearing the CPU from the previous mm's mask. */
const CLEAR_PREV_SITE = 'cpumask_clear_cpu(mm_cpumask(prev))';

/** flush_tlb_func-like IPI of the reference arch. */
export const REF_IPI_FLUSH = IPI_ARCH_BASE;

export const ReferenceArchOptions = z
  .object({
    leaveLazyOnFreedTables: z.boolean().default(true).describe('a lazy CPU switches its root to init_mm when a flush reports freed page tables (x86-style)'),
    leaveKeepsMaskBit: z
      .boolean()
      .default(true)
      .describe(
        'such a CPU keeps its mm_cpumask bit while the mm is still its active_mm (so shoot-lazies finds it) and clears it at its next ' +
          'switch; false: the bit goes at once (the CPU is then invisible to shoot-lazies, and never touches the mm again)',
      ),
  })
  .strict();
export type ReferenceArchOptions = z.infer<typeof ReferenceArchOptions>;

function createHooks(opts: ReferenceArchOptions): ArchHooks {
  let root = new Int32Array(0); // page-table root loaded in the MMU
  let tlbMm = new Int32Array(0); // whose translations the TLB may hold (only the root's: no ASIDs)
  let tlbClean = new Int32Array(0); // unmap generation of tlbMm the TLB was last flushed at
  let keptBit = new Int32Array(0); // mm left by leave_mm whose mm_cpumask bit is kept while it is active_mm

  /** Load `next`'s root: the TLB is flushed entirely (no ASIDs). */
  function loadRoot(k: ArchKernel, cpu: number, next: number): void {
    const kept = keptBit[cpu]!;
    if (kept !== NO_MM) {
      // The CPU moves on from the mm it left lazily: to another mm (drop the kept bit), or back
      // to it (the bit now belongs to the loaded root again).
      if (kept !== next) {
        k.useMm(cpu, kept, CLEAR_PREV_SITE);
        k.mmCpumask[kept]! &= ~(1 << cpu);
      }
      keptBit[cpu] = NO_MM;
    }
    const old = root[cpu]!;
    if (old > INIT_MM) {
      k.useMm(cpu, old, CLEAR_PREV_SITE);
      k.mmCpumask[old]! &= ~(1 << cpu);
    }
    if (next > INIT_MM) k.mmCpumask[next]! |= 1 << cpu;
    root[cpu] = next;
    tlbMm[cpu] = next;
    tlbClean[cpu] = k.mmUnmapGen[next]!;
  }

  function flushLocal(k: ArchKernel, cpu: number, mm: number, flags: number, remote: boolean): void {
    if (root[cpu] !== mm) return;
    if (opts.leaveLazyOnFreedTables && (flags & (FLUSH_FREED_TABLES | FLUSH_MM)) !== 0 && k.isLazy(cpu)) {
      // leave_mm(): switch to init_mm; keep the mm_cpumask bit (shoot-lazies must still find us)
      root[cpu] = INIT_MM;
      tlbMm[cpu] = INIT_MM;
      tlbClean[cpu] = 0;
      if (opts.leaveKeepsMaskBit) keptBit[cpu] = mm;
      else k.mmCpumask[mm]! &= ~(1 << cpu);
      if (k.tracer !== null) k.tracer.ev(cpu, 'leave_mm', `lazy on ${k.mmName(mm)}: root -> init_mm`);
    } else {
      tlbClean[cpu] = k.mmUnmapGen[mm]!;
    }
    k.cost[remote ? C_TLB_FLUSH_REMOTE : C_TLB_FLUSH_LOCAL]! += 1;
  }

  return {
    reset(k) {
      if (root.length < k.ncpu) {
        root = new Int32Array(k.ncpu);
        tlbMm = new Int32Array(k.ncpu);
        tlbClean = new Int32Array(k.ncpu);
        keptBit = new Int32Array(k.ncpu);
      }
      keptBit.fill(NO_MM);
      root.fill(INIT_MM);
      tlbMm.fill(INIT_MM);
      tlbClean.fill(0);
      k.declareState(root, tlbMm, tlbClean, keptBit); // all of this arch's per-run state (declaresState)
    },
    init_new_context() {},
    destroy_context() {},
    switch_mm_irqs_off(k, cpu, _prev, next) {
      if (root[cpu] !== next || keptBit[cpu] !== NO_MM) loadRoot(k, cpu, next);
    },
    enter_lazy_tlb() {},
    flush_tlb_mm_range(k, cpu, mm, flags) {
      k.onEachCpuMask(cpu, k.mmCpumask[mm]! | (root[cpu] === mm ? 1 << cpu : 0), REF_IPI_FLUSH, mm, flags, true, REASON_FLUSH);
    },
    handle_ipi(k, cpu, fn, mm, arg) {
      if (fn === REF_IPI_FLUSH) flushLocal(k, cpu, mm, arg, k.ipiSender !== cpu);
    },
    arch_exit_mmap() {},
    shoot_lazies_mask(k, mm) {
      return k.mmCpumask[mm]!;
    },
    hw_root(_k, cpu) {
      return root[cpu]!;
    },
    tlb_may_hold(_k, cpu, mm, gen) {
      // init_mm's (kernel) mappings are never torn down in the model
      return mm !== INIT_MM && tlbMm[cpu] === mm && tlbClean[cpu]! < gen;
    },
    check(k, cpu) {
      const t = k.cpuCurr[cpu]!;
      const mm = k.taskMm[t]!;
      const r = root[cpu]!;
      if (mm !== NO_MM ? r !== mm : r !== INIT_MM && r !== k.taskActiveMm[t]) {
        k.violate('I13', cpu, `root ${k.mmName(r)} does not match ${k.taskName(t)} (mm=${k.mmName(mm)}, active_mm=${k.mmName(k.taskActiveMm[t]!)})`);
      }
      // An offline CPU's bits were cleared by clear_tasks_mm_cpumask() (cpu_disable below).
      if (r > INIT_MM && k.cpuOnline[cpu] !== 0 && (k.mmCpumask[r]! & (1 << cpu)) === 0) {
        k.violate('I13', cpu, `root ${k.mmName(r)} loaded but CPU${cpu} is not in its mm_cpumask`);
      }
    },
    cpu_disable(k, cpu) {
      // __cpu_disable() as on arm and powerpc: clear_tasks_mm_cpumask(cpu)
      k.clearTasksMmCpumask(cpu);
      // ... and flush the local TLB (powerpc cleanup_cpu_mmu_context: tlbiel_all())
      tlbClean[cpu] = k.mmUnmapGen[root[cpu]!]!;
    },
    describe_cpu(k, cpu) {
      return `root=${k.mmName(root[cpu]!)}`;
    },
    ipi_name(fn) {
      return fn === REF_IPI_FLUSH ? 'flush_tlb_func' : `ipi${fn}`;
    },
  };
}

export const referenceArch = defineArchPlugin<ReferenceArchOptions>({
  abi: 1,
  declaresState: true,
  name: 'reference',
  version: CORE_VERSION,
  coreVersions: `>=${CORE_VERSION.split('-')[0]} <1.0.0 || ${CORE_VERSION}`,
  description: 'asm-generic-style reference MMU: one root per CPU, no ASIDs, flush by IPI to mm_cpumask',
  options: ReferenceArchOptions,
  capabilities: { vcpuPreemption: false, irqsOffActivateMm: true, maxCpus: 32 },
  useSites: [
    {
      id: CLEAR_PREV_SITE,
      kind: 'dereference',
      source: 'the reference arch switch_mm (as arm / asm-generic arches clear the bit of the mm they leave)',
      reads: 'mm_cpumask(prev) of the mm the CPU leaves, or of the mm it left lazily (leave_mm kept the bit)',
      consequence: 'a write into a freed mm_struct: a use after free',
    },
  ],
  invariants: [
    { id: 'I13', name: 'root-matches-mm', description: 'with IRQs on, the MMU root is current->mm, or for a lazy task its active_mm or init_mm' },
    { id: 'I13', name: 'root-in-cpumask', description: "a CPU with an mm loaded is in that mm's mm_cpumask" },
  ],
  setup(options) {
    return createHooks(options);
  },
});
