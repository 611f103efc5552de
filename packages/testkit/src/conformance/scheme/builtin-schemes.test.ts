/**
 * core's built-in schemes (refcount, shootdown, none) pass the scheme conformance suite on the
 * reference arch: well formed and deterministic. `none` is unsafe there (its runs end in I14 /
 * I1 findings) and still conforms: safety is what sweeps judge.
 */
import { BUILTIN_SCHEMES } from '@lazytlb/core';
import { describeSchemeConformance } from './describe.js';

// As a scheme package calls it (apps/sweep's new-scheme template): vitest's runner is found.
for (const scheme of BUILTIN_SCHEMES) describeSchemeConformance(scheme);
