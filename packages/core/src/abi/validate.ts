/**
 * Load-time validation of an arch plugin (once; hooks are then called unwrapped, as Rollup
 * does with plugin hooks). Errors name the plugin, the field and what is allowed.
 */
import semver from 'semver';
import { z } from 'zod';
import { CORE_VERSION } from '../generated/version.js';
import { INVARIANT_IDS, type InvariantId } from '../invariants/catalog.js';
import { CORE_USE_SITES, MAX_USE_SITES } from '../findings/sites.js';
import { MAX_CPUS } from '../machine/constants.js';
import { MEMORY_MODELS, type MemoryModel, SH_ARCH_BASE, SH_SCHEME_BASE } from '../machine/store-buffer.js';
import { ABI_VERSION, type ArchHooks, type ArchPlugin } from './plugin.js';

export class PluginLoadError extends Error {
  override name = 'PluginLoadError';
}

/**
 * A plugin's setup() threw or returned no valid hooks for one cell: the plugin loaded, the cell
 * cannot run. Carries the cell's resolved identity (computed before setup), so a sweep can report
 * the error against that cell and run the others.
 */
export class PluginSetupError extends PluginLoadError {
  override name = 'PluginSetupError';
  constructor(
    message: string,
    readonly cellId: string,
    readonly plugin: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', { message: 'must be a function' });

const MutationDocSchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be lowercase letters, digits and dashes, starting with a letter'),
    title: z.string().min(1),
    fixedBy: z.string().regex(/^[0-9a-f]{12,40} \S/, 'must be "<commit id, 12+ hex digits> <subject>"'),
    synthetic: z.string().min(1).optional(),
    breaks: z.enum(INVARIANT_IDS as [InvariantId, ...InvariantId[]]),
    cells: z.array(
      z
        .object({
          arch: z.string().min(1),
          options: z.record(z.string(), z.unknown()).optional(),
          scheme: z.enum(['refcount', 'shootdown', 'none']),
          schemeOptions: z.record(z.string(), z.unknown()).optional(),
          preempt: z.enum(['none', 'voluntary', 'full', 'rt']).optional(),
          memory: z.enum(MEMORY_MODELS).optional(),
          workload: z.string().optional(),
          cpus: z.number().int().min(1).max(MAX_CPUS).optional(),
        })
        .strict(),
    ),
    noVictim: z.string().min(1).optional(),
    description: z.string().min(1),
  })
  .strict()
  .refine((m) => (m.cells.length === 0) === (m.noVictim !== undefined), {
    message: 'must name at least one cell where the bug bites, or none with `noVictim` saying why no modelled cell can kill it',
  });

/** A UseSiteDoc (arch and scheme plugins declare use sites the same way). */
export const UseSiteDocSchema = z
  .object({
    id: z.string().min(1),
    kind: z.enum(['dereference', 'stale-compare', 'warn']),
    source: z.string().min(1),
    reads: z.string().min(1),
    consequence: z.string().min(1),
  })
  .strict();

const Descriptor = z
  .object({
    abi: z.union([z.literal(1), z.literal(2)], { message: `must be 1 or 2 (this @lazytlb/core implements arch ABI v1 and v${ABI_VERSION})` }),
    name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be lowercase letters, digits and dashes, starting with a letter'),
    version: z.string().refine((v) => semver.valid(v) === v, 'must be a valid semver version such as 1.2.3'),
    coreVersions: z.string().refine((v) => v.trim() !== '' && semver.validRange(v) !== null, 'must be a valid, non-empty semver range such as ^0.1.0'),
    description: z.string(),
    options: z.custom<z.ZodType>((v) => typeof v === 'object' && v !== null && typeof (v as { safeParse?: unknown }).safeParse === 'function', {
      message: 'must be a zod schema',
    }),
    capabilities: z.object({
      vcpuPreemption: z.boolean(),
      irqsOffActivateMm: z.boolean(),
      maxCpus: z.number().int().min(1).max(MAX_CPUS),
    }),
    invariants: z.array(z.object({ id: z.literal('I13'), name: z.string(), description: z.string() })),
    mutations: z.array(MutationDocSchema).optional(),
    capabilitiesFor: fn.optional(),
    useSites: z.array(UseSiteDocSchema).optional(),
    sharedState: z
      .array(z.object({ id: z.string().min(1), scope: z.literal('cpu'), description: z.string().min(1) }).strict())
      .max(SH_SCHEME_BASE - SH_ARCH_BASE)
      .optional(),
    memoryModels: z.array(z.enum(MEMORY_MODELS)).min(1).optional(),
    memoryModelNote: z.string().min(1).optional(),
    declaresState: z.boolean().optional(),
    setup: fn,
  })
  .superRefine((p, ctx) => {
    if (p.abi === 1 && (p.sharedState !== undefined || p.memoryModels !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['abi'], message: 'sharedState and memoryModels are ABI v2 fields: declare abi: 2' });
    }
    if (p.memoryModels?.includes('tso') === true && p.sharedState === undefined) {
      ctx.addIssue({ code: 'custom', path: ['sharedState'], message: 'a plugin that offers tso must declare the state other CPUs read (sharedState)' });
    }
  });

const REQUIRED_HOOKS = [
  'reset',
  'init_new_context',
  'destroy_context',
  'switch_mm_irqs_off',
  'enter_lazy_tlb',
  'flush_tlb_mm_range',
  'handle_ipi',
  'arch_exit_mmap',
  'shoot_lazies_mask',
  'hw_root',
  'tlb_may_hold',
  'check',
  'describe_cpu',
  'ipi_name',
] as const;

/** zod issues as the plugin load errors list them: one `  - path: message` line each. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `  - ${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`).join('\n');
}

/** Validate a plugin descriptor; returns it typed. `source` names where it came from (package or path). */
export function validateArchPlugin(value: unknown, source = 'arch plugin'): ArchPlugin<unknown> {
  const candidate = (value as { default?: unknown } | null)?.default ?? value;
  const r = Descriptor.safeParse(candidate);
  if (!r.success) {
    throw new PluginLoadError(`invalid arch plugin ${source}:\n${describeIssues(r.error)}`);
  }
  const plugin = candidate as ArchPlugin<unknown>;
  if (!semver.satisfies(CORE_VERSION, plugin.coreVersions, { includePrerelease: true })) {
    throw new PluginLoadError(
      `arch plugin ${plugin.name}@${plugin.version} (${source}) supports @lazytlb/core ${plugin.coreVersions}, but this is @lazytlb/core ${CORE_VERSION}`,
    );
  }
  const ids = (plugin.mutations ?? []).map((m) => m.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup !== undefined) throw new PluginLoadError(`arch plugin ${plugin.name} (${source}): mutation id "${dup}" is declared twice`);
  const siteIds = (plugin.useSites ?? []).map((u) => u.id);
  const clash = siteIds.find((id, i) => siteIds.indexOf(id) !== i || CORE_USE_SITES.some((c) => c.id === id));
  if (clash !== undefined) throw new PluginLoadError(`arch plugin ${plugin.name} (${source}): use site "${clash}" is declared twice (or is a core site)`);
  if (siteIds.length + CORE_USE_SITES.length > MAX_USE_SITES) {
    throw new PluginLoadError(
      `arch plugin ${plugin.name} (${source}): ${siteIds.length} use sites; at most ${MAX_USE_SITES - CORE_USE_SITES.length} besides the core's`,
    );
  }
  const defaults = plugin.options.safeParse({});
  if (!defaults.success) {
    throw new PluginLoadError(
      `arch plugin ${plugin.name} (${source}): its options schema must accept {} (all options need defaults):\n${describeIssues(defaults.error)}`,
    );
  }
  return plugin;
}

/** Validate a plugin's options; errors say which option is wrong and why. */
export function parseArchOptions<O>(plugin: ArchPlugin<O>, options: unknown): O {
  const r = plugin.options.safeParse(options ?? {});
  if (!r.success) {
    throw new PluginLoadError(`invalid options for arch ${plugin.name}:\n${describeIssues(r.error)}`);
  }
  return r.data;
}

/** Validate the hooks object returned by setup(). */
export function validateHooks(plugin: ArchPlugin<unknown>, hooks: unknown): ArchHooks {
  if (typeof hooks !== 'object' || hooks === null) {
    throw new PluginLoadError(`arch plugin ${plugin.name}: setup() must return an object of hooks, got ${hooks === null ? 'null' : typeof hooks}`);
  }
  const h = hooks as Record<string, unknown>;
  const missing = REQUIRED_HOOKS.filter((n) => typeof h[n] !== 'function');
  if (missing.length > 0) {
    throw new PluginLoadError(`arch plugin ${plugin.name}: setup() returned hooks without ${missing.join(', ')} (each must be a function)`);
  }
  if (plugin.capabilities.vcpuPreemption && (typeof h.vcpu_preempt !== 'function' || typeof h.vcpu_resume !== 'function')) {
    throw new PluginLoadError(`arch plugin ${plugin.name}: capabilities.vcpuPreemption needs vcpu_preempt and vcpu_resume hooks`);
  }
  if (plugin.abi >= 2 && typeof h.resume !== 'function') {
    throw new PluginLoadError(
      `arch plugin ${plugin.name}: ABI v2 needs a resume hook (it continues the sequence hooks; return nothing from them if none is a sequence)`,
    );
  }
  return hooks as ArchHooks;
}

/**
 * Can `plugin` run under `memory`? Returns null, or the reason it cannot: a v1 plugin's shared
 * state is undeclared (the store buffer cannot apply to it); a v2 plugin lists its models.
 */
export function memoryModelRefusal(plugin: ArchPlugin<unknown>, memory: MemoryModel): string | null {
  if (memory === 'sc') return null;
  if (plugin.abi < 2) {
    return `arch plugin ${plugin.name} implements arch ABI v1: the state its CPUs read from each other is undeclared, so the ${memory} store buffer cannot apply to it; it runs under sc only (port it to ABI v2 and declare sharedState)`;
  }
  const models = plugin.memoryModels ?? ['sc'];
  if (models.includes(memory)) return null;
  return `arch ${plugin.name} does not run under memory model ${memory} (it offers ${models.join(', ')})${plugin.memoryModelNote !== undefined ? `: ${plugin.memoryModelNote}` : ''}`;
}
