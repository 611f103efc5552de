/**
 * `lazytlb schemes`: every lazy-mm scheme the resolver knows (bundled, --plugin PATH, installed
 * @lazytlb/scheme-* packages) with what a kernel developer needs to pick one: its options
 * (allowed values, default, description), provenance, the Kconfig it stands for, and its claims
 * (whether a dangling lazy pointer is part of its premise, which barriers other kernel code
 * borrows from the lazy-mm helpers it provides or not, and what it assumes of an arch with the
 * invariant that checks each assumption).
 */
import { INVARIANTS, type SchemePlugin } from '@lazytlb/core';
import { type ArchOptionInfo, describeOptions, sourceText } from './list.js';
import { type PluginRegistry, PROVENANCE_TEXT } from '@lazytlb/explore';

export interface SchemeInfo {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  /** "bundled (@lazytlb/core)", "--plugin ./my-scheme.js", "package @lazytlb/scheme-foo". */
  readonly source: string;
  /** mainline | proposal | reconstructed, and what that means. */
  readonly provenance: SchemePlugin['provenance'];
  readonly provenanceNote: string;
  /** The patches or code the plugin follows (its descriptor's `source`). */
  readonly follows: string;
  readonly kconfig: { readonly MMU_LAZY_TLB_REFCOUNT: boolean; readonly MMU_LAZY_TLB_SHOOTDOWN: boolean; readonly other: readonly string[] };
  readonly options: readonly ArchOptionInfo[];
  readonly optionsJsonSchema?: unknown;
  readonly claims: {
    readonly danglingPremise: boolean;
    readonly barriers: readonly { readonly id: string; readonly reliedOnBy: string; readonly provided: boolean; readonly how: string }[];
    readonly arch: readonly { readonly id: string; readonly description: string; readonly checkedBy: string; readonly checkedByName: string }[];
  };
  /** The checks of the scheme's own kernel code (I15: a WARN_ON or lockdep assertion), by kernel function. */
  readonly checks: readonly { readonly id: string; readonly site: string; readonly description: string }[];
  /** Kernel code the scheme restructures beyond its hooks (e.g. noPrevMm: no rq->prev_mm). */
  readonly restructures: readonly string[];
  /** Use sites of a possibly dangling pointer the scheme's own hooks report. */
  readonly useSites: readonly string[];
}

export function schemeInfo(plugin: SchemePlugin<unknown>, source: string): SchemeInfo {
  const d = describeOptions(plugin.options);
  return {
    name: plugin.name,
    version: plugin.version,
    description: plugin.description,
    source,
    provenance: plugin.provenance,
    provenanceNote: PROVENANCE_TEXT[plugin.provenance],
    follows: plugin.source,
    kconfig: {
      MMU_LAZY_TLB_REFCOUNT: plugin.kconfig.MMU_LAZY_TLB_REFCOUNT,
      MMU_LAZY_TLB_SHOOTDOWN: plugin.kconfig.MMU_LAZY_TLB_SHOOTDOWN,
      other: [...(plugin.kconfig.other ?? [])],
    },
    options: d.options,
    ...(d.jsonSchema !== undefined ? { optionsJsonSchema: d.jsonSchema } : {}),
    claims: {
      danglingPremise: plugin.claims.danglingPremise,
      barriers: plugin.claims.barriers.map((b) => ({ id: b.id, reliedOnBy: b.reliedOnBy, provided: b.provided, how: b.how })),
      arch: plugin.claims.arch.map((a) => ({
        id: a.id,
        description: a.description,
        checkedBy: a.checkedBy,
        checkedByName: (INVARIANTS as Record<string, { name: string } | undefined>)[a.checkedBy]?.name ?? '',
      })),
    },
    checks: (plugin.invariants ?? []).map((c) => ({ id: c.id, site: c.site, description: c.description })),
    restructures: Object.entries(plugin.restructures ?? {})
      .filter(([, v]) => v === true)
      .map(([k]) => k),
    useSites: (plugin.useSites ?? []).map((u) => u.id),
  };
}

/** Every scheme the resolver knows: bundled, --plugin paths (arch plugins among them skipped) and installed @lazytlb/scheme-* packages. */
export async function listSchemes(registry: PluginRegistry): Promise<SchemeInfo[]> {
  // A --plugin path that does not load was an error when the registry was made (as for `lazytlb arches`).
  return (await registry.availableSchemes()).map(({ plugin, source }) => schemeInfo(plugin, sourceText(source)));
}

/** "MMU_LAZY_TLB_REFCOUNT=y MMU_LAZY_TLB_SHOOTDOWN=n" plus a proposal's own symbols. */
export function kconfigText(k: SchemeInfo['kconfig'] | SchemePlugin['kconfig']): string {
  const yn = (b: boolean): string => (b ? 'y' : 'n');
  return [`MMU_LAZY_TLB_REFCOUNT=${yn(k.MMU_LAZY_TLB_REFCOUNT)}`, `MMU_LAZY_TLB_SHOOTDOWN=${yn(k.MMU_LAZY_TLB_SHOOTDOWN)}`, ...(k.other ?? [])].join(' ');
}

/** Human-readable listing for `lazytlb schemes`. */
export function formatSchemes(schemes: readonly SchemeInfo[]): string {
  const lines: string[] = [];
  for (const s of schemes) {
    lines.push(`${s.name} ${s.version}  — ${s.source}`);
    lines.push(`  ${s.description}`);
    lines.push(`  provenance: ${s.provenance}${s.provenance !== 'mainline' ? ` (${s.provenanceNote})` : ''}; follows ${s.follows}`);
    lines.push(`  Kconfig: ${kconfigText(s.kconfig)}`);
    if (s.options.length === 0) lines.push('  options: none');
    else lines.push(`  options (--scheme ${s.name}:key=value,...):`);
    for (const o of s.options) {
      lines.push(`    ${o.name}: ${o.type}${o.default !== undefined ? ` = ${JSON.stringify(o.default)}` : ''}`);
      if (o.description !== undefined) lines.push(`      ${o.description}`);
    }
    lines.push(
      `  dangling premise: ${
        s.claims.danglingPremise
          ? 'yes (a lazy pointer naming a freed mm, I3, is a hazard: recorded, the run goes on; only its uses, I14, end a run)'
          : 'no (a lazy pointer naming a freed mm, I3, is a violation)'
      }`,
    );
    if (s.claims.barriers.length === 0) lines.push('  barriers: none declared');
    else lines.push('  barriers other kernel code relies on:');
    for (const b of s.claims.barriers) {
      lines.push(`    ${b.id}: ${b.provided ? 'provided' : 'NOT provided'}: ${b.how}`);
      lines.push(`      relied on by ${b.reliedOnBy}`);
    }
    if (s.claims.arch.length === 0) lines.push('  arch claims: none');
    else lines.push('  arch claims (checked by the sweep, never a reason to refuse a cell):');
    for (const a of s.claims.arch)
      lines.push(`    ${a.id} (checked by ${a.checkedBy}${a.checkedByName !== '' ? ` ${a.checkedByName}` : ''}): ${a.description}`);
    for (const c of s.checks) lines.push(`  check ${c.id} in ${c.site}: ${c.description}`);
    if (s.restructures.length > 0) lines.push(`  restructures: ${s.restructures.join(', ')}`);
    if (s.useSites.length > 0) lines.push(`  use sites: ${s.useSites.join(', ')}`);
    lines.push('');
  }
  return lines.join('\n');
}
