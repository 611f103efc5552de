/**
 * The mutation catalogue `lazytlb mutants` works through: core's CORE_MUTATIONS, then each
 * bundled arch plugin's `mutations`, then those of `--plugin PATH` plugins, in that order.
 * Every declared cell is resolved here (its arch must load, and must offer the mutation), so
 * a bad catalogue fails before anything runs.
 */
import { type ArchPlugin, CORE_MUTATIONS, type MutationCell, type MutationDoc, mutationsFor } from '@lazytlb/core';
import { formatArchSpec } from '../matrix/arch-flag.js';
import type { ArchSpec } from '../matrix/types.js';
import { BUNDLED, loadPluginPath, resolvePlugin } from '../plugins/resolve.js';
import { UsageError } from '../cli/exit-codes.js';

/** A declared cell with the defaults filled in (MutationCell: workload "default", 4 CPUs). */
export interface MutantCell {
  readonly arch: ArchSpec;
  readonly scheme: MutationCell['scheme'];
  readonly cpus: number;
  readonly profile: string;
}

export interface CatalogEntry {
  readonly doc: MutationDoc;
  /** "core", or the name of the plugin that declares it. */
  readonly source: string;
  readonly cells: readonly MutantCell[];
}

export const DEFAULT_MUTANT_CPUS = 4;

export function mutantCell(c: MutationCell): MutantCell {
  return { arch: { name: c.arch, options: { ...(c.options ?? {}) } }, scheme: c.scheme, cpus: c.cpus ?? DEFAULT_MUTANT_CPUS, profile: c.workload ?? 'default' };
}

/** "powerpc:mmu=radix refcount 4cpu kthread-heavy". */
export function cellLabel(c: MutantCell): string {
  return `${formatArchSpec(c.arch)} ${c.scheme} ${c.cpus}cpu ${c.profile}`;
}

function docOf(m: MutationDoc): MutationDoc {
  // CoreMutation carries its Kernel.mutations bit: keep the documented fields only.
  return { id: m.id, title: m.title, fixedBy: m.fixedBy, breaks: m.breaks, cells: m.cells, description: m.description };
}

/**
 * The catalogue (optionally only the ids in `only`, in catalogue order). Throws UsageError for
 * an unknown id in `only`, an id declared twice, or a declared cell whose arch lacks the mutation.
 */
export async function loadCatalog(pluginPaths: readonly string[], only?: readonly string[]): Promise<CatalogEntry[]> {
  const raw: { doc: MutationDoc; source: string }[] = CORE_MUTATIONS.map((m) => ({ doc: docOf(m), source: 'core' }));
  const plugins: ArchPlugin<unknown>[] = BUNDLED.map((b) => b.plugin as ArchPlugin<unknown>);
  for (const p of pluginPaths) plugins.push(await loadPluginPath(p));
  const seenPlugins = new Set<string>();
  for (const p of plugins) {
    if (seenPlugins.has(p.name)) continue;
    seenPlugins.add(p.name);
    for (const m of p.mutations ?? []) raw.push({ doc: docOf(m), source: p.name });
  }
  const ids = raw.map((r) => r.doc.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup !== undefined) {
    const from = raw.filter((r) => r.doc.id === dup).map((r) => r.source);
    throw new UsageError(`mutation "${dup}" is declared twice (by ${from.join(' and ')}): mutation ids must be unique across core and all plugins`);
  }
  let chosen = raw;
  if (only !== undefined && only.length > 0) {
    const unknown = only.filter((id) => !ids.includes(id));
    if (unknown.length > 0) {
      throw new UsageError(`unknown mutation${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')}: catalogued ${ids.join(', ')}`);
    }
    chosen = raw.filter((r) => only.includes(r.doc.id));
  }
  const out: CatalogEntry[] = [];
  for (const r of chosen) {
    const cells = r.doc.cells.map(mutantCell);
    for (const c of cells) {
      const plugin = await resolvePlugin(c.arch.name, pluginPaths);
      const allowed = mutationsFor(plugin).map((m) => m.id);
      if (!allowed.includes(r.doc.id)) {
        throw new UsageError(
          `mutation "${r.doc.id}" (${r.source}) declares the cell ${cellLabel(c)}, but arch ${plugin.name} lacks it: allowed ${allowed.join(', ')}`,
        );
      }
      const o = plugin.options.safeParse(c.arch.options);
      if (!o.success) throw new UsageError(`mutation "${r.doc.id}" (${r.source}) declares the cell ${cellLabel(c)}: invalid options for arch ${plugin.name}: ${o.error.message}`);
    }
    out.push({ doc: r.doc, source: r.source, cells });
  }
  return out;
}

/** `lazytlb mutants --list`. */
export function formatCatalog(entries: readonly CatalogEntry[]): string {
  const L: string[] = [];
  for (const e of entries) {
    L.push(`${e.doc.id}  (${e.source}; breaks ${e.doc.breaks}; fixed by ${e.doc.fixedBy})`);
    L.push(`  ${e.doc.title}`);
    for (const c of e.cells) L.push(`  cell: ${cellLabel(c)}`);
    L.push('');
  }
  return L.join('\n');
}
