/**
 * io_uring as today's kernels run it (since 5.12): io_uring_setup() pins the owner's mm for
 * memory accounting (ctx->mm_account = current->mm; mmgrab) and its io-wq worker (and SQPOLL)
 * threads are create_io_thread() threads: CLONE_VM, PF_IO_WORKER, with ->mm set like any
 * thread of the process (no kthread_use_mm). When the owner exits, exit_files() ->
 * io_uring_release() queues io_ring_exit_work on a kworker, which ends in io_ring_ctx_free()
 * -> mmdrop(ctx->mm_account): an mmdrop from a kernel thread, lazy on whatever its CPU had.
 */
import { NO_MM } from '../machine/constants.js';
import { cloneThread } from './fork.js';
import type { Kernel } from './kernel.js';
import { mmdrop, mmgrab } from './refs.js';

/** io_uring_setup() by `owner` (a user task with mm `mm`): the ring (its exit kworker holds the pin) and one io-wq thread. */
export function io_uring_setup(k: Kernel, cpu: number, owner: number, mm: number, iowq: number, exitWorker: number): void {
  mmgrab(k, cpu, mm);
  k.taskIoMm[exitWorker] = mm;
  k.mmGrabHolders[mm]! += 1;
  k.taskRingExit[owner] = exitWorker;
  if (k.tracer !== null) k.tracer.ev(cpu, 'io_uring_setup', `ctx->mm_account = ${k.mmName(mm)} (mmgrab); create_io_thread ${k.taskName(iowq)}`);
  cloneThread(k, cpu, owner, iowq);
}

/** io_ring_exit_work on its kworker: ... io_ring_ctx_free() -> mmdrop(ctx->mm_account). */
export function io_ring_exit_work(k: Kernel, cpu: number, t: number): void {
  const mm = k.taskIoMm[t]!;
  if (mm === NO_MM) return;
  k.taskIoMm[t] = NO_MM;
  k.mmGrabHolders[mm]! -= 1;
  if (k.tracer !== null) k.tracer.ev(cpu, 'io_ring_ctx_free', `mmdrop(${k.mmName(mm)}) (ctx->mm_account)`);
  mmdrop(k, cpu, mm);
}
