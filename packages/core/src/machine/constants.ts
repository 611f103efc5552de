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

/** Flags passed to the arch's flush_tlb_mm_range(). */
export const FLUSH_FREED_TABLES = 1; // mmu_gather freed page-table pages (tlb->freed_tables)
export const FLUSH_FULLMM = 2; // exit_mmap's final flush (tlb->fullmm)
export const FLUSH_MM = 4; // flush_tlb_mm(): whole address space (fork's dup_mmap flush of oldmm)
/**
 * flush_tlb_range(vma, start, end) outside an mmu_gather (mremap, THP split and collapse,
 * hugetlb PMD unshare). With FLUSH_FREED_TABLES: the caller frees a page-table page after the
 * flush (khugepaged collapse); the arch decides what its flush_tlb_range() passes as
 * freed_tables (x86: true since 3ef938c35035, v6.15; false before).
 */
export const FLUSH_RANGE = 8;

/** IPI functions. Core functions are below 16; an arch numbers its own from IPI_ARCH_BASE. */
export const IPI_SHOOT_LAZY = 1; // do_shoot_lazy_tlb (kernel/fork.c)
export const IPI_MEMBARRIER = 2; // ipi_mb (kernel/sched/membarrier.c): smp_mb()
export const IPI_CHECK_LAZY = 3; // do_check_lazy_tlb (kernel/fork.c, DEBUG_VM_SHOOT_LAZIES; hazptr's second IPI)
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
export const OP_USE_MM_SETUP = 10; // arg: kthread_use_mm worker id; mmgrab(current->mm) and wake the worker (amdkfd / USB ffs / vhost style)
export const OP_USE_MM = 11; // kthread: mmget_not_zero + kthread_use_mm
export const OP_UNUSE_MM = 12; // kthread: kthread_unuse_mm + mmput
export const OP_KERNEL_EXECVE = 13; // kthread exec (call_usermodehelper): lazy active_mm replaced by a new mm
export const OP_KWORK = 14; // kernel thread work, no mm access
export const OP_CPU_DOWN = 15; // arg: the cpuhp kthread of the CPU to take offline (its taskCpu); cpu_down() on the control CPU
export const OP_CPU_UP = 16; // arg: CPU to bring back online; cpu_up() on the control CPU
export const OP_CPUHP = 17; // the cpuhp/N thread's teardown on the dying CPU (sched_cpu_wait_empty ... take_cpu_down)
/** arg: the CLONE_VM io-wq thread (create_io_thread, PF_IO_WORKER) | exit kworker << OP_PAIR_SHIFT; io_uring_setup of today's kernels. */
export const OP_IO_URING_SETUP = 18;
/** The io_ring_exit_work kworker's program: io_ring_ctx_free -> mmdrop(ctx->mm_account). */
export const OP_IO_RING_EXIT = 19;
/** mremap() moving page tables: flush_tlb_range() over the old range; no page-table page is freed. */
export const OP_MREMAP = 20;
/** khugepaged collapse: arg = mm id; pmdp_collapse_flush() -> flush_tlb_range(), then the PTE table page is freed. */
export const OP_KHUGEPAGED = 21;
/** text_poke() / an EFI runtime call: use_temporary_mm() and back (arch hook use_temporary_mm). */
export const OP_TEXT_POKE = 22;
/** A suspend/resume cycle run by a kworker (the autosleep work): arch hook suspend_resume (x86 fix_processor_context). */
export const OP_SUSPEND = 23;
/** membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED): mm->membarrier_state and the runqueues running the mm. */
export const OP_MEMBARRIER_REGISTER = 24;
/** kswapd page reclaim: unmap a page of every live mm, then one batched flush (try_to_unmap_flush -> arch_tlbbatch_flush). */
export const OP_RECLAIM = 25;
/** membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) by a user task (kernel/sched/membarrier.c). */
export const OP_MEMBARRIER = 26;
/** OP_MEMBARRIER_REGISTER's arg: then issue MEMBARRIER_CMD_PRIVATE_EXPEDITED too (a library that registers on first use). */
export const MEMBARRIER_AND_COMMAND = 1;
export const OP_NAMES = [
  '?',
  'run',
  'munmap',
  'sleep',
  'yield',
  'migrate',
  'clone_thread',
  'fork',
  'exec',
  'exit',
  'use_mm_setup',
  'kthread_use_mm',
  'kthread_unuse_mm',
  'kernel_execve',
  'kwork',
  'cpu_down',
  'cpu_up',
  'cpuhp',
  'io_uring_setup',
  'io_ring_exit_work',
  'mremap',
  'khugepaged',
  'text_poke',
  'suspend',
  'membarrier_register',
  'reclaim',
  'membarrier',
] as const;
/** Two 10-bit task ids in one op argument (OP_IO_URING_SETUP). */
export const OP_PAIR_SHIFT = 10;
export const OP_PAIR_MASK = 0x3ff;
export const OP_SHIFT = 8;
export const OP_MASK = 0xff;

export const MUNMAP_FREED_TABLES = 1; // the unmap emptied page-table pages (free_pgtables)
export const MUNMAP_ALL = 2; // munmap(0, TASK_SIZE): no VMA left afterwards

/**
 * Explorer actors per CPU: its task/kernel-path step, its interrupt (IPI, wakeup, tick), the
 * hypervisor acting on it, and (memory: tso) its store buffer draining one store.
 */
export const ACTOR_TASK = 0;
export const ACTOR_IRQ = 1;
export const ACTOR_HYP = 2;
export const ACTOR_DRAIN = 3;
export const ACTORS_PER_CPU = 4;
export const ACTOR_KIND_NAMES = ['task', 'irq', 'hyp', 'drain'] as const;

/**
 * Preemption models (CONFIG_PREEMPT_NONE / _VOLUNTARY / PREEMPT / PREEMPT_RT) and the
 * preemption points of kernel paths: a point of level L is a place where the task may be
 * switched out when the cell's model is at least L.
 */
export const PREEMPT_NONE = 0; // only cond_resched() points
export const PREEMPT_VOLUNTARY = 1; // + might_sleep() points (cond_resched via might_resched)
export const PREEMPT_FULL = 2; // anywhere preempt_count() == 0 with IRQs on
export const PREEMPT_RT = 3; // + inside spinlock_t sections (task_lock, ...): sleeping locks
export const PREEMPT_MODELS = ['none', 'voluntary', 'full', 'rt'] as const;

/** Who calls the arch's switch_mm_irqs_off (Kernel.switchCaller): an arch comparing `prev` names its use site by it. */
export const SWITCH_CONTEXT_SWITCH = 0; // context_switch(): switch_mm_irqs_off(prev->active_mm, next->mm, next)
export const SWITCH_ACTIVATE_MM = 1; // exec_mmap(): activate_mm(active_mm, mm)
export const SWITCH_KTHREAD_USE_MM = 2; // kthread_use_mm(): switch_mm_irqs_off(active_mm, mm, tsk)
export const SWITCH_TO_INIT_MM = 3; // do_shoot_lazy_tlb, sched_force_init_mm, idle_task_exit: switch to &init_mm

/** Where a dangling lazy pointer (an I3 hazard) lives. */
export const HOLD_ACTIVE_MM = 0; // current->active_mm of a lazy task (kthread, idle, exiting task)
export const HOLD_PREV_MM = 1; // rq->prev_mm
export const HOLDER_NAMES = ['active_mm', 'rq->prev_mm'] as const;

/** Most CPUs a run may have: mm_cpumask is a 32-bit word. */
export const MAX_CPUS = 32;
