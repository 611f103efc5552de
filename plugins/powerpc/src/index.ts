/**
 * @lazytlb/arch-powerpc: powerpc 64s (Book3S-64) for lazytlb — radix (PID, process table,
 * flush_type_needed trimming, exit_lazy_flush_tlb, the v6.6 combined final flush + shootdown)
 * and hash (context ids, SLB/paca context, mm_cpumask never trimmed). switch_mm_irqs_off
 * compares the core's `prev` pointer with `next` (`prev == next`) by address, so a recycled mm
 * address (ABA) skips the context load, as in arch/powerpc/mm/mmu_context.c; when that leaves
 * the wrong context loaded it is I14 at the compare. The use sites of a dangling lazy mm are
 * declared in `useSites` (sites.ts); CONFIG_DEBUG_VM's read of `prev` is the option `debugVm`;
 * radix text patching switches through a temporary mm and back to current->active_mm.
 *
 * ABI v2: switch_mm_irqs_off is a resumable sequence whose steps are the accesses other CPUs
 * observe or race with (cpumask_set_cpu | inc_mm_active_cpus | smp_mb() | the PID load;
 * switch-mm.ts). The plugin runs under `sc` only and refuses `tso` (POWER's memory model is
 * weaker than TSO, not TSO).
 */
import { defineArchPlugin } from '@lazytlb/core';
import { createHooks } from './hooks.js';
import { POWERPC_MUTATIONS } from './mutations.js';
import { PowerpcOptions } from './options.js';
import { POWERPC_USE_SITES } from './sites.js';

export const POWERPC_VERSION = '0.1.0';

/** Why the plugin refuses `memory: 'tso'` (ArchPlugin.memoryModelNote). */
export const POWERPC_MEMORY_MODEL_NOTE =
  'TSO is not the memory model of POWER: the Power ISA is weaker than TSO (store->store and load->load reordering, ' +
  "ordered only by sync / lwsync / isync and the like), so x86's store-buffer model would claim orderings POWER does not give. " +
  'The plugin runs under sc only; a relaxed (POWER) memory model for it is future work';

export const powerpc = defineArchPlugin<PowerpcOptions>({
  abi: 2,
  name: 'powerpc',
  version: POWERPC_VERSION,
  coreVersions: '>=0.1.0 <1.0.0',
  description:
    "powerpc 64s (ABI v2, sc only): radix (SPRN_PID, process_tb, flush_type_needed trimming, exit_lazy_flush_tlb, v6.6 combined final flush, text patching through a temporary mm) or hash (context id, SLB); switch_mm_irqs_off in steps (cpumask_set_cpu | inc_mm_active_cpus | smp_mb | PID load) skips the context load on prev == next (pointer compare: I14 when a stale prev decides it and the loaded context is not next's); CONFIG_DEBUG_VM read of prev as an option",
  options: PowerpcOptions,
  // ARCH_WANT_IRQS_OFF_ACTIVATE_MM: selected by powerpc (arch/powerpc/Kconfig).
  capabilities: { vcpuPreemption: false, irqsOffActivateMm: true, maxCpus: 32 },
  invariants: [
    { id: 'I13', name: 'ppc-context-matches-active-mm', description: 'with IRQs on, SPRN_PID (radix) / the paca context id (hash) is active_mm->context.id' },
    { id: 'I13', name: 'ppc-cpumask-covers-active-mm', description: 'I7-ppc: a CPU whose active_mm is M is in mm_cpumask(M)' },
    {
      id: 'I13',
      name: 'ppc-active-cpus',
      description:
        'M->context.active_cpus == |mm_cpumask(M)| (+1 while a copro is attached, radix), less the CPUs inside switch_mm_irqs_off() between cpumask_set_cpu() and inc_mm_active_cpus()',
    },
  ],
  mutations: POWERPC_MUTATIONS,
  useSites: POWERPC_USE_SITES,
  // ABI v2: switch_mm_irqs_off is a resumable sequence (switch-mm.ts). No sharedState: the
  // plugin refuses tso, so none of its stores goes through a store buffer.
  memoryModels: ['sc'],
  memoryModelNote: POWERPC_MEMORY_MODEL_NOTE,
  // Exhaustive search may hash its states: PpcState.reset() declares all of its per-run state, and no hook reads the step count.
  declaresState: true,
  setup(options, env) {
    return createHooks(options, env.mutations);
  },
});

export default powerpc;
export { PowerpcOptions, DEFAULT_TRIM_PERIOD } from './options.js';
export { SW_INC, SW_MB, SW_PID } from './switch-mm.js';
export { PPC_IPI_EXIT_FLUSH_LAZY, FLUSH_TYPE_GLOBAL, FLUSH_TYPE_LOCAL, FLUSH_TYPE_NONE } from './constants.js';
export {
  COMPARE_SITE_BY_CALLER,
  POWERPC_USE_SITES,
  SITE_ACTIVATE_MM,
  SITE_DEBUG_VM_PREV,
  SITE_KTHREAD_USE_MM,
  SITE_PREV_EQ_NEXT,
  SITE_STOP_USING_TEMP_MM,
} from './sites.js';
export { MUT_RADIX_EXIT_LAZY_FLUSH_IRQS_ON, MUT_RADIX_TRIM_CLEARS_OTHER_CPUS, POWERPC_MUTATIONS } from './mutations.js';
