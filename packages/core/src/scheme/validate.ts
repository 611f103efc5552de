/**
 * Load-time validation of a scheme plugin (once; hooks are then called unwrapped), and the
 * one entry point that tells an arch plugin from a scheme plugin by its descriptor (`kind`).
 * Errors name the plugin, the field and what is allowed.
 */
import semver from 'semver';
import { z } from 'zod';
import { describeIssues, PluginLoadError, UseSiteDocSchema, validateArchPlugin } from '../abi/validate.js';
import type { ArchPlugin } from '../abi/plugin.js';
import { CORE_USE_SITES } from '../findings/sites.js';
import { CORE_VERSION } from '../generated/version.js';
import { INVARIANT_IDS, type InvariantId } from '../invariants/catalog.js';
import { MAX_SCHEME_SHARED } from '../machine/store-buffer.js';
import { SCHEME_ABI_VERSION, type SchemeHooks, type SchemePlugin } from './abi.js';

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', { message: 'must be a function' });
const NAME = /^[a-z][a-z0-9-]*$/;

const Descriptor = z
  .object({
    abi: z.literal(1, { message: `must be 1 (this @lazytlb/core implements scheme ABI v${SCHEME_ABI_VERSION})` }),
    kind: z.literal('scheme'),
    name: z.string().regex(NAME, 'must be lowercase letters, digits and dashes, starting with a letter'),
    version: z.string().refine((v) => semver.valid(v) === v, 'must be a valid semver version such as 1.2.3'),
    coreVersions: z.string().refine((v) => v.trim() !== '' && semver.validRange(v) !== null, 'must be a valid, non-empty semver range such as ^0.1.0'),
    description: z.string().min(1),
    provenance: z.enum(['mainline', 'proposal', 'reconstructed']),
    source: z.string().min(1),
    options: z.custom<z.ZodType>((v) => typeof v === 'object' && v !== null && typeof (v as { safeParse?: unknown }).safeParse === 'function', {
      message: 'must be a zod schema',
    }),
    kconfig: z.object({ MMU_LAZY_TLB_REFCOUNT: z.boolean(), MMU_LAZY_TLB_SHOOTDOWN: z.boolean(), other: z.array(z.string().min(1)).optional() }).strict(),
    structuralRefusal: fn.optional(),
    patchedSites: fn.optional(),
    claims: z
      .object({
        danglingPremise: z.boolean(),
        barriers: z.array(z.object({ id: z.string().min(1), reliedOnBy: z.string().min(1), provided: z.boolean(), how: z.string().min(1) }).strict()),
        arch: z.array(
          z.object({ id: z.string().min(1), description: z.string().min(1), checkedBy: z.enum(INVARIANT_IDS as [InvariantId, ...InvariantId[]]) }).strict(),
        ),
      })
      .strict(),
    restructures: z.object({ noPrevMm: z.boolean().optional() }).strict().optional(),
    invariants: z.array(z.object({ id: z.literal('I15'), site: z.string().min(1), description: z.string().min(1) }).strict()).optional(),
    sharedState: z
      .array(z.object({ id: z.string().min(1), scope: z.literal('cpu'), description: z.string().min(1) }).strict())
      .max(MAX_SCHEME_SHARED)
      .optional(),
    useSites: z.array(UseSiteDocSchema).optional(),
    declaresState: z.boolean().optional(),
    setup: fn,
  })
  .superRefine((p, ctx) => {
    if (p.kconfig.MMU_LAZY_TLB_REFCOUNT && p.kconfig.MMU_LAZY_TLB_SHOOTDOWN) {
      ctx.addIssue({
        code: 'custom',
        path: ['kconfig'],
        message:
          'MMU_LAZY_TLB_REFCOUNT=y with MMU_LAZY_TLB_SHOOTDOWN=y is impossible: in arch/Kconfig MMU_LAZY_TLB_REFCOUNT is ' +
          '"def_bool y, depends on !MMU_LAZY_TLB_SHOOTDOWN" (shoot-lazies replaces the lazy refcount)',
      });
    }
  });

const REQUIRED_HOOKS = ['reset', 'mmgrab_lazy_tlb', 'mmdrop_lazy_tlb', 'lazy_refs'] as const;
const OPTIONAL_HOOKS = [
  'mmput',
  'cleanup_lazy_tlbs',
  'shoot_lazy_tlb',
  'lazy_kick',
  'context_switch_to_user',
  'finish_task_switch',
  'resume',
  'describe_cpu',
] as const;

/** Validate a scheme plugin descriptor; returns it typed. `source` names where it came from. */
export function validateSchemePlugin(value: unknown, source = 'scheme plugin'): SchemePlugin<unknown> {
  const candidate = (value as { default?: unknown } | null)?.default ?? value;
  const r = Descriptor.safeParse(candidate);
  if (!r.success) throw new PluginLoadError(`invalid scheme plugin ${source}:\n${describeIssues(r.error)}`);
  const plugin = candidate as SchemePlugin<unknown>;
  if (!semver.satisfies(CORE_VERSION, plugin.coreVersions, { includePrerelease: true })) {
    throw new PluginLoadError(
      `scheme plugin ${plugin.name}@${plugin.version} (${source}) supports @lazytlb/core ${plugin.coreVersions}, but this is @lazytlb/core ${CORE_VERSION}`,
    );
  }
  const siteIds = (plugin.useSites ?? []).map((u) => u.id);
  const clash = siteIds.find((id, i) => siteIds.indexOf(id) !== i || CORE_USE_SITES.some((c) => c.id === id));
  if (clash !== undefined) throw new PluginLoadError(`scheme plugin ${plugin.name} (${source}): use site "${clash}" is declared twice (or is a core site)`);
  const defaults = plugin.options.safeParse({});
  if (!defaults.success) {
    throw new PluginLoadError(
      `scheme plugin ${plugin.name} (${source}): its options schema must accept {} (all options need defaults):\n${describeIssues(defaults.error)}`,
    );
  }
  return plugin;
}

/** Validate the hooks object a scheme's setup() returned. */
export function validateSchemeHooks(plugin: SchemePlugin<unknown>, hooks: unknown): SchemeHooks {
  if (typeof hooks !== 'object' || hooks === null) {
    throw new PluginLoadError(`scheme plugin ${plugin.name}: setup() must return an object of hooks, got ${hooks === null ? 'null' : typeof hooks}`);
  }
  const h = hooks as Record<string, unknown>;
  const missing = REQUIRED_HOOKS.filter((n) => typeof h[n] !== 'function');
  if (missing.length > 0)
    throw new PluginLoadError(`scheme plugin ${plugin.name}: setup() returned hooks without ${missing.join(', ')} (each must be a function)`);
  const bad = OPTIONAL_HOOKS.filter((n) => h[n] !== undefined && typeof h[n] !== 'function');
  if (bad.length > 0) throw new PluginLoadError(`scheme plugin ${plugin.name}: hook ${bad.join(', ')} must be a function when given`);
  const unknown = Object.keys(h).filter((n) => !(REQUIRED_HOOKS as readonly string[]).includes(n) && !(OPTIONAL_HOOKS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new PluginLoadError(
      `scheme plugin ${plugin.name}: unknown hook ${unknown.join(', ')} (scheme ABI v${SCHEME_ABI_VERSION} hooks: ${[...REQUIRED_HOOKS, ...OPTIONAL_HOOKS].join(', ')})`,
    );
  }
  return hooks as SchemeHooks;
}

/** An arch or a scheme plugin, told apart by the descriptor's `kind` (absent: an arch). */
export type AnyPlugin = { readonly kind: 'arch'; readonly plugin: ArchPlugin<unknown> } | { readonly kind: 'scheme'; readonly plugin: SchemePlugin<unknown> };

/** Validate a module given as `--plugin PATH`: a scheme if its descriptor says `kind: "scheme"`, else an arch. */
export function validatePlugin(value: unknown, source = 'plugin'): AnyPlugin {
  const candidate = (value as { default?: unknown } | null)?.default ?? value;
  const kind = (candidate as { kind?: unknown } | null)?.kind;
  if (kind === 'scheme') return { kind: 'scheme', plugin: validateSchemePlugin(candidate, source) };
  if (kind !== undefined && kind !== 'arch') {
    throw new PluginLoadError(`invalid plugin ${source}:\n  - kind: must be "scheme" or "arch" (or absent, for an arch plugin), got ${JSON.stringify(kind)}`);
  }
  return { kind: 'arch', plugin: validateArchPlugin(candidate, source) };
}
