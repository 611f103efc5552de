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
  })
  .strict();

export const WorkloadParams = z
  .object({
    processes: z.number().int().min(1).max(8).describe('user processes alive at the start'),
    threadsPerProcess: z.number().int().min(1).max(8).describe('most threads per process (CLONE_VM), drawn 1..N'),
    forksPerProcess: z.number().int().min(0).max(4).describe('most child processes a leader forks, drawn 0..N'),
    execRate: z.number().min(0).max(1).describe('chance a forked child execs a new mm'),
    kthreads: z.number().int().min(0).max(8).describe('kernel threads (kworker-like, never touch an mm)'),
    ioWorkers: z.number().int().min(0).max(4).describe('io_uring-style workers using kthread_use_mm'),
    useMmRounds: z.number().int().min(1).max(8).describe('kthread_use_mm / kthread_unuse_mm rounds per worker'),
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
          'of ops with a positive weight (run, munmap, munmapFreeTables, munmapAll, sleep, yield, migrate, in that ' +
          'order) is kept with probability p, and if none is kept one of them is kept (uniformly); the run draws ' +
          'body ops among the kept kinds in proportion to their weights; (2) then each feature class is kept with ' +
          'probability p, in this order, a dropped one set to its "none" value for the run: threads ' +
          '(threadsPerProcess -> 1: no CLONE_VM), forks (forksPerProcess -> 0), exec (execRate -> 0), kthreads ' +
          '(-> 0), ioWorkers (io_uring kthread_use_mm workers -> 0), usermodehelpers (kernel_execve -> 0), ' +
          'tickPreemptions (-> 0), vcpuPreemptions (-> 0). Classes already off in the parameters draw nothing. ' +
          'processes, opsPerTask, useMmRounds, vcpuPreemptSteps and hotplugs are never dropped.',
      ),
  })
  .strict();

export type WorkloadParams = z.infer<typeof WorkloadParams>;
export type WorkloadParamsInput = z.input<typeof WorkloadParams>;
