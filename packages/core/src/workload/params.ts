/**
 * Workload parameters (model-spec §5). A run's workload is drawn from its seed by a named
 * profile; every program is finite, so every run terminates.
 */
import { z } from 'zod';

export const OpWeights = z
  .object({
    run: z.number().min(0).default(3).describe('user code runs (populates TLB entries)'),
    munmap: z.number().min(0).default(2).describe('munmap that frees no page-table page'),
    munmapFreeTables: z.number().min(0).default(1).describe('munmap whose free_pgtables frees page-table pages'),
    munmapAll: z.number().min(0).default(0.2).describe('munmap of the whole address space (exit_mmap then skips its final flush)'),
    sleep: z.number().min(0).default(3).describe('block; woken later onto a random CPU'),
    yield: z.number().min(0).default(1).describe('sched_yield'),
    migrate: z.number().min(0).default(1).describe('move to another CPU (sched_setaffinity)'),
    mremap: z.number().min(0).default(0).describe('user: mremap moving page tables (flush_tlb_range, no table freed)'),
    membarrier: z.number().min(0).default(0).describe('user: membarrier(REGISTER_PRIVATE_EXPEDITED) (mm->membarrier_state)'),
    textPoke: z.number().min(0).default(0).describe("text_poke() through the arch's temporary mm (kernel threads and user tasks)"),
  })
  .strict()
  .refine((w) => Object.values(w).some((v) => v > 0), { message: 'at least one op weight must be positive' });

/** Overrides of op weights: every field optional and without defaults (so unset fields keep the profile's). */
export const OpWeightsOverride = z
  .object({
    run: z.number().min(0).optional(),
    munmap: z.number().min(0).optional(),
    munmapFreeTables: z.number().min(0).optional(),
    munmapAll: z.number().min(0).optional(),
    sleep: z.number().min(0).optional(),
    yield: z.number().min(0).optional(),
    migrate: z.number().min(0).optional(),
    mremap: z.number().min(0).optional(),
    membarrier: z.number().min(0).optional(),
    textPoke: z.number().min(0).optional(),
  })
  .strict();

/** Parameters renamed since 0.1: a clear error instead of zod's "unrecognized key". */
const RENAMED: Record<string, string> = {
  ioWorkers: 'useMmWorkers (kthread_use_mm workers; io_uring since 5.12 uses CLONE_VM io-wq threads: see ioUring)',
};

export const WorkloadParams = z
  .object({
    processes: z.number().int().min(1).max(8).describe('user processes alive at the start'),
    threadsPerProcess: z.number().int().min(1).max(8).describe('most threads per process (CLONE_VM), drawn 1..N'),
    forksPerProcess: z.number().int().min(0).max(4).describe('most child processes a leader forks, drawn 0..N'),
    execRate: z.number().min(0).max(1).describe('chance a forked child execs a new mm'),
    kthreads: z.number().int().min(0).max(8).describe('kernel threads (kworker-like, never touch an mm)'),
    useMmWorkers: z
      .number()
      .int()
      .min(0)
      .max(4)
      .describe('kthread_use_mm workers (amdkfd, USB gadget ffs, vhost in kthread mode): the owner mmgrab()s its mm for them'),
    useMmRounds: z.number().int().min(1).max(8).describe('kthread_use_mm / kthread_unuse_mm rounds per worker'),
    ioUring: z
      .number()
      .int()
      .min(0)
      .max(4)
      .default(0)
      .describe('processes with an io_uring (mmgrab of ctx->mm_account, one io-wq CLONE_VM thread, io_ring_exit_work on a kworker at exit)'),
    deepIdles: z.number().int().min(0).max(64).default(0).describe('deep C-state entries (cpuidle_enter_state) idle CPUs may make per run'),
    khugepagedScans: z
      .number()
      .int()
      .min(0)
      .max(16)
      .default(0)
      .describe('khugepaged collapses (flush_tlb_range, then a PTE table freed) over the initial processes; their mm_slots mmgrab them'),
    reclaims: z.number().int().min(0).max(16).default(0).describe('kswapd reclaims of a page of an initial process (arch_tlbbatch_flush)'),
    suspends: z.number().int().min(0).max(4).default(0).describe('suspend/resume cycles run by a kworker (x86 fix_processor_context)'),
    usermodehelpers: z.number().int().min(0).max(4).describe('kernel threads that kernel_execve into a user process'),
    opsPerTask: z.number().int().min(1).max(64).describe('most body ops per task program, drawn 1..N'),
    ops: OpWeights.default(() => OpWeights.parse({})),
    tickPreemptions: z.number().int().min(0).max(64).describe('scheduler-tick preemptions the explorer may inject per run'),
    vcpuPreemptions: z.number().int().min(0).max(64).describe('vCPU preemptions the hypervisor may inject per run (paravirt arches)'),
    vcpuPreemptSteps: z
      .number()
      .int()
      .min(0)
      .max(100_000)
      .default(40)
      .describe('a preempted vCPU stays out for 0..N model steps (drawn per preemption) unless nothing else can run'),
    hotplugs: z
      .number()
      .int()
      .min(0)
      .max(4)
      .optional()
      .describe('CPU offline/online cycles per run (cpu_down -> sched_force_init_mm ... finish_cpu, then cpu_up); needs 2+ CPUs'),
    swarm: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe(
        'swarm testing (Groce et al., ISSTA 2012): omitted = off (runs and cell JSON exactly as without it). With ' +
          'p = swarm, each run first draws from its workload PRNG which features it uses: (1) each body op kind ' +
          'of ops with a positive weight (run, munmap, munmapFreeTables, munmapAll, sleep, yield, migrate, mremap, ' +
          'membarrier, textPoke, in that ' +
          'order) is kept with probability p, and if none is kept one of them is kept (uniformly); the run draws ' +
          'body ops among the kept kinds in proportion to their weights; (2) then each feature class is kept with ' +
          'probability p, in this order, a dropped one set to its "none" value for the run: threads ' +
          '(threadsPerProcess -> 1: no CLONE_VM), forks (forksPerProcess -> 0), exec (execRate -> 0), kthreads ' +
          '(-> 0), useMmWorkers (kthread_use_mm workers -> 0), usermodehelpers (kernel_execve -> 0), ' +
          'tickPreemptions (-> 0), vcpuPreemptions (-> 0), ioUring (-> 0), deepIdles (-> 0), khugepagedScans (-> 0), reclaims ' +
          '(-> 0), suspends (-> 0). Classes already off in the parameters draw nothing. ' +
          'processes, opsPerTask, useMmRounds, vcpuPreemptSteps and hotplugs are never dropped.',
      ),
  })
  .strict();

export type WorkloadParams = z.infer<typeof WorkloadParams>;

/** Throw a clear error for a parameter renamed since 0.1 (call before parsing user input). */
export function checkRenamedParams(input: unknown, where: string): void {
  if (typeof input !== 'object' || input === null) return;
  for (const [old, now] of Object.entries(RENAMED)) {
    if (old in input) throw new Error(`${where}: workload parameter "${old}" was renamed in lazytlb 0.2: use ${now}`);
  }
}
export type WorkloadParamsInput = z.input<typeof WorkloadParams>;
