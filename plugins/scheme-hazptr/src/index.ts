/**
 * @lazytlb/scheme-hazptr: Mathieu Desnoyers' 2024 hazard-pointer RFC for the lazy mm, as a
 * lazytlb scheme plugin (`--scheme hazptr[:rfc=v2,lockdep=false]`).
 */
import { hazptrScheme } from './hazptr.js';

export { HazptrOptions, hazptrScheme } from './hazptr.js';
export default hazptrScheme;
