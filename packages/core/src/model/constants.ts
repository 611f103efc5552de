/**
 * Numeric codes shared by the model, the arch ABI and the trace. The hot loop works on
 * typed arrays indexed by these codes; names are only produced when a trace or a
 * violation is rendered.
 */

/** `init_mm`: statically allocated, never freed (`__mmdrop(&init_mm)` is a BUG_ON in kernel/fork.c). */
export const INIT_MM = 0;
/** "No mm": a NULL `->mm` / `->active_mm` / `rq->prev_mm`. mm ids start at 1 after init_mm, so NULL needs its own code. */
export const NO_MM = -1;
export const NO_TASK = -1;

/** task->flags & PF_KTHREAD, plus the per-CPU idle task (also a kernel thread, `mm == NULL`). */
export const TASK_USER = 0;
export const TASK_KTHREAD = 1;
export const TASK_IDLE = 2;

/** Task states, simplified from `__state` plus whether the task was ever woken. */
export const TS_UNSTARTED = 0; // created by the workload, not yet forked / woken
export const TS_RUNNABLE = 1; // on a runqueue (or about to be enqueued on taskCpu at switch-out)
export const TS_RUNNING = 2;
export const TS_BLOCKED = 3; // TASK_INTERRUPTIBLE, waiting for a wakeup
export const TS_DEAD = 4; // TASK_DEAD after do_task_dead()
export const TS_PARKED = 5; // TASK_UNINTERRUPTIBLE in wait_for_completion(): woken by the completing path, not by a queued wakeup

/** mm lifecycle: live -> exiting (mm_users == 0, exit_mmap running) -> tables_freed -> pgd_freed -> freed. */
export const MM_UNUSED = 0; // slot not allocated in this run
export const MM_LIVE = 1;
export const MM_EXITING = 2;
export const MM_TABLES_FREED = 3;
export const MM_PGD_FREED = 4;
export const MM_CTX_DESTROYED = 5;
export const MM_FREED = 6;
export const MM_STAGE_NAMES = ['unused', 'live', 'exiting', 'tables_freed', 'pgd_freed', 'ctx_destroyed', 'freed'] as const;

/** Schemes: the three lazy-mm Kconfig regimes (arch/Kconfig MMU_LAZY_TLB_REFCOUNT / _SHOOTDOWN). */
export const SCHEME_REFCOUNT = 0;
export const SCHEME_SHOOTDOWN = 1;
export const SCHEME_NONE = 2;

/** Flags passed to the arch's flush_tlb_mm_range(). */
export const FLUSH_FREED_TABLES = 1; // mmu_gather freed page-table pages (tlb->freed_tables)
export const FLUSH_FULLMM = 2; // exit_mmap's final flush (tlb->fullmm)
export const FLUSH_MM = 4; // flush_tlb_mm(): whole address space (fork's dup_mmap flush of oldmm)

/** IPI functions. Core functions are below 16; an arch numbers its own from IPI_ARCH_BASE. */
export const IPI_SHOOT_LAZY = 1; // do_shoot_lazy_tlb (kernel/fork.c)
export const IPI_ARCH_BASE = 16;

/** Why an IPI was sent: cost accounting buckets. */
export const REASON_FLUSH = 0;
export const REASON_SHOOTDOWN = 1;
export const REASON_ARCH = 2;

/** Workload program opcodes (one per `prog` word, argument in the upper bits). */
export const OP_RUN = 1; // user code runs (may populate TLB entries)
export const OP_MUNMAP = 2; // arg: MUNMAP_* flags
export const OP_SLEEP = 3; // arg: CPU the wakeup enqueues the task on
export const OP_YIELD = 4;
export const OP_MIGRATE = 5; // arg: target CPU
export const OP_CLONE_THREAD = 6; // arg: child task id (CLONE_VM)
export const OP_FORK = 7; // arg: child task id (new mm via dup_mm)
export const OP_EXEC = 8; // exec_mmap with a new mm
export const OP_EXIT = 9; // do_exit
export const OP_IOURING_SETUP = 10; // arg: worker kthread id; mmgrab(current->mm) and wake the worker
export const OP_USE_MM = 11; // kthread: mmget_not_zero + kthread_use_mm
export const OP_UNUSE_MM = 12; // kthread: kthread_unuse_mm + mmput
export const OP_KERNEL_EXECVE = 13; // kthread exec (call_usermodehelper): lazy active_mm replaced by a new mm
export const OP_KWORK = 14; // kernel thread work, no mm access
export const OP_CPU_DOWN = 15; // arg: the cpuhp kthread of the CPU to take offline (its taskCpu); cpu_down() on the control CPU
export const OP_CPU_UP = 16; // arg: CPU to bring back online; cpu_up() on the control CPU
export const OP_CPUHP = 17; // the cpuhp/N thread's teardown on the dying CPU (sched_cpu_wait_empty ... take_cpu_down)
export const OP_NAMES = [
  '?', 'run', 'munmap', 'sleep', 'yield', 'migrate', 'clone_thread', 'fork', 'exec', 'exit',
  'io_uring_setup', 'kthread_use_mm', 'kthread_unuse_mm', 'kernel_execve', 'kwork', 'cpu_down', 'cpu_up', 'cpuhp',
] as const;
export const OP_SHIFT = 8;
export const OP_MASK = 0xff;

export const MUNMAP_FREED_TABLES = 1; // the unmap emptied page-table pages (free_pgtables)
export const MUNMAP_ALL = 2; // munmap(0, TASK_SIZE): no VMA left afterwards

/** Explorer actors per CPU: its task/kernel-path step, its interrupt (IPI, wakeup, tick), and the hypervisor acting on it. */
export const ACTOR_TASK = 0;
export const ACTOR_IRQ = 1;
export const ACTOR_HYP = 2;
export const ACTORS_PER_CPU = 3;

/** Most CPUs a run may have: mm_cpumask is a 32-bit word. */
export const MAX_CPUS = 32;
