/** The conformance suite against core's reference arch (every option setting). */
import { describe, expect, it } from 'vitest';
import { referenceArch } from '@lazytlb/core';
import { describeArchConformance } from './describe.js';

describeArchConformance(
  referenceArch,
  { describe, it, expect },
  {
    archOptions: [{}, { leaveLazyOnFreedTables: false }, { leaveKeepsMaskBit: false }],
    invalidOptions: [{ leaveLazyOnFreedTables: 'yes' }, { leaveKeepsMaskBit: 1 }],
  },
);

// Shoot-lazies is clean on the reference arch as it is: a CPU that leaves an mm lazily keeps
// its mm_cpumask bit while the mm is its active_mm, so cleanup_lazy_tlbs over mm_cpumask finds
// every lazy CPU; over every online CPU (mask=online) it is clean too, at more IPIs.
// (With leaveKeepsMaskBit: false it is not: see reference/shoot-lazies-mask.test.ts.)
describe('shootdown', () => {
  for (const mask of ['cpumask', 'online'] as const) {
    describeArchConformance(
      referenceArch,
      { describe, it, expect },
      {
        schemes: ['shootdown'],
        cleanSchemes: ['shootdown'],
        schemeOptions: { shootdown: { mask } },
        seeds: 150,
        hotplugSeeds: 50,
        hookSeeds: 0,
      },
    );
  }
});
