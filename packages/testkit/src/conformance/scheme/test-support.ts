/**
 * Test support for the scheme suite's own tests (not shipped: dist/**\/test-support.* is not
 * in the package): a collecting runner, a correct scheme plugin that uses every ABI feature
 * the suite checks (sequences with resume, shared state, options), and the reference arch as
 * an ABI v2 plugin that offers tso.
 */
import { z } from 'zod';
import {
  CORE_VERSION,
  INIT_MM,
  defineArchPlugin,
  defineSchemePlugin,
  referenceArch,
  type ArchPlugin,
  type ReferenceArchOptions,
  type SchemeHooks,
  type SchemeKernel,
  type SchemePlugin,
} from '@lazytlb/core';
import { collectTests, type Collected } from '../test-support.js';
import { describeSchemeConformance } from './describe.js';
import type { SchemeConformanceOptions } from './options.js';

export type { Collected } from '../test-support.js';

/** The suite's tests as (name without the top describe, fn), registered through a collecting runner. */
export function collectScheme(plugin: SchemePlugin<any>, options: SchemeConformanceOptions = {}): Collected[] {
  return collectTests((runner) => describeSchemeConformance(plugin, runner, options));
}

/** Small seed counts for running the whole suite against many variants. */
export const QUICK: SchemeConformanceOptions = {
  seeds: 30,
  cpuCounts: [2],
  accountingSeeds: 40,
  sequenceSeeds: 30,
  hookSeeds: 10,
  determinismSeeds: 3,
  replaySeeds: 2,
  log: null,
};

/** Names of the failing tests, each with its error message. */
export async function schemeFailures(plugin: SchemePlugin<any>, options: SchemeConformanceOptions = {}): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const t of collectScheme(plugin, { ...QUICK, ...options })) {
    try {
      await t.fn();
    } catch (e) {
      out.set(t.name, e instanceof Error ? e.message : String(e));
    }
  }
  return out;
}

/** The reference arch as an ABI v2 plugin that offers tso (no shared state of its own). */
export const refTsoArch: ArchPlugin<ReferenceArchOptions> = defineArchPlugin<ReferenceArchOptions>({
  ...referenceArch,
  abi: 2,
  name: 'ref-tso',
  sharedState: [],
  memoryModels: ['sc', 'tso'],
  setup(options, env) {
    return { ...referenceArch.setup(options, env), resume() {} };
  },
});

export const PercpuCountOptions = z
  .object({
    scan: z
      .enum(['cpus', 'off'])
      .default('cpus')
      .describe("cleanup_lazy_tlbs reads every CPU's counter of the mm, one CPU per step (cpus), or is left out (off)"),
  })
  .strict();
export type PercpuCountOptions = z.infer<typeof PercpuCountOptions>;

export interface PercpuCountHooks extends SchemeHooks {
  /** The per-CPU counters (the owners' view) and the array the other CPUs read. */
  readonly state: () => { view: Int32Array; mem: Int32Array; cap: number };
}

/**
 * `percpu-count`: MMU_LAZY_TLB_REFCOUNT semantics (every lazy user holds mm_count) with the
 * lazy references also counted in per-CPU counters (shared state, CPU c owns row c), a
 * one-step mmput sequence and a cleanup_lazy_tlbs sequence that reads each CPU's counter of
 * the mm, one CPU per step. Well formed and deterministic; `patch` makes broken variants.
 */
export function percpuCountScheme(
  patch: (h: PercpuCountHooks, options: PercpuCountOptions) => Partial<SchemeHooks> = () => ({}),
  extra: Partial<SchemePlugin<PercpuCountOptions>> = {},
): SchemePlugin<PercpuCountOptions> {
  return defineSchemePlugin<PercpuCountOptions>({
    abi: 1,
    kind: 'scheme',
    name: 'percpu-count',
    version: '0.1.0',
    coreVersions: `^${CORE_VERSION}`,
    description: 'testkit fixture: REFCOUNT=y with per-CPU lazy counters and scanning sequences',
    provenance: 'reconstructed',
    source: 'packages/testkit/src/conformance/scheme/test-support.ts',
    options: PercpuCountOptions,
    kconfig: { MMU_LAZY_TLB_REFCOUNT: true, MMU_LAZY_TLB_SHOOTDOWN: false, other: ['MMU_LAZY_TLB_PERCPU_COUNT=y'] },
    claims: {
      danglingPremise: false,
      barriers: [
        { id: 'mmdrop_lazy_tlb-smp_mb', reliedOnBy: 'membarrier', provided: true, how: 'mmdrop_lazy_tlb is mmdrop(): a full barrier' },
        { id: 'mmgrab-atomic', reliedOnBy: 'switch_mm_cid', provided: true, how: 'mmgrab_lazy_tlb is mmgrab(): atomic_inc' },
      ],
      arch: [],
    },
    sharedState: [
      {
        id: 'lazy_count',
        scope: 'cpu',
        description: 'per CPU and mm: lazy references this CPU took minus those it dropped; cleanup_lazy_tlbs reads every row',
      },
    ],
    setup(options) {
      let view: Int32Array = new Int32Array(0);
      let mem: Int32Array = view;
      let cap = 0;
      let ncpu = 0;
      const add = (k: SchemeKernel, cpu: number, mm: number, d: number): void => {
        if (mm === INIT_MM) return;
        const i = cpu * cap + mm;
        k.storeSchemeShared(cpu, 0, i, view[i]! + d);
      };
      const base: PercpuCountHooks = {
        state: () => ({ view, mem, cap }),
        reset(k) {
          ncpu = k.ncpu;
          cap = k.mmCapacity;
          view = new Int32Array(ncpu * cap);
          mem = k.declareSchemeShared(0, 'lazy_count', view) as Int32Array;
        },
        mmgrab_lazy_tlb(k, cpu, mm) {
          k.schemeMmgrab(cpu, mm, 'mmgrab_lazy_tlb');
          add(k, cpu, mm, 1); // after the atomic: under tso this store stays buffered for a while
        },
        mmdrop_lazy_tlb(k, cpu, mm) {
          add(k, cpu, mm, -1);
          k.schemeMmdrop(cpu, mm, 'mmdrop_lazy_tlb');
        },
        lazy_refs(_k, mm) {
          let n = 0;
          for (let c = 0; c < ncpu; c++) n += view[c * cap + mm]!;
          return n;
        },
        mmput() {
          return 1;
        },
        resume(k, cpu, hook, pc, mm) {
          k.countRemoteRead(cpu);
          if (hook === 'mmput') return;
          void mem[(pc - 1) * cap + mm]; // CPU pc-1's counter, as other CPUs see it
          return pc < ncpu ? pc + 1 : undefined;
        },
        describe_cpu(_k, cpu) {
          let n = 0;
          for (let mm = 1; mm < cap; mm++) n += view[cpu * cap + mm]!;
          return `lazy_count=${n}`;
        },
      };
      if (options.scan === 'cpus') {
        (base as { cleanup_lazy_tlbs?: SchemeHooks['cleanup_lazy_tlbs'] }).cleanup_lazy_tlbs = () => 1;
      }
      const { state: _state, ...hooks } = { ...base, ...patch(base, options) } as PercpuCountHooks;
      return hooks;
    },
    ...extra,
  });
}
