/**
 * What every powerpc function works on: the options and the arch state of one setup().
 */
import type { PowerpcOptions } from './options.js';
import type { PpcState } from './state.js';

export interface Ppc {
  readonly opts: PowerpcOptions;
  readonly st: PpcState;
  readonly radix: boolean;
}
