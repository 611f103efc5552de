/** The schemes shipped with core: mainline's three Kconfig regimes. */
import type { SchemePlugin } from '../abi.js';
import { noneScheme } from './none.js';
import { refcountScheme } from './refcount.js';
import { shootdownScheme } from './shootdown.js';

export { noneScheme, refcountScheme, shootdownScheme };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const BUILTIN_SCHEMES: readonly SchemePlugin<any>[] = [refcountScheme, shootdownScheme, noneScheme];

/** A built-in scheme by name, or undefined. */
export function builtinScheme(name: string): SchemePlugin<unknown> | undefined {
  return BUILTIN_SCHEMES.find((s) => s.name === name) as SchemePlugin<unknown> | undefined;
}
