/**
 * A replayed run printed the way LKML mails draw interleavings: a header naming the
 * configuration and the violation, one column per CPU, one row per step (every event of
 * the step on a CPU merged into that CPU's cell, long text wrapped rather than cut),
 * kernel function names, the violation marked at its step, and a legend.
 */
import { type Artifact, INVARIANTS, type InvariantId, type TraceEvent, kconfigOf, strategyToString } from '@lazytlb/core';

export interface LkmlOptions {
  /** Width of a CPU column in characters (default 38). */
  readonly width?: number;
}

export interface LkmlInput {
  readonly artifact: Artifact;
  readonly trace: readonly TraceEvent[];
  /** The replay ended exactly as recorded. */
  readonly reproduced: boolean;
}

/** Word-wrap `text` to `width` columns; words longer than a line are split. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    let w = word;
    while (w.length > 0) {
      const room = width - (line === '' ? (out.length > 0 ? indent.length : 0) : line.length + 1);
      if (w.length <= room) {
        line = line === '' ? (out.length > 0 ? indent : '') + w : `${line} ${w}`;
        w = '';
      } else if (line !== '') {
        out.push(line);
        line = '';
      } else {
        const cut = Math.max(1, room);
        out.push((out.length > 0 ? indent : '') + w.slice(0, cut));
        w = w.slice(cut);
      }
    }
  }
  if (line !== '' || out.length === 0) out.push(line);
  return out;
}

export function violationMarker(invariant: string): string {
  const name = (INVARIANTS as Record<string, { name: string }>)[invariant]?.name;
  return `*** ${invariant}${name !== undefined ? ` ${name}` : ''} ***`;
}

function describeWorkload(w: Artifact['cell']['workload']): string {
  if ('explicit' in w) {
    return `explicit, ${w.explicit.tasks.length} tasks: ${w.explicit.tasks.map((t) => `${t.name}[${t.kind}@CPU${t.cpu}: ${t.program.join('; ')}]`).join(' ')}`;
  }
  return `${w.profile} ${JSON.stringify(w.params)}`;
}

/** The header: configuration, outcome, seed and model. */
export function formatHeader(artifact: Artifact, reproduced: boolean): string[] {
  const c = artifact.cell;
  const o = artifact.outcome;
  const k = kconfigOf(c.scheme);
  const lines: string[] = [];
  if (o.kind === 'violation' && o.invariant !== undefined) {
    lines.push(`lazytlb: ${o.invariant} ${INVARIANTS[o.invariant as InvariantId].name} violated at step ${o.step} on CPU${o.cpu}`);
    if (o.message !== undefined) lines.push(...wrap(o.message, 100, '    ').map((l) => `  ${l}`));
  } else {
    lines.push(`lazytlb: run ended ${o.kind}${o.hook !== undefined ? ` in hook ${o.hook}` : ''}${o.message !== undefined ? `: ${o.message}` : ''}`);
  }
  lines.push('');
  lines.push(`  arch:      ${c.arch.name}@${c.arch.version} ${JSON.stringify(c.arch.options)}`);
  lines.push(`  scheme:    ${c.scheme} (MMU_LAZY_TLB_REFCOUNT=${k.MMU_LAZY_TLB_REFCOUNT ? 'y' : 'n'}, MMU_LAZY_TLB_SHOOTDOWN=${k.MMU_LAZY_TLB_SHOOTDOWN ? 'y' : 'n'})`);
  lines.push(`  CPUs:      ${c.cpus}`);
  wrap(describeWorkload(c.workload), 100, '  ').forEach((l, i) => lines.push(`  ${i === 0 ? 'workload:  ' : '           '}${l}`));
  lines.push(`  strategy:  ${strategyToString(c.strategy)}, step budget ${c.stepBudget}`);
  lines.push(`  seed:      ${artifact.seed}${artifact.runIndex !== undefined ? ` (run ${artifact.runIndex})` : ''}`);
  lines.push(`  model:     ${artifact.modelHash} (lazytlb ${artifact.toolVersion})`);
  lines.push(`  replay:    ${reproduced ? 'reproduced exactly' : 'DID NOT reproduce the recorded outcome'}, ${o.steps} steps`);
  return lines;
}

export const LKML_LEGEND = [
  'Legend:',
  '  one column per CPU, one row per step (the step number on the left); a cell holds every event of that step on that CPU',
  '  <irq>  the CPU\'s interrupt actor took the step (IPI handler, try_to_wake_up, tick preemption)',
  '  <hyp>  the hypervisor acted on that vCPU (preempt / resume)',
  '  ***    the invariant violated at this step (its id and name), followed by the oracle\'s message',
  '  M<n>@<addr>  mm n at slab address addr (addresses are reused after free_mm, as on SLUB); init_mm; NULL',
  '  T<n> user task, K<n> kernel thread, swapper/<n> the idle task of CPU n',
];

/** Render the run's trace LKML-style. */
export function formatLkml(input: LkmlInput, opts: LkmlOptions = {}): string {
  const width = opts.width ?? 38;
  const ncpu = input.artifact.cell.cpus;
  const lines = formatHeader(input.artifact, input.reproduced);
  lines.push('');
  const sep = ' | ';
  const head = ['step'.padStart(5), ...Array.from({ length: ncpu }, (_, c) => `CPU${c}`.padEnd(width))].join(sep);
  lines.push(head.trimEnd());
  lines.push('-'.repeat(head.length));
  // Group events by step, in order; within a step, per CPU.
  const steps: { step: number; cells: string[][]; violation: TraceEvent | null }[] = [];
  for (const e of input.trace) {
    let row = steps[steps.length - 1];
    if (row === undefined || row.step !== e.step) {
      row = { step: e.step, cells: Array.from({ length: ncpu }, () => []), violation: null };
      steps.push(row);
    }
    const cell = row.cells[e.cpu] ?? (row.cells[e.cpu] = []);
    if (e.violation !== undefined) {
      row.violation = e;
      cell.push(...wrap(violationMarker(e.violation), width));
      cell.push(...wrap(e.text, width, '  '));
    } else {
      const prefix = e.actor === 'irq' ? '<irq> ' : e.actor === 'hyp' ? '<hyp> ' : '';
      cell.push(...wrap(`${prefix}${e.fn}: ${e.text}`, width, '  '));
    }
  }
  for (const row of steps) {
    const height = Math.max(1, ...row.cells.map((c) => c.length));
    for (let i = 0; i < height; i++) {
      const stepCol = i === 0 ? String(row.step).padStart(5) : ' '.repeat(5);
      lines.push([stepCol, ...row.cells.map((c) => (c[i] ?? '').padEnd(width))].join(sep).trimEnd());
    }
    if (row.violation !== null) {
      const inv = row.violation.violation!;
      const name = (INVARIANTS as Record<string, { name: string }>)[inv]?.name ?? '';
      lines.push(`      ^^^ ${inv} ${name} violated here, at step ${row.step} on CPU${row.violation.cpu}`);
    }
  }
  lines.push('');
  lines.push(...LKML_LEGEND);
  return `${lines.join('\n')}\n`;
}
