/** Options of the arm64 plugin (zod, strict, every field defaulted). */
import { z } from 'zod';

export const Arm64Options = z
  .object({
    asidBits: z
      .number()
      .int()
      .min(3)
      .max(16)
      .default(8)
      .describe(
        'ASID width (ID_AA64MMFR0_EL1.ASIDBits: 8 or 16 on hardware). NUM_USER_ASIDS = 2^asidBits must exceed the CPU count + 1 ' +
          '(asids_init WARN); small values force generation rollovers (new_context -> flush_context)',
      ),
    swPan: z
      .boolean()
      .default(false)
      .describe(
        'system_uses_ttbr0_pan(): CONFIG_ARM64_SW_TTBR0_PAN on a CPU without hardware PAN (ARMv8.0). The kernel then runs with ' +
          "the reserved TTBR0 and installs a task's saved thread_info.ttbr0 only for user mode / uaccess: check_and_switch_context " +
          'does not write TTBR0, update_saved_ttbr0() does, enter_lazy_tlb() saves the reserved one, and cpu_uninstall_idmap() ' +
          'does not reload current->active_mm. Default false: hardware PAN (ARMv8.1+) or SW PAN not configured',
      ),
    deepIdle: z
      .enum(['powerdown', 'retention'])
      .default('powerdown')
      .describe(
        'the PSCI state of a deep idle entry (cpuidle_enter_state): powerdown loses context (psci_cpu_suspend_enter -> ' +
          'cpu_suspend; the CPU stays down, TTBR0 lost, until its next step, whose resume runs __cpu_suspend_exit -> ' +
          'cpu_uninstall_idmap); retention keeps it (psci_ops.cpu_suspend only: nothing happens to the MMU)',
      ),
    irqsOffActivateMm: z
      .boolean()
      .default(false)
      .describe(
        'HYPOTHETICAL: what selecting CONFIG_ARCH_WANT_IRQS_OFF_ACTIVATE_MM would do (arm64 does not select it, ' +
          'arch/arm64/Kconfig; powerpc does since d53c3dfb23c4): exec_mmap keeps IRQs off over activate_mm(), closing the ' +
          'window in which a kernel_execve has active_mm on the new mm while TTBR0 still holds the old one',
      ),
  })
  .strict();
export type Arm64Options = z.infer<typeof Arm64Options>;
