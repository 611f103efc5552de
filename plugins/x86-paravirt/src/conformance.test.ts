import { describe, expect, it } from 'vitest';
import { describeArchConformance } from '@lazytlb/testkit';
import plugin from './index.js';

describeArchConformance(
  plugin,
  { describe, it, expect },
  {
    archOptions: [
      {},
      { backend: 'hyperv' },
      { backend: 'hyperv', nativeFallback: 1 },
      { backend: 'hyperv', nativeFallback: 0.3 },
      { backend: 'xen' },
      { backend: 'kvm', cpumask: 'clear-on-switch' },
      { backend: 'xen', cpumask: 'clear-on-switch' },
      { backend: 'kvm', invlpgb: true },
      { backend: 'kvm', idleTlbFlushed: true },
    ],
    invalidOptions: [
      { backend: 'vmware' },
      { hypercallFails: true },
      { nativeFallback: 1.5 },
      { nativeFallback: -0.1 },
      { nativeFallback: 'sometimes' },
      { cpumask: 'sometimes' },
      { globalAsid: 'always' },
    ],
  },
);
