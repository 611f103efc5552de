/**
 * The x86-native mutations (mutations.ts): each declared cell, run a few thousand seeded times
 * with the mutation enabled, must break the declared invariant (and nothing else); the same
 * cell without it must stay clean (the false-alarm check a `lazytlb mutants` sweep makes).
 * Seeds are runSeed(cell, i), so the counts are fixed.
 */
import { describe, expect, it } from 'vitest';
import { createSimulator, resolveMutations, validateArchPlugin, ProfileName, type Scheme } from '@lazytlb/core';
import plugin, { MUT_X86_LAZY_SKIP_FREED_TABLES, X86_NATIVE_MUTATIONS, sweepCell } from './index.js';

const RUNS = 2000;

describe('x86-native mutations', () => {
  it('are declared in the descriptor, validate, and resolve to the plugin', () => {
    expect(validateArchPlugin(plugin).mutations).toBe(X86_NATIVE_MUTATIONS);
    expect(X86_NATIVE_MUTATIONS.map((m) => m.id)).toEqual([MUT_X86_LAZY_SKIP_FREED_TABLES]);
    expect(resolveMutations([MUT_X86_LAZY_SKIP_FREED_TABLES], plugin)).toEqual({ ids: [MUT_X86_LAZY_SKIP_FREED_TABLES], coreBits: 0, arch: [MUT_X86_LAZY_SKIP_FREED_TABLES] });
    const sim = createSimulator({ plugin, scheme: 'refcount', cpus: 2, mutations: [MUT_X86_LAZY_SKIP_FREED_TABLES] });
    expect(sim.cell.mutations).toEqual([MUT_X86_LAZY_SKIP_FREED_TABLES]);
  });

  for (const m of X86_NATIVE_MUTATIONS) {
    for (const cell of m.cells) {
      expect(cell.arch).toBe('x86-native');
      const base = { plugin, archOptions: cell.options ?? {}, scheme: cell.scheme as Scheme, cpus: cell.cpus ?? 4, runs: RUNS, workload: ProfileName.parse(cell.workload ?? 'default') };
      it(`${m.id} @ ${JSON.stringify(cell)}: ${RUNS} runs killed by ${m.breaks} only; unmutated clean`, () => {
        const mutated = sweepCell({ ...base, mutations: [m.id] });
        expect(Object.keys(mutated.bad)).toEqual([m.breaks]);
        expect(mutated.bad[m.breaks]!).toBeGreaterThan(RUNS / 4);
        const clean = sweepCell(base);
        expect(clean.bad, JSON.stringify(clean.shortest)).toEqual({});
      });
    }
  }
});
