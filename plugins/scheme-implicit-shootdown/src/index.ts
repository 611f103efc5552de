/**
 * @lazytlb/scheme-implicit-shootdown — RECONSTRUCTED: Peter Zijlstra's x86/lazy "x86: Avoid lazy
 * mm refcounting" as a lazytlb scheme plugin (`--scheme implicit-shootdown[:exitIpi=true,...]`).
 */
import { implicitShootdownScheme } from './implicit-shootdown.js';

export { ImplicitShootdownOptions, SANITIZED_SITES, implicitShootdownScheme } from './implicit-shootdown.js';
export default implicitShootdownScheme;
