/**
 * The fixed corpus a behaviour fingerprint runs (./fingerprint.ts): cells and seeds chosen so
 * that every part of the model an artifact's replay depends on is exercised, yet small enough
 * to run at load (tens of milliseconds per plugin).
 *
 * - **core**: core's reference arch with each built-in scheme (refcount, shootdown with both
 *   masks, none), 2 and 4 CPUs, every workload profile, both strategy kinds, every
 *   preemption model, every core mutation the reference arch takes.
 * - **arch plugin**: its default options and every single-option variant (each value of an
 *   enum or boolean option, the others at their defaults), under every memory model it
 *   offers, with each built-in scheme; plus each of its own mutations on its first cell.
 * - **scheme plugin**: on the reference arch, its default options and every single-option
 *   variant, 2 and 4 CPUs, every workload profile.
 *
 * Changing this file changes every fingerprint (CORPUS_VERSION is hashed too): do it only
 * with a model change that invalidates artifacts anyway.
 */
import { z } from 'zod';
import type { ArchPlugin, MutationDoc } from '../abi/plugin.js';
import type { PreemptModel } from '../config/scheme.js';
import { CORE_MUTATIONS } from '../mutations/catalog.js';
import { hashString128, type RunSeed } from '../prng/seed.js';
import { referenceArch } from '../reference-arch/reference-arch.js';
import type { SchemePlugin } from '../scheme/abi.js';
import type { SimulatorOptions } from '../run/simulator.js';
import type { MemoryModel } from '../machine/store-buffer.js';
import { PROFILE_NAMES, type ProfileName } from '../workload/profiles.js';

export const CORPUS_VERSION = 1;
/** Steps per corpus run: long enough to reach exits, frees and IPIs; bounded so the corpus stays fast. */
export const CORPUS_STEP_BUDGET = 4_000;

export interface CorpusCell {
  /** Stable label (hashed with the runs, and named when a cell cannot be created). */
  readonly label: string;
  readonly options: SimulatorOptions;
  readonly seeds: readonly RunSeed[];
}

const seedsFor = (label: string, n: number): RunSeed[] =>
  Array.from({ length: n }, (_, i) => hashString128(`lazytlb.behaviour/${CORPUS_VERSION}/${label}/${i}`));

type Options = Record<string, unknown>;

/**
 * Default options and every single-option variant: for each enum or boolean option (read
 * from the zod schema as JSON Schema), each value other than its default. Options of other
 * types stay at their defaults. Sorted by option name, values in declaration order.
 */
export function optionVariants(schema: z.ZodType): Options[] {
  const out: Options[] = [{}];
  let props: Record<string, { enum?: unknown[]; anyOf?: { enum?: unknown[]; type?: string }[]; type?: string; default?: unknown }> = {};
  try {
    const js = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: typeof props };
    props = js.properties ?? {};
  } catch {
    return out; // not representable: the defaults only
  }
  const parsed = schema.safeParse({});
  const defaults: Options = parsed.success && typeof parsed.data === 'object' && parsed.data !== null ? (parsed.data as Options) : {};
  for (const name of Object.keys(props).sort()) {
    const p = props[name]!;
    const isBool = p.type === 'boolean' || p.anyOf?.some((x) => x.type === 'boolean') === true;
    const values = isBool ? [false, true] : (p.enum ?? p.anyOf?.flatMap((x) => x.enum ?? []) ?? []);
    for (const v of values) {
      if (JSON.stringify(v) === JSON.stringify(defaults[name])) continue;
      out.push({ [name]: v });
    }
  }
  return out;
}

const label = (o: Options): string =>
  Object.keys(o).length === 0
    ? 'defaults'
    : Object.entries(o)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(',');

const BUILTIN_SCHEME_RUNS: readonly { scheme: string; schemeOptions?: Options }[] = [
  { scheme: 'refcount' },
  { scheme: 'shootdown' },
  { scheme: 'shootdown', schemeOptions: { mask: 'online' } },
  { scheme: 'none' },
];

function mutationCells(plugin: ArchPlugin<any>, mutations: readonly MutationDoc[]): CorpusCell[] {
  const out: CorpusCell[] = [];
  for (const m of mutations) {
    const c = m.cells.find((x) => x.arch === plugin.name);
    if (c === undefined) continue;
    const l = `mutation ${m.id}`;
    out.push({
      label: l,
      options: {
        plugin,
        archOptions: c.options ?? {},
        scheme: c.scheme,
        ...(c.schemeOptions !== undefined ? { schemeOptions: c.schemeOptions } : {}),
        ...(c.preempt !== undefined ? { preempt: c.preempt } : {}),
        ...(c.memory !== undefined ? { memory: c.memory } : {}),
        cpus: Math.min(c.cpus ?? 4, plugin.capabilities.maxCpus),
        workload: (c.workload ?? 'default') as ProfileName,
        strategy: { kind: 'pct', depth: 3 },
        stepBudget: CORPUS_STEP_BUDGET,
        mutations: [m.id],
      },
      seeds: seedsFor(l, 2),
    });
  }
  return out;
}

/** Core's corpus: the reference arch with the built-in schemes. */
export function coreCorpus(): CorpusCell[] {
  const out: CorpusCell[] = [];
  for (const s of BUILTIN_SCHEME_RUNS) {
    for (const cpus of [2, 4]) {
      for (const profile of PROFILE_NAMES) {
        const l = `reference ${s.scheme}${s.schemeOptions !== undefined ? `:${label(s.schemeOptions)}` : ''} ${cpus} ${profile}`;
        out.push({
          label: l,
          options: {
            plugin: referenceArch,
            scheme: s.scheme,
            ...(s.schemeOptions !== undefined ? { schemeOptions: s.schemeOptions } : {}),
            cpus,
            workload: profile,
            strategy: cpus === 2 ? { kind: 'random' } : { kind: 'pct', depth: 3 },
            stepBudget: CORPUS_STEP_BUDGET,
          },
          seeds: seedsFor(l, 2),
        });
      }
    }
  }
  for (const preempt of ['none', 'voluntary', 'rt'] as PreemptModel[]) {
    const l = `reference refcount preempt=${preempt}`;
    out.push({
      label: l,
      options: { plugin: referenceArch, scheme: 'refcount', preempt, cpus: 3, workload: 'kthread-heavy', stepBudget: CORPUS_STEP_BUDGET },
      seeds: seedsFor(l, 2),
    });
  }
  out.push(
    ...mutationCells(
      referenceArch,
      CORE_MUTATIONS.map((m) => ({ ...m, cells: m.cells.map((c) => ({ ...c, arch: referenceArch.name, options: {} })) })),
    ),
  );
  return out;
}

/** An arch plugin's corpus: option variants × memory models × built-in schemes, and its mutations. */
export function archCorpus(plugin: ArchPlugin<any>): CorpusCell[] {
  const out: CorpusCell[] = [];
  const memories: readonly MemoryModel[] = plugin.abi >= 2 ? (plugin.memoryModels ?? ['sc']) : ['sc'];
  const cpus = Math.min(3, plugin.capabilities.maxCpus);
  for (const options of optionVariants(plugin.options as z.ZodType)) {
    for (const memory of memories) {
      for (const s of BUILTIN_SCHEME_RUNS) {
        const l = `arch ${label(options)} ${memory} ${s.scheme}${s.schemeOptions !== undefined ? `:${label(s.schemeOptions)}` : ''}`;
        out.push({
          label: l,
          options: {
            plugin,
            archOptions: options,
            scheme: s.scheme,
            ...(s.schemeOptions !== undefined ? { schemeOptions: s.schemeOptions } : {}),
            memory,
            cpus,
            workload: 'default',
            strategy: { kind: 'pct', depth: 3 },
            stepBudget: CORPUS_STEP_BUDGET,
          },
          seeds: seedsFor(l, 1),
        });
      }
    }
  }
  out.push(...mutationCells(plugin, plugin.mutations ?? []));
  return out;
}

/** A scheme plugin's corpus: on the reference arch, option variants × 2 and 4 CPUs × workload profiles. */
export function schemeCorpus(scheme: SchemePlugin<any>): CorpusCell[] {
  const out: CorpusCell[] = [];
  for (const options of optionVariants(scheme.options as z.ZodType)) {
    for (const cpus of [2, 4]) {
      for (const profile of PROFILE_NAMES) {
        const l = `scheme ${label(options)} ${cpus} ${profile}`;
        out.push({
          label: l,
          options: {
            plugin: referenceArch,
            scheme: scheme.name,
            schemePlugin: scheme,
            schemeOptions: options,
            cpus,
            workload: profile,
            strategy: cpus === 2 ? { kind: 'random' } : { kind: 'pct', depth: 3 },
            stepBudget: CORPUS_STEP_BUDGET,
          },
          seeds: seedsFor(l, 1),
        });
      }
    }
  }
  return out;
}
