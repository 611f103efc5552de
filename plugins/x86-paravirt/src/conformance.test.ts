import { describe, expect, it } from 'vitest';
import { describeArchConformance } from '@lazytlb/testkit';
import plugin from './index.js';

describeArchConformance(plugin, { describe, it, expect }, {
  archOptions: [
    {},
    { backend: 'hyperv' },
    { backend: 'hyperv', hypercallFails: true },
    { backend: 'xen' },
    { backend: 'kvm', cpumask: 'clear-on-switch' },
    { backend: 'xen', cpumask: 'clear-on-switch' },
    { backend: 'kvm', invlpgb: true },
  ],
  invalidOptions: [{ backend: 'vmware' }, { hypercallFails: 1 }, { cpumask: 'sometimes' }],
});
