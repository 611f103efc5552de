/**
 * x86 guests: the pv-op flush_tlb_multi of KVM (arch/x86/kernel/kvm.c), Hyper-V
 * (arch/x86/hyperv/mmu.c) and Xen PV (arch/x86/xen/mmu_pv.c), plus Xen's arch_exit_mmap,
 * composed over @lazytlb/arch-x86-native's X86Tlb. Everything else is native x86.
 */
import { NO_MM, REASON_ARCH, costs, defineArchPlugin, type ArchHooks, type ArchKernel, type UseSiteDoc } from '@lazytlb/core';
import {
  X86_INVARIANTS,
  X86_IPI_NEXT,
  X86_SHARED_STATE,
  X86_USE_SITES,
  X86Tlb,
  x86Capabilities,
  type FlushTlbInfo,
  type X86MutationFlags,
  type X86PvOps,
} from '@lazytlb/arch-x86-native';
import { X86_PARAVIRT_MUTATIONS, paravirtMutationFlags } from './mutations.js';
import { X86ParavirtOptions } from './options.js';

/** IPI function: Xen drop_mm_ref_this_cpu(mm). */
export const XEN_IPI_DROP_MM_REF = X86_IPI_NEXT;

export const SITE_HYPERV_FLUSH = 'hyperv_flush_tlb_multi';

/** x86-native's use sites, plus the guests' own. */
export const X86_PARAVIRT_USE_SITES: readonly UseSiteDoc[] = [
  ...X86_USE_SITES,
  {
    id: SITE_HYPERV_FLUSH,
    kind: 'dereference',
    source: 'arch/x86/hyperv/mmu.c @ Kingxukai/linux 9b44fff655e2',
    reads: 'flush->address_space = virt_to_phys(info->mm->pgd): the mm being flushed (the flusher holds it)',
    consequence: "a read of a freed mm_struct; never in mainline (info->mm is the caller's own, live mm)",
  },
];

function cpusText(mask: number, ncpu: number): string {
  const out: number[] = [];
  for (let c = 0; c < ncpu; c++) if ((mask & (1 << c)) !== 0) out.push(c);
  return `{${out.join(',')}}`;
}

/**
 * Build the paravirt hooks (exported for composition and tests). `mutations`: the enabled
 * mutations as x86 flags (see mutations.ts), read once.
 */
export function createParavirtHooks(options: X86ParavirtOptions, mutations: X86MutationFlags = {}): { tlb: X86Tlb; hooks: ArchHooks } {
  /** steal_time.preempted & KVM_VCPU_FLUSH_TLB, per vCPU. */
  let flushOnEntry = new Uint8Array(0);

  /** kvm_flush_tlb_multi(): preempted vCPUs get KVM_VCPU_FLUSH_TLB instead of an IPI. */
  const kvmFlushTlbMulti = (x: X86Tlb, k: ArchKernel, cpu: number, cpumask: number, info: FlushTlbInfo): void => {
    let flushmask = cpumask;
    for (let c = 0; c < k.ncpu; c++) {
      if ((cpumask & (1 << c)) === 0 || k.cpuPreempted[c] === 0) continue;
      flushOnEntry[c] = 1; // try_cmpxchg(&src->preempted, state, state | KVM_VCPU_FLUSH_TLB)
      flushmask &= ~(1 << c);
      if (k.tracer !== null) k.tracer.ev(cpu, 'kvm_flush_tlb_multi', `vCPU${c} preempted: KVM_VCPU_FLUSH_TLB, no IPI`);
    }
    x.nativeFlushTlbMulti(k, cpu, flushmask, info);
  };

  /**
   * hyperv_flush_tlb_multi(): HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE (or _EX); the hypervisor
   * flushes the chosen vCPUs, no guest code runs on them (no flush_tlb_func: lazy vCPUs are
   * never moved to init_mm, nobody leaves mm_cpumask). Lazy vCPUs are skipped unless tables were
   * freed (`do_lazy = !info->freed_tables`), except under HV_FLUSH_ALL_PROCESSORS (the whole
   * present mask); nothing to flush -> return. info->mm == NULL (arch_tlbbatch_flush): every
   * address space. With probability nativeFallback the flush goes to native_flush_tlb_multi()
   * instead (no hypercall page / input page, VP numbers, a failed hypercall).
   */
  const hypervFlushTlbMulti = (x: X86Tlb, k: ArchKernel, cpu: number, cpumask: number, info: FlushTlbInfo): void => {
    if (k.chance(options.nativeFallback)) {
      if (k.tracer !== null) k.tracer.ev(cpu, 'hyperv_flush_tlb_multi', 'falls back to native_flush_tlb_multi');
      x.nativeFlushTlbMulti(k, cpu, cpumask, info);
      return;
    }
    if (info.mm !== NO_MM) k.useMm(cpu, info.mm, SITE_HYPERV_FLUSH); // virt_to_phys(info->mm->pgd)
    const doLazy = !info.freedTables; // skip lazy vCPUs only when no tables were freed
    const present = k.ncpu >= 32 ? -1 : (1 << k.ncpu) - 1;
    const all = (cpumask & present) === present; // HV_FLUSH_ALL_PROCESSORS
    let flushed = 0;
    for (let c = 0; c < k.ncpu; c++) {
      if ((cpumask & (1 << c)) === 0) continue;
      if (!all && doLazy && x.isLazyMem[c] !== 0) continue;
      flushed |= 1 << c;
    }
    if (flushed === 0) {
      if (k.tracer !== null) k.tracer.ev(cpu, 'hyperv_flush_tlb_multi', 'every vCPU of the mask is lazy: nothing to flush');
      return;
    }
    k.countHypercall();
    for (let c = 0; c < k.ncpu; c++) {
      if ((flushed & (1 << c)) === 0) continue;
      if (info.mm === NO_MM)
        x.hwFlushAll(k, c); // HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES
      else x.hwFlushMm(k, c, info.mm);
      k.cost[c === cpu ? costs.C_TLB_FLUSH_LOCAL : costs.C_TLB_FLUSH_REMOTE]! += 1;
    }
    if (k.tracer !== null) {
      k.tracer.ev(
        cpu,
        'hyperv_flush_tlb_multi',
        `HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE(${info.mm === NO_MM ? 'all address spaces' : k.mmName(info.mm)}) vCPUs ${cpusText(flushed, k.ncpu)}`,
      );
    }
  };

  /** xen_flush_tlb_multi(): one multicall MMUEXT_TLB_FLUSH_MULTI over cpus ∩ online. */
  const xenFlushTlbMulti = (x: X86Tlb, k: ArchKernel, cpu: number, cpumask: number, info: FlushTlbInfo): void => {
    k.countHypercall();
    let flushed = 0;
    for (let c = 0; c < k.ncpu; c++) {
      if ((cpumask & (1 << c)) === 0 || k.cpuOnline[c] === 0) continue;
      x.hwFlushAll(k, c);
      flushed |= 1 << c;
      k.cost[c === cpu ? costs.C_TLB_FLUSH_LOCAL : costs.C_TLB_FLUSH_REMOTE]! += 1;
    }
    if (k.tracer !== null) k.tracer.ev(cpu, 'xen_flush_tlb_multi', `MMUEXT_TLB_FLUSH_MULTI(${k.mmName(info.mm)}) vCPUs ${cpusText(flushed, k.ncpu)}`);
  };

  const pv: X86PvOps =
    options.backend === 'kvm'
      ? { flushTlbMulti: kvmFlushTlbMulti }
      : options.backend === 'hyperv'
        ? { flushTlbMulti: hypervFlushTlbMulti }
        : { flushTlbMulti: xenFlushTlbMulti, pcid: false };
  const tlb = new X86Tlb(options, pv, mutations);
  const native = tlb.hooks();

  /** drop_mm_ref_this_cpu(mm): leave_mm() if this vCPU has mm loaded (xen_current_cr3 == pgd). */
  const dropMmRefThisCpu = (k: ArchKernel, cpu: number, mm: number): void => {
    if (tlb.loadedMm[cpu] === mm) tlb.leaveMm(k, cpu);
  };

  const hooks: ArchHooks = {
    ...native,
    reset(k) {
      native.reset(k);
      if (flushOnEntry.length < k.ncpu) flushOnEntry = new Uint8Array(k.ncpu);
      flushOnEntry.fill(0);
      k.declareState(flushOnEntry); // with X86Tlb's (native.reset): all of the per-run state (declaresState)
    },
    handle_ipi(k, cpu, fn, mm, arg) {
      if (fn === XEN_IPI_DROP_MM_REF) dropMmRefThisCpu(k, cpu, mm);
      else native.handle_ipi(k, cpu, fn, mm, arg);
    },
    arch_exit_mmap(k, cpu, mm) {
      if (options.backend === 'xen') {
        // xen_exit_mmap -> xen_drop_mm_ref(mm): locally, and by IPI (wait=1) on every vCPU
        // whose xen_current_cr3 is mm's pgd; then xen_pgd_unpin (not modelled). xen_current_cr3
        // is the CR3 (tlb.cr3Mm), not loaded_mm: a vCPU in the middle of switch_mm_irqs_off()
        // away from mm has loaded_mm = LOADED_MM_SWITCHING but CR3 still on mm's pgd. It gets
        // the IPI too and takes it once its switch (IRQs off) has loaded the next CR3.
        // (__xen_write_cr3 updates xen_current_cr3 from a multicall callback once the batch with
        // the CR3 write is submitted: it may name mm a little longer than CR3, never shorter.)
        let mask = 1 << cpu;
        for (let c = 0; c < k.ncpu; c++) if (c !== cpu && k.cpuOnline[c] !== 0 && tlb.cr3Mm[c] === mm) mask |= 1 << c;
        if (k.tracer !== null) k.tracer.ev(cpu, 'xen_exit_mmap', `xen_drop_mm_ref(${k.mmName(mm)}): CR3 users ${cpusText(mask, k.ncpu)}`);
        k.onEachCpuMask(cpu, mask, XEN_IPI_DROP_MM_REF, mm, 0, true, REASON_ARCH);
      }
      native.arch_exit_mmap(k, cpu, mm);
    },
    tlb_may_hold(k, cpu, mm, gen) {
      // A preempted vCPU flagged KVM_VCPU_FLUSH_TLB runs nothing before the host flushes it.
      if (k.cpuPreempted[cpu] !== 0 && flushOnEntry[cpu] !== 0) return false;
      return native.tlb_may_hold(k, cpu, mm, gen);
    },
    vcpu_preempt() {
      // steal_time.preempted = KVM_VCPU_PREEMPTED: read as k.cpuPreempted by kvm_flush_tlb_multi.
    },
    vcpu_resume(k, cpu) {
      // record_steal_time(): xchg(&st->preempted, 0); KVM_VCPU_FLUSH_TLB -> kvm_vcpu_flush_tlb_guest
      // (TLB + paging-structure caches). No guest code: loaded_mm, is_lazy and CR3 are unchanged.
      if (flushOnEntry[cpu] === 0) return;
      flushOnEntry[cpu] = 0;
      tlb.hwFlushAll(k, cpu);
      k.cost[costs.C_TLB_FLUSH_REMOTE]! += 1;
      if (k.tracer !== null) k.tracer.ev(cpu, 'kvm_vcpu_flush_tlb_guest', `host flushes vCPU${cpu} on entry (CR3 stays ${k.mmName(tlb.loadedMm[cpu]!)})`);
    },
    describe_cpu(k, cpu) {
      return native.describe_cpu(k, cpu) + (flushOnEntry[cpu] !== 0 ? ' KVM_VCPU_FLUSH_TLB' : '');
    },
    ipi_name(fn) {
      return fn === XEN_IPI_DROP_MM_REF ? 'drop_mm_ref_this_cpu' : native.ipi_name(fn);
    },
  };
  return { tlb, hooks };
}

export const x86Paravirt = defineArchPlugin<X86ParavirtOptions>({
  abi: 2,
  name: 'x86-paravirt',
  version: '0.1.0',
  coreVersions: '>=0.1.0 <1.0.0',
  description:
    'x86 guest: native x86 lazy TLB (from @lazytlb/arch-x86-native) with the pv flush_tlb_multi of KVM (skip preempted vCPUs, ' +
    'flush on entry), Hyper-V (hypercall, with a probability of falling back to native IPIs) or Xen PV (multicall, xen_exit_mmap drops CR3 users)',
  options: X86ParavirtOptions,
  capabilities: { vcpuPreemption: true, irqsOffActivateMm: true, maxCpus: 32 },
  // ARCH_WANT_IRQS_OFF_ACTIVATE_MM per release (v6.16+), as x86-native; a guest's vCPUs can be preempted.
  capabilitiesFor: (options) => ({ ...x86Capabilities(options), vcpuPreemption: true }),
  invariants: X86_INVARIANTS,
  mutations: X86_PARAVIRT_MUTATIONS,
  useSites: X86_PARAVIRT_USE_SITES,
  // X86Tlb's state plus flushOnEntry, declared by reset(); vCPU preemption deadlines are the
  // core's (hashed by it), the Hyper-V fallback is k.chance (an explored choice).
  declaresState: true,
  // x86-native's switch and flush sequences, at the same granularity (ABI v2). A guest is x86-TSO
  // too, but what the hypervisor side reads (KVM steal_time.preempted, Hyper-V's and Xen's view of
  // the guest's CR3s) is not declared shared state yet, so only sc is offered.
  sharedState: X86_SHARED_STATE,
  memoryModels: ['sc'],
  memoryModelNote:
    'a guest is x86-TSO, but the state the hypervisor-side flush paths read (KVM steal_time.preempted, Hyper-V and Xen CR3 users) ' +
    'is not declared to the store buffer yet; use x86-native for tso',
  setup(options, env) {
    return createParavirtHooks(options, paravirtMutationFlags(env.mutations)).hooks;
  },
});
