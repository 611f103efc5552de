/**
 * `--junit FILE`: the results as JUnit XML, the format CI systems (GitLab, Jenkins, GitHub
 * test-reporter actions) read. One `<testcase>` per cell, one `<testsuite>` per arch (in the
 * order the cells name them), so a CI page lists "x86-native / shootdown, 2 CPUs, pct:3" like a
 * test.
 *
 * What a cell's verdict becomes:
 * - `violates`: `<failure type="violation">`, whatever `--fail-on` says (the XML reports what was
 *   found; `--fail-on` decides the exit code). The message names the first failure and the body
 *   has one line per first failure with its seed and the exact `lazytlb replay ...` command.
 * - `hazard`: a `<failure type="hazard">` under `--fail-on hazards`; otherwise a pass whose
 *   `<system-out>` names the hazards (the run's premise allows them: a dangling `->active_mm`
 *   under the `none` scheme that nothing dereferences).
 * - `error`: `<error>` with the errors (plugin error, crashed worker, nondeterminism): the cell
 *   could not be judged.
 * - no runs done (an interrupted or time-budgeted sweep): `<skipped>`; `incomplete` (an
 *   exhaustive search that did not finish): `<skipped>`, a `<failure type="incomplete">` under
 *   `--fail-on incomplete` or `hazards`.
 * - `safe`, `proved`: a pass; a `proved` cell that recorded hazards is a `<failure type="hazard">`
 *   under `--fail-on hazards`.
 *
 * No wall-clock time: equal sweeps give equal XML (the `time` attributes are optional).
 */
import { strategyToString } from '@lazytlb/core';
import type { CellResult, ResultsFile } from '@lazytlb/explore';
import { replayCommand } from './replay-hint.js';

export interface JunitOptions {
  /** `--fail-on` (cli/fail-on.ts's FailOn; not imported: cli/ imports this folder): hazards are failures under `hazards`, passes otherwise. */
  readonly failOn: 'violations' | 'incomplete' | 'hazards' | 'never';
  /** The results directory the artifacts are in (the replay commands name paths under it). */
  readonly outDir: string;
}

// XML 1.0 allows tab, newline, carriage return and the characters from U+0020 up, minus the
// surrogates and U+FFFE/U+FFFF: a message that carries anything else would make the file unreadable.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text for an attribute value or element content: the five XML escapes, and no character XML 1.0 forbids. */
export function xmlEscape(s: string): string {
  return s.replace(NOT_XML_CHAR, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function optionText(o: Record<string, unknown> | undefined): string {
  return Object.entries(o ?? {})
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(',');
}

/** The test case's name: what distinguishes the cell within its arch. */
export function cellCaseName(c: CellResult): string {
  const strategy = strategyToString(c.strategy);
  const schemeOpts = optionText(c.schemeOptions);
  const parts = [`${c.scheme}${schemeOpts !== '' ? `:${schemeOpts}` : ''}`, `${c.cpus} CPUs`, strategy, `memory ${c.memory}`, `preempt ${c.preempt}`];
  if (c.mutations !== undefined) parts.push(`mutations ${c.mutations.join('+')}`);
  return `cell ${c.index}: ${parts.join(', ')}`;
}

function classNameOf(c: CellResult): string {
  const opts = optionText(c.options);
  return `lazytlb.${c.arch}${opts !== '' ? `[${opts}]` : ''}`;
}

function countsText(what: string, counts: Record<string, number>): string {
  const entries = Object.entries(counts).filter(([, n]) => n > 0);
  return entries.length === 0 ? '' : `${what}: ${entries.map(([k, n]) => `${k} in ${n} run(s)`).join(', ')}`;
}

/** Lines naming each first failure of the given classes, with its seed and replay command. */
function failureLines(c: CellResult, outDir: string, classes: readonly string[]): string[] {
  return c.firstFailures
    .filter((f) => classes.includes(f.class))
    .map((f) => `${f.key} ${f.class} (run ${f.runIndex}, seed ${f.seed}, ${f.steps} steps): ${f.message}\n  ${replayCommand(outDir, f)}`);
}

type Outcome = { kind: 'pass'; out: string } | { kind: 'failure' | 'error' | 'skipped'; type: string; message: string; body: string };

function outcomeOf(c: CellResult, o: JunitOptions): Outcome {
  const runs = `${c.runs} run(s), ${c.steps} steps`;
  if (c.verdict === 'error') {
    const lines = c.errors.map((e) => JSON.stringify(e));
    return { kind: 'error', type: 'error', message: `the cell could not be judged: ${c.errors.length} error(s) in ${runs}`, body: lines.join('\n') };
  }
  if (c.verdict === 'violates') {
    const lines = failureLines(c, o.outDir, ['violation', 'use-site']);
    const first = c.firstFailures.find((f) => f.class === 'violation' || f.class === 'use-site');
    const message = first !== undefined ? `${first.key} ${first.class}: ${first.message} (replay: ${replayCommand(o.outDir, first)})` : 'violation';
    const counts = [countsText('violations', c.violations), countsText('use sites', c.useSites)].filter((s) => s !== '');
    return { kind: 'failure', type: 'violation', message, body: [...counts, `${runs}`, ...lines].join('\n') };
  }
  if (c.runs === 0)
    return { kind: 'skipped', type: 'skipped', message: 'no runs done (the sweep was interrupted or hit its time budget before this cell)', body: '' };
  if (c.verdict === 'incomplete') {
    const message = `the exhaustive search did not finish (${runs}${c.exhaustive !== undefined ? `, ${c.exhaustive.subtreesSearched} of ${c.exhaustive.subtrees} subtrees searched, ${c.exhaustive.stoppedSubtrees} out of budget` : ''})`;
    if (o.failOn === 'incomplete' || o.failOn === 'hazards') return { kind: 'failure', type: 'incomplete', message, body: '' };
    return { kind: 'skipped', type: 'incomplete', message, body: '' };
  }
  if (c.verdict === 'proved' && o.failOn === 'hazards' && (Object.keys(c.hazards).length > 0 || Object.keys(c.useSites).length > 0)) {
    const lines = failureLines(c, o.outDir, ['hazard', 'use-site']);
    const counts = [countsText('hazards', c.hazards), countsText('use sites', c.useSites)].filter((s) => s !== '');
    return {
      kind: 'failure',
      type: 'hazard',
      message: 'proved (no invariant violated), but hazards were recorded',
      body: [...counts, runs, ...lines].join('\n'),
    };
  }
  if (c.verdict === 'hazard') {
    const lines = failureLines(c, o.outDir, ['hazard', 'use-site']);
    const counts = [countsText('hazards', c.hazards), countsText('use sites', c.useSites)].filter((s) => s !== '');
    if (o.failOn === 'hazards') {
      const first = c.firstFailures.find((f) => f.class === 'hazard' || f.class === 'use-site');
      const message = first !== undefined ? `${first.key} hazard: ${first.message} (replay: ${replayCommand(o.outDir, first)})` : 'hazard';
      return { kind: 'failure', type: 'hazard', message, body: [...counts, runs, ...lines].join('\n') };
    }
    return { kind: 'pass', out: [`${runs}; hazards pass under --fail-on ${o.failOn}`, ...counts, ...lines].join('\n') };
  }
  return { kind: 'pass', out: `${c.verdict}: ${runs}` };
}

function testCase(c: CellResult, o: JunitOptions): { xml: string; outcome: Outcome['kind'] } {
  const outcome = outcomeOf(c, o);
  const open = `    <testcase name="${xmlEscape(cellCaseName(c))}" classname="${xmlEscape(classNameOf(c))}" assertions="${c.runs}">`;
  const inner =
    outcome.kind === 'pass'
      ? `      <system-out>${xmlEscape(outcome.out)}</system-out>`
      : outcome.kind === 'skipped'
        ? `      <skipped message="${xmlEscape(outcome.message)}"/>`
        : `      <${outcome.kind} type="${xmlEscape(outcome.type)}" message="${xmlEscape(outcome.message)}">${xmlEscape(outcome.body)}</${outcome.kind}>`;
  return { xml: `${open}\n${inner}\n    </testcase>`, outcome: outcome.kind };
}

interface Tally {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

function tallyAttrs(t: Tally): string {
  return `tests="${t.tests}" failures="${t.failures}" errors="${t.errors}" skipped="${t.skipped}"`;
}

/** The JUnit XML document for a results file. */
export function junitXml(file: ResultsFile, options: JunitOptions): string {
  const byArch = new Map<string, CellResult[]>();
  for (const c of file.cells) {
    const list = byArch.get(c.arch);
    if (list === undefined) byArch.set(c.arch, [c]);
    else list.push(c);
  }
  const total: Tally = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  const suites: string[] = [];
  for (const [arch, cells] of byArch) {
    const t: Tally = { tests: 0, failures: 0, errors: 0, skipped: 0 };
    const cases: string[] = [];
    for (const c of cells) {
      const { xml, outcome } = testCase(c, options);
      cases.push(xml);
      t.tests++;
      if (outcome === 'failure') t.failures++;
      else if (outcome === 'error') t.errors++;
      else if (outcome === 'skipped') t.skipped++;
    }
    total.tests += t.tests;
    total.failures += t.failures;
    total.errors += t.errors;
    total.skipped += t.skipped;
    suites.push(`  <testsuite name="${xmlEscape(`lazytlb ${arch}`)}" ${tallyAttrs(t)}>\n${cases.join('\n')}\n  </testsuite>`);
  }
  const shard = file.shard !== null ? `, shard ${file.shard.index}/${file.shard.count}` : '';
  const name = `lazytlb sweep (matrix ${file.matrix.hash.slice(0, 12)}, seed ${file.matrix.seed}${shard}${file.complete ? '' : ', incomplete'})`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xmlEscape(name)}" ${tallyAttrs(total)}>\n${suites.join('\n')}\n</testsuites>\n`;
}
