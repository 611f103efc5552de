import x86Native from '@lazytlb/arch-x86-native';
import { describeSchemeConformance } from '@lazytlb/testkit';
import scheme from './index.js';

// Well-formed and deterministic on the reference arch and on x86-native (which offers tso);
// whether the scheme is safe is the sweep's question, not this suite's.
describeSchemeConformance(scheme, { arches: [{ plugin: x86Native, archOptions: { release: 'v6.18' } }], log: null });
