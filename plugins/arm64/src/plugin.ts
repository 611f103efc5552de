/**
 * The arm64 arch plugin descriptor (ABI v1) and its hooks.
 */
import { INIT_MM, NO_MM, defineArchPlugin, type ArchHooks, type ArchInvariantDoc } from '@lazytlb/core';
import { Arm64Mmu } from './context.js';
import { Arm64Options } from './options.js';

export const ARM64_PLUGIN_VERSION = '0.1.0';

export const ARM64_INVARIANTS: readonly ArchInvariantDoc[] = [
  {
    id: 'I13',
    name: 'ttbr0-is-active-mm',
    description: 'with IRQs on, a lazy task\'s TTBR0 holds its active_mm\'s pgd (arm64 never leaves a lazy mm) or reserved_pg_dir',
  },
  {
    id: 'I13',
    name: 'asid-not-stale',
    description: 'a CPU never runs an mm under an ASID number while its TLB may still hold another mm\'s entries under that number (the rollover\'s tlb_flush_pending local flush)',
  },
  {
    id: 'I13',
    name: 'active-asid-current',
    description: 'a CPU with a user mm in TTBR0 has that mm\'s context.id (current generation) in active_asids, unless a rollover has zeroed it since',
  },
];

export function createArm64Hooks(options: Arm64Options): ArchHooks {
  const m = new Arm64Mmu(options);
  return {
    reset(k) {
      m.reset(k);
    },
    init_new_context(_k, _cpu, mm) {
      m.initNewContext(mm);
    },
    // arm64 has no destroy_context: the ASID stays allocated until the next rollover
    destroy_context() {},
    // switch_mm(): if (prev != next) __switch_mm(next): a pointer compare (slab addresses, so ABA is possible)
    switch_mm_irqs_off(k, cpu, prev, next) {
      if (prev !== NO_MM && k.mmAddr[prev] === k.mmAddr[next]) {
        if (prev !== next && k.tracer !== null) {
          k.tracer.ev(cpu, 'switch_mm', `prev == next: ${k.mmName(prev)} and ${k.mmName(next)} share slab address ${k.mmAddr[next]} (ABA): __switch_mm skipped, TTBR0 stays ${k.mmName(m.ttbr0[cpu]!)}`);
        }
        return;
      }
      if (next === INIT_MM) m.setReservedTtbr0(k, cpu);
      else m.checkAndSwitchContext(k, cpu, next);
    },
    // enter_lazy_tlb(): update_saved_ttbr0(tsk, &init_mm) only (SW PAN's saved value); TTBR0 keeps the mm
    enter_lazy_tlb() {},
    // flush_tlb_mm() / flush_tlb_range(): broadcast TLBI by ASID in the inner-shareable domain
    flush_tlb_mm_range(k, cpu, mm) {
      m.flushTlbMm(k, cpu, mm);
    },
    // no arch IPIs
    handle_ipi(_k, _cpu, fn) {
      throw new Error(`arm64 sends no arch IPIs (got ${fn})`);
    },
    arch_exit_mmap() {},
    // MMU_LAZY_TLB_SHOOTDOWN's mask: mm_cpumask(mm), which arm64 never populates for a user mm
    shoot_lazies_mask(k, mm) {
      return k.mmCpumask[mm]!;
    },
    hw_root(_k, cpu) {
      return m.ttbr0[cpu]!;
    },
    tlb_may_hold(_k, cpu, mm, gen) {
      return m.tlbMayHold(cpu, mm, gen);
    },
    check(k, cpu) {
      if (k.cpuIrqsOff[cpu] !== 0 || k.cpuOnline[cpu] === 0) return;
      const t = k.cpuCurr[cpu]!;
      const mm = k.taskMm[t]!;
      const r = m.ttbr0[cpu]!;
      // A user task is not checked: without ARCH_WANT_IRQS_OFF_ACTIVATE_MM, exec_mmap runs with IRQs
      // on between `tsk->mm = mm` and activate_mm(), with TTBR0 still on the old active_mm. A wrong
      // TTBR0 under a user task (the ABA skip in switch_mm) shows as I1 on the freed pgd instead.
      if (mm === NO_MM && r !== INIT_MM && r !== k.taskActiveMm[t]) {
        k.violate('I13', cpu, `TTBR0 holds ${k.mmName(r)} but lazy ${k.taskName(t)} has active_mm=${k.mmName(k.taskActiveMm[t]!)}`);
        return;
      }
      if (r > INIT_MM) {
        const a = m.activeAsids[cpu]!;
        if (a !== 0 && a !== m.ctxId[r]) {
          k.violate('I13', cpu, `active_asids[CPU${cpu}] = ${a} but TTBR0's ${k.mmName(r)} has context.id ${m.ctxId[r]}`);
        }
      }
    },
    // __cpu_disable(): clear_tasks_mm_cpumask(cpu)
    cpu_disable(k, cpu) {
      k.clearTasksMmCpumask(cpu);
    },
    // secondary_start_kernel(): cpu_uninstall_idmap -> reserved TTBR0 + local_flush_tlb_all
    cpu_up(k, cpu) {
      m.setReservedTtbr0(k, cpu);
      m.localFlushTlbAll(k, cpu);
    },
    describe_cpu(k, cpu) {
      const a = m.activeAsids[cpu]!;
      return `ttbr0=${k.mmName(m.ttbr0[cpu]!)} asid=${m.hwAsid[cpu]} active_asids=${a === 0 ? 0 : `${Math.floor(a / m.numAsids)}:${a % m.numAsids}`}${(m.tlbFlushPending & (1 << cpu)) !== 0 ? ' tlb_flush_pending' : ''}`;
    },
    ipi_name(fn) {
      return `ipi${fn}`;
    },
  };
}

export const arm64 = defineArchPlugin<Arm64Options>({
  abi: 1,
  name: 'arm64',
  version: ARM64_PLUGIN_VERSION,
  coreVersions: '>=0.1.0 <1.0.0',
  description:
    'arm64 (arch/arm64/mm/context.c, asm/tlbflush.h): ASIDs with generations and rollover (flush_context, tlb_flush_pending), ' +
    'TTBR0 kept on the lazy mm, flush_tlb_mm as broadcast TLBI ASIDE1IS (no IPIs), mm_cpumask never set for user mms',
  options: Arm64Options,
  capabilities: { vcpuPreemption: false, irqsOffActivateMm: false, maxCpus: 32 },
  invariants: ARM64_INVARIANTS,
  setup(options) {
    return createArm64Hooks(options);
  },
});
