/**
 * x86-paravirt mutations. The guests share native x86's flush decision: kvm_flush_tlb_multi()
 * hands every vCPU that is not preempted to native_flush_tlb_multi(), and so does
 * hyperv_flush_tlb_multi() when its hypercall fails. The 2018 lazy-TLB bug of x86-native
 * (x86-lazy-skip-freed-tables, kernel-reference §7.8) therefore lives here too, in the very
 * same X86Tlb code; it is declared under its own id because mutation ids are unique across
 * core and all plugins (one sweep can list every plugin's mutations).
 *
 * Not affected: Hyper-V's hypercall (hyperv_flush_tlb_multi has its own lazy filter,
 * `do_lazy = !info->freed_tables`, which the mutation leaves alone) and Xen PV
 * (xen_flush_tlb_multi has no lazy filter at all): with those backends the mutation changes
 * nothing, so no cell names them.
 */
import type { MutationDoc } from '@lazytlb/core';
import { MUT_X86_LAZY_SKIP_FREED_TABLES, X86_NATIVE_MUTATIONS, type X86MutationFlags } from '@lazytlb/arch-x86-native';

/** x86-native's x86-lazy-skip-freed-tables, for the guests whose flushes go through native_flush_tlb_multi(). */
export const MUT_X86_PARAVIRT_LAZY_SKIP_FREED_TABLES = 'x86-paravirt-lazy-skip-freed-tables';

const native = X86_NATIVE_MUTATIONS.find((m) => m.id === MUT_X86_LAZY_SKIP_FREED_TABLES)!;

export const X86_PARAVIRT_MUTATIONS: readonly MutationDoc[] = [
  {
    id: MUT_X86_PARAVIRT_LAZY_SKIP_FREED_TABLES,
    title: `${native.title} (KVM guests, and Hyper-V guests whose flush hypercall fails)`,
    fixedBy: native.fixedBy,
    breaks: native.breaks,
    cells: [
      { arch: 'x86-paravirt', options: { backend: 'kvm' }, scheme: 'refcount', workload: 'default', cpus: 2 },
      { arch: 'x86-paravirt', options: { backend: 'kvm' }, scheme: 'refcount', workload: 'default', cpus: 4 },
      { arch: 'x86-paravirt', options: { backend: 'hyperv', hypercallFails: true }, scheme: 'refcount', workload: 'default', cpus: 2 },
    ],
    description:
      `x86-native's ${MUT_X86_LAZY_SKIP_FREED_TABLES} in a guest: kvm_flush_tlb_multi() flags preempted vCPUs ` +
      'KVM_VCPU_FLUSH_TLB and passes the rest to native_flush_tlb_multi(), which (restored pre-2ff6ddf19c0e code) ' +
      'skips the lazy ones even when page tables are freed; hyperv_flush_tlb_multi() falls back to it when the ' +
      'hypercall fails. Hyper-V\'s hypercall and Xen PV\'s multicall do not use it and are unaffected. ' +
      native.description,
  },
];

/** setup(): the enabled ids as the x86 flags X86Tlb takes. */
export function paravirtMutationFlags(ids: readonly string[]): X86MutationFlags {
  return { lazySkipFreedTables: ids.includes(MUT_X86_PARAVIRT_LAZY_SKIP_FREED_TABLES) };
}
