/**
 * The x86-native arch plugin descriptor (ABI v2).
 */
import { defineArchPlugin, type ArchCapabilities, type ArchInvariantDoc } from '@lazytlb/core';
import { X86_NATIVE_MUTATIONS, x86MutationFlags } from './mutations.js';
import { X86NativeOptions, releaseLogic } from './options.js';
import { X86_USE_SITES } from './sites.js';
import { X86_SHARED_STATE, createX86Hooks } from './tlb.js';

/** x86 capabilities for an option set: ARCH_WANT_IRQS_OFF_ACTIVATE_MM is selected from v6.16 (af8967158f9a). */
export function x86Capabilities(options: { release: X86NativeOptions['release'] }): ArchCapabilities {
  return { vcpuPreemption: false, irqsOffActivateMm: releaseLogic(options.release).irqsOffActivateMm, maxCpus: 32 };
}

export const X86_PLUGIN_VERSION = '0.1.0';

/** The I13 checks of x86 (kernel-reference §4), shared with x86-paravirt. */
export const X86_INVARIANTS: readonly ArchInvariantDoc[] = [
  { id: 'I13', name: 'lazy-not-init', description: 'is_lazy(c) ⇒ loaded_mm(c) ≠ &init_mm' },
  {
    id: 'I13',
    name: 'loaded-in-cpumask',
    description: "I7-x86: {c : loaded_mm(c) == M} ⊆ mm_cpumask(M) for M ≠ init_mm (the owner's view; LOADED_MM_SWITCHING is no mm)",
  },
  { id: 'I13', name: 'loaded-is-mm', description: 'with IRQs on, current->mm ≠ NULL ⇒ loaded_mm == current->mm and !is_lazy' },
  {
    id: 'I13',
    name: 'loaded-is-active-or-init',
    description: 'with IRQs on, for a lazy task loaded_mm ≠ active_mm only when loaded_mm == &init_mm (kicked by flush_tlb_func or leave_mm)',
  },
];

export const x86Native = defineArchPlugin<X86NativeOptions>({
  abi: 2,
  name: 'x86-native',
  version: X86_PLUGIN_VERSION,
  coreVersions: '>=0.1.0 <1.0.0',
  description:
    'x86-64 bare metal (arch/x86/mm/tlb.c per mainline release v6.13 / v6.14 / v6.15-v6.17 / v6.18): switch_mm_irqs_off and ' +
    'flush_tlb_mm_range step by step at memory-access granularity (loaded_mm, LOADED_MM_SWITCHING, is_lazy, mm_cpumask, tlb_gen, CR3), ' +
    'under sc or x86-TSO; 6 dynamic PCID slots keyed by never-reused ctx_id with tlb_gen catch-up, freed_tables IPIs to lazy CPUs, ' +
    'lazy mm_cpumask trimming or clear-on-switch, optional INVLPGB with on-demand global ASIDs, cond_mitigation IBPB counters, ' +
    'deep-idle / text_poke leave_mm, suspend/resume',
  options: X86NativeOptions,
  capabilities: { vcpuPreemption: false, irqsOffActivateMm: true, maxCpus: 32 },
  capabilitiesFor: x86Capabilities,
  sharedState: X86_SHARED_STATE,
  memoryModels: ['sc', 'tso'],
  invariants: X86_INVARIANTS,
  mutations: X86_NATIVE_MUTATIONS,
  useSites: X86_USE_SITES,
  // X86Tlb.reset declares all of its per-run state; the step count (jiffies: should_trim_cpumask,
  // the consider_global_asid gate) is a choice when an exhaustive search explores choices.
  declaresState: true,
  setup(options, env) {
    return createX86Hooks(options, {}, x86MutationFlags(env.mutations)).hooks;
  },
});
