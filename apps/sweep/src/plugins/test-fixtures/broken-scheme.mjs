// Test-only: a scheme plugin descriptor with bad fields (version, provenance, no kconfig, an
// invariant that does not exist): `--plugin` must refuse it naming the file and each field.
import { z } from 'zod';

export default {
  abi: 1,
  kind: 'scheme',
  name: 'broken',
  version: 'one',
  coreVersions: '>=0.1.0 <1.0.0',
  description: 'a broken scheme (tests)',
  provenance: 'folklore',
  source: 'a test fixture of apps/sweep',
  options: z.object({}).strict(),
  claims: { danglingPremise: false, barriers: [], arch: [{ id: 'x', description: 'y', checkedBy: 'I99' }] },
  setup() {
    return {};
  },
};
