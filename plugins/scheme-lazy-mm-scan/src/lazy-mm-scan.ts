/**
 * `lazy-mm-scan`: Andy Lutomirski's January 2022 series "[PATCH 00/23] mm, sched: Rework lazy mm
 * handling" (luto/linux.git sched/lazymm @ 69c7d711f240; patch 16/23 "sched: Use lightweight
 * hazard pointers to grab lazy mms" is 7c9c388c388d), as posted (never merged).
 *
 * - rq->prev_mm goes away (SchemePlugin.restructures.noPrevMm). A CPU that becomes lazy stores
 *   the mm in its rq->lazy_mm with a plain WRITE_ONCE (no atomic: "we still hold an explicit
 *   (mm_users) reference ... __mmput() is a release barrier"): context_switch() user -> kernel
 *   and __change_current_mm_to_kernel() (kthread_unuse_mm). It clears it with
 *   smp_store_release(&rq->lazy_mm, NULL) on a kernel -> user switch (after switch_mm_irqs_off),
 *   in __change_current_mm() from a kernel thread (exec, kthread_use_mm), and in
 *   unlazy_mm_irqs_off().
 * - __mmput() calls mm_unlazy_mm_count(mm) after exit_mmap(): for each CPU of
 *   for_each_possible_lazymm_cpu (online CPUs; x86, patch 22: mm_cpumask(mm)) whose lazy_mm is
 *   mm, it converts the lazy pointer into a real mm_count reference (one batched
 *   atomic_add(num_possible_cpus()), the unused part returned with atomic_sub at the end) and
 *   hands it to that CPU through rq->drop_mm (__try_mm_drop_rq_ref: an empty slot takes it by
 *   cmpxchg; an occupied one is re-checked against lazy_mm and either our reference is dropped
 *   or the parked one is evicted by cmpxchg and dropped). Nothing waits, no IPI.
 * - mmdrop_lazy(rq) drops rq->drop_mm once it differs from rq->lazy_mm: at every
 *   finish_task_switch() and at the end of unlazy_mm_irqs_off().
 * - Patches 20-21 route x86's lazy kick (leave_mm, flush_tlb_func's switch to init_mm) through
 *   unlazy_mm_irqs_off(), which also moves current->active_mm to init_mm: option `unlazyKick`.
 * - Patches 1-9 stop relying on mmdrop() as a membarrier barrier and add
 *   membarrier_finish_switch_mm(); modelled as a full barrier at each kernel -> user switch.
 *
 * Each scan read, each drop_mm load and each cmpxchg is a step of its own, so scans, switches
 * and other scans interleave between them; rq->lazy_mm is declared shared state (under tso a
 * plain store waits in the store buffer); rq->drop_mm is only ever written by atomics.
 */
import { INIT_MM, NO_MM, type SchemeKernel, type SharedArray, defineSchemePlugin } from '@lazytlb/core';
import { z } from 'zod';
import {
  LAZY_ARCH,
  LAZY_CONTEXT_SWITCH,
  LAZY_EXEC_MMAP,
  LAZY_EXIT_MM,
  LAZY_KTHREAD_UNUSE_MM,
  LAZY_KTHREAD_USE_MM,
  LAZY_SCHED_FORCE_INIT_MM,
  LAZY_SITE_NAMES,
} from '@lazytlb/core';

export const LazyMmScanOptions = z
  .object({
    scan: z
      .enum(['online', 'cpumask', 'empty'])
      .default('online')
      .describe(
        "CPUs mm_unlazy_mm_count() looks at (for_each_possible_lazymm_cpu): every online CPU (the series' default), " +
          'mm_cpumask(mm) (x86 patch 22), or none (a suggestion for arches whose exit flush evicts lazy CPUs)',
      ),
    membarrierBarrier: z
      .boolean()
      .default(true)
      .describe(
        'patches 1-9: membarrier_finish_switch_mm() gives the kernel -> user switch the full barrier mmdrop() used to (false: the series without them)',
      ),
    unlazyKick: z
      .boolean()
      .default(true)
      .describe(
        "patches 20-21: the arch's lazy kick (x86 leave_mm, flush_tlb_func) goes through unlazy_mm_irqs_off(), which updates active_mm and rq->lazy_mm",
      ),
  })
  .strict();
export type LazyMmScanOptions = z.infer<typeof LazyMmScanOptions>;

/** Scan pc: 1 + PHASES * cpu + phase. */
const PHASES = 4;
const VISIT = 0; // read rq->lazy_mm of the CPU
const LOAD_DROP = 1; // __try_mm_drop_rq_ref: smp_load_acquire(&rq->drop_mm)
const CMPXCHG = 2; // try_cmpxchg / cmpxchg(&rq->drop_mm, old, mm)
const RELOAD_LAZY = 3; // smp_load_acquire(&rq->lazy_mm) again, after loading drop_mm

export const lazyMmScanScheme = defineSchemePlugin<LazyMmScanOptions>({
  abi: 1,
  kind: 'scheme',
  declaresState: true, // reset() declares all of its per-CPU arrays; no hook reads the step count
  name: 'lazy-mm-scan',
  version: '0.1.0',
  coreVersions: '>=0.1.0 <1.0.0',
  description:
    "Andy Lutomirski's 2022 lazy mm rework: per-CPU rq->lazy_mm without atomics; __mmput converts matching lazy pointers into " +
    "references handed over through rq->drop_mm, dropped after the CPU's next switch",
  provenance: 'proposal',
  source:
    'luto/linux.git sched/lazymm @ 69c7d711f240 (posted as cover.1641659630.git.luto@kernel.org, Jan 2022); ' +
    'patch 16/23 7c9c388c388d, patches 20-22 (x86 unlazy_mm_irqs_off, mm_cpumask scan)',
  options: LazyMmScanOptions,
  kconfig: { MMU_LAZY_TLB_REFCOUNT: false, MMU_LAZY_TLB_SHOOTDOWN: false, other: ['rq->lazy_mm / rq->drop_mm (the series predates both Kconfig symbols)'] },
  restructures: { noPrevMm: true },
  claims: {
    danglingPremise: false,
    barriers: [
      {
        id: 'mmdrop_lazy_tlb-smp_mb',
        reliedOnBy: "membarrier: the full barrier after a kernel -> user switch's rq->curr store, before user code (I10 under tso)",
        provided: false,
        how: 'replaced: patches 1-9 add membarrier_finish_switch_mm() after switch_mm; modelled as a full barrier at every kernel -> user switch',
      },
      {
        id: 'mmgrab-atomic',
        reliedOnBy: 'switch_mm_cid (v6.4+): smp_mb__after_mmgrab() on user -> kernel',
        provided: false,
        how: 'the lazy_mm store is a plain WRITE_ONCE; the series predates mm_cid (v6.4), so a rebase would need an explicit smp_mb() there (mm_cid is not modelled)',
      },
    ],
    arch: [
      {
        id: 'cpumask-covers-lazy-mm',
        description: 'scan=cpumask: every CPU whose rq->lazy_mm is mm is in mm_cpumask(mm) when __mmput scans (x86 after patches 20-21)',
        checkedBy: 'I3',
      },
      {
        id: 'exit-flush-evicts-lazies',
        description: "scan=empty: the arch's final exit flush moves every lazy CPU off the mm (through unlazy_mm_irqs_off) before __mmput's mmdrop",
        checkedBy: 'I3',
      },
    ],
  },
  invariants: [
    {
      id: 'I15',
      site: 'context_switch',
      description:
        'SCHED_WARN_ON(rq->lazy_mm) before a user -> kernel switch stores it: the CPU holds no lazy pointer already (the same check is applied ' +
        'where exit_mm and kthread_unuse_mm store it, reported under their names)',
    },
    { id: 'I15', site: '__try_mm_drop_rq_ref', description: 'WARN_ON_ONCE(old_drop_mm == mm): only this function parks mm, and it has not yet' },
  ],
  sharedState: [
    {
      id: 'rq->lazy_mm',
      scope: 'cpu',
      description: "the CPU's lazy mm hazard pointer: plain / release stores by its CPU, smp_load_acquire by mm_unlazy_mm_count() on other CPUs",
    },
  ],
  setup(options) {
    let lazy = new Int32Array(0);
    let lazyMem: SharedArray = lazy;
    /** rq->drop_mm: written only by atomics (cmpxchg), so every CPU sees the current value. */
    let drop = new Int32Array(0);
    /** Per scanning CPU: the mm of its mm_unlazy_mm_count(), its unused batch (drop_count), and the drop_mm it loaded. */
    let scanMm = new Int32Array(0);
    let dropCount = new Int32Array(0);
    let seen = new Int32Array(0);
    /** Per scanning CPU: 1 while the reference taken for a CPU is in its hand (not yet parked or dropped). */
    let inHand = new Uint8Array(0);

    const name = (k: SchemeKernel, mm: number): string => (mm === NO_MM ? 'NULL' : k.mmName(mm));
    const readLazy = (k: SchemeKernel, cpu: number, c: number): number => {
      if (c === cpu) return lazy[c]!;
      k.countRemoteRead(cpu);
      return lazyMem[c]!;
    };
    const inScan = (k: SchemeKernel, c: number, mm: number): boolean =>
      options.scan === 'online' ? k.cpuOnline[c] !== 0 : options.scan === 'cpumask' ? (k.mmCpumask[mm]! & (1 << c)) !== 0 : false;

    /** smp_store_release(&rq->lazy_mm, NULL). */
    const clearLazy = (k: SchemeKernel, cpu: number): void => k.storeSchemeShared(cpu, 0, cpu, NO_MM);

    /** mmdrop_lazy(rq): drop rq->drop_mm once this CPU no longer uses it. */
    const mmdropLazy = (k: SchemeKernel, cpu: number): void => {
      const old = drop[cpu]!;
      if (old === NO_MM || old === lazy[cpu]) return;
      k.countSchemeAtomic(cpu); // try_cmpxchg_relaxed(&rq->drop_mm, &old_mm, NULL)
      drop[cpu] = NO_MM;
      if (k.tracer !== null) k.tracer.ev(cpu, 'mmdrop_lazy', `rq->drop_mm ${name(k, old)} -> NULL; mmdrop(${name(k, old)})`);
      k.schemeMmdrop(cpu, old, 'mmdrop_lazy');
    };

    /** The scan's next step from CPU `from` on (the next CPU of the scan set), or its end. */
    const next = (k: SchemeKernel, cpu: number, from: number, mm: number): number => {
      for (let c = from; c < k.ncpu; c++) if (inScan(k, c, mm)) return 1 + c * PHASES + VISIT;
      // atomic_sub(drop_count, &mm->mm_count): return the unused part of the batch.
      const left = dropCount[cpu]!;
      dropCount[cpu] = 0;
      scanMm[cpu] = NO_MM;
      if (left > 0) k.schemeMmdrop(cpu, mm, 'mm_unlazy_mm_count', left);
      return 0;
    };

    return {
      reset(k) {
        if (lazy.length !== k.ncpu) {
          lazy = new Int32Array(k.ncpu);
          drop = new Int32Array(k.ncpu);
          scanMm = new Int32Array(k.ncpu);
          dropCount = new Int32Array(k.ncpu);
          seen = new Int32Array(k.ncpu);
          inHand = new Uint8Array(k.ncpu);
        }
        lazy.fill(NO_MM);
        drop.fill(NO_MM);
        scanMm.fill(NO_MM);
        dropCount.fill(0);
        seen.fill(NO_MM);
        inHand.fill(0);
        lazyMem = k.declareSchemeShared(0, 'rq->lazy_mm', lazy);
        // All of the per-run state (SchemePlugin.declaresState); under tso lazyMem is the core's
        // store-buffer memory copy, which the core hashes itself.
        k.declareState(lazy, drop, scanMm, dropCount, seen, inHand);
      },

      mmgrab_lazy_tlb(k, cpu, mm, site) {
        // Only the scheduler's user -> kernel switch, exit_mm and kthread_unuse_mm take a lazy
        // pointer; init_mm needs none ("it's not about to go away").
        if (site !== LAZY_CONTEXT_SWITCH && site !== LAZY_EXIT_MM && site !== LAZY_KTHREAD_UNUSE_MM) return;
        if (mm === INIT_MM) return;
        if (lazy[cpu] !== NO_MM) {
          k.schemeViolation(
            cpu,
            LAZY_SITE_NAMES[site]!,
            `SCHED_WARN_ON(rq->lazy_mm): CPU${cpu} becomes lazy on ${name(k, mm)} while rq->lazy_mm is ${name(k, lazy[cpu]!)}`,
          );
          return;
        }
        k.storeSchemeShared(cpu, 0, cpu, mm); // WRITE_ONCE(rq->lazy_mm, mm): no atomic, no barrier
        if (k.tracer !== null) k.tracer.ev(cpu, 'lazy_mm', `WRITE_ONCE(rq->lazy_mm, ${name(k, mm)})`);
      },

      mmdrop_lazy_tlb(k, cpu, _mm, site) {
        if (site === LAZY_EXEC_MMAP || site === LAZY_KTHREAD_USE_MM) {
          // __change_current_mm() from a kernel thread: release the lazy pointer; no mmdrop_lazy.
          clearLazy(k, cpu);
        } else if (site === LAZY_SCHED_FORCE_INIT_MM || site === LAZY_ARCH) {
          // The CPU leaves its lazy mm for init_mm: unlazy_mm_irqs_off()'s tail.
          clearLazy(k, cpu);
          mmdropLazy(k, cpu);
        }
        // finish_cpu / idle_task_exit run on another CPU or for a dead one: nothing (patch 12
        // moves the dying CPU's drop into unlazy_mm_irqs_off()).
      },

      context_switch_to_user(k, cpu) {
        if (options.membarrierBarrier) k.lazyMb(cpu); // membarrier_finish_switch_mm() (patches 1-9)
        clearLazy(k, cpu); // smp_store_release(&rq->lazy_mm, NULL)
      },

      finish_task_switch(k, cpu) {
        mmdropLazy(k, cpu);
      },

      lazy_kick(k, cpu) {
        if (!options.unlazyKick) return;
        // unlazy_mm_irqs_off(): switch_mm_irqs_off(mm, &init_mm) (the arch just did);
        // current->active_mm = &init_mm; smp_store_release(&rq->lazy_mm, NULL); mmdrop_lazy(rq)
        const t = k.cpuCurr[cpu]!;
        if (k.taskMm[t] !== NO_MM || k.taskActiveMm[t] === INIT_MM) return;
        if (k.tracer !== null) k.tracer.ev(cpu, 'unlazy_mm_irqs_off', `${k.taskName(t)} active_mm ${name(k, k.taskActiveMm[t]!)} -> init_mm`);
        k.setActiveMm(t, INIT_MM);
        clearLazy(k, cpu);
        mmdropLazy(k, cpu);
      },

      lazy_refs(_k, mm) {
        let n = 0;
        for (let c = 0; c < drop.length; c++) {
          if (drop[c] === mm) n++;
          if (scanMm[c] === mm) n += dropCount[c]! + inHand[c]!;
        }
        return n;
      },

      mmput(k, cpu, mm) {
        // mm_unlazy_mm_count(mm), after exit_mmap() and before __mmput's mmdrop()
        scanMm[cpu] = mm;
        dropCount[cpu] = 0;
        if (k.tracer !== null)
          k.tracer.ev(
            cpu,
            'mm_unlazy_mm_count',
            `${name(k, mm)}: scan ${options.scan === 'empty' ? 'nothing' : options.scan === 'online' ? 'online CPUs' : 'mm_cpumask'}`,
          );
        return next(k, cpu, 0, mm);
      },

      resume(k, cpu, _hook, pc, mm) {
        const c = Math.floor((pc - 1) / PHASES);
        switch ((pc - 1) % PHASES) {
          case VISIT: {
            if (readLazy(k, cpu, c) !== mm) return next(k, cpu, c + 1, mm);
            if (dropCount[cpu] === 0) {
              // atomic_add(num_possible_cpus(), &mm->mm_count): one batch for every lazy CPU
              dropCount[cpu] = k.ncpu;
              k.schemeMmgrab(cpu, mm, 'mm_unlazy_mm_count', k.ncpu);
            }
            dropCount[cpu]! -= 1; // this reference goes to CPU c
            inHand[cpu] = 1;
            if (k.tracer !== null) k.tracer.ev(cpu, 'mm_unlazy_mm_count', `CPU${c} rq->lazy_mm = ${name(k, mm)}: hand it a reference`);
            return pc + (LOAD_DROP - VISIT);
          }
          case LOAD_DROP: {
            const old = drop[c]!; // smp_load_acquire(&rq->drop_mm)
            if (c !== cpu) k.countRemoteRead(cpu);
            seen[cpu] = old;
            if (old === mm) {
              k.schemeViolation(cpu, '__try_mm_drop_rq_ref', `WARN_ON_ONCE(old_drop_mm == mm): CPU${c}'s rq->drop_mm already holds ${name(k, mm)}`);
              return pc; // the run ends with the violation
            }
            return pc + (old === NO_MM ? CMPXCHG - LOAD_DROP : RELOAD_LAZY - LOAD_DROP);
          }
          case RELOAD_LAZY: {
            // The CPU may have stopped using mm since: then just drop our reference.
            if (readLazy(k, cpu, c) !== mm) {
              inHand[cpu] = 0;
              k.schemeMmdrop(cpu, mm, '__try_mm_drop_rq_ref');
              return next(k, cpu, c + 1, mm);
            }
            return pc + (CMPXCHG - RELOAD_LAZY);
          }
          default: {
            // CMPXCHG: try_cmpxchg(&rq->drop_mm, &old, mm) (old NULL) / cmpxchg(&rq->drop_mm, old_drop_mm, mm)
            const old = seen[cpu]!;
            k.countSchemeAtomic(cpu);
            if (drop[c] !== old) return pc + (LOAD_DROP - CMPXCHG); // lost a race: while (!__try_mm_drop_rq_ref()) retry
            drop[c] = mm;
            inHand[cpu] = 0;
            if (k.tracer !== null) k.tracer.ev(cpu, '__try_mm_drop_rq_ref', `CPU${c} rq->drop_mm ${name(k, old)} -> ${name(k, mm)}`);
            // The parked reference was to an mm with no users left, which CPU c no longer uses.
            if (old !== NO_MM) k.schemeMmdrop(cpu, old, '__try_mm_drop_rq_ref');
            return next(k, cpu, c + 1, mm);
          }
        }
      },

      describe_cpu(k, cpu) {
        return `lazy_mm=${name(k, lazy[cpu]!)} drop_mm=${name(k, drop[cpu]!)}`;
      },
    };
  },
});
