/**
 * `implicit-shootdown` — RECONSTRUCTED. Peter Zijlstra's queue.git `x86/lazy` branch was said to
 * carry "x86: Avoid lazy mm refcounting" with a new MMU_LAZY_TLB_IMPLICIT_SHOOTDOWN: x86 would
 * rely on the TLB-flush IPIs its exit already sends (exit_mmap's final freed-tables flush
 * reaches every lazy CPU in mm_cpumask and flush_tlb_func moves it to init_mm) instead of
 * refcounting lazy users, and the patch carried an XXX for arch/x86/power/cpu.c's
 * load_mm_ldt(current->active_mm). No copy of that patch was found (kernel-reference §8 and
 * §12.3; the project's notes list what was searched); this model follows the summary, not code.
 *
 * Modelled as mainline with both Kconfig symbols off (lazy users hold nothing, mmdrop_lazy_tlb
 * keeps its smp_mb()), whose premise is that a lazy active_mm may dangle (x86 leave_mm moves CR3
 * but not active_mm) while the hardware never keeps a freed mm: the claim "the arch's exit flush
 * evicts every lazy CPU" is checked by I1/I2. kernel-reference §5.2 lists where that claim
 * fails; each fix is a concrete kernel change behind an option:
 * (a) exitIpi: when exit_mmap() takes `goto destroy` (no VMA left, so no final flush), IPI
 *     mm_cpumask(mm) and leave the mm, as Xen's xen_exit_mmap() -> drop_mm_ref() does
 *     (§5.2-C2; x86-native's exitFlushSkipsEmptyMm=false is the same change done in the arch);
 * (b) pvExitIpi: on KVM and Hyper-V guests the final flush of a dying mm reaches lazy vCPUs with
 *     real IPIs (kvm_flush_tlb_multi skips preempted vCPUs, Hyper-V flushes by hypercall: no
 *     guest code runs there; §5.3-C, §5.5-C);
 * (c) invlpgbExitIpi: with INVLPGB, IPI mm_cpumask at exit (a global-ASID mm is flushed by
 *     broadcast, with no IPI to move lazy CPUs; §5.2-C3);
 * (d) sanitizeUses: the dereferences and compares of a possibly dangling active_mm are removed
 *     (fix_processor_context loads loaded_mm's LDT — the patch's own XXX —, membarrier_switch_mm
 *     drops its prev_mm == next_mm shortcut, __mmdrop's WARN goes).
 * (a)-(c) are modelled as one IPI round (do_shoot_lazy_tlb over mm_cpumask, wait=1) at the end
 * of __mmput's exit_mmap, before its mmdrop, on the cells they apply to.
 */
import { constants, defineSchemePlugin, refcountNHooks, REFCOUNT_N_BARRIERS } from '@lazytlb/core';
import { z } from 'zod';

const { MM_EXITING } = constants;

export const ImplicitShootdownOptions = z
  .object({
    exitIpi: z.boolean().default(false).describe("(a) exit_mmap's no-VMA path IPIs mm_cpumask and leaves the mm, as xen_exit_mmap does (§5.2-C2)"),
    pvExitIpi: z.boolean().default(false).describe('(b) KVM / Hyper-V: the final flush of a dying mm reaches lazy vCPUs with real IPIs (§5.3-C, §5.5-C)'),
    invlpgbExitIpi: z.boolean().default(false).describe('(c) INVLPGB: IPI mm_cpumask at exit (a broadcast flush moves no lazy CPU; §5.2-C3)'),
    sanitizeUses: z
      .boolean()
      .default(false)
      .describe("(d) remove the uses of a dangling active_mm: fix_processor_context, membarrier_switch_mm's shortcut, __mmdrop's WARN"),
  })
  .strict();
export type ImplicitShootdownOptions = z.infer<typeof ImplicitShootdownOptions>;

/** The uses (d) removes (x86-native's and core's site ids). */
export const SANITIZED_SITES = ['fix_processor_context', 'membarrier_switch_mm', '__mmdrop'] as const;

export const implicitShootdownScheme = defineSchemePlugin<ImplicitShootdownOptions>({
  abi: 1,
  kind: 'scheme',
  declaresState: true, // no per-run state of its own (refcountNHooks' reset is empty): mm_count and mm_cpumask are the kernel's
  name: 'implicit-shootdown',
  version: '0.1.0',
  coreVersions: '>=0.1.0 <1.0.0',
  description:
    'RECONSTRUCTED (no code found): Peter Zijlstra\'s x86/lazy "x86: Avoid lazy mm refcounting": x86 relies on its exit TLB IPIs ' +
    'instead of lazy refcounting; options add the fixes for each known gap',
  provenance: 'reconstructed',
  source:
    'kernel-reference §8 / §12.3 summary of peterz/queue.git x86/lazy (patch not found); gaps from §5.2-§5.5; ' +
    'related and verifiable: Peter\'s Nov 2024 "x86/mm: Clean up and use temporary_mm more" series',
  options: ImplicitShootdownOptions,
  kconfig: { MMU_LAZY_TLB_REFCOUNT: false, MMU_LAZY_TLB_SHOOTDOWN: false, other: ['MMU_LAZY_TLB_IMPLICIT_SHOOTDOWN=y (name from a summary; reconstructed)'] },
  claims: {
    danglingPremise: true,
    barriers: REFCOUNT_N_BARRIERS,
    arch: [
      {
        id: 'exit-flush-evicts-lazies',
        description: "the arch's exit flush (exit_mmap's final freed-tables flush) moves every lazy CPU's MMU off the mm before it is freed",
        checkedBy: 'I1',
      },
      {
        id: 'nothing-uses-a-dangling-active-mm',
        description: 'no kernel code dereferences, or acts on a compare with, a lazy active_mm after its mm is freed (without sanitizeUses: checked)',
        checkedBy: 'I14',
      },
    ],
  },
  patchedSites: (o) => (o.sanitizeUses ? SANITIZED_SITES : []),
  setup(options, env) {
    const backend = (env.archOptions as { backend?: string } | null)?.backend;
    const invlpgb = (env.archOptions as { invlpgb?: boolean } | null)?.invlpgb === true;
    /** (b) and (c) apply to every exit on their cells; (a) to exits with no final flush. */
    const alwaysIpi =
      (options.pvExitIpi && env.arch === 'x86-paravirt' && (backend === 'kvm' || backend === 'hyperv')) ||
      (options.invlpgbExitIpi && env.arch === 'x86-native' && invlpgb);
    const noOp = !alwaysIpi && !options.exitIpi;
    return {
      ...refcountNHooks(), // REFCOUNT=n: lazy users hold nothing, mmdrop_lazy_tlb is smp_mb()
      ...(noOp
        ? {}
        : {
            mmput(k, cpu, mm) {
              // MM_EXITING at this point: exit_mmap took `goto destroy` (no VMA, no final flush).
              if (!alwaysIpi && k.mmStage[mm] !== MM_EXITING) return;
              const mask = k.mmCpumask[mm]!;
              if (k.tracer !== null)
                k.tracer.ev(cpu, 'exit_mmap', `${k.mmName(mm)}: IPI mm_cpumask 0x${(mask >>> 0).toString(16)} to leave the mm (implicit-shootdown fix)`);
              k.shootLazies(cpu, mask, mm);
            },
          }),
    };
  },
});
