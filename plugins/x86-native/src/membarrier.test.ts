/**
 * membarrier(PRIVATE_EXPEDITED) on x86 under tso (I10): the user -> user switch that
 * core/src/model/membarrier.test.ts shows failing on an arch whose switch_mm is no barrier is
 * clean on x86: switch_mm_irqs_off()'s CR3 write is serializing ("Writing to CR3 provides that
 * full memory barrier and core serializing instruction", arch/x86/mm/tlb.c), so rq->curr = U is
 * visible before U's user code runs and membarrier IPIs CPU1.
 */
import { describe, expect, it } from 'vitest';
import { Scenario, thread } from '@lazytlb/testkit';
import plugin from './index.js';

describe('x86 membarrier(PRIVATE_EXPEDITED) under tso', () => {
  for (const release of ['v6.14', 'v6.18'] as const) {
    it(`${release}: X (Q) -> U (P) on CPU1 loads CR3, draining rq->curr = U; W's membarrier IPIs CPU1: clean`, () => {
      const s = new Scenario({
        arch: plugin,
        archOptions: { release },
        scheme: 'refcount',
        memory: 'tso',
        cpus: 2,
        tasks: {
          W: thread('P', 0, 'membarrier_register', 'run', 'membarrier'),
          X: thread('Q', 1, 'run', 'sleep 1'),
          U: thread('P', 1, 'run'),
        },
      });
      s.run(`
        CPU0: op           # swapper/0 -> W
        CPU0: op           # W: membarrier_register
        CPU1: op           # swapper/1 -> X
        CPU1: op           # X: run
        CPU1: op           # X: sleep
        CPU1: op           # X -> U: switch_mm_irqs_off(Q, P): the CR3 write drains the store buffer
        CPU1: op           # U: run
        CPU0: op           # W: run
        CPU0: until membarrier "CPU1"
        CPU0: step         # smp_call_function_many(mask, ipi_mb, wait)
      `);
      s.expectEvent({ fn: 'membarrier', cpu: 0, text: 'CPU1: rq->curr U -> IPI' });
      expect(s.k.ipiLen[1]).toBe(1);
      s.run('CPU1: irq\nCPU0: op');
      s.expectNoViolation();
      s.finish();
    });
  }
});
