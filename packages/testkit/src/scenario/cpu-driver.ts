/**
 * The builder form of the script: `s.cpu(1).step().irq().until('context_switch')`. Each
 * method builds the same {@link Command} a script line would and hands it to the scenario's
 * executor, so builder and text scripts behave identically.
 */
import type { Command } from './script.js';

export interface CommandSink {
  exec(command: Command): unknown;
}

export interface UntilOptions {
  /** Also require the event text to contain this string / match this pattern (scenario names). */
  readonly text?: string | RegExp;
  /** Step bound (default: the scenario's maxSteps). */
  readonly within?: number;
  /** Take interrupt steps instead of task steps (IPI handlers, wakeups, ticks). */
  readonly irq?: boolean;
}

export class CpuDriver {
  constructor(
    private readonly sink: CommandSink,
    readonly cpu: number,
  ) {}

  /** `CPUn: step [count]`: steps of the CPU's task actor (its kernel path, schedule(), or its next op). */
  step(count = 1): this {
    this.sink.exec({ kind: 'step', cpu: this.cpu, actor: 'task', count });
    return this;
  }

  /** `CPUn: irq [count]`: interrupt steps (the oldest pending IPI, else a wakeup, else a tick). */
  irq(count = 1): this {
    this.sink.exec({ kind: 'step', cpu: this.cpu, actor: 'irq', count });
    return this;
  }

  /** `CPUn: [irq] until <fn>`: step until a trace event `fn` happens on this CPU. */
  until(fn: string, opts: UntilOptions = {}): this {
    this.sink.exec({
      kind: 'until',
      cpu: this.cpu,
      actor: opts.irq === true ? 'irq' : 'task',
      fn,
      ...(opts.text !== undefined ? { text: opts.text } : {}),
      ...(opts.within !== undefined ? { within: opts.within } : {}),
    });
    return this;
  }

  /** `CPUn: op`: run the current op (or the pending context switch) to completion. */
  runOp(): this {
    this.sink.exec({ kind: 'op', cpu: this.cpu });
    return this;
  }

  /** `CPUn: idle`: run until the CPU idles with nothing left to do. */
  idle(): this {
    this.sink.exec({ kind: 'idle', cpu: this.cpu });
    return this;
  }

  /** `hyp CPUn: preempt`: the hypervisor preempts this vCPU. */
  preempt(): this {
    this.sink.exec({ kind: 'hyp', cpu: this.cpu, action: 'preempt' });
    return this;
  }

  /** `hyp CPUn: resume`: the hypervisor resumes this vCPU. */
  resume(): this {
    this.sink.exec({ kind: 'hyp', cpu: this.cpu, action: 'resume' });
    return this;
  }
}
