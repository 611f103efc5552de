/**
 * @lazytlb/scheme-lazy-mm-scan: Andy Lutomirski's 2022 lazy mm rework as a lazytlb scheme plugin
 * (`--scheme lazy-mm-scan[:scan=online|cpumask|empty,unlazyKick=true|false]`).
 */
import { lazyMmScanScheme } from './lazy-mm-scan.js';

export { LazyMmScanOptions, lazyMmScanScheme } from './lazy-mm-scan.js';
export default lazyMmScanScheme;
