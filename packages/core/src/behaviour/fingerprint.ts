/**
 * Behaviour fingerprints: what identifies a model for replay. An artifact replays exactly
 * only on a model that behaves as the one that recorded it, so instead of hashing source
 * bytes (which change with comments, formatting and refactors that change nothing) lazytlb
 * runs a fixed corpus of cells and seeds (./corpus.ts) with tracing on and hashes what
 * happened:
 *
 * - per run: how it ended (outcome, steps, invariant, CPU, step, use site, the failing
 *   hook), the hazards and use sites it recorded, the explorer's decision list, the cost
 *   counters that are not zero (by name);
 * - per trace event: step, CPU, actor, kernel function and violation. The event's text
 *   (its wording) is left out, so rewording a trace message does not invalidate artifacts;
 *   what happened, where and when is in.
 *
 * Three parts, so that a mismatch says which part changed: `core` (core's reference arch and
 * built-in schemes), `arch` (the arch plugin, run through core) and `scheme` (a scheme plugin,
 * on the reference arch). A changed core changes the plugins' fingerprints too.
 *
 * Fingerprints are memoised per plugin object for the life of the process (a pure function
 * of the plugin and the core; the cache holds no state a result depends on).
 */
import { createHash, type Hash } from 'node:crypto';
import type { ArchPlugin } from '../abi/plugin.js';
import { COST_NAMES } from '../cost/counters.js';
import type { SchemePlugin } from '../scheme/abi.js';
import { builtinScheme } from '../scheme/builtin/index.js';
import { Simulator } from '../run/simulator.js';
import { archCorpus, CORPUS_VERSION, coreCorpus, type CorpusCell, schemeCorpus } from './corpus.js';

/** The fingerprints an artifact records (hex, 16 digits each). `scheme`: only for a scheme plugin (built-ins are core's). */
export interface BehaviourFingerprints {
  readonly core: string;
  readonly arch: string;
  readonly scheme?: string | undefined;
}

function hashCorpus(kind: string, cells: readonly CorpusCell[]): string {
  const h = createHash('sha256');
  h.update(`lazytlb.behaviour/${CORPUS_VERSION} ${kind}\n`);
  for (const cell of cells) {
    h.update(`cell ${cell.label}\n`); // labels name options, not the plugin: a renamed or re-versioned plugin that behaves the same keeps its fingerprint
    let sim: Simulator;
    try {
      sim = new Simulator(cell.options);
    } catch (e) {
      // A refused combination (say, a scheme the arch does not take) is behaviour too; its wording is not.
      h.update(`refused ${(e as Error).name}\n`);
      continue;
    }
    for (const seed of cell.seeds) hashRun(h, sim, seed);
  }
  return h.digest('hex').slice(0, 16);
}

function hashRun(h: Hash, sim: Simulator, seed: readonly [number, number, number, number]): void {
  const r = sim.run(seed as [number, number, number, number], { trace: true, keepDecisions: true });
  const v = r.violation;
  h.update(
    `run ${r.outcome} ${r.steps} ${v === null ? '-' : `${v.invariant} ${v.cpu} ${v.step} ${v.site ?? ''} ${v.siteKind ?? ''}`} ${r.hazards} ${r.useSites} ${r.pluginError?.hook ?? '-'}\n`,
  );
  if (r.decisions !== null) h.update(r.decisions);
  const costs = sim.costs;
  let line = '\ncosts';
  for (let i = 0; i < COST_NAMES.length; i++) if (costs[i] !== 0) line += ` ${COST_NAMES[i]}=${costs[i]}`;
  h.update(`${line}\n`);
  for (const e of r.trace ?? []) h.update(`${e.step} ${e.cpu} ${e.actor} ${e.fn}${e.violation !== undefined ? ` ${e.violation}` : ''}\n`);
}

let coreMemo: string | null = null;
const archMemo = new WeakMap<object, string>();
const schemeMemo = new WeakMap<object, string>();

/** Core's behaviour fingerprint: the reference arch with the built-in schemes. */
export function coreFingerprint(): string {
  coreMemo ??= hashCorpus('core', coreCorpus());
  return coreMemo;
}

/** An arch plugin's behaviour fingerprint (its option variants, memory models and mutations, run through core). */
export function archFingerprint(plugin: ArchPlugin<any>): string {
  let fp = archMemo.get(plugin);
  if (fp === undefined) {
    fp = hashCorpus('arch', archCorpus(plugin));
    archMemo.set(plugin, fp);
  }
  return fp;
}

/** A scheme plugin's behaviour fingerprint (on the reference arch); a built-in scheme's is core's. */
export function schemeFingerprint(scheme: SchemePlugin<any>): string {
  if (builtinScheme(scheme.name) === scheme) return coreFingerprint();
  let fp = schemeMemo.get(scheme);
  if (fp === undefined) {
    fp = hashCorpus('scheme', schemeCorpus(scheme));
    schemeMemo.set(scheme, fp);
  }
  return fp;
}

/** The fingerprints of a simulator's model: core, its arch plugin and (for a scheme plugin) its scheme. */
export function behaviourFingerprints(sim: Pick<Simulator, 'plugin' | 'schemePlugin'>): BehaviourFingerprints {
  const builtin = builtinScheme(sim.schemePlugin.name) === sim.schemePlugin;
  return {
    core: coreFingerprint(),
    arch: archFingerprint(sim.plugin),
    ...(builtin ? {} : { scheme: schemeFingerprint(sim.schemePlugin) }),
  };
}

/**
 * The parts of `recorded` that differ from `current`, one sentence each (empty when the
 * model is the same). `names`: the arch and scheme as recorded, for the sentences.
 */
export function fingerprintMismatch(
  recorded: BehaviourFingerprints,
  current: BehaviourFingerprints,
  names: { readonly arch: string; readonly scheme?: string },
): string[] {
  const out: string[] = [];
  const coreChanged = recorded.core !== current.core;
  if (coreChanged) out.push(`the core model behaves differently (core fingerprint ${recorded.core}, now ${current.core})`);
  if (recorded.arch !== current.arch) {
    out.push(
      `arch ${names.arch} behaves differently (fingerprint ${recorded.arch}, now ${current.arch}${coreChanged ? '; the core change alone changes it' : ''})`,
    );
  }
  if (recorded.scheme !== current.scheme) {
    const what = `scheme ${names.scheme ?? '?'}`;
    if (recorded.scheme === undefined || current.scheme === undefined)
      out.push(
        `${what} was ${recorded.scheme === undefined ? 'built in' : 'a plugin'} when recorded and is ${current.scheme === undefined ? 'built in' : 'a plugin'} now`,
      );
    else
      out.push(`${what} behaves differently (fingerprint ${recorded.scheme}, now ${current.scheme}${coreChanged ? '; the core change alone changes it' : ''})`);
  }
  return out;
}
