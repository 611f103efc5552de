import { z } from 'zod';
import { X86NativeOptions, checkRelease } from '@lazytlb/arch-x86-native';

const REMOVED_HYPERCALL_FAILS =
  'option "hypercallFails" was removed: use nativeFallback, the probability (0..1) that a Hyper-V remote flush falls back to ' +
  'native_flush_tlb_multi() (nativeFallback=1 is the old hypercallFails=true)';

export const X86ParavirtOptions = z
  .strictObject(
    {
      ...X86NativeOptions.shape,
      idleTlbFlushed: z
        .boolean()
        .default(false)
        .describe(
          "As x86-native's, but false by default: a guest idles through cpuidle-haltpoll (KVM), the default HLT idle or Xen's " +
            'safe_halt, none of which has a CPUIDLE_FLAG_TLB_FLUSHED state (drivers/cpuidle/cpuidle-haltpoll.c). true: a guest ' +
            'given ACPI C3 / intel_idle states.',
        ),
      backend: z
        .enum(['kvm', 'hyperv', 'xen'])
        .default('kvm')
        .describe(
          "pv_ops.mmu.flush_tlb_multi backend: kvm (kvm_flush_tlb_multi: preempted vCPUs flagged KVM_VCPU_FLUSH_TLB instead of IPI'd, " +
            'host flush on entry), hyperv (hyperv_flush_tlb_multi hypercall; lazy vCPUs only when tables are freed; see nativeFallback), ' +
            'xen (xen_flush_tlb_multi multicall; arch_exit_mmap = xen_exit_mmap drops every CR3 user of the pgd by IPI before unpinning; no PCID)',
        ),
      nativeFallback: z
        .number()
        .min(0)
        .max(1)
        .default(0)
        .describe(
          "hyperv only: the probability, per remote flush (one flush_tlb_multi call, drawn from the run's PRNG), that " +
            'hyperv_flush_tlb_multi() falls back to native_flush_tlb_multi() (IPIs, flush_tlb_func, native lazy filtering and ' +
            'mm_cpumask trimming). 1 models the static cases (no hypercall page, no per-CPU input page, a VP number >= 64 without ' +
            'HV_X64_EX_PROCESSOR_MASKS_RECOMMENDED, VP_INVAL); a fraction models failed hypercalls (arch/x86/hyperv/mmu.c).',
        ),
    },
    { error: (iss) => (iss.code === 'unrecognized_keys' && iss.keys.includes('hypercallFails') ? REMOVED_HYPERCALL_FAILS : undefined) },
  )
  .superRefine((o, ctx) => checkRelease(o, ctx)); // the shape is x86-native's; so are its release checks
export type X86ParavirtOptions = z.infer<typeof X86ParavirtOptions>;
