/**
 * Trace of one run, recorded only when tracing is on (replay, scenarios). While tracing is
 * off `Kernel.tracer` is null and every call site is a single null check, so sweeps pay
 * nothing for it.
 */
import { IPI_CHECK_LAZY, IPI_SHOOT_LAZY } from '../machine/constants.js';

export type ActorKind = 'task' | 'irq' | 'hyp' | 'drain';

export interface TraceEvent {
  /** Step index (0-based). */
  readonly step: number;
  /** CPU the event happened on. */
  readonly cpu: number;
  /** Which actor of that CPU took the step. */
  readonly actor: ActorKind;
  /** Kernel function (or event) name, e.g. "context_switch", "flush_tlb_func". */
  readonly fn: string;
  readonly text: string;
  /** Set on the event that reports a violation: the invariant id. */
  readonly violation?: string;
}

/**
 * What a tracer reads from the kernel it traces (a Kernel): the arch's IPI names and the mms'
 * names. Structural, so that trace/ sits below model/ (the Kernel holds its Tracer).
 */
export interface TracedKernel {
  readonly arch: { ipi_name(fn: number): string };
  mmName(mm: number): string;
}

export class Tracer {
  readonly events: TraceEvent[] = [];
  private step = 0;
  private actor: ActorKind = 'task';

  constructor(private readonly k: TracedKernel) {}

  beginStep(step: number, actor: ActorKind): void {
    this.step = step;
    this.actor = actor;
  }

  ev(cpu: number, fn: string, text: string): void {
    this.events.push({ step: this.step, cpu, actor: this.actor, fn, text });
  }

  ipiName(fn: number): string {
    return fn === IPI_SHOOT_LAZY ? 'do_shoot_lazy_tlb' : fn === IPI_CHECK_LAZY ? 'do_check_lazy_tlb' : this.k.arch.ipi_name(fn);
  }

  ipiSend(from: number, target: number, fn: number, mm: number): void {
    this.ev(from, 'smp_call_function', `IPI -> CPU${target}: ${this.ipiName(fn)}(${this.k.mmName(mm)})`);
  }

  ipiRecv(cpu: number, from: number, fn: number, mm: number): void {
    this.ev(cpu, this.ipiName(fn), `IPI from CPU${from} (${this.k.mmName(mm)})`);
  }

  violation(cpu: number, invariant: string, message: string): void {
    this.events.push({ step: this.step, cpu, actor: this.actor, fn: 'VIOLATION', text: message, violation: invariant });
  }
}
