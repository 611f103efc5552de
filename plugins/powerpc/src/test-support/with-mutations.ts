/**
 * Test-only: the plugin with some of its own mutations always enabled, for directed
 * scenarios (testkit's Scenario has no `mutations` option; createSimulator does, and the
 * random tests use it). setup() gets the ids exactly as core hands them over for a cell that
 * enables them.
 */
import type { ArchPlugin } from '@lazytlb/core';

export function withMutations<O>(plugin: ArchPlugin<O>, ids: readonly string[]): ArchPlugin<O> {
  return { ...plugin, setup: (options, env) => plugin.setup(options, { ...env, mutations: ids }) };
}
