/**
 * x86-paravirt mutations. x86's flush_tlb_range() is arch code shared by every guest, so
 * x86-native's x86-lazy-skip-freed-tables (flush_tlb_range() passing freed_tables = false,
 * before 3ef938c35035) lives here too, in the very same X86Tlb code; it is declared under its
 * own id because mutation ids are unique across core and all plugins (one sweep can list every
 * plugin's mutations).
 *
 * Which backends it affects depends on who reads info->freed_tables: native_flush_tlb_multi()
 * (KVM's vCPUs that are not preempted; Hyper-V's fallback) and hyperv_flush_tlb_multi()'s own
 * lazy filter (`do_lazy = !info->freed_tables`: lazy vCPUs are left out of the hypercall).
 * Xen PV's xen_flush_tlb_multi() has no lazy filter, so with Xen the mutation changes nothing
 * and no cell names it.
 */
import type { MutationDoc } from '@lazytlb/core';
import { MUT_X86_LAZY_SKIP_FREED_TABLES, X86_NATIVE_MUTATIONS, type X86MutationFlags } from '@lazytlb/arch-x86-native';

/** x86-native's x86-lazy-skip-freed-tables, for the guests. */
export const MUT_X86_PARAVIRT_LAZY_SKIP_FREED_TABLES = 'x86-paravirt-lazy-skip-freed-tables';

const native = X86_NATIVE_MUTATIONS.find((m) => m.id === MUT_X86_LAZY_SKIP_FREED_TABLES)!;

export const X86_PARAVIRT_MUTATIONS: readonly MutationDoc[] = [
  {
    id: MUT_X86_PARAVIRT_LAZY_SKIP_FREED_TABLES,
    title: `${native.title} (KVM and Hyper-V guests)`,
    fixedBy: native.fixedBy,
    breaks: native.breaks,
    cells: [
      { arch: 'x86-paravirt', options: { backend: 'kvm' }, scheme: 'refcount', workload: 'default', cpus: 2 },
      { arch: 'x86-paravirt', options: { backend: 'kvm' }, scheme: 'refcount', workload: 'default', cpus: 4 },
      { arch: 'x86-paravirt', options: { backend: 'hyperv' }, scheme: 'refcount', workload: 'default', cpus: 2 },
      { arch: 'x86-paravirt', options: { backend: 'hyperv', nativeFallback: 1 }, scheme: 'refcount', workload: 'default', cpus: 2 },
    ],
    description:
      `x86-native's ${MUT_X86_LAZY_SKIP_FREED_TABLES} in a guest: flush_tlb_range() (khugepaged's pmdp_collapse_flush) passes ` +
      'freed_tables = false. KVM: kvm_flush_tlb_multi() flags preempted vCPUs KVM_VCPU_FLUSH_TLB (the host flushes them on ' +
      'entry) and hands the rest to native_flush_tlb_multi(), which skips the lazy ones; Hyper-V: hyperv_flush_tlb_multi() ' +
      'leaves lazy vCPUs out of the hypercall (do_lazy = !info->freed_tables), and its native fallback skips them too. Xen ' +
      "PV's multicall flushes every vCPU of the mask and is unaffected. " +
      native.description,
  },
];

/** setup(): the enabled ids as the x86 flags X86Tlb takes. */
export function paravirtMutationFlags(ids: readonly string[]): X86MutationFlags {
  return { flushRangeNoFreedTables: ids.includes(MUT_X86_PARAVIRT_LAZY_SKIP_FREED_TABLES) };
}
