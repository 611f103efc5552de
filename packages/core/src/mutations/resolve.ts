/**
 * Resolving a cell's mutation ids: each must be a core mutation or one the cell's arch
 * plugin declares. Core ones become Kernel.mutations bits; arch ones are handed to the
 * plugin's setup().
 */
import type { ArchPlugin, MutationDoc } from '../abi/plugin.js';
import { CORE_MUTATIONS } from './catalog.js';

export class MutationError extends Error {
  override name = 'MutationError';
}

export interface ResolvedMutations {
  /** Sorted, de-duplicated ids (what the cell records). */
  readonly ids: readonly string[];
  /** Bits of the core mutations. */
  readonly coreBits: number;
  /** Ids of the plugin's own mutations. */
  readonly arch: readonly string[];
}

/** Every mutation a cell of `plugin` may enable: the core's, then the plugin's. */
export function mutationsFor(plugin: ArchPlugin<unknown>): readonly MutationDoc[] {
  return [...CORE_MUTATIONS, ...(plugin.mutations ?? [])];
}

export function resolveMutations(ids: readonly string[] | undefined, plugin: ArchPlugin<unknown>): ResolvedMutations {
  const sorted = [...new Set(ids ?? [])].sort();
  let coreBits = 0;
  const arch: string[] = [];
  for (const id of sorted) {
    const core = CORE_MUTATIONS.find((m) => m.id === id);
    if (core !== undefined) {
      coreBits |= core.bit;
      continue;
    }
    if ((plugin.mutations ?? []).some((m) => m.id === id)) {
      arch.push(id);
      continue;
    }
    const allowed = mutationsFor(plugin)
      .map((m) => m.id)
      .join(', ');
    throw new MutationError(`unknown mutation "${id}" for arch ${plugin.name}: allowed ${allowed}`);
  }
  return { ids: sorted, coreBits, arch };
}
