/**
 * `hazptr`: Mathieu Desnoyers' hazard-pointer RFC for the lazy mm (Oct 2024, "sched+mm: Track
 * lazy active mm existence with hazard pointers", v2 and v3 patch 4/4; notes with every quoted
 * hunk in this package's README).
 *
 * One hazard-pointer slot per CPU (hazptr_domain_sched_lazy_mm) replaces both
 * MMU_LAZY_TLB_REFCOUNT and MMU_LAZY_TLB_SHOOTDOWN:
 * - mmgrab_lazy_tlb(mm) = smp_mb(); WARN_ON_ONCE(!hazptr_try_protect(domain, mm, NULL)): a
 *   plain store of mm into this CPU's slot if it is empty; an occupied slot WARNs and leaves
 *   mm unprotected (include/linux/sched/mm.h @ intel-lab-lkp/linux c1508707268498a6);
 * - mmdrop_lazy_tlb(mm) / mmdrop_lazy_tlb_sched(mm) = smp_mb(); this_cpu_write(slot, NULL):
 *   the argument is ignored, the executing CPU's slot is cleared;
 * - __mmdrop's cleanup_lazy_tlbs(mm) = hazptr_scan(domain, mm, remove_lazy_mm_hp): after
 *   lockdep_assert_preemption_enabled() (v3) and smp_mb(), read every possible CPU's slot once
 *   (smp_load_acquire) and for each that holds mm send do_shoot_lazy_tlb and then
 *   do_check_lazy_tlb with smp_call_function_single(wait=1) (kernel/fork.c,
 *   kernel/hazptr.c @ intel-lab-lkp/linux b62696cacdd8e927); v2's hp_scan has no assertion
 *   and, after the IPIs, spins until the slot no longer holds mm;
 * - do_shoot_lazy_tlb clears the slot of a CPU it moved to init_mm (inside its
 *   `current->active_mm == mm` branch).
 * Lazy users hold no mm_count reference. Each slot read of the scan is a step of its own
 * (other CPUs interleave between them), and the slot is declared shared state, so under tso
 * a grab's store can still sit in the store buffer when the scan reads the slot.
 */
import { NO_MM, type SchemeKernel, type SharedArray, defineSchemePlugin } from '@lazytlb/core';
import { z } from 'zod';

export const HazptrOptions = z
  .object({
    rfc: z
      .enum(['v3', 'v2'])
      .default('v3')
      .describe('which posting: v3 (hazptr_scan: lockdep assertion, one read per CPU) or v2 (hp_scan: no assertion, spins until the slot changes)'),
    lockdep: z
      .boolean()
      .default(true)
      .describe("CONFIG_PROVE_LOCKING: v3's lockdep_assert_preemption_enabled() in hazptr_scan is live (the LKP report's config)"),
  })
  .strict();
export type HazptrOptions = z.infer<typeof HazptrOptions>;

/** Scan pc: 1 + 3 * cpu + phase (0 read the slot, 1 the check IPI, 2 v2's spin). */
const PHASES = 3;

export const hazptrScheme = defineSchemePlugin<HazptrOptions>({
  abi: 1,
  kind: 'scheme',
  declaresState: true, // reset() declares the per-CPU slot; no hook reads the step count
  name: 'hazptr',
  version: '0.1.0',
  coreVersions: '>=0.1.0 <1.0.0',
  description: "Mathieu Desnoyers' 2024 hazard-pointer RFC: one lazy-mm hazptr slot per CPU; __mmdrop scans the slots and IPIs each CPU that holds the mm",
  provenance: 'proposal',
  source:
    'lore 20241008135034.1982519-1-mathieu.desnoyers@efficios.com (v3) and 20241004182734.1761555-5 (v2 4/4); ' +
    'applied trees intel-lab-lkp/linux c1508707268498a6 (v3 4/4: include/linux/sched/mm.h, kernel/fork.c), b62696cacdd8e927 (kernel/hazptr.c)',
  options: HazptrOptions,
  kconfig: { MMU_LAZY_TLB_REFCOUNT: false, MMU_LAZY_TLB_SHOOTDOWN: false, other: ['hazptr_domain_sched_lazy_mm (both lazy Kconfig symbols removed)'] },
  claims: {
    danglingPremise: false,
    barriers: [
      {
        id: 'mmdrop_lazy_tlb-smp_mb',
        reliedOnBy: "membarrier: the full barrier after a kernel -> user switch's rq->curr store, before user code (I10 under tso)",
        provided: true,
        how: 'mmdrop_lazy_tlb / mmdrop_lazy_tlb_sched begin with smp_mb() before clearing the slot',
      },
      {
        id: 'mmgrab-atomic',
        reliedOnBy: 'switch_mm_cid (user -> kernel): smp_mb__after_mmgrab()',
        provided: true,
        how: "the RFC removes smp_mb__after_mmgrab() from switch_mm_cid and relies on mmgrab_lazy_tlb's smp_mb() (kernel/sched/sched.h hunk of 4/4; mm_cid is not modelled)",
      },
    ],
    arch: [
      {
        id: 'slot-covers-lazies',
        description: 'every CPU lazy on an mm has posted it in its slot (a grab never finds the slot occupied), so the scan finds it',
        checkedBy: 'I3',
      },
    ],
  },
  invariants: [
    { id: 'I15', site: 'hazptr_try_protect', description: "mmgrab_lazy_tlb's WARN_ON_ONCE: the CPU's slot must be empty when it posts the lazy mm" },
    {
      id: 'I15',
      site: 'hazptr_scan',
      description:
        'v3 lockdep_assert_preemption_enabled() (kernel/hazptr.c:28): __mmdrop must not run with preemption disabled. The LKP report ' +
        '202410141617.612a0f5b-lkp@intel.com hit it from khugepaged: collect_mm_slot() -> mmdrop() under khugepaged_mm_lock',
    },
  ],
  sharedState: [
    {
      id: 'hazptr_domain_sched_lazy_mm.percpu_slots->addr',
      scope: 'cpu',
      description:
        "the CPU's lazy-mm hazard pointer: written by its CPU with plain stores (WRITE_ONCE / this_cpu_write), read by hazptr_scan with smp_load_acquire",
    },
  ],
  setup(options) {
    const v2 = options.rfc === 'v2';
    const lockdep = options.lockdep && !v2;
    /** Each CPU's own view of its slot, and memory (what the scan reads; the same array under sc). */
    let slot = new Int32Array(0);
    let slotMem: SharedArray = slot;

    const nameOf = (k: SchemeKernel, mm: number): string => (mm === NO_MM ? 'NULL' : k.mmName(mm));
    /** The scan's next pc after CPU `c` (0: done). */
    const nextCpu = (k: SchemeKernel, c: number): number => (c + 1 < k.ncpu ? 1 + (c + 1) * PHASES : 0);

    return {
      reset(k) {
        if (slot.length !== k.ncpu) slot = new Int32Array(k.ncpu);
        // sched_init / start_secondary post &init_mm for an idle CPU; the model starts every slot
        // empty: a slot holding init_mm never matches a dying mm, and the first grab on a CPU
        // always follows a kernel -> user switch's drop.
        slot.fill(NO_MM);
        slotMem = k.declareSchemeShared(0, 'hazptr_slot', slot);
        // All of the per-run state (SchemePlugin.declaresState); under tso slotMem is the core's
        // store-buffer memory copy, which the core hashes itself.
        k.declareState(slot);
      },

      mmgrab_lazy_tlb(k, cpu, mm) {
        k.lazyMb(cpu); // smp_mb(): membarrier relies on it
        const held = slot[cpu]!;
        if (held !== NO_MM) {
          // hazptr_try_protect(): READ_ONCE(slot->addr) != NULL -> fails; WARN_ON_ONCE, mm unprotected.
          k.schemeViolation(
            cpu,
            'hazptr_try_protect',
            `mmgrab_lazy_tlb(${nameOf(k, mm)}) on CPU${cpu} finds its slot holding ${nameOf(k, held)}: WARN_ON_ONCE, ${nameOf(k, mm)} is left unprotected`,
          );
          return;
        }
        k.storeSchemeShared(cpu, 0, cpu, mm); // WRITE_ONCE(slot->addr, mm)
        if (k.tracer !== null) k.tracer.ev(cpu, 'hazptr_try_protect', `slot = ${nameOf(k, mm)}`);
      },

      mmdrop_lazy_tlb(k, cpu) {
        k.lazyMb(cpu);
        k.storeSchemeShared(cpu, 0, cpu, NO_MM); // this_cpu_write(slot->addr, NULL): the mm argument is ignored
      },

      lazy_refs() {
        return 0; // lazy users hold no mm_count reference
      },

      shoot_lazy_tlb(k, cpu) {
        // do_shoot_lazy_tlb(), inside `if (current->active_mm == mm)`: this_cpu_write(slot->addr, NULL)
        k.storeSchemeShared(cpu, 0, cpu, NO_MM);
      },

      cleanup_lazy_tlbs(k, cpu, mm) {
        // hazptr_scan(&hazptr_domain_sched_lazy_mm, mm, remove_lazy_mm_hp)
        if (lockdep && !k.preemptible(cpu)) {
          k.schemeViolation(
            cpu,
            'hazptr_scan',
            `lockdep_assert_preemption_enabled(): __mmdrop(${k.mmName(mm)}) runs with preemption disabled (WARNING at kernel/hazptr.c:28)`,
          );
          return;
        }
        k.lazyMb(cpu); // smp_mb() before the slot reads
        return 1;
      },

      resume(k, cpu, _hook, pc, mm) {
        const c = Math.floor((pc - 1) / PHASES);
        const phase = (pc - 1) % PHASES;
        if (phase === 0) {
          // smp_load_acquire(&slot->addr) of CPU c (this CPU reads its own newest store)
          const v = c === cpu ? slot[c]! : slotMem[c]!;
          if (c !== cpu) k.countRemoteRead(cpu);
          if (k.tracer !== null) k.tracer.ev(cpu, 'hazptr_scan', `CPU${c} slot = ${nameOf(k, v)}${v === mm ? ': remove_lazy_mm_hp' : ''}`);
          if (v !== mm) return nextCpu(k, c);
          k.shootLazies(cpu, 1 << c, mm); // smp_call_function_single(c, do_shoot_lazy_tlb, mm, 1)
          return pc + 1;
        }
        if (phase === 1) {
          k.checkLazies(cpu, 1 << c, mm); // smp_call_function_single(c, do_check_lazy_tlb, mm, 1)
          return v2 ? pc + 1 : nextCpu(k, c);
        }
        // v2 hp_scan: smp_cond_load_acquire(&slot->addr, VAL != addr): spin until CPU c lets go
        const v = c === cpu ? slot[c]! : slotMem[c]!;
        if (c !== cpu) k.countRemoteRead(cpu);
        return v === mm ? pc : nextCpu(k, c);
      },

      describe_cpu(k, cpu) {
        return `hazptr=${nameOf(k, slot[cpu]!)}${slotMem !== slot && slotMem[cpu] !== slot[cpu] ? ` (memory: ${nameOf(k, slotMem[cpu]!)})` : ''}`;
      },
    };
  },
});
