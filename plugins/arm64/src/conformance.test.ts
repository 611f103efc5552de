import { describe, expect, it } from 'vitest';
import { describeArchConformance } from '@lazytlb/testkit';
import plugin from './index.js';

describeArchConformance(plugin, { describe, it, expect }, {
  // asidBits 3: 7 usable ASIDs, so the workloads roll the generation over (flush_context)
  archOptions: [{}, { asidBits: 3 }, { asidBits: 16 }],
  invalidOptions: [{ asidBits: 2 }, { asidBits: 17 }, { asidBits: 8.5 }, { asidBits: '8' }],
});
