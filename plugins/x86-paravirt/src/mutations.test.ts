/**
 * x86-paravirt-lazy-skip-freed-tables (mutations.ts): x86-native's §7.8 mutation in a guest.
 * A directed scenario on KVM (kernel-reference §7.8's interleaving with a running, lazy vCPU),
 * the same interleaving unmutated, the backends it cannot affect, and a few thousand seeded
 * runs of every declared cell: killed by I2 only with the mutation, clean without.
 */
import { describe, expect, it } from 'vitest';
import { resolveMutations, validateArchPlugin, ProfileName, type Scheme } from '@lazytlb/core';
import { sweepCell } from '@lazytlb/arch-x86-native';
import { Scenario, thread } from '@lazytlb/testkit';
import plugin, { MUT_X86_PARAVIRT_LAZY_SKIP_FREED_TABLES, X86_PARAVIRT_MUTATIONS, type X86ParavirtOptions } from './index.js';

const RUNS = 2000;

/** §7.8: vCPU1 idles lazy on P (T1 exited); T0's munmap on vCPU0 frees a page-table page of P. */
function lazyMunmap(mutated: boolean, archOptions: Partial<X86ParavirtOptions>): Scenario {
  const s = new Scenario({
    arch: plugin,
    archOptions,
    mutations: mutated ? [MUT_X86_PARAVIRT_LAZY_SKIP_FREED_TABLES] : [],
    scheme: 'refcount',
    cpus: 2,
    tasks: { T0: thread('P', 0, 'munmap freed-tables'), T1: thread('P', 1) },
  });
  s.run(`
    CPU1: op
    CPU1: until context_switch   # T1 exits; swapper/1 lazy on P (loaded_mm P, CR3 P)
    CPU0: op
    CPU0: step                   # munmap freeing a page-table page: flush_tlb_multi(mm_cpumask = {0,1})
  `);
  return s;
}

describe('x86-paravirt-lazy-skip-freed-tables', () => {
  it('is declared, validates, resolves, and is not x86-native\'s id (ids are unique across plugins)', () => {
    expect(validateArchPlugin(plugin).mutations).toBe(X86_PARAVIRT_MUTATIONS);
    expect(resolveMutations([MUT_X86_PARAVIRT_LAZY_SKIP_FREED_TABLES], plugin).arch).toEqual([MUT_X86_PARAVIRT_LAZY_SKIP_FREED_TABLES]);
    expect(() => resolveMutations(['x86-lazy-skip-freed-tables'], plugin)).toThrow(/unknown mutation/);
  });

  it('KVM, mutated: kvm_flush_tlb_multi -> native_flush_tlb_multi skips the running lazy vCPU1 -> I2 at tlb_finish_mmu', () => {
    const s = lazyMunmap(true, { backend: 'kvm' });
    expect(s.costs().ipi_sent_flush).toBe(0);
    s.expectCpu(1, { lazy: 'P', hw_root: 'P' });
    s.run('CPU0: step');
    const v = s.expectViolation('I2', 'page tables of P freed while CPU1 may still hold translations');
    expect(v.cpu).toBe(1);
  });

  it('KVM, unmutated, same interleaving: vCPU1 gets flush_tlb_func and leaves for init_mm: clean', () => {
    const s = lazyMunmap(false, { backend: 'kvm' });
    expect(s.costs().ipi_sent_flush).toBe(1);
    s.run(`
      CPU1: irq
      CPU0: step
    `);
    s.expectCpu(1, { hw_root: 'init_mm' });
    s.expectNoViolation();
    s.finish();
  });

  it('Hyper-V hypercall and Xen multicall do not go through native_flush_tlb_multi: the mutation changes nothing', () => {
    for (const backend of ['hyperv', 'xen'] as const) {
      const s = lazyMunmap(true, { backend });
      expect(s.costs()).toMatchObject({ hypercalls: 1, ipi_sent_flush: 0 });
      s.run('CPU0: step'); // the hypervisor flushed vCPU1's TLB (lazy included: freed_tables / no filter)
      s.expectNoViolation();
      s.finish();
    }
  });

  for (const m of X86_PARAVIRT_MUTATIONS) {
    for (const cell of m.cells) {
      const base = { plugin, archOptions: cell.options ?? {}, scheme: cell.scheme as Scheme, cpus: cell.cpus ?? 4, runs: RUNS, workload: ProfileName.parse(cell.workload ?? 'default') };
      it(`${m.id} @ ${JSON.stringify(cell)}: ${RUNS} runs killed by ${m.breaks} only; unmutated clean`, () => {
        expect(cell.arch).toBe('x86-paravirt');
        const mutated = sweepCell({ ...base, mutations: [m.id] });
        expect(Object.keys(mutated.bad)).toEqual([m.breaks]);
        expect(mutated.bad[m.breaks]!).toBeGreaterThan(RUNS / 4);
        const clean = sweepCell(base);
        expect(clean.bad, JSON.stringify(clean.shortest)).toEqual({});
      });
    }
  }

  it('hyperv (hypercall) and xen with the mutation: still clean (no cell names them)', () => {
    for (const archOptions of [{ backend: 'hyperv' }, { backend: 'xen' }]) {
      const r = sweepCell({ plugin, archOptions, scheme: 'refcount', cpus: 2, runs: 500, mutations: [MUT_X86_PARAVIRT_LAZY_SKIP_FREED_TABLES] });
      expect(r.bad).toEqual({});
    }
  });
});
