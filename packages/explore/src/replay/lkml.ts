/**
 * A replayed run printed the way LKML mails draw interleavings: a header naming the
 * configuration and the violation, one column per CPU, one row per step (every event of
 * the step on a CPU merged into that CPU's cell, long text wrapped rather than cut),
 * kernel function names, the violation marked at its step, hazards (`!!! I3 hazard`) and
 * kernel WARNs that do not end the run (`!!! WARN`) marked at theirs, and a legend.
 */
import {
  type Artifact,
  builtinScheme,
  formatScheme,
  INVARIANTS,
  type InvariantId,
  type RunFinding,
  type SchemePlugin,
  type TraceEvent,
  strategyToString,
} from '@lazytlb/core';
import { PROVENANCE_TEXT } from '../registry/registry.js';
import { cellMemory } from '../shrink/cell.js';
import { targetLabel } from '../shrink/target.js';

export interface LkmlOptions {
  /** Width of a CPU column in characters (default 38). */
  readonly width?: number;
}

export interface LkmlInput {
  readonly artifact: Artifact;
  readonly trace: readonly TraceEvent[];
  /**
   * The replay ended exactly as recorded; null: a run from its seed with no recorded outcome to
   * compare it with (`lazytlb replay --cell --seed`), so the header says neither.
   */
  readonly reproduced: boolean | null;
  /** The replayed run's hazards and use-site findings (core's Simulator.findings()). */
  readonly findings?: readonly RunFinding[];
  /**
   * The cell's scheme plugin (its Kconfig and provenance go into the header); default: core's
   * built-in scheme of that name.
   */
  readonly scheme?: SchemePlugin<unknown>;
  /** How the replaying model differs from the recording one (replayed with --allow-model-mismatch). */
  readonly modelMismatch?: readonly string[];
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

/** The hazard id a core `hazard` trace event records (its text starts "I3: ..."); 'hazard' if none. */
export function hazardId(text: string): string {
  return /^(I\d+):/.exec(text)?.[1] ?? 'hazard';
}

/** The marker of a hazard event (core traces `hazard` with text "I3: ...") or of a non-fatal kernel WARN. */
function hazardMarker(e: TraceEvent): string | null {
  if (e.fn === 'hazard') {
    const id = hazardId(e.text);
    const name = (INVARIANTS as Record<string, { name: string }>)[id]?.name;
    return `!!! ${id}${name !== undefined ? ` ${name}` : ''} hazard !!!`;
  }
  if (e.fn === 'WARN_ON_ONCE') return '!!! WARN_ON_ONCE !!!';
  return null;
}

/** One line per finding: "hazard I3 at step 12 on CPU1: ...", "use site __mmdrop (warn) at step 12 on CPU1: M3@2". */
function findingLines(findings: readonly RunFinding[]): string[] {
  return findings.map((f) =>
    f.kind === 'hazard'
      ? `hazard ${f.id} at step ${f.step} on CPU${f.cpu}: ${f.holder} of ${f.task} names freed ${f.mm}, dangling ${f.danglingSteps} step(s)${f.open ? ' (still when the run ended)' : ''}`
      : `use site ${f.site} (${f.siteKind}) at step ${f.step} on CPU${f.cpu}: ${f.mm}${f.other !== null ? ` = ${f.other} by address reuse` : ''}`,
  );
}

function describeWorkload(w: Artifact['cell']['workload']): string {
  if ('explicit' in w) {
    return `explicit, ${w.explicit.tasks.length} tasks: ${w.explicit.tasks.map((t) => `${t.name}[${t.kind}@CPU${t.cpu}: ${t.program.join('; ')}]`).join(' ')}`;
  }
  return `${w.profile} ${JSON.stringify(w.params)}`;
}

/**
 * The scheme line(s) of the header: the scheme with its options (and a plugin's version), the
 * Kconfig it stands for from the scheme plugin (a proposal's own symbols included), and, for a
 * scheme that is not mainline code, its provenance.
 */
export function schemeHeader(c: Artifact['cell'], scheme: SchemePlugin<unknown> | undefined): string[] {
  const p = scheme ?? builtinScheme(c.scheme);
  const label = `${formatScheme(c.scheme, c.schemeOptions)}${c.schemeVersion !== undefined ? ` (scheme plugin ${c.scheme}@${c.schemeVersion})` : ''}`;
  if (p === undefined) return [`  scheme:    ${label} (Kconfig unknown: the scheme plugin is not loaded)`];
  const k = p.kconfig;
  const symbols = [
    `MMU_LAZY_TLB_REFCOUNT=${k.MMU_LAZY_TLB_REFCOUNT ? 'y' : 'n'}`,
    `MMU_LAZY_TLB_SHOOTDOWN=${k.MMU_LAZY_TLB_SHOOTDOWN ? 'y' : 'n'}`,
    ...(k.other ?? []),
  ];
  const lines = [`  scheme:    ${label} (${symbols.join(', ')})`];
  if (p.provenance !== 'mainline') {
    wrap(`${p.provenance}: ${PROVENANCE_TEXT[p.provenance]} (${p.source})`, 100, '  ').forEach((l) => lines.push(`             ${l}`));
  }
  return lines;
}

/** The header: configuration, outcome, seed and model. `scheme`: the cell's scheme plugin (default: core's built-in of that name). */
export function formatHeader(artifact: Artifact, reproduced: boolean | null, scheme?: SchemePlugin<unknown>, modelMismatch: readonly string[] = []): string[] {
  const c = artifact.cell;
  const o = artifact.outcome;
  const lines: string[] = [];
  const t = artifact.target;
  if (o.kind === 'violation' && o.invariant !== undefined) {
    lines.push(
      `lazytlb: ${o.invariant} ${INVARIANTS[o.invariant as InvariantId].name} violated at step ${o.step} on CPU${o.cpu}${o.site !== undefined ? ` in ${o.site} (${o.siteKind ?? 'use site'})` : ''}`,
    );
    if (o.message !== undefined) lines.push(...wrap(o.message, 100, '    ').map((l) => `  ${l}`));
  } else if (o.kind === 'stopped' && t !== undefined) {
    const what = 'hazard' in t ? `hazard ${t.hazard} ${INVARIANTS[t.hazard].name}` : `use site ${t.site}`;
    lines.push(`lazytlb: ${what} recorded at step ${o.steps - 1}; the run goes on past it (this artifact stops there: its target)`);
  } else {
    lines.push(`lazytlb: run ended ${o.kind}${o.hook !== undefined ? ` in hook ${o.hook}` : ''}${o.message !== undefined ? `: ${o.message}` : ''}`);
  }
  lines.push('');
  lines.push(`  arch:      ${c.arch.name}@${c.arch.version} ${JSON.stringify(c.arch.options)}`);
  lines.push(...schemeHeader(c, scheme));
  lines.push(`  preempt:   ${c.preempt ?? 'full'}`);
  lines.push(`  memory:    ${cellMemory(c)}`);
  if (c.mutations !== undefined) lines.push(`  mutations: ${c.mutations.join(', ')}`);
  if (c.disabledInvariants !== undefined) lines.push(`  oracles:   ${c.disabledInvariants.join(', ')} switched off`);
  lines.push(`  CPUs:      ${c.cpus}`);
  wrap(describeWorkload(c.workload), 100, '  ').forEach((l, i) => lines.push(`  ${i === 0 ? 'workload:  ' : '           '}${l}`));
  lines.push(`  strategy:  ${strategyToString(c.strategy)}, step budget ${c.stepBudget}`);
  lines.push(`  seed:      ${artifact.seed}${artifact.runIndex !== undefined ? ` (run ${artifact.runIndex})` : ''}`);
  const fp = artifact.fingerprints;
  lines.push(
    `  model:     lazytlb ${artifact.toolVersion}, behaviour fingerprints core ${fp.core}, arch ${fp.arch}${fp.scheme !== undefined ? `, scheme ${fp.scheme}` : ''}`,
  );
  for (const m of modelMismatch) lines.push(`             DIFFERS: ${m} (replayed anyway: --allow-model-mismatch)`);
  lines.push(
    `  replay:    ${reproduced === null ? 'run from its seed (no recorded outcome to compare with)' : reproduced ? 'reproduced exactly' : 'DID NOT reproduce the recorded outcome'}, ${o.steps} steps${t !== undefined ? ` (stopped at ${targetLabel(t)})` : ''}`,
  );
  if (o.hazards !== undefined || o.useSites !== undefined) {
    lines.push(`  findings:  ${[...(o.hazards ?? []).map((h) => `hazard ${h}`), ...(o.useSites ?? []).map((u) => `use site ${u}`)].join(', ')}`);
  }
  return lines;
}

export const LKML_LEGEND = [
  'Legend:',
  '  one column per CPU, one row per step (the step number on the left); a cell holds every event of that step on that CPU',
  "  <irq>  the CPU's interrupt actor took the step (IPI handler, try_to_wake_up, tick preemption)",
  '  <hyp>  the hypervisor acted on that vCPU (preempt / resume)',
  "  <sb>   the CPU's store buffer drained its oldest store to memory (memory model tso)",
  "  ***    the invariant violated at this step (its id and name), followed by the oracle's message",
  '  !!!    a hazard recorded (I3 under a dangling-premise scheme) or a kernel WARN that does not end the run under this scheme',
  '  M<n>@<addr>  mm n at slab address addr (addresses are reused after free_mm, as on SLUB); init_mm; NULL',
  '  T<n> user task, K<n> kernel thread, swapper/<n> the idle task of CPU n',
];

/** Render the run's trace LKML-style. */
export function formatLkml(input: LkmlInput, opts: LkmlOptions = {}): string {
  const width = opts.width ?? 38;
  const ncpu = input.artifact.cell.cpus;
  const lines = formatHeader(input.artifact, input.reproduced, input.scheme, input.modelMismatch);
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
    const hz = hazardMarker(e);
    if (e.violation !== undefined) {
      row.violation = e;
      cell.push(...wrap(violationMarker(e.violation), width));
      cell.push(...wrap(e.text, width, '  '));
    } else if (hz !== null) {
      cell.push(...wrap(hz, width));
      cell.push(...wrap(e.text, width, '  '));
    } else {
      const prefix = e.actor === 'irq' ? '<irq> ' : e.actor === 'hyp' ? '<hyp> ' : e.actor === 'drain' ? '<sb> ' : '';
      cell.push(...wrap(`${prefix}${e.fn}: ${e.text}`, width, '  '));
    }
  }
  // A step that traced no event (the model took it without a kernel function to name) still
  // gets its row, so the rows count the steps.
  const total = Math.max(input.artifact.outcome.steps, (steps[steps.length - 1]?.step ?? -1) + 1);
  if (steps.length < total) {
    const by = new Map(steps.map((r) => [r.step, r]));
    steps.length = 0;
    for (let st = 0; st < total; st++) steps.push(by.get(st) ?? { step: st, cells: Array.from({ length: ncpu }, () => []), violation: null });
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
  if (input.findings !== undefined && input.findings.length > 0) {
    lines.push('', 'Findings (hazards and use sites, first firing of each):');
    for (const l of findingLines(input.findings)) lines.push(...wrap(l, 110, '    ').map((x) => `  ${x}`));
  }
  lines.push('');
  lines.push(...LKML_LEGEND);
  return `${lines.join('\n')}\n`;
}
