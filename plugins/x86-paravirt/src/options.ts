import { z } from 'zod';
import { X86NativeOptions } from '@lazytlb/arch-x86-native';

export const X86ParavirtOptions = X86NativeOptions.extend({
  backend: z
    .enum(['kvm', 'hyperv', 'xen'])
    .default('kvm')
    .describe(
      'pv_ops.mmu.flush_tlb_multi backend: kvm (kvm_flush_tlb_multi: preempted vCPUs flagged KVM_VCPU_FLUSH_TLB instead of IPI\'d, ' +
        'host flush on entry), hyperv (hyperv_flush_tlb_multi hypercall; lazy vCPUs only when tables are freed), xen (xen_flush_tlb_multi ' +
        'multicall; arch_exit_mmap = xen_exit_mmap drops every CR3 user of the pgd by IPI before unpinning; no PCID)',
    ),
  hypercallFails: z
    .boolean()
    .default(false)
    .describe('hyperv only: the flush hypercall fails (or no hypercall page), so hyperv_flush_tlb_multi falls back to native_flush_tlb_multi'),
}).strict();
export type X86ParavirtOptions = z.infer<typeof X86ParavirtOptions>;
