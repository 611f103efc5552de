import { describe, expect, it } from 'vitest';
import { describeArchConformance } from '@lazytlb/testkit';
import plugin from './index.js';

describeArchConformance(
  plugin,
  { describe, it, expect },
  {
    archOptions: [
      {},
      { mmu: 'hash' },
      { combinedFinalFlush: false },
      { trimPeriod: 2 },
      { mmu: 'hash', trimPeriod: 2 },
      { copros: true, trimPeriod: 3 },
      { debugVm: true },
      { mmu: 'hash', debugVm: true },
    ],
    // the mainline configurations of powerpc 64s: A (refcount, pre-v6.4) and B (shootdown, >= v6.4)
    cleanSchemes: ['refcount', 'shootdown'],
    invalidOptions: [{ mmu: 'book3e' }, { trimPeriod: 0 }, { combinedFinalFlush: 'yes' }, { debugVm: 1 }],
  },
);
