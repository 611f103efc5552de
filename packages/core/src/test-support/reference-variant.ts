import { defineArchPlugin, type ArchCapabilities, type ArchHooks, type ArchPlugin } from '../abi/plugin.js';
import { referenceArch, type ReferenceArchOptions } from '../reference-arch/reference-arch.js';

/**
 * Test helper: the reference arch under another name with some hooks replaced (`patch` gets
 * the reference hooks of the same setup, to wrap or call) and, optionally, other capabilities.
 */
export function referenceVariant(
  name: string,
  patch: (hooks: ArchHooks) => Partial<ArchHooks>,
  capabilities: Partial<ArchCapabilities> = {},
): ArchPlugin<ReferenceArchOptions> {
  return defineArchPlugin<ReferenceArchOptions>({
    ...referenceArch,
    name,
    capabilities: { ...referenceArch.capabilities, ...capabilities },
    setup(options, env) {
      const hooks = referenceArch.setup(options, env);
      return { ...hooks, ...patch(hooks) };
    },
  });
}
