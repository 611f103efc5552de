import { describe, expect, it } from 'vitest';
import { describeArchConformance } from '@lazytlb/testkit';
import plugin from './index.js';

describeArchConformance(
  plugin,
  { describe, it, expect },
  {
    archOptions: [{}, { cpumask: 'clear-on-switch' }, { invlpgb: true }, { exitFlushSkipsEmptyMm: false }, { trimIntervalSteps: 1 }, { idleTlbFlushed: false }],
    invalidOptions: [
      { cpumask: 'sometimes' },
      { invlpgb: 'yes' },
      { globalAsid: 'always' },
      { idleTlbFlushed: 'yes' },
      { trimIntervalSteps: 0 },
      { trimIntervalSteps: 1.5 },
    ],
  },
);
