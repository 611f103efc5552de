/**
 * What `lazytlb mutants` prints on stdout without --json: one row per (mutation, cell) with the
 * kill by any oracle and, for mutations of the intermediate-state oracle (I13), the kill by
 * consequence with that oracle off; runs to the first kill per strategy (consequence runs as
 * their own rows, marked "[I13 off]"); mutations without a modelled victim with their reason;
 * the false-alarm check and totals.
 */
import type { ConsequenceResult, MutantsFile, StrategyOutcome } from '@lazytlb/explore';

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string =>
    r
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
}

/** The fixing commit's short id, or "synthetic" for a counterfactual mutation (MutationDoc.synthetic: no kernel had the bug). */
const shortCommit = (fixedBy: string, synthetic?: string): string => (synthetic !== undefined ? 'synthetic' : fixedBy.split(' ')[0]!.slice(0, 12));
const num = (n: number): string => n.toLocaleString('en-US');

function consequenceText(k: ConsequenceResult | null): string {
  if (k === null) return '-';
  const off = k.disabledInvariants.join('+');
  if (!k.killed) return `none in ${num(Math.max(0, ...k.strategies.map((s) => s.runs)))} runs (${off} off)`;
  return `${k.invariant} after ${num(k.runsToKill!)} run${k.runsToKill === 1 ? '' : 's'} (${k.strategy})`;
}

function perStrategy(f: MutantsFile, breaks: string, strategies: readonly StrategyOutcome[]): string[] {
  return f.strategies.map((label) => {
    const s = strategies.find((x) => x.strategy === label);
    if (s === undefined) return '';
    return s.runsToKill !== null ? `${num(s.runsToKill)}${s.invariant !== breaks ? ` ${s.invariant}` : ''}` : `> ${num(s.runs)}`;
  });
}

export function formatMutantsTable(f: MutantsFile): string {
  const out: string[] = [];
  const consequence = f.mutations.some((m) => m.cells.some((c) => c.consequence !== null));
  const rows: string[][] = [
    [
      'mutation',
      'fixed by',
      'arch/scheme',
      'killed',
      'runs to kill',
      'seconds',
      'strategy',
      'invariant (declared)',
      'depth',
      'shrunk steps',
      ...(consequence ? ['consequence (oracle off)'] : []),
    ],
  ];
  for (const m of f.mutations) {
    if (m.status === 'no-victim') {
      rows.push([
        m.id,
        shortCommit(m.fixedBy, m.synthetic),
        '(no modelled victim)',
        'n/a',
        '-',
        '-',
        '-',
        `- (${m.breaks})`,
        '-',
        '-',
        ...(consequence ? ['-'] : []),
      ]);
      continue;
    }
    for (const c of m.cells) {
      const runs = Math.max(0, ...c.strategies.map((s) => s.runs));
      rows.push([
        m.id,
        shortCommit(m.fixedBy, m.synthetic),
        c.label,
        c.killed ? 'yes' : 'NO',
        c.runsToKill !== null ? num(c.runsToKill) : `> ${num(runs)}`,
        c.secondsToKill !== null ? c.secondsToKill.toFixed(2) : '-',
        c.strategy ?? '-',
        c.invariant !== null ? `${c.invariant} (${m.breaks})${c.matchesDeclared === false ? ' !' : ''}` : `- (${m.breaks})`,
        c.depth !== null ? String(c.depth) : '-',
        c.shrunkSteps !== null ? `${c.shrunkSteps}${c.kill !== null ? ` of ${c.kill.steps}` : ''}` : c.shrinkError !== null ? 'shrink failed' : '-',
        ...(consequence ? [consequenceText(c.consequence)] : []),
      ]);
    }
  }
  out.push(...table(rows));
  const noVictim = f.mutations.filter((m) => m.status === 'no-victim');
  if (noVictim.length > 0) {
    out.push('', 'No modelled victim (declared: no cell of the model can kill these faithfully; a model is never tuned to get a kill):');
    for (const m of noVictim) out.push(`  ${m.id} (${shortCommit(m.fixedBy, m.synthetic)}): ${m.noVictim}`);
  }
  if (consequence) {
    out.push(
      '',
      "Kills by oracle vs by consequence: a mutation that opens an IRQs-on window is killed at the first step of the window by the arch's " +
        'intermediate-state oracle (I13) itself. Its cells ran again with that oracle off (disabledInvariants, recorded in the cell id and artifacts): ' +
        'the consequence column is the first kill by another invariant (I4, I2, I1, ... after an IPI lands in the window), or none within the budget.',
    );
  }

  // Runs to the first kill under each strategy.
  const per: string[][] = [['runs to first kill', ...f.strategies]];
  for (const m of f.mutations) {
    for (const c of m.cells) {
      const name = m.cells.length > 1 ? `${m.id} (${c.label})` : m.id;
      per.push([name, ...perStrategy(f, m.breaks, c.strategies)]);
      if (c.consequence !== null)
        per.push([`${name} [${c.consequence.disabledInvariants.join('+')} off]`, ...perStrategy(f, m.breaks, c.consequence.strategies)]);
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
    out.push(
      `  ERROR in unmutated ${p.label} ${p.strategy}: ${Object.entries(p.problems)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}`,
    );
  }

  const t = f.totals;
  out.push(
    '',
    `${t.killed}/${t.mutations - t.noVictim} mutations killed${t.survived > 0 ? ` (${t.survived} SURVIVED)` : ''}` +
      `${t.noVictim > 0 ? `, ${t.noVictim} declared without a modelled victim` : ''}, ${t.matchingDeclared} by their declared invariant; ` +
      `${t.consequenceCells > 0 ? `${t.consequenceKills}/${t.consequenceCells} cell(s) killed by a consequence with the oracle off; ` : ''}` +
      `${t.falseAlarms} false alarm(s); ${num(t.runs)} runs, ${num(t.steps)} steps in ${(f.timing.elapsedMs / 1000).toFixed(1)} s on ${f.timing.threads} thread(s)` +
      `${f.interrupted ? ' (INTERRUPTED)' : ''}${f.timeBudgetHit ? ' (time budget reached)' : ''}.`,
    'Runs to kill are deterministic (lowest violating run index + 1, every run below it run); seconds are wall time since the start, on a pool shared by all cells: machine-dependent.',
  );
  if (!f.depthAvailable) out.push('Depth: not measured (--no-shrink).');
  else out.push('Depth: an upper bound on preemptions + 1 (PCT depth) of the shrunk kill, from shrink/bug-depth.ts.');
  return `${out.join('\n')}\n`;
}
