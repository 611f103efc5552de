/**
 * An exhaustive search's result does not depend on what the simulator ran before (core's
 * Kernel.scrub(): arrays past their live part, such as popped stack frames, dequeued IPI slots
 * and the tasks of a longer run, are zeroed before each execution). Without it the fingerprints
 * of a worker's second subtree differed from a fresh simulator's, and a sweep's exhaustive cells
 * gave other node and state counts when sharded or resumed. Every bundled arch (both memory
 * models where offered) and every bundled scheme: a bounded search on a fresh simulator equals
 * the same search after random runs of other seeds and workloads on the same simulator.
 */
import arm64 from '@lazytlb/arch-arm64';
import powerpc from '@lazytlb/arch-powerpc';
import x86Native from '@lazytlb/arch-x86-native';
import x86Paravirt from '@lazytlb/arch-x86-paravirt';
import { type ArchPlugin, createSimulator, hashString128, referenceArch, runSeed, type SchemePlugin, type Simulator } from '@lazytlb/core';
import { exhaustiveSearch } from '@lazytlb/explore';
import hazptr from '@lazytlb/scheme-hazptr';
import implicitShootdown from '@lazytlb/scheme-implicit-shootdown';
import lazyMmScan from '@lazytlb/scheme-lazy-mm-scan';
import { describe, expect, it } from 'vitest';

const SEED = runSeed(hashString128('history-free'), 0);

interface Cell {
  readonly label: string;
  readonly plugin: ArchPlugin<any>;
  readonly scheme: string;
  readonly schemePlugin?: SchemePlugin<any>;
  readonly memory?: 'tso';
}

const CELLS: readonly Cell[] = [
  { label: 'reference refcount', plugin: referenceArch, scheme: 'refcount' },
  { label: 'reference none', plugin: referenceArch, scheme: 'none' },
  { label: 'x86-native shootdown', plugin: x86Native, scheme: 'shootdown' },
  { label: 'x86-native refcount tso', plugin: x86Native, scheme: 'refcount', memory: 'tso' },
  { label: 'x86-paravirt refcount', plugin: x86Paravirt, scheme: 'refcount' },
  { label: 'powerpc shootdown', plugin: powerpc, scheme: 'shootdown' },
  { label: 'arm64 refcount', plugin: arm64, scheme: 'refcount' },
  { label: 'reference hazptr', plugin: referenceArch, scheme: 'hazptr', schemePlugin: hazptr },
  { label: 'reference lazy-mm-scan', plugin: referenceArch, scheme: 'lazy-mm-scan', schemePlugin: lazyMmScan },
  { label: 'reference implicit-shootdown', plugin: referenceArch, scheme: 'implicit-shootdown', schemePlugin: implicitShootdown },
  // A scheme's shared state under tso: its store-buffer slots sit above the arch's, with holes between (once a crash of
  // the hasher and the snapshot, found by the testkit's declared-state conformance check).
  { label: 'x86-native hazptr tso', plugin: x86Native, scheme: 'hazptr', schemePlugin: hazptr, memory: 'tso' },
  { label: 'x86-native lazy-mm-scan tso', plugin: x86Native, scheme: 'lazy-mm-scan', schemePlugin: lazyMmScan, memory: 'tso' },
];

function simFor(c: Cell, workload: `canonical:${string}`): Simulator {
  return createSimulator({
    plugin: c.plugin,
    scheme: c.scheme,
    ...(c.schemePlugin !== undefined ? { schemePlugin: c.schemePlugin } : {}),
    ...(c.memory !== undefined ? { memory: c.memory } : {}),
    cpus: 2,
    workload,
  });
}

/** The counts a bounded, budgeted search gives (every one depends on every fingerprint it took). */
function counts(sim: Simulator): string {
  const r = exhaustiveSearch(sim, { seed: SEED, preemptionBound: 1, maxExecutions: 300 });
  return JSON.stringify([r.verdict, r.executions, r.nodes, r.stateHashing.distinctStates, r.stateHashing.prunedExecutions, r.findings.map((f) => f.key)]);
}

describe('exhaustive search does not depend on earlier runs of its simulator', () => {
  for (const c of CELLS) {
    it(c.label, () => {
      const fresh = counts(simFor(c, 'canonical:fork-racing-exit'));
      // Another cell's worth of history on the same simulator: random runs of other seeds (longer, more tasks), then the search again.
      const used = simFor(c, 'canonical:fork-racing-exit');
      counts(used);
      for (let i = 1; i <= 20; i++) used.run(runSeed(hashString128('other'), i));
      expect(counts(used)).toBe(fresh);
    });
  }
});
