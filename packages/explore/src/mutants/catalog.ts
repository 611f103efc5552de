/**
 * The mutation catalogue `lazytlb mutants` works through: core's CORE_MUTATIONS, then each
 * bundled arch plugin's `mutations`, then those of `--plugin PATH` plugins, in that order.
 * Every declared cell is resolved here (its arch must load, and must offer the mutation), so
 * a bad catalogue fails before anything runs.
 */
import {
  type ArchPlugin,
  CORE_MUTATIONS,
  DEFAULT_PREEMPT,
  type MemoryModel,
  memoryModelRefusal,
  type MutationCell,
  type MutationDoc,
  mutationsFor,
  type PreemptModel,
  resolveSchemeOptions,
} from '@lazytlb/core';
import { schemeLabel } from '../sweep/cells.js';
import { formatArchSpec } from '../matrix/types.js';
import type { ArchSpec } from '../matrix/types.js';
import type { PluginRegistry } from '../registry/registry.js';
import { usageError } from '../errors/lazytlb-error.js';

/**
 * A declared cell with the defaults filled in (MutationCell: workload "default", 4 CPUs,
 * preempt "full", memory "sc", the scheme's default options). Scheme options equal to their
 * defaults, preempt "full" and memory "sc" are left out, as in sweep cells, so cell ids do not
 * change.
 */
export interface MutantCell {
  readonly arch: ArchSpec;
  readonly scheme: MutationCell['scheme'];
  /** Non-default scheme options (absent when none). */
  readonly schemeOptions?: Readonly<Record<string, unknown>>;
  /** Preemption model when not "full". */
  readonly preempt?: PreemptModel;
  /** Memory model when not "sc". */
  readonly memory?: MemoryModel;
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

/** The cell with defaults filled in; throws core's SchemeOptionsError for invalid scheme options. */
export function mutantCell(c: MutationCell): MutantCell {
  const so = resolveSchemeOptions(c.scheme, c.schemeOptions);
  return {
    arch: { name: c.arch, options: { ...(c.options ?? {}) } },
    scheme: c.scheme,
    ...(so !== null ? { schemeOptions: { ...so } } : {}),
    ...(c.preempt !== undefined && c.preempt !== DEFAULT_PREEMPT ? { preempt: c.preempt } : {}),
    ...(c.memory !== undefined && c.memory !== 'sc' ? { memory: c.memory } : {}),
    cpus: c.cpus ?? DEFAULT_MUTANT_CPUS,
    profile: c.workload ?? 'default',
  };
}

/**
 * "powerpc:mmu=radix refcount 4cpu kthread-heavy", "x86-native refcount preempt=rt 2cpu kthread-heavy",
 * "x86-native shootdown memory=tso 2cpu pingpong".
 */
export function cellLabel(c: MutantCell): string {
  return `${formatArchSpec(c.arch)} ${schemeLabel(c)} ${c.cpus}cpu ${c.profile}`;
}

function docOf(m: MutationDoc): MutationDoc {
  // CoreMutation carries its Kernel.mutations bit: keep the documented fields only.
  return {
    id: m.id,
    title: m.title,
    fixedBy: m.fixedBy,
    ...(m.synthetic !== undefined ? { synthetic: m.synthetic } : {}),
    breaks: m.breaks,
    cells: m.cells,
    description: m.description,
    ...(m.noVictim !== undefined ? { noVictim: m.noVictim } : {}),
  };
}

/**
 * The invariant of an arch's intermediate-state oracle: I13 (arch-coherence) checks core vs
 * arch per-CPU state after every step, so a mutation that opens a window with IRQs on is
 * killed by I13 at the first step of the window, before anything goes wrong because of it.
 * Cells of a mutation that declares it are run a second time with it switched off, to see
 * whether a consequence (I4, I2, I1, ... after an IPI lands in the window) follows.
 */
export const INTERMEDIATE_STATE_ORACLE = 'I13' as const;

/** Whether `lazytlb mutants` runs a mutation's cells a second time with its oracle off (see INTERMEDIATE_STATE_ORACLE). */
export function wantsConsequenceRun(doc: MutationDoc): boolean {
  return doc.breaks === INTERMEDIATE_STATE_ORACLE;
}

/**
 * The catalogue (optionally only the ids in `only`, in catalogue order). Throws a usage error for
 * an unknown id in `only`, an id declared twice, or a declared cell whose arch lacks the mutation.
 */
export async function loadCatalog(registry: PluginRegistry, only?: readonly string[]): Promise<CatalogEntry[]> {
  const raw: { doc: MutationDoc; source: string }[] = CORE_MUTATIONS.map((m) => ({ doc: docOf(m), source: 'core' }));
  // The registry validated every plugin (core's validateArchPlugin also refuses a mutation with
  // both cells and noVictim, or neither); a scheme plugin declares no mutations.
  const plugins: ArchPlugin<unknown>[] = registry.loadedArches().map((a) => a.plugin);
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
    throw usageError(`mutation "${dup}" is declared twice (by ${from.join(' and ')}): mutation ids must be unique across core and all plugins`);
  }
  let chosen = raw;
  if (only !== undefined && only.length > 0) {
    const unknown = only.filter((id) => !ids.includes(id));
    if (unknown.length > 0) {
      throw usageError(`unknown mutation${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')}: catalogued ${ids.join(', ')}`);
    }
    chosen = raw.filter((r) => only.includes(r.doc.id));
  }
  const out: CatalogEntry[] = [];
  for (const r of chosen) {
    let cells: MutantCell[];
    try {
      cells = r.doc.cells.map(mutantCell);
    } catch (e) {
      throw usageError(`mutation "${r.doc.id}" (${r.source}) declares a cell with ${(e as Error).message}`);
    }
    for (const c of cells) {
      const plugin = await registry.arch(c.arch.name);
      const allowed = mutationsFor(plugin).map((m) => m.id);
      if (!allowed.includes(r.doc.id)) {
        throw usageError(
          `mutation "${r.doc.id}" (${r.source}) declares the cell ${cellLabel(c)}, but arch ${plugin.name} lacks it: allowed ${allowed.join(', ')}`,
        );
      }
      const o = plugin.options.safeParse(c.arch.options);
      if (!o.success)
        throw usageError(`mutation "${r.doc.id}" (${r.source}) declares the cell ${cellLabel(c)}: invalid options for arch ${plugin.name}: ${o.error.message}`);
      const refusal = memoryModelRefusal(plugin, c.memory ?? 'sc');
      if (refusal !== null) throw usageError(`mutation "${r.doc.id}" (${r.source}) declares the cell ${cellLabel(c)}: ${refusal}`);
    }
    out.push({ doc: r.doc, source: r.source, cells });
  }
  return out;
}

/** `lazytlb mutants --list`. */
export function formatCatalog(entries: readonly CatalogEntry[]): string {
  const L: string[] = [];
  for (const e of entries) {
    const origin = e.doc.synthetic !== undefined ? `synthetic: ${e.doc.synthetic}` : `fixed by ${e.doc.fixedBy}`;
    L.push(`${e.doc.id}  (${e.source}; breaks ${e.doc.breaks}; ${origin})`);
    L.push(`  ${e.doc.title}`);
    for (const c of e.cells)
      L.push(`  cell: ${cellLabel(c)}${wantsConsequenceRun(e.doc) ? ` (and again with ${INTERMEDIATE_STATE_ORACLE} off: consequence)` : ''}`);
    if (e.doc.noVictim !== undefined) L.push(`  no modelled victim: ${e.doc.noVictim}`);
    L.push('');
  }
  return L.join('\n');
}
