/** What `lazytlb mutants` prints on stdout without --json. */
import type { MutantsFile } from './schema.js';

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
}

const shortCommit = (fixedBy: string): string => fixedBy.split(' ')[0]!.slice(0, 12);
const num = (n: number): string => n.toLocaleString('en-US');

export function formatMutantsTable(f: MutantsFile): string {
  const out: string[] = [];
  const rows: string[][] = [['mutation', 'fixed by', 'arch/scheme', 'killed', 'runs to kill', 'seconds', 'strategy', 'invariant (declared)', 'depth', 'shrunk steps']];
  for (const m of f.mutations) {
    for (const c of m.cells) {
      const runs = Math.max(0, ...c.strategies.map((s) => s.runs));
      rows.push([
        m.id,
        shortCommit(m.fixedBy),
        c.label,
        c.killed ? 'yes' : 'NO',
        c.runsToKill !== null ? num(c.runsToKill) : `> ${num(runs)}`,
        c.secondsToKill !== null ? c.secondsToKill.toFixed(2) : '-',
        c.strategy ?? '-',
        c.invariant !== null ? `${c.invariant} (${m.breaks})${c.matchesDeclared === false ? ' !' : ''}` : `- (${m.breaks})`,
        c.depth !== null ? String(c.depth) : '-',
        c.shrunkSteps !== null ? `${c.shrunkSteps}${c.kill !== null ? ` of ${c.kill.steps}` : ''}` : c.shrinkError !== null ? 'shrink failed' : '-',
      ]);
    }
  }
  out.push(...table(rows));

  // Runs to the first kill under each strategy.
  const per: string[][] = [['runs to first kill', ...f.strategies]];
  for (const m of f.mutations) {
    for (const c of m.cells) {
      per.push([
        m.cells.length > 1 ? `${m.id} (${c.label})` : m.id,
        ...f.strategies.map((label) => {
          const s = c.strategies.find((x) => x.strategy === label);
          if (s === undefined) return '';
          return s.runsToKill !== null ? `${num(s.runsToKill)}${s.invariant !== m.breaks ? ` ${s.invariant}` : ''}` : `> ${num(s.runs)}`;
        }),
      ]);
    }
  }
  out.push('', ...table(per));

  out.push('');
  const alarms = f.controls.filter((c) => !c.clean);
  const budget = f.budget.kind === 'runs' ? `${num(f.budget.runs)} runs each` : `the same time share each`;
  if (alarms.length === 0) {
    const runs = f.controls.reduce((n, c) => n + c.runs, 0);
    out.push(`false-alarm check: ${f.controls.length} unmutated (cell, strategy) pairs, ${budget} (${num(runs)} runs): no violation`);
  } else {
    out.push(`FALSE ALARM: ${alarms.length} of ${f.controls.length} unmutated (cell, strategy) pairs VIOLATE without any mutation:`);
    for (const a of alarms) {
      const v = a.firstViolation!;
      out.push(
        `  FALSE ALARM  ${a.label} ${a.strategy} (cell of ${a.mutations.join(', ')}): ${v.invariant} at run ${v.runIndex} (seed ${v.seed})` +
          `${v.artifact !== null ? `, ${v.artifact}` : ''}: ${v.message}`,
      );
    }
  }
  const problems = f.controls.filter((c) => c.problems.pluginErrors + c.problems.deadlocks + c.problems.crashes + c.problems.modelErrors > 0);
  for (const p of problems) {
    out.push(`  ERROR in unmutated ${p.label} ${p.strategy}: ${Object.entries(p.problems).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  }

  const t = f.totals;
  out.push(
    '',
    `${t.killed}/${t.mutations} mutations killed${t.survived > 0 ? ` (${t.survived} SURVIVED)` : ''}, ${t.matchingDeclared} by their declared invariant; ` +
      `${t.falseAlarms} false alarm(s); ${num(t.runs)} runs, ${num(t.steps)} steps in ${(f.timing.elapsedMs / 1000).toFixed(1)} s on ${f.timing.threads} thread(s)` +
      `${f.interrupted ? ' (INTERRUPTED)' : ''}${f.timeBudgetHit ? ' (time budget reached)' : ''}.`,
    'Runs to kill are deterministic (lowest violating run index + 1, every run below it run); seconds are wall time since the start, on a pool shared by all cells: machine-dependent.',
  );
  if (!f.depthAvailable) out.push('Depth: not measured (--no-shrink).');
  else out.push('Depth: an upper bound on preemptions + 1 (PCT depth) of the shrunk kill, from shrink/bug-depth.ts.');
  return `${out.join('\n')}\n`;
}
