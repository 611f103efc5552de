/**
 * The bundled plugins that declare their per-run state (ArchPlugin.declaresState /
 * SchemePlugin.declaresState: powerpc, arm64, hazptr, lazy-mm-scan, implicit-shootdown) can be
 * searched with state hashing, and hashing loses nothing: on every canonical workload the
 * hashed search (preemption bounds 1 and 2) gives the reference search's verdict and findings. Each
 * declared array is in the fingerprint (sound by default). x86-native and x86-paravirt declare
 * theirs too (their step-count reads are explored choices under exhaustive search): tested in
 * x86-declared-state.test.ts; a plugin that does not declare is refused, naming it.
 */
import arm64 from '@lazytlb/arch-arm64';
import powerpc from '@lazytlb/arch-powerpc';
import x86Native from '@lazytlb/arch-x86-native';
import {
  type ArchPlugin,
  CANONICAL_NAMES,
  CANONICAL_WORKLOADS,
  createSimulator,
  hashString128,
  referenceArch,
  runSeed,
  type SchemePlugin,
  type Simulator,
} from '@lazytlb/core';
import { type ExhaustiveResult, exhaustiveSearch } from '@lazytlb/explore';
import hazptr from '@lazytlb/scheme-hazptr';
import implicitShootdown from '@lazytlb/scheme-implicit-shootdown';
import lazyMmScan from '@lazytlb/scheme-lazy-mm-scan';
import { describe, expect, it } from 'vitest';
import { expectDeclaredStateHashed } from '../test-support/declared-state.js';

const SEED = runSeed(hashString128('declared-state'), 0);
/** Preemption bounds searched (bound 2 as well as 1: the whole file runs in under 10 s). */
const BOUNDS = [1, 2] as const;

interface Cell {
  readonly label: string;
  readonly plugin: ArchPlugin<any>;
  readonly archOptions?: unknown;
  readonly scheme: string;
  readonly schemePlugin?: SchemePlugin<any>;
  /** How many arrays the cell's plugins declare (the reference arch declares 4). */
  readonly declared: number;
}

/** Arches under refcount (and a second configuration of each); schemes on the reference arch (and lazy-mm-scan on powerpc too). */
const CELLS: readonly Cell[] = [
  { label: 'powerpc + refcount', plugin: powerpc, scheme: 'refcount', declared: 15 },
  { label: 'powerpc hash + refcount', plugin: powerpc, archOptions: { mmu: 'hash' }, scheme: 'refcount', declared: 15 },
  { label: 'arm64 + refcount', plugin: arm64, scheme: 'refcount', declared: 15 },
  {
    label: 'arm64 asidBits=3 swPan powerdown + refcount',
    plugin: arm64,
    archOptions: { asidBits: 3, swPan: true, deepIdle: 'powerdown' },
    scheme: 'refcount',
    declared: 15,
  },
  { label: 'reference + hazptr', plugin: referenceArch, scheme: 'hazptr', schemePlugin: hazptr, declared: 4 + 1 },
  { label: 'reference + lazy-mm-scan', plugin: referenceArch, scheme: 'lazy-mm-scan', schemePlugin: lazyMmScan, declared: 4 + 6 },
  { label: 'powerpc + lazy-mm-scan', plugin: powerpc, scheme: 'lazy-mm-scan', schemePlugin: lazyMmScan, declared: 15 + 6 },
  { label: 'reference + implicit-shootdown', plugin: referenceArch, scheme: 'implicit-shootdown', schemePlugin: implicitShootdown, declared: 4 },
];

function simFor(cell: Cell, name: string): Simulator {
  return createSimulator({
    plugin: cell.plugin,
    ...(cell.archOptions !== undefined ? { archOptions: cell.archOptions } : {}),
    scheme: cell.scheme,
    ...(cell.schemePlugin !== undefined ? { schemePlugin: cell.schemePlugin } : {}),
    cpus: CANONICAL_WORKLOADS[name as keyof typeof CANONICAL_WORKLOADS].cpus,
    workload: `canonical:${name}`,
  });
}

const findingKeys = (r: ExhaustiveResult): string[] => r.findings.map((f) => `${f.class}:${f.key}`);

describe('plugins that declare their state: exhaustive search with state hashing', () => {
  it('every bundled arch declares its state now (x86: x86-declared-state.test.ts); an undeclared plugin is still refused, by name', () => {
    expect(simFor({ label: 'x86', plugin: x86Native, scheme: 'refcount', declared: 0 }, 'exit-while-lazy').stateHashRefusal).toBeNull();
    const { declaresState: _, ...undeclared } = x86Native as ArchPlugin<unknown> & { declaresState?: boolean };
    expect(
      simFor({ label: 'opaque', plugin: { ...undeclared, name: 'opaque' } as ArchPlugin<unknown>, scheme: 'refcount', declared: 0 }, 'exit-while-lazy')
        .stateHashRefusal,
    ).toMatch(/^arch plugin opaque@.* does not declare its per-run state/);
  });

  it.each(CELLS.map((c) => [c.label, c] as const))('%s: hashable, and every declared array is in the fingerprint', (_label, cell) => {
    expectDeclaredStateHashed(simFor(cell, 'exit-while-lazy'), SEED, cell.declared, 4);
  });

  it.each(CELLS.map((c) => [c.label, c] as const))(
    `%s: on every canonical workload, the hashed search at preemption bounds ${BOUNDS.join(' and ')} finds what the reference search finds`,
    (_label, cell) => {
      for (const bound of BOUNDS) {
        for (const name of CANONICAL_NAMES) {
          const off = exhaustiveSearch(simFor(cell, name), { seed: SEED, preemptionBound: bound, stateHashing: 'off' });
          const on = exhaustiveSearch(simFor(cell, name), { seed: SEED, preemptionBound: bound });
          expect(on.stateHashing.on, `${name}: ${on.stateHashing.reason}`).toBe(true);
          expect(off.stateHashing.on).toBe(false);
          expect([name, bound, on.verdict, findingKeys(on)]).toEqual([name, bound, off.verdict, findingKeys(off)]);
          expect(on.executions).toBeLessThanOrEqual(off.executions);
        }
      }
    },
  );
});
