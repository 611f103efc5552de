// Test-only arch plugin "toy-sc-only": the reference arch (sc only) declaring a mutation on a
// tso cell: `lazytlb mutants` refuses the catalogue with core's memoryModelRefusal reason.
import { referenceArch } from '@lazytlb/core';

export default {
  ...referenceArch,
  name: 'toy-sc-only',
  description: 'the reference arch declaring a tso cell it cannot run (lazytlb mutants tests)',
  mutations: [
    {
      id: 'toy-sc-only-tso',
      title: 'a mutation declared on a memory model its arch does not offer',
      fixedBy: '000000000012 toy: nothing',
      breaks: 'I2',
      cells: [{ arch: 'toy-sc-only', scheme: 'refcount', cpus: 2, memory: 'tso' }],
      description: 'Test fixture: its cell asks the reference arch for tso.',
    },
  ],
};
