/**
 * The verdict table the `sweep` command prints (stdout, without --json): per cell the verdict
 * (SAFE, HAZARD, VIOLATES, ERROR), the runs per violated invariant, per hazard and per use site
 * that fired, and the main costs.
 */
import { strategyToString } from '@lazytlb/core';
import type { ResultsFile } from '@lazytlb/explore';
import { schemeText } from '../report/markdown.js';

const fmt = (v: number | null | undefined, digits = 2): string => (v === null || v === undefined ? '-' : v.toFixed(digits));

function archLabel(arch: string, options: Record<string, unknown>): string {
  const opts = Object.entries(options)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(',');
  return opts === '' ? arch : `${arch}:${opts}`;
}

function workloadLabel(w: unknown): string {
  if (typeof w === 'string') return w;
  if (typeof w === 'object' && w !== null && 'profile' in w) return String((w as { profile: unknown }).profile);
  return 'custom';
}

export function formatVerdictTable(f: ResultsFile): string {
  // A mutations column only when some cell is mutated, preempt / memory columns only when some
  // cell is not under the default model (other tables are unchanged).
  const mutated = f.cells.some((c) => c.mutations !== undefined);
  const preempt = f.cells.some((c) => c.preempt !== 'full');
  const memory = f.cells.some((c) => c.memory !== 'sc');
  const findings = f.cells.some((c) => Object.keys(c.hazards).length > 0 || Object.keys(c.useSites).length > 0);
  const rows: string[][] = [
    [
      'arch',
      'scheme',
      ...(preempt ? ['preempt'] : []),
      ...(memory ? ['memory'] : []),
      'cpus',
      'workload',
      'strategy',
      ...(mutated ? ['mutations'] : []),
      'runs',
      'verdict',
      'violations (runs)',
      ...(findings ? ['hazards (runs)', 'use sites (runs)'] : []),
      'atomics/cs',
      'xfers/cs',
      'IPIs/exit',
      'shoot/exit',
      'shrunk',
    ],
  ];
  for (const c of f.cells) {
    const v = Object.entries(c.violations).map(([k, n]) => `${k}:${n}`);
    if (c.pluginErrors > 0) v.push(`plugin-errors:${c.pluginErrors}`);
    if (c.budgetExceeded > 0) v.push(`budget:${c.budgetExceeded}`);
    if (c.deadlocks > 0) v.push(`deadlocks:${c.deadlocks}`);
    if (c.crashes > 0) v.push(`crashes:${c.crashes}`);
    const shrunk = c.firstFailures.map((x) => x.shrunkSteps).filter((x): x is number => x !== null);
    rows.push([
      archLabel(c.arch, c.options),
      schemeText(c),
      ...(preempt ? [c.preempt] : []),
      ...(memory ? [c.memory] : []),
      String(c.cpus),
      workloadLabel(c.workload),
      strategyToString(c.strategy),
      ...(mutated ? [c.mutations !== undefined ? c.mutations.join('+') : 'none'] : []),
      String(c.runs),
      c.verdict.toUpperCase(),
      v.join(' ') || '-',
      ...(findings
        ? [
            Object.entries(c.hazards)
              .map(([k, n]) => `${k}:${n}`)
              .join(' ') || '-',
            Object.entries(c.useSites)
              .map(([k, n]) => `${k}:${n}`)
              .join(' ') || '-',
          ]
        : []),
      fmt(c.costs.perContextSwitch.mmCountAtomics, 3),
      fmt(c.costs.perContextSwitch.mmCountLineTransfers, 3),
      fmt(c.costs.perMmExit.ipis),
      fmt(c.costs.perMmExit.shootdownIpis),
      shrunk.length > 0 ? `${Math.min(...shrunk)} steps` : '-',
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string =>
    r
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
  const t = f.totals;
  out.push(
    '',
    `${t.runs} runs, ${t.steps} steps: ${t.safe} safe, ${t.hazard} hazard, ${t.violates} violating, ${t.error} error` +
      `${t.proved + t.incomplete > 0 ? `, ${t.proved} proved, ${t.incomplete} incomplete` : ''} cell(s)` +
      `${f.interrupted ? ' (INTERRUPTED: continue with --resume DIR)' : ''}${f.timeBudgetHit ? ' (time budget reached)' : ''}`,
  );
  return `${out.join('\n')}\n`;
}
