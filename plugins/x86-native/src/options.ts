/**
 * Options of the x86-native arch plugin (zod, strict, every field defaulted).
 */
import { z } from 'zod';

/** Mainline releases whose arch/x86/mm logic the plugin models (v6.15 stands for v6.15-v6.17). */
export const X86_RELEASES = ['v6.13', 'v6.14', 'v6.15', 'v6.18'] as const;
export type X86Release = (typeof X86_RELEASES)[number];

export const X86NativeOptions = z
  .object({
    release: z
      .enum(X86_RELEASES)
      .default('v6.18')
      .describe(
        'The mainline release whose arch/x86/mm/tlb.c logic runs (the tag, not a stable branch; v6.15 stands for v6.15-v6.17): ' +
          'v6.13 clear-on-switch mm_cpumask, unconditional cpumask_set_cpu (a full barrier), tlb_is_not_lazy filter; v6.14 lazy ' +
          'mm_cpumask (209954cbc7d0) and the should_flush_tlb loaded_mm filter (6db2526c1d69), LOADED_MM_SWITCHING stored after ' +
          'the tlb_gen read; v6.15 INVLPGB (be88a1dd6112: SWITCHING stored before the mask and tlb_gen), fea4e317f9e7 (should_flush_tlb ' +
          'IPIs a SWITCHING CPU, smp_rmb), flush_tlb_range freed_tables (3ef938c35035); v6.18 83b0177a6c48 (smp_mb when the bit is ' +
          'already set). From v6.16: ARCH_WANT_IRQS_OFF_ACTIVATE_MM, EFI through use_temporary_mm.',
      )
      // Another release is another kernel, not a simpler one: shrinking may only try the default.
      .meta({ shrink: 'default-only' }),
    cpumask: z
      .enum(['lazy-trim', 'clear-on-switch'])
      .optional()
      .describe(
        "mm_cpumask policy; default: the release's (clear-on-switch for v6.13, lazy-trim from v6.14). lazy-trim (v6.14+, " +
          '209954cbc7d0): the bit is set in switch_mm_irqs_off and cleared only by the CPU itself in flush_tlb_func when f->mm != ' +
          'loaded_mm, with should_trim_cpumask IPIing stale CPUs at most once per simulated second. clear-on-switch (v4.20-v6.13): ' +
          'switch_mm_irqs_off clears the bit of prev (loaded_mm) and sets the bit of next. Given with another release: a hypothetical.',
      ),
    invlpgb: z
      .boolean()
      .default(false)
      .describe(
        'X86_FEATURE_INVLPGB (AMD, v6.15+): mms with a global ASID are flushed by broadcast_tlb_flush (INVLPGB+TLBSYNC, no IPIs; ' +
          'lazy CPUs keep CR3 on the mm), arch_tlbbatch_flush does invlpgb_flush_all_nonglobals(). Which mms get a global ASID: globalAsid.',
      ),
    globalAsid: z
      .enum(['on-demand', 'every-mm'])
      .default('on-demand')
      .describe(
        "With invlpgb only. on-demand (mainline): consider_global_asid() after flush_tlb_multi in flush_tlb_mm_range's multi-CPU " +
          'branch, when (current->pid & 0x1f) == (jiffies & 0x1f) and mm_active_cpus_exceeds(mm, 3); then asid_transition until ' +
          'finish_asid_transition() sees every CPU running the mm on the global ASID. every-mm (HYPOTHETICAL, not a kernel): every ' +
          'user mm gets a global ASID at init_new_context, no transition.',
      ),
    idleTlbFlushed: z
      .boolean()
      .default(true)
      .describe(
        'The deep C-states idle CPUs enter are flagged CPUIDLE_FLAG_TLB_FLUSHED, so cpuidle_enter_state() calls leave_mm() ' +
          'before entering them: intel_idle C3 and deeper (its tables and _CST import), acpi_idle ACPI_STATE_C3 states. false: ' +
          "only C1/C2-type states (e.g. AMD CC6 exposed as ACPI C2), the default HLT idle, guests' cpuidle-haltpoll.",
      ),
    exitFlushSkipsEmptyMm: z
      .boolean()
      .default(true)
      .describe(
        'true (mainline): exit_mmap of an mm without VMAs takes `goto destroy` and nothing at all flushes or moves lazy CPUs off ' +
          'the mm (kernel-reference §5.2-C2). false (hypothetical hardening): x86 arch_exit_mmap does its own flush_tlb_mm(mm) ' +
          '(freed_tables) for such an mm, so every CPU in mm_cpumask still lazy on it (the exiting CPU included) leaves for init_mm.',
      ),
    trimIntervalSteps: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(50)
      .describe('HZ in model steps: should_trim_cpumask() fires at most once per this many steps per mm (jiffies = k.step)'),
  })
  .strict()
  .superRefine((o, ctx) => checkRelease(o, ctx));
export type X86NativeOptions = z.infer<typeof X86NativeOptions>;

/** Option combinations a release did not have (shared with x86-paravirt, whose schema spreads this shape). */
export function checkRelease(o: { release: X86Release; invlpgb: boolean }, ctx: z.RefinementCtx): void {
  if (o.invlpgb && (o.release === 'v6.13' || o.release === 'v6.14')) {
    ctx.addIssue({
      code: 'custom',
      path: ['invlpgb'],
      message: `INVLPGB support (the be88a1dd6112 series) landed in v6.15; release ${o.release} has none (use release v6.15 or v6.18)`,
    });
  }
}

/** What a release changes in the switch and flush code (read from each release's arch/x86/mm/tlb.c; see the README). */
export interface X86ReleaseLogic {
  /** v6.15+ (be88a1dd6112): loaded_mm = LOADED_MM_SWITCHING is stored before the mm_cpumask update and the tlb_gen read (before: after choose_new_asid). */
  readonly switchingFirst: boolean;
  /** v6.18 (83b0177a6c48): `else smp_mb();` when next's bit is already set. */
  readonly mbWhenBitSet: boolean;
  /** v6.14+ (6db2526c1d69): should_flush_tlb() filters on loaded_mm / trim; v6.13's tlb_is_not_lazy() only skips lazy CPUs. */
  readonly loadedMmFilter: boolean;
  /** v6.15+ (fea4e317f9e7): should_flush_tlb() reads loaded_mm, smp_rmb(), is_lazy; a SWITCHING CPU gets the IPI. */
  readonly flushSeesSwitching: boolean;
  /** v6.15+ (3ef938c35035): flush_tlb_range() passes freed_tables = true. */
  readonly flushRangeFreedTables: boolean;
  /** v6.16+: x86 selects ARCH_WANT_IRQS_OFF_ACTIVATE_MM. */
  readonly irqsOffActivateMm: boolean;
}

export function releaseLogic(release: X86Release): X86ReleaseLogic {
  const n = X86_RELEASES.indexOf(release);
  return {
    switchingFirst: n >= 2,
    mbWhenBitSet: n >= 3,
    loadedMmFilter: n >= 1,
    flushSeesSwitching: n >= 2,
    flushRangeFreedTables: n >= 2,
    irqsOffActivateMm: n >= 3,
  };
}

/** The mm_cpumask policy in effect: the option, else the release's. */
export function cpumaskPolicy(o: { release: X86Release; cpumask?: 'lazy-trim' | 'clear-on-switch' | undefined }): 'lazy-trim' | 'clear-on-switch' {
  return o.cpumask ?? (o.release === 'v6.13' ? 'clear-on-switch' : 'lazy-trim');
}
