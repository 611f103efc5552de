/**
 * The arm64 arch plugin descriptor (ABI v2: switch_mm_irqs_off is a resumable sequence; sc only,
 * tso refused) and its hooks.
 */
import { INIT_MM, NO_MM, constants, defineArchPlugin, type ArchHooks, type ArchInvariantDoc, type ArchKernel, type UseSiteDoc } from '@lazytlb/core';
import { Arm64Mmu } from './context.js';
import { Arm64Options } from './options.js';

export const ARM64_PLUGIN_VERSION = '0.1.0';

/** Kernel trees the use sites were read in (file @ the file's own commit in a stored copy). */
const MMU_CONTEXT_H = 'arch/arm64/include/asm/mmu_context.h @ Kingxukai/linux 9b44fff655e2';

/** switch_mm()'s `prev != next`, named by its caller (Kernel.switchCaller). */
export const SITE_SWITCH_MM = 'switch_mm (prev != next)';
export const SITE_ACTIVATE_MM = 'activate_mm (prev != next)';
export const SITE_KTHREAD_USE_MM = 'kthread_use_mm (prev != next)';
/** __cpu_suspend_exit() -> cpu_uninstall_idmap(): cpu_switch_mm(current->active_mm->pgd, ...). */
export const SITE_UNINSTALL_IDMAP = 'cpu_uninstall_idmap';
/** efi_virtmap_unload() -> efi_set_pgd(current->active_mm) -> __switch_mm -> check_and_switch_context. */
export const SITE_EFI_UNLOAD = 'efi_virtmap_unload';
/** The core's site for the read of the mm being switched to (next->pgd / context). */
const SITE_NEXT = 'switch_mm_irqs_off';

const COMPARE_CONSEQUENCE =
  'equal by address reuse (ABA: prev freed, next allocated at its address) skips __switch_mm(next) = ' +
  'check_and_switch_context(next); update_saved_ttbr0(tsk, next) still runs (SW PAN: thread_info.ttbr0 = next->pgd | ' +
  'ASID(next), whatever next->context.id holds). A change unless next->context.id is of the current generation, ' +
  'active_asids[cpu] already holds it and (hardware PAN) TTBR0 already holds next->pgd under that ASID; otherwise the CPU ' +
  "keeps the freed mm's pgd/ASID in TTBR0 (hardware PAN) or runs next under an unallocated or stale ASID (SW PAN)";

export const ARM64_USE_SITES: readonly UseSiteDoc[] = [
  {
    id: SITE_SWITCH_MM,
    kind: 'stale-compare',
    source: `${MMU_CONTEXT_H} switch_mm(), called as switch_mm_irqs_off (include/linux/mmu_context.h) from context_switch()`,
    reads: 'prev != next, prev = prev->active_mm (a lazy pointer when prev is a kernel thread): a pointer compare only, prev is never dereferenced',
    consequence: COMPARE_CONSEQUENCE,
  },
  {
    id: SITE_ACTIVATE_MM,
    kind: 'stale-compare',
    source: `${MMU_CONTEXT_H} switch_mm() via asm-generic activate_mm(), from exec_mmap() (fs/exec.c @ Kingxukai/linux 9b44fff655e2)`,
    reads: "prev != next, prev = the exec'ing task's old active_mm (lazy when a kernel thread execs: kernel_execve), next = the mm bprm_mm_init just allocated",
    consequence: COMPARE_CONSEQUENCE,
  },
  {
    id: SITE_KTHREAD_USE_MM,
    kind: 'stale-compare',
    source: `${MMU_CONTEXT_H} switch_mm() as switch_mm_irqs_off(active_mm, mm, tsk) from kthread_use_mm() (kernel/kthread.c @ Kingxukai/linux 0291023e7330)`,
    reads: "prev != next, prev = the kernel thread's lazy active_mm, next = the mm it adopts",
    consequence: COMPARE_CONSEQUENCE,
  },
  {
    id: SITE_UNINSTALL_IDMAP,
    kind: 'dereference',
    source:
      `${MMU_CONTEXT_H} cpu_uninstall_idmap(), from __cpu_suspend_exit() (arch/arm64/kernel/suspend.c @ Kingxukai/linux 9b44fff655e2) ` +
      'on the resume of cpu_suspend(), which psci_cpu_suspend_enter() (drivers/firmware/psci/psci.c @ Kingxukai/linux 9b44fff655e2) ' +
      'calls only for context-losing states',
    reads:
      'mm = current->active_mm of the idle task (its lazy mm); unless mm == &init_mm or system_uses_ttbr0_pan(): cpu_switch_mm(mm->pgd, mm) reads mm->pgd and ASID(mm) and loads them into TTBR0',
    consequence:
      'a read of a freed mm_struct (use after free) and a TTBR0 load of a freed pgd under a stale ASID (hardware PAN only: with SW PAN nothing is read)',
  },
  {
    id: SITE_EFI_UNLOAD,
    kind: 'dereference',
    source:
      'drivers/firmware/efi/arm-runtime.c efi_virtmap_unload() @ Kingxukai/linux 9b44fff655e2 -> efi_set_pgd() ' +
      '(arch/arm64/include/asm/efi.h @ Kingxukai/linux 0291023e7330) -> __switch_mm(); every EFI runtime call ' +
      '(arch_efi_call_virt_teardown, arch/arm64/kernel/efi.c @ 9b44fff655e2), run by the efi_rts_wq kworker ' +
      '(drivers/firmware/efi/runtime-wrappers.c @ 0291023e7330) or, for the non-blocking calls, by the caller',
    reads:
      'efi_set_pgd(current->active_mm): check_and_switch_context(mm) reads mm->context.id (may allocate an ASID), writes TTBR0 with mm->pgd (hardware PAN); with SW PAN update_saved_ttbr0(current, current->active_mm) reads mm->pgd and the ASID',
    consequence: 'a read of a freed mm_struct (use after free); with hardware PAN also a TTBR0 load of its freed pgd',
  },
];

export const ARM64_INVARIANTS: readonly ArchInvariantDoc[] = [
  {
    id: 'I13',
    name: 'ttbr0-is-active-mm',
    description: "with IRQs on, a lazy task's TTBR0 holds its active_mm's pgd (arm64 never leaves a lazy mm) or reserved_pg_dir",
  },
  {
    id: 'I13',
    name: 'asid-not-stale',
    description:
      "a CPU never runs an mm under an ASID number while its TLB may still hold another mm's entries under that number (the rollover's tlb_flush_pending local flush)",
  },
  {
    id: 'I13',
    name: 'active-asid-current',
    description: "a CPU with a user mm in TTBR0 has that mm's context.id (current generation) in active_asids, unless a rollover has zeroed it since",
  },
];

const SITE_BY_CALLER: string[] = [];
SITE_BY_CALLER[constants.SWITCH_CONTEXT_SWITCH] = SITE_SWITCH_MM;
SITE_BY_CALLER[constants.SWITCH_ACTIVATE_MM] = SITE_ACTIVATE_MM;
SITE_BY_CALLER[constants.SWITCH_KTHREAD_USE_MM] = SITE_KTHREAD_USE_MM;
SITE_BY_CALLER[constants.SWITCH_TO_INIT_MM] = SITE_SWITCH_MM; // next = init_mm: never equal to a stale pointer

export function createArm64Hooks(options: Arm64Options): ArchHooks {
  const m = new Arm64Mmu(options);

  /**
   * A powered-down CPU resumes (cpu_uninstall_idmap) before it does anything else; `active`
   * is its current->active_mm before the step that woke it changed anything.
   */
  function wake(k: ArchKernel, cpu: number, active: number): void {
    if (m.down[cpu] !== 0) m.resume(k, cpu, active, SITE_UNINSTALL_IDMAP);
  }

  return {
    reset(k) {
      m.reset(k);
    },
    init_new_context(_k, _cpu, mm) {
      m.initNewContext(mm);
    },
    // arm64 has no destroy_context: the ASID stays allocated until the next rollover
    destroy_context() {},
    // switch_mm(): if (prev != next) __switch_mm(next); update_saved_ttbr0(tsk, next).
    // `prev != next` compares addresses (slab objects): ABA is possible. ABI v2: a resumable
    // sequence when __switch_mm reaches check_and_switch_context (context.ts): the generation
    // check (this step, with the compare) | the cmpxchg or the cpu_asid_lock slow path | the
    // TTBR0 write; update_saved_ttbr0 (SW PAN) is fused with the last step.
    switch_mm_irqs_off(k, cpu, prev, next) {
      wake(k, cpu, prev);
      if (prev !== next) {
        if (k.ptrEq(prev, next)) {
          // prev is a freed mm whose address SLUB handed to next: __switch_mm(next) is skipped.
          if (k.tracer !== null) {
            k.tracer.ev(
              cpu,
              'switch_mm',
              `prev == next: ${k.mmName(prev)} and ${k.mmName(next)} share slab address ${k.mmAddr[next]} (ABA): __switch_mm skipped, TTBR0 stays ${m.name(k, m.ttbr0[cpu]!)}`,
            );
          }
          if (m.switchWouldChange(cpu, next)) {
            const ctx = m.ctxId[next]!;
            k.staleCompare(
              cpu,
              SITE_BY_CALLER[k.switchCaller] ?? SITE_SWITCH_MM,
              prev,
              next,
              `check_and_switch_context(${k.mmName(next)}) skipped: ` +
                (m.swPan
                  ? `${k.mmName(next)} runs under ASID ${ctx % m.numAsids} of context.id ${ctx} (${m.sameGeneration(ctx) ? 'active_asids not updated' : ctx === 0 ? 'never allocated' : 'a previous generation'})`
                  : `TTBR0 keeps ${m.name(k, m.ttbr0[cpu]!)}'s pgd under ASID ${m.hwAsid[cpu]}`),
            );
          }
        } else if (next === INIT_MM) {
          m.setReservedTtbr0(k, cpu); // __switch_mm(&init_mm)
        } else {
          return m.checkAndSwitchBegin(k, cpu, next, SITE_NEXT);
        }
      }
      m.updateSavedTtbr0(k, cpu, next);
      return 0;
    },
    resume(k, cpu, hook, pc, _prev, next) {
      // switch_mm_irqs_off is the only sequence: flush_tlb_mm_range returns nothing (one step).
      if (hook !== 'switch_mm_irqs_off') throw new Error(`arm64: ${hook} is not a sequence`);
      const r = m.checkAndSwitchStep(k, cpu, next, pc);
      if (r === 0) m.updateSavedTtbr0(k, cpu, next); // switch_mm: update_saved_ttbr0(tsk, next)
      return r;
    },
    // enter_lazy_tlb(): update_saved_ttbr0(tsk, &init_mm) only; with hardware PAN TTBR0 keeps the mm
    enter_lazy_tlb(k, cpu, mm) {
      wake(k, cpu, mm);
      m.updateSavedTtbr0(k, cpu, INIT_MM);
    },
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
    // (shootdown:mask=online makes the core IPI every online CPU instead)
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
      // TTBR0 under a user task (the ABA skip in switch_mm) is reported at the compare (I14).
      if (mm === NO_MM && r !== INIT_MM && r !== k.taskActiveMm[t]) {
        k.violate('I13', cpu, `TTBR0 holds ${m.name(k, r)} but lazy ${k.taskName(t)} has active_mm=${k.mmName(k.taskActiveMm[t]!)}`);
        return;
      }
      if (r > INIT_MM) {
        const a = m.activeAsids[cpu]!;
        if (a !== 0 && a !== m.ctxId[r]) {
          k.violate('I13', cpu, `active_asids[CPU${cpu}] = ${a} but TTBR0's ${m.name(k, r)} has context.id ${m.ctxId[r]}`);
        }
      }
    },
    // cpuidle_enter_state() of a deep state: psci_cpu_suspend_enter(). A context-losing state
    // goes through cpu_suspend(); the CPU stays down until its next step resumes it.
    cpu_idle_deep(k, cpu) {
      const active = k.taskActiveMm[k.cpuCurr[cpu]!]!;
      wake(k, cpu, active); // woken from a previous entry first
      if (m.powerdown) m.powerDown(k, cpu);
      else if (k.tracer !== null) k.tracer.ev(cpu, 'psci_cpu_suspend_enter', 'retention state: psci_ops.cpu_suspend, MMU state kept');
    },
    // An EFI runtime call (arm64 text_poke() patches through a TTBR1 fixmap and switches no mm):
    // efi_virtmap_load() -> efi_set_pgd(&efi_mm); the firmware call; efi_virtmap_unload() ->
    // efi_set_pgd(current->active_mm).
    use_temporary_mm(k, cpu, task) {
      const active = k.taskActiveMm[task]!;
      wake(k, cpu, active);
      // efi_set_pgd(&efi_mm): __switch_mm(&efi_mm); with SW PAN (efi_mm != current->active_mm)
      // update_saved_ttbr0(current, &efi_mm) + uaccess_ttbr0_enable(): TTBR0 = efi_mm either way.
      m.checkAndSwitchContext(k, cpu, m.efiMm, SITE_EFI_UNLOAD);
      if (m.swPan) m.cpuSwitchMm(k, cpu, m.efiMm, m.ctxId[m.efiMm]! % m.numAsids);
      if (k.tracer !== null) k.tracer.ev(cpu, 'efi_virtmap_unload', `efi_set_pgd(current->active_mm = ${k.mmName(active)})`);
      // efi_set_pgd(current->active_mm): __switch_mm(active); with SW PAN uaccess_ttbr0_disable()
      // and update_saved_ttbr0(current, current->active_mm), installed only for user mode / uaccess.
      m.switchMm(k, cpu, active, SITE_EFI_UNLOAD);
      if (m.swPan) {
        if (k.taskMm[task] !== NO_MM) m.updateSavedTtbr0(k, cpu, active);
        else m.setReservedTtbr0(k, cpu);
      }
    },
    // secondary_start_kernel(): current->active_mm = &init_mm, cpu_uninstall_idmap -> reserved
    // TTBR0 + local_flush_tlb_all (init_mm is not loaded)
    cpu_up(k, cpu) {
      m.down[cpu] = 0;
      m.setReservedTtbr0(k, cpu);
      m.localFlushTlbAll(k, cpu);
    },
    describe_cpu(k, cpu) {
      const a = m.activeAsids[cpu]!;
      return (
        `ttbr0=${m.name(k, m.ttbr0[cpu]!)} asid=${m.hwAsid[cpu]} active_asids=${a === 0 ? 0 : `${Math.floor(a / m.numAsids)}:${a % m.numAsids}`}` +
        `${(m.tlbFlushPending[0]! & (1 << cpu)) !== 0 ? ' tlb_flush_pending' : ''}${m.down[cpu] !== 0 ? ' powered-down' : ''}`
      );
    },
    ipi_name(fn) {
      return `ipi${fn}`;
    },
  };
}

/** Why the plugin refuses `memory: 'tso'` (ArchPlugin.memoryModelNote). */
export const ARM64_MEMORY_MODEL_NOTE =
  'TSO is not the memory model of ARMv8: the ARMv8 model (other-multi-copy-atomic) is weaker than TSO (store->store and ' +
  "load->load reordering, ordered only by dmb / dsb / acquire-release), so x86's store-buffer model would claim orderings " +
  "arm64 does not give (the relaxed cmpxchg / xchg on active_asids rely on ARMv8's per-location order, not on TSO). The " +
  'plugin runs under sc only; a relaxed (ARMv8) memory model for it is future work';

export const arm64 = defineArchPlugin<Arm64Options>({
  abi: 2,
  name: 'arm64',
  version: ARM64_PLUGIN_VERSION,
  coreVersions: '>=0.1.0 <1.0.0',
  description:
    'arm64 (ABI v2, sc only; arch/arm64/mm/context.c, asm/mmu_context.h, asm/tlbflush.h): ASIDs with generations and rollover (flush_context, ' +
    'tlb_flush_pending; check_and_switch_context in steps: generation check | cmpxchg or cpu_asid_lock slow path | TTBR0 write), ' +
    'TTBR0 kept on the lazy mm (hardware PAN) or reserved in the kernel (SW PAN), flush_tlb_mm as broadcast ' +
    'TLBI ASIDE1IS (no IPIs), mm_cpumask never set for user mms, deep-idle resume (cpu_uninstall_idmap) and EFI runtime calls ' +
    '(efi_virtmap_unload) reloading current->active_mm',
  options: Arm64Options,
  capabilities: { vcpuPreemption: false, irqsOffActivateMm: false, maxCpus: 32 },
  capabilitiesFor: (o) => ({ vcpuPreemption: false, irqsOffActivateMm: o.irqsOffActivateMm, maxCpus: 32 }),
  useSites: ARM64_USE_SITES,
  invariants: ARM64_INVARIANTS,
  // ABI v2: switch_mm_irqs_off is a resumable sequence (context.ts). No sharedState: the plugin
  // refuses tso, so none of its stores goes through a store buffer.
  memoryModels: ['sc'],
  memoryModelNote: ARM64_MEMORY_MODEL_NOTE,
  // Exhaustive search may hash its states: Arm64Mmu.reset() declares all of its per-run state, and no hook reads the step count.
  declaresState: true,
  setup(options) {
    return createArm64Hooks(options);
  },
});
