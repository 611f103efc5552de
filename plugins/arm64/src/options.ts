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
  })
  .strict();
export type Arm64Options = z.infer<typeof Arm64Options>;
