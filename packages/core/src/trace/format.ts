/**
 * Render a trace the way LKML mails draw interleavings: one column per CPU, one row per
 * event in step order, kernel function names, and the violation marked where it happens.
 */
import type { TraceEvent } from './tracer.js';

export interface FormatOptions {
  readonly ncpu: number;
  /** Column width in characters (default 44). */
  readonly width?: number;
}

function cell(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

export function formatTraceColumns(events: readonly TraceEvent[], opts: FormatOptions): string {
  const width = opts.width ?? 44;
  const lines: string[] = [];
  const header = ['step '];
  for (let c = 0; c < opts.ncpu; c++) header.push(cell(`CPU${c}`, width));
  lines.push(header.join(' ').trimEnd());
  lines.push('-'.repeat(6 + opts.ncpu * (width + 1)));
  let lastStep = -1;
  for (const e of events) {
    const cols: string[] = [];
    for (let c = 0; c < opts.ncpu; c++) {
      if (c !== e.cpu) {
        cols.push(' '.repeat(width));
        continue;
      }
      const prefix =
        e.violation !== undefined ? `*** ${e.violation} ` : e.actor === 'irq' ? '<irq> ' : e.actor === 'hyp' ? '<hyp> ' : e.actor === 'drain' ? '<sb> ' : '';
      cols.push(cell(`${prefix}${e.fn}: ${e.text}`, width));
    }
    const stepCol = e.step === lastStep ? '      ' : `${String(e.step).padStart(5)} `;
    lastStep = e.step;
    lines.push(`${stepCol}${cols.join(' ')}`.trimEnd());
    if (e.violation !== undefined) lines.push(`      ^^^ ${e.violation} violated on CPU${e.cpu}: ${e.text}`);
  }
  return lines.join('\n');
}
