/** The conformance suite against core's reference arch (both option settings). */
import { describe, expect, it } from 'vitest';
import { referenceArch } from '@lazytlb/core';
import { describeArchConformance } from './describe.js';

describeArchConformance(referenceArch, { describe, it, expect }, {
  archOptions: [{}, { leaveLazyOnFreedTables: false }],
  invalidOptions: [{ leaveLazyOnFreedTables: 'yes' }],
});
