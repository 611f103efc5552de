/** Named workload profiles (model-spec §5). */
import { z } from 'zod';
import { canonicalRefsText, type CanonicalWorkloadRef, isCanonicalRef, isKnownCanonicalRef } from './canonical.js';
import { WorkloadError } from './explicit.js';
import { checkRenamedParams, OpWeightsOverride, WorkloadParams, type WorkloadParamsInput } from './params.js';

const PROFILE_INPUTS = {
  /**
   * A mix of everything: threads, forks, execs, munmaps, sleeps, a kthread_use_mm worker, a
   * process with an io_uring, a kworker, and the lazy exits and flush_tlb_range() users of
   * today's kernels (deep idle, text_poke, mremap, khugepaged, reclaim, a suspend/resume).
   */
  default: {
    processes: 2,
    threadsPerProcess: 3,
    forksPerProcess: 1,
    execRate: 0.5,
    kthreads: 1,
    useMmWorkers: 1,
    useMmRounds: 2,
    ioUring: 1,
    usermodehelpers: 1,
    opsPerTask: 6,
    tickPreemptions: 4,
    vcpuPreemptions: 4,
    deepIdles: 4,
    khugepagedScans: 2,
    reclaims: 2,
    suspends: 1,
    ops: { run: 3, munmap: 2, munmapFreeTables: 1, munmapAll: 0.2, sleep: 3, yield: 1, migrate: 1, mremap: 0.5, membarrier: 0.3, textPoke: 0.5 },
  },
  /** Many short-lived multi-threaded processes: stresses the final mmdrop and exit-time flushes. */
  'exit-heavy': {
    processes: 4,
    threadsPerProcess: 4,
    forksPerProcess: 2,
    execRate: 0.3,
    kthreads: 2,
    useMmWorkers: 0,
    useMmRounds: 1,
    ioUring: 1,
    usermodehelpers: 0,
    opsPerTask: 2,
    tickPreemptions: 2,
    vcpuPreemptions: 4,
    deepIdles: 2,
    khugepagedScans: 2,
    reclaims: 0,
    suspends: 0,
    ops: { run: 2, munmap: 1, munmapFreeTables: 1, munmapAll: 0.3, sleep: 2, yield: 1, migrate: 1, mremap: 0.3, membarrier: 0.2, textPoke: 0.3 },
  },
  /** vhost / amdkfd style: workers that kthread_use_mm a process's mm, plus kernel_execve helpers and io_uring rings. */
  'kthread-heavy': {
    processes: 2,
    threadsPerProcess: 2,
    forksPerProcess: 0,
    execRate: 0,
    kthreads: 2,
    useMmWorkers: 4,
    useMmRounds: 4,
    ioUring: 2,
    usermodehelpers: 2,
    opsPerTask: 4,
    tickPreemptions: 4,
    vcpuPreemptions: 4,
    deepIdles: 2,
    khugepagedScans: 1,
    reclaims: 1,
    suspends: 0,
    ops: { run: 2, munmap: 2, munmapFreeTables: 1, munmapAll: 0.1, sleep: 2, yield: 1, migrate: 1, mremap: 0.3, membarrier: 0.2, textPoke: 0.5 },
  },
  /** context_switch1_threads-like: threads of one process block and wake on many CPUs (refcount contention). */
  'idle-heavy': {
    processes: 1,
    threadsPerProcess: 8,
    forksPerProcess: 0,
    execRate: 0,
    kthreads: 0,
    useMmWorkers: 0,
    useMmRounds: 1,
    ioUring: 0,
    usermodehelpers: 0,
    opsPerTask: 12,
    tickPreemptions: 2,
    vcpuPreemptions: 4,
    deepIdles: 8,
    khugepagedScans: 0,
    reclaims: 0,
    suspends: 0,
    ops: { run: 1, munmap: 0.3, munmapFreeTables: 0.2, munmapAll: 0, sleep: 6, yield: 1, migrate: 2 },
  },
  /**
   * Stephen Dolan's reproducer of the §7.9 switch-vs-flush race (LKML, "x86/mm: Finishing off the
   * fix for a should_flush_tlb race", Oct 2025): on each CPU two processes ping-pong (a pipe
   * round trip: sched_yield / sleep), so a CPU keeps switching back to an mm whose mm_cpumask bit
   * it still has, while a sibling thread on another CPU unmaps (and forks: COW flushes). No
   * lazy-exit machinery (kthreads, khugepaged, idle states): only the switch and the flush race.
   */
  pingpong: {
    processes: 2,
    threadsPerProcess: 2,
    forksPerProcess: 1,
    execRate: 0,
    kthreads: 0,
    useMmWorkers: 0,
    useMmRounds: 1,
    ioUring: 0,
    usermodehelpers: 0,
    opsPerTask: 16,
    tickPreemptions: 8,
    vcpuPreemptions: 4,
    deepIdles: 0,
    khugepagedScans: 0,
    reclaims: 0,
    suspends: 0,
    ops: { run: 3, munmap: 2, munmapFreeTables: 0.2, munmapAll: 0, sleep: 1, yield: 4, migrate: 0.3 },
  },
  /** The default mix plus CPU hotplug: a control thread takes one CPU offline and back, twice. */
  hotplug: {
    processes: 2,
    threadsPerProcess: 3,
    forksPerProcess: 1,
    execRate: 0.5,
    kthreads: 1,
    useMmWorkers: 1,
    useMmRounds: 2,
    ioUring: 1,
    usermodehelpers: 1,
    opsPerTask: 6,
    tickPreemptions: 4,
    vcpuPreemptions: 4,
    hotplugs: 2,
    deepIdles: 4,
    khugepagedScans: 2,
    reclaims: 2,
    suspends: 1,
    ops: { run: 3, munmap: 2, munmapFreeTables: 1, munmapAll: 0.2, sleep: 3, yield: 1, migrate: 1, mremap: 0.5, membarrier: 0.3, textPoke: 0.5 },
  },
} as const satisfies Record<string, WorkloadParamsInput>;

export const PROFILE_NAMES = Object.keys(PROFILE_INPUTS) as (keyof typeof PROFILE_INPUTS)[];
export type ProfileName = keyof typeof PROFILE_INPUTS;
export const ProfileName = z.enum(PROFILE_NAMES as [ProfileName, ...ProfileName[]]);

/** A workload name: a profile's, or `canonical:NAME` (canonical.ts: an explicit workload). */
export type WorkloadName = ProfileName | CanonicalWorkloadRef;
const WorkloadName = z.custom<WorkloadName>((v) => (PROFILE_NAMES as unknown[]).includes(v) || isKnownCanonicalRef(v), {
  error: (iss) =>
    isCanonicalRef(iss.input)
      ? `unknown canonical workload "${iss.input}": allowed ${canonicalRefsText()}`
      : `unknown workload profile ${typeof iss.input === 'string' ? `"${iss.input}"` : String(iss.input)}: allowed ${PROFILE_NAMES.join(', ')}` +
        ` (or a canonical workload: ${canonicalRefsText()})`,
});

/**
 * The workload a cell names: a profile plus optional overrides of its parameters, or a
 * canonical workload (`canonical:NAME`, no params), which the Simulator resolves into an
 * explicit one (canonical.ts).
 */
export const WorkloadSpec = z
  .object({
    profile: WorkloadName.default('default'),
    params: WorkloadParams.partial().extend({ ops: OpWeightsOverride.optional() }).strict().optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (isCanonicalRef(s.profile) && s.params !== undefined)
      ctx.addIssue({ code: 'custom', path: ['params'], message: `workload "${s.profile}" is an explicit workload: it takes no params` });
  });
export type WorkloadSpec = z.input<typeof WorkloadSpec>;

/**
 * Resolve a profile name plus overrides into full, validated parameters. A canonical workload
 * (`canonical:NAME`) is not a profile: the Simulator resolves it (canonicalWorkloadFor).
 */
export function resolveWorkload(spec: WorkloadSpec | string): { profile: ProfileName; params: WorkloadParams } {
  if (typeof spec === 'object') checkRenamedParams(spec.params, 'workload');
  const s = WorkloadSpec.parse(typeof spec === 'string' ? { profile: spec } : spec);
  if (isCanonicalRef(s.profile)) {
    throw new WorkloadError(
      `workload "${s.profile}" is an explicit workload, not a profile: a Simulator resolves it for the cell's CPUs (canonicalWorkloadFor)`,
    );
  }
  const base = PROFILE_INPUTS[s.profile];
  // The user's overrides as given (validated above): the parsed form has the defaults of the
  // optional parameters filled in, which would override the profile's values.
  const over = (typeof spec === 'object' ? spec.params : undefined) ?? {};
  const params = WorkloadParams.parse({ ...base, ...over, ops: { ...base.ops, ...(over.ops ?? {}) } });
  return { profile: s.profile, params };
}
