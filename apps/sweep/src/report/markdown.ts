/**
 * report.md: the results as Markdown (verdicts, costs, PCT bounds, coverage, shrunk
 * counterexamples). Rendered next to report.html (report/write.ts writes both).
 */
import { formatScheme, type SchemeOptions, strategyToString } from '@lazytlb/core';
import { type CellResult, failureLabel, type FirstFailureEntry, formatFingerprints, type ResultsFile } from '@lazytlb/explore';
import { formatArchSpec } from '../matrix/arch-flag.js';
import { renderCostVsCpus } from './cost-vs-cpus.js';

const fmt = (v: number | null, digits = 3): string => (v === null ? '–' : v.toFixed(digits));

/** "shootdown:mask=online" (core's formatScheme). */
export function schemeText(c: Pick<CellResult, 'scheme' | 'schemeOptions'>): string {
  return formatScheme(c.scheme, c.schemeOptions as SchemeOptions);
}

/** "I3: 12, I14: 3" or "–". */
function countsText(r: Readonly<Record<string, number>>): string {
  return (
    Object.entries(r)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ') || '–'
  );
}
const exp = (v: number | null): string => (v === null ? '–' : v === 0 ? '0' : v.toExponential(1));

function workloadName(w: unknown): string {
  if (typeof w === 'string') return w;
  if (typeof w === 'object' && w !== null) {
    if ('explicit' in w) return 'explicit';
    const o = w as { profile?: string; params?: unknown };
    return `${o.profile ?? 'default'}${o.params !== undefined ? '*' : ''}`;
  }
  return String(w);
}

/** ", shrunk to 11 steps (1 CPU, 1 task, 2 ops, default options), bug depth ≤ 1 (0 preemptions)". */
function shrunkText(x: FirstFailureEntry): string {
  if (x.shrunkSteps === null) return '';
  const a = x.shrunk?.after;
  const size =
    a !== undefined
      ? ` (${a.cpus} CPU${a.cpus === 1 ? '' : 's'}, ${a.tasks} task${a.tasks === 1 ? '' : 's'}, ${a.ops} op${a.ops === 1 ? '' : 's'}, ${a.options.length === 0 ? 'default options' : a.options.map((o) => `\`${o}\``).join(' ')})`
      : '';
  const d = x.bugDepth;
  const depth =
    d !== null && d !== undefined
      ? `, bug depth ≤ ${d.depth} (${d.preemptions} preemption${d.preemptions === 1 ? '' : 's'}${d.pct !== null ? `; PCT depth ${d.pct} reproduces` : ''})`
      : '';
  return `, shrunk to ${x.shrunkSteps} steps${size}${depth}`;
}

const pctFmt = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : v === 0 ? '0' : v >= 0.01 ? v.toFixed(3) : v.toExponential(1));

/** report.md's PCT section: n, k and the per-run hit / after-N-runs miss bounds per depth. */
function renderPct(f: ResultsFile, L: string[]): void {
  const cells = f.cells.filter((c) => c.pct != null);
  if (cells.length === 0) return;
  L.push('', '## PCT bounds', '');
  L.push(
    'One PCT(D) run hits a given bug of depth d ≤ D with probability p_d ≥ 1/(n·k^(d−1)): n explorer actors, k = max(mean estimated steps, mean actual steps) per run. ' +
      'For a safe cell, the chance that all N runs missed a given depth-d bug is at most (1 − p_d)^N. ' +
      "–: d is above the cell's PCT depth (no guarantee), the strategy is not PCT, or (miss) the cell is not safe.",
    '',
  );
  L.push('| # | arch | scheme | CPUs | strategy | N | n | k est. | steps/run | k | p1 | p2 | p3 | miss d1 | miss d2 | miss d3 |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const c of cells) {
    const p = c.pct!;
    const h = p.hitBound,
      m = p.missBound;
    L.push(
      `| ${c.index} | ${c.arch} | ${schemeText(c)} | ${c.cpus} | ${strategyToString(c.strategy)} | ${p.runs} | ${p.n} | ${p.kEstimated.toFixed(1)} | ${p.meanSteps.toFixed(1)} | ${p.k.toFixed(1)} | ` +
        `${pctFmt(h?.d1)} | ${pctFmt(h?.d2)} | ${pctFmt(h?.d3)} | ${pctFmt(m?.d1)} | ${pctFmt(m?.d2)} | ${pctFmt(m?.d3)} |`,
    );
  }
}

/** report.md's exhaustive-search section (only when the sweep has exhaustive cells). */
function renderExhaustive(f: ResultsFile, L: string[]): void {
  const cells = f.cells.filter((c) => c.exhaustive !== undefined);
  if (cells.length === 0) return;
  L.push('', '## Exhaustive search', '');
  L.push(
    "Exhaustive cells search every schedule of the cell's workload (every enabled actor at every step, every in-step choice), depth first, " +
      'within the preemption bound (∞: none), cut into subtrees searched apart and added up. **proved**: every subtree was searched to the end and ' +
      'no execution violated an invariant (hazards it recorded are listed in the verdict table); **incomplete**: a subtree was not searched or ran ' +
      'out of its equal share of the executions budget (`--max-executions`). States: distinct 64-bit state fingerprints stored, summed over subtrees. ' +
      'Sleep sets (partial-order reduction) only without a preemption bound.',
    '',
  );
  L.push(
    '| # | arch | scheme | CPUs | workload | bound | verdict | executions | states | pruned (seen) | slept | subtrees (roots) | out of budget | frontier | max depth |',
  );
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const c of cells) {
    const x = c.exhaustive!;
    L.push(
      `| ${c.index} | ${c.arch} | ${schemeText(c)} | ${c.cpus} | ${workloadName(c.workload)} | ${x.preemptionBound ?? '∞'} | **${c.verdict}** | ${x.executions} | ${x.distinctStates} | ` +
        `${x.prunedExecutions} | ${x.slept} | ${x.subtreesSearched}/${x.subtrees} (${x.roots}) | ${x.stoppedSubtrees} | ${x.frontier} | ${x.maxDepth} |`,
    );
  }
  const first = cells[0]!.exhaustive!;
  L.push('', `Enumerated: ${first.enumerated.join('; ')}.`, '', `Held fixed: ${first.fixed.join('; ')}.`);
}

/** The states added by the last doubling (or more) of the runs, as a fraction of all (null: too few points). */
function lastDoubling(growth: readonly { runs: number; distinctStates: number }[]): number | null {
  const top = growth[growth.length - 1];
  if (top === undefined || top.distinctStates === 0) return null;
  let prev: { runs: number; distinctStates: number } | undefined;
  for (const g of growth) if (2 * g.runs <= top.runs) prev = g;
  return prev === undefined ? null : (top.distinctStates - prev.distinctStates) / top.distinctStates;
}

/** report.md's coverage section (only when the sweep measured coverage). */
function renderCoverage(f: ResultsFile, L: string[]): void {
  const cells = f.cells.filter((c) => c.coverage != null);
  if (cells.length === 0) return;
  L.push('', '## Coverage', '');
  L.push(
    'Distinct abstract lazy-TLB states the runs reached (HyperLogLog estimate, about ±3%): per CPU online, task kind, lazy, ' +
      "its `active_mm`'s lifecycle stage, `mm_users` = 0 and `mm_count` against the lazy holders, its `mm_cpumask` bit, `rq->prev_mm`, " +
      'the kernel path in progress and IPIs pending, CPU-symmetric. Growth: states after the first 1, 4, 16, … runs and after all. ' +
      'Last doubling: what the last half (or more) of the runs added; saturated when under 1%.',
    '',
  );
  L.push('| # | arch | scheme | CPUs | strategy | runs | distinct states | last doubling | saturated | growth (runs: states) |');
  L.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const c of cells) {
    const cov = c.coverage!;
    const pts = cov.growth.filter((g, i) => i === cov.growth.length - 1 || ((g.runs & (g.runs - 1)) === 0 && Math.log2(g.runs) % 2 === 0));
    const growth = pts.map((g) => `${g.runs}: ${g.distinctStates}`).join(' · ') || '–';
    const d = lastDoubling(cov.growth);
    L.push(
      `| ${c.index} | ${c.arch} | ${schemeText(c)} | ${c.cpus} | ${strategyToString(c.strategy)} | ${c.runs} | ${cov.distinctStates} | ${d === null ? '–' : `+${(100 * d).toFixed(1)}%`} | ${cov.saturated ? 'yes' : 'no'} | ${growth} |`,
    );
  }
}

/** The twin of a cell under `refcount` (same arch, options, CPUs, workload, strategy, preempt, memory, mutations), the IBPB baseline. */
function refcountTwin(f: ResultsFile, c: CellResult): CellResult | undefined {
  const key = (x: CellResult): string => JSON.stringify([x.arch, x.options, x.cpus, x.workload, x.strategy, x.preempt, x.memory, x.mutations ?? []]);
  const k = key(c);
  return f.cells.find((x) => x.scheme === 'refcount' && Object.keys(x.schemeOptions).length === 0 && key(x) === k);
}

/**
 * report.md's IBPB section (cells where cond_mitigation() ran, i.e. x86): IBPBs skipped because
 * SLUB reused the address of cpu_tlbstate.last_user_mm_spec, per check, against the cell's
 * refcount twin. Mainline (refcount) has the reuse hole too; a scheme is a security finding
 * only where it exceeds that baseline.
 */
function renderIbpb(f: ResultsFile, L: string[]): void {
  const cells = f.cells.filter((c) => c.costs.ibpb.checks > 0);
  if (cells.length === 0) return;
  L.push('', '## IBPB skipped on mm reuse', '');
  L.push(
    'x86 `cond_mitigation()` skips the IBPB when the next mm sits at the address of `cpu_tlbstate.last_user_mm_spec`; after SLUB reused that ' +
      "address for another mm, the skip is wrong (the kernel's comment accepts this hole). Rate = skipped on reuse / checks; baseline = the same cell under " +
      '`refcount`. Only a rate above the baseline is a finding of the scheme.',
    '',
  );
  L.push('| # | arch | scheme | CPUs | checks | issued | skipped on reuse | rate | refcount rate | vs baseline |');
  L.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const c of cells) {
    const i = c.costs.ibpb;
    const twin = refcountTwin(f, c);
    const base = twin?.costs.ibpb.skippedPerCheck ?? null;
    const rate = i.skippedPerCheck;
    const vs =
      twin === undefined || rate === null || base === null
        ? '–'
        : twin === c
          ? 'baseline'
          : rate > base
            ? `**exceeds** (${base > 0 ? `×${(rate / base).toFixed(1)}` : 'baseline 0'})`
            : 'within';
    L.push(
      `| ${c.index} | ${formatArchSpec({ name: c.arch, options: c.options })} | ${schemeText(c)} | ${c.cpus} | ${i.checks} | ${i.issued} | ${i.skippedOnReuse} | ${exp(rate)} | ${exp(base)} | ${vs} |`,
    );
  }
}

/** report.md: a verdict table, per-cell costs, costs vs CPUs (cells that differ only in CPUs), IBPB, PCT, coverage and the first failures. */
export function renderReport(f: ResultsFile): string {
  const L: string[] = [];
  const status = f.interrupted ? ' — INTERRUPTED (resume with --resume)' : f.timeBudgetHit ? ' — time budget reached' : f.complete ? '' : ' — partial';
  L.push(`# lazytlb sweep${status}`, '');
  L.push(
    `lazytlb ${f.toolVersion} (core ${f.coreVersion}; behaviour fingerprints ${formatFingerprints(f.fingerprints)}), seed \`${f.matrix.seed}\`, ${f.matrix.runs} runs per cell, ${f.matrix.cells} cells${f.shard ? `, shard ${f.shard.index}/${f.shard.count}` : ''}.`,
    '',
  );
  // Scheme plugins (not core's built-in schemes) and their versions: another version is another cell.
  const schemePlugins = [...new Set(f.cells.flatMap((c) => (c.schemeVersion !== undefined ? [`\`${c.scheme}\` ${c.schemeVersion}`] : [])))];
  if (schemePlugins.length > 0) L.push(`Scheme plugins: ${schemePlugins.join(', ')}.`, '');
  L.push(
    `**${f.totals.safe} safe, ${f.totals.hazard} hazard, ${f.totals.violates} violate, ${f.totals.error} error` +
      `${f.totals.proved + f.totals.incomplete > 0 ? `, ${f.totals.proved} proved, ${f.totals.incomplete} incomplete` : ''}** — ${f.totals.runs} runs, ${f.totals.steps} steps.`,
    '',
  );
  L.push('## Verdicts', '');
  L.push(
    'Verdicts: **safe** (no finding), **hazard** (a hazard, such as I3 under `none`, or a hazard-class use site such as the `__mmdrop` WARN under `none`, ' +
      'was recorded and the runs went on; no violation), **violates** (some run ended in an invariant violation), **error** (plugin error, deadlock, crash); ' +
      'exhaustive cells: **proved** (every schedule searched, within the bound: no violation) or **incomplete** (see Exhaustive search; runs are executions). ' +
      'Use sites: runs in which the kernel function used a freed or stale mm (I14) or WARNed on it.',
    '',
  );
  // Mutations, preempt and memory columns only when some cell needs them (other reports are unchanged).
  const mutated = f.cells.some((c) => c.mutations !== undefined);
  const preempt = f.cells.some((c) => c.preempt !== 'full');
  const memory = f.cells.some((c) => c.memory !== 'sc');
  L.push(
    `| # | arch | options | scheme |${preempt ? ' preempt |' : ''}${memory ? ' memory |' : ''} CPUs | workload | strategy |${mutated ? ' mutations |' : ''} runs | verdict | ` +
      'violating runs | hazard runs | use sites (runs) | errors | PCT miss bound d1 / d2 / d3 |',
  );
  L.push(`|---|---|---|---|${preempt ? '---|' : ''}${memory ? '---|' : ''}---|---|---|${mutated ? '---|' : ''}---|---|---|---|---|---|---|`);
  for (const c of f.cells) {
    const errs =
      [
        c.pluginErrors ? `plugin ${c.pluginErrors}` : '',
        c.deadlocks ? `deadlock ${c.deadlocks}` : '',
        c.crashes ? `crash ${c.crashes}` : '',
        c.modelErrors ? `model ${c.modelErrors}` : '',
        c.budgetExceeded ? `budget ${c.budgetExceeded}` : '',
      ]
        .filter(Boolean)
        .join(', ') || '–';
    const b = c.pctMissBound;
    const bound = b === null ? '–' : `${exp(b.d1)} / ${exp(b.d2)} / ${exp(b.d3)}`;
    const opts = Object.keys(c.options).length > 0 ? `\`${JSON.stringify(c.options)}\`` : '–';
    const muts = mutated ? ` ${c.mutations !== undefined ? c.mutations.map((m) => `\`${m}\``).join(' + ') : 'none'} |` : '';
    const sites =
      Object.entries(c.useSites)
        .map(([k, v]) => `\`${k}\`: ${v}`)
        .join(', ') || '–';
    L.push(
      `| ${c.index} | ${c.arch} | ${opts} | ${schemeText(c)} |${preempt ? ` ${c.preempt} |` : ''}${memory ? ` ${c.memory} |` : ''} ${c.cpus} | ${workloadName(c.workload)} | ${strategyToString(c.strategy)} |${muts} ` +
        `${c.runs} | **${c.verdict}** | ${countsText(c.violations)} | ${countsText(c.hazards)} | ${sites} | ${errs} | ${bound} |`,
    );
  }
  L.push('', '## Costs', '');
  L.push(
    'Per context switch: `mm_count` atomics, their cross-CPU line transfers, `smp_mb`, IPIs sent. Per mm exit: IPIs, shoot-lazies IPIs, hypercalls, TLB flushes. Pinned: lazily pinned mm·steps per step.',
    '',
  );
  L.push(
    '| # | arch | scheme | CPUs | strategy | atomics/cs | xfers/cs | smp_mb/cs | IPIs/cs | IPIs/exit | shootdown/exit | hypercalls/exit | flushes/exit | pinned/step |',
  );
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const c of f.cells) {
    const k = c.costs;
    L.push(
      `| ${c.index} | ${c.arch} | ${schemeText(c)} | ${c.cpus} | ${strategyToString(c.strategy)} | ${fmt(k.perContextSwitch.mmCountAtomics)} | ${fmt(k.perContextSwitch.mmCountLineTransfers)} | ${fmt(k.perContextSwitch.smpMb)} | ${fmt(k.perContextSwitch.ipis)} | ${fmt(k.perMmExit.ipis, 2)} | ${fmt(k.perMmExit.shootdownIpis, 2)} | ${fmt(k.perMmExit.hypercalls, 2)} | ${fmt(k.perMmExit.tlbFlushes, 2)} | ${fmt(k.pinnedMmStepsPerStep)} |`,
    );
  }
  renderCostVsCpus(f, L);
  renderIbpb(f, L);
  renderPct(f, L);
  renderCoverage(f, L);
  renderExhaustive(f, L);
  const failures = f.cells.flatMap((c) => c.firstFailures.map((x) => ({ c, x })));
  const errors = f.cells.flatMap((c) => c.errors.map((e) => ({ c, e })));
  if (failures.length > 0 || errors.length > 0) {
    L.push('', '## First failures', '');
    if (failures.some(({ x }) => x.bugDepth !== null && x.bugDepth !== undefined)) {
      L.push(
        "Bug depth (PCT's d = preemptions + 1) is an upper bound: the fewest preemptions the search found in a reproducing schedule, or the smallest PCT depth that reproduced the shrunk workload.",
        '',
      );
    }
    L.push('Hazard and use-site artifacts stop right after the step where the finding first fires (their `target`); `lazytlb replay` stops there too.', '');
    for (const { c, x } of failures) {
      L.push(
        `- cell ${c.index} **${failureLabel(x.class, x.key)}** run ${x.runIndex} (seed \`${x.seed}\`, ${x.steps} steps${shrunkText(x)}): ${x.message} — [\`${x.artifact}\`](${x.artifact})`,
      );
    }
    for (const { c, e } of errors) L.push(`- cell ${c.index} **${e.kind}** run ${e.runIndex} (seed \`${e.seed}\`): ${e.message}`);
  }
  L.push('', `_${f.timing.startedAt}, ${(f.timing.elapsedMs / 1000).toFixed(1)} s on ${f.timing.threads} threads._`, '');
  return L.join('\n');
}
