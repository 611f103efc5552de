/**
 * x86-paravirt-lazy-skip-freed-tables (mutations.ts): x86-native's flush_tlb_range() mutation
 * (freed_tables = false before 3ef938c35035) in a guest. A directed scenario per backend
 * (khugepaged's collapse frees a PTE table while vCPU1 is lazy on the mm) with and without it,
 * the backend it cannot affect (Xen PV), and a few thousand seeded runs of every declared cell:
 * killed by I2 only with the mutation, clean without.
 */
import { describe, expect, it } from 'vitest';
import { resolveMutations, validateArchPlugin, ProfileName, type Scheme } from '@lazytlb/core';
import { runCell } from '@lazytlb/explore';
import { Scenario, kthread, thread } from '@lazytlb/testkit';
import plugin, { MUT_X86_PARAVIRT_LAZY_SKIP_FREED_TABLES, X86_PARAVIRT_MUTATIONS, type X86ParavirtOptions } from './index.js';

const RUNS = 2000;

/** vCPU0 runs T0 (P), vCPU1 is lazy on P (T1 exited), vCPU2 is khugepaged collapsing a PMD of P. */
function collapse(mutated: boolean, archOptions: Partial<X86ParavirtOptions>): Scenario {
  const s = new Scenario({
    arch: plugin,
    archOptions,
    mutations: mutated ? [MUT_X86_PARAVIRT_LAZY_SKIP_FREED_TABLES] : [],
    scheme: 'refcount',
    cpus: 3,
    tasks: { T0: thread('P', 0, 'run', 'run'), T1: thread('P', 1), K: kthread(2, 'khugepaged P') },
  });
  s.run(`
    CPU0: op
    CPU1: op
    CPU1: until do_task_dead
    CPU1: until context_switch   # swapper/1 lazy on P (loaded_mm P, CR3 P)
    CPU2: op
    CPU2: step                   # collapse_huge_page: pmdp_collapse_flush -> flush_tlb_range: inc_mm_tlb_gen
    CPU2: step                   # flush_tlb_mm_range reads mm_cpumask = {0,1} -> pv flush_tlb_multi (one step: no per-CPU reads)
  `);
  s.expectCpu(1, { lazy: 'P', hw_root: 'P' });
  return s;
}

describe('x86-paravirt-lazy-skip-freed-tables', () => {
  it("is declared, validates, resolves, and is not x86-native's id (ids are unique across plugins)", () => {
    expect(validateArchPlugin(plugin).mutations).toBe(X86_PARAVIRT_MUTATIONS);
    expect(resolveMutations([MUT_X86_PARAVIRT_LAZY_SKIP_FREED_TABLES], plugin).arch).toEqual([MUT_X86_PARAVIRT_LAZY_SKIP_FREED_TABLES]);
    expect(() => resolveMutations(['x86-lazy-skip-freed-tables'], plugin)).toThrow(/unknown mutation/);
    expect(X86_PARAVIRT_MUTATIONS[0]!.fixedBy).toMatch(/^3ef938c35035 /);
  });

  it('KVM, mutated: native_flush_tlb_multi (freed_tables = 0) skips the running lazy vCPU1 -> I2 when the PTE table is freed', () => {
    const s = collapse(true, { backend: 'kvm' });
    expect(s.costs().ipi_sent_flush).toBe(1); // vCPU0 only
    s.run(`
      CPU0: irq
      CPU2: step
    `);
    const v = s.expectViolation('I2', 'PTE table (khugepaged collapse) of P freed while CPU1 may still hold translations');
    expect(v.cpu).toBe(1);
  });

  it('KVM, unmutated, same script: vCPU1 gets flush_tlb_func and leaves for init_mm: clean', () => {
    const s = collapse(false, { backend: 'kvm' });
    expect(s.costs().ipi_sent_flush).toBe(2);
    s.run(`
      CPU0: irq
      CPU1: irq
      CPU2: step
    `);
    s.expectCpu(1, { hw_root: 'init_mm' });
    s.expectNoViolation();
    s.finish();
  });

  it('Hyper-V hypercall, mutated: do_lazy = !freed_tables leaves the lazy vCPU1 out of the hypercall -> I2', () => {
    const s = collapse(true, { backend: 'hyperv' });
    s.expectEvent({ fn: 'hyperv_flush_tlb_multi', text: 'vCPUs {0}' });
    s.run('CPU2: step');
    const v = s.expectViolation('I2', /PTE table \(khugepaged collapse\) of P freed while CPU1/);
    expect(v.cpu).toBe(1);
  });

  it("Hyper-V hypercall, unmutated, same script: the hypercall flushes vCPU1's entries of P (it stays on P): clean", () => {
    const s = collapse(false, { backend: 'hyperv' });
    s.expectEvent({ fn: 'hyperv_flush_tlb_multi', text: 'vCPUs {0,1}' });
    s.run('CPU2: step');
    s.expectCpu(1, { lazy: 'P', hw_root: 'P' });
    s.expectNoViolation();
    s.finish();
  });

  it('Xen PV multicall has no lazy filter: the mutation changes nothing (no cell names it)', () => {
    for (const mutated of [true, false]) {
      const s = collapse(mutated, { backend: 'xen' });
      s.expectEvent({ fn: 'xen_flush_tlb_multi', text: 'vCPUs {0,1}' });
      s.run('CPU2: step');
      s.expectNoViolation();
      s.finish();
    }
    const r = runCell(
      { plugin, archOptions: { backend: 'xen' }, scheme: 'refcount', cpus: 2, mutations: [MUT_X86_PARAVIRT_LAZY_SKIP_FREED_TABLES] },
      { runs: 500 },
    );
    expect(r.notOk).toEqual({});
  });

  for (const m of X86_PARAVIRT_MUTATIONS) {
    for (const cell of m.cells) {
      const base = {
        plugin,
        archOptions: cell.options ?? {},
        scheme: cell.scheme as Scheme,
        cpus: cell.cpus ?? 4,
        workload: ProfileName.parse(cell.workload ?? 'default'),
      };
      // Kills come only from khugepaged collapses that find a lazy vCPU on the mm: measured
      // 10-42% of the runs (README); a twentieth is the floor.
      it(`${m.id} @ ${JSON.stringify(cell)}: ${RUNS} runs killed by ${m.breaks} only; unmutated clean`, () => {
        expect(cell.arch).toBe('x86-paravirt');
        const mutated = runCell({ ...base, mutations: [m.id] }, { runs: RUNS });
        expect(Object.keys(mutated.notOk)).toEqual([m.breaks]);
        expect(mutated.notOk[m.breaks]!).toBeGreaterThan(RUNS / 20);
        const clean = runCell(base, { runs: RUNS });
        expect(clean.notOk, JSON.stringify(clean.shortest?.violation)).toEqual({});
      });
    }
  }
});
