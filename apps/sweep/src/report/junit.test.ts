import { describe, expect, it } from 'vitest';
import { buildResults, type CellResult, type ResultsFile, runSweep } from '@lazytlb/explore';
import { createRegistry } from '../plugins/bundled.js';
import { smallCells } from '../test-support/engine.js';
import { cellCaseName, junitXml, xmlEscape } from './junit.js';

const registry = await createRegistry();
const file: ResultsFile = buildResults(await runSweep({ registry, cells: smallCells(), matrixSeed: 'junit', runs: 60, threads: 1 }));

/**
 * A small well-formedness check (no XML parser among the dependencies): tags balance, attribute
 * values are quoted, and text holds no raw `<` and no `&` that does not start one of the five escapes.
 */
function wellFormed(xml: string): { elements: { name: string; attrs: Record<string, string>; text: string }[] } {
  const body = xml.replace(/^<\?xml [^?]*\?>\n/, '');
  const stack: { name: string; attrs: Record<string, string>; start: number }[] = [];
  const elements: { name: string; attrs: Record<string, string>; text: string }[] = [];
  const tag = /<(\/?)([A-Za-z][\w-]*)((?:\s+[\w-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(body); m !== null; m = tag.exec(body)) {
    const text = body.slice(last, m.index);
    if (/[<>]/.test(text) || /&(?!(amp|lt|gt|quot|apos);)/.test(text)) throw new Error(`bad text: ${JSON.stringify(text)}`);
    last = tag.lastIndex;
    const [, close, name, attrText, selfClose] = m as unknown as [string, string, string, string, string];
    const attrs: Record<string, string> = {};
    for (const a of attrText.matchAll(/([\w-]+)="([^"]*)"/g)) {
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(a[2]!)) throw new Error(`bad attribute: ${a[0]}`);
      attrs[a[1]!] = a[2]!;
    }
    if (close === '/') {
      const open = stack.pop();
      if (open?.name !== name) throw new Error(`</${name}> closes <${open?.name}>`);
      elements.push({ name, attrs: open.attrs, text: body.slice(open.start, m.index) });
    } else if (selfClose === '/') elements.push({ name, attrs, text: '' });
    else stack.push({ name, attrs, start: tag.lastIndex });
  }
  if (stack.length > 0 || body.slice(last).trim() !== '') throw new Error('unclosed elements or trailing text');
  return { elements };
}

const xmlUnescape = (s: string): string =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

describe('--junit: one test case per cell', () => {
  it('a testsuite per arch, a testcase per cell; violations are failures with the replay command; totals add up', () => {
    const xml = junitXml(file, { failOn: 'violations', outDir: 'out' });
    const { elements } = wellFormed(xml);
    const cases = elements.filter((e) => e.name === 'testcase');
    expect(cases).toHaveLength(file.cells.length);
    expect(elements.filter((e) => e.name === 'testsuite').map((e) => e.attrs.name)).toEqual(['lazytlb reference']);
    for (const c of file.cells) {
      const tc = cases.find((e) => xmlUnescape(e.attrs.name!) === cellCaseName(c))!;
      expect(tc.attrs.classname).toBe('lazytlb.reference');
      if (c.verdict === 'violates') {
        const f = c.firstFailures.find((x) => x.class === 'violation' || x.class === 'use-site')!;
        expect(tc.text).toContain('<failure type="violation"');
        // the replay command of every first violation, in the message or the body
        expect(xmlUnescape(tc.text)).toContain(`lazytlb replay out/${f.artifact}`);
        expect(xmlUnescape(tc.text)).toContain(f.seed);
      } else expect(tc.text).not.toContain('<failure');
    }
    const violating = file.cells.filter((c) => c.verdict === 'violates').length;
    expect(violating).toBeGreaterThan(0);
    const root = elements.find((e) => e.name === 'testsuites')!;
    expect(root.attrs).toMatchObject({ tests: String(file.cells.length), failures: String(violating), errors: '0', skipped: '0' });
    // deterministic: no wall-clock time in it
    expect(junitXml(file, { failOn: 'violations', outDir: 'out' })).toBe(xml);
    expect(xml).not.toMatch(/time=/);
  });

  it('--fail-on never still reports violations as failures (the exit code is what changes)', () => {
    const xml = junitXml(file, { failOn: 'never', outDir: 'out' });
    expect(xml.match(/<failure type="violation"/g)?.length).toBe(file.cells.filter((c) => c.verdict === 'violates').length);
  });

  it('hazards: failures under --fail-on hazards, passes (named in system-out) otherwise', () => {
    const base = file.cells.find((c) => c.verdict === 'violates')!;
    const hazard: CellResult = {
      ...base,
      verdict: 'hazard',
      violations: {},
      hazards: { I3: 4 },
      useSites: {},
      firstFailures: [{ ...base.firstFailures[0]!, class: 'hazard', key: 'I3', artifact: 'failures/0-hazard-I3.json', shrunk: null }],
    };
    const f2 = { ...file, cells: [hazard] };
    const asFailure = wellFormed(junitXml(f2, { failOn: 'hazards', outDir: 'o' })).elements;
    const failure = asFailure.find((e) => e.name === 'failure')!;
    expect(failure.attrs.type).toBe('hazard');
    expect(xmlUnescape(failure.attrs.message!)).toContain('lazytlb replay o/failures/0-hazard-I3.json');
    const asPass = wellFormed(junitXml(f2, { failOn: 'violations', outDir: 'o' })).elements;
    expect(asPass.some((e) => e.name === 'failure')).toBe(false);
    expect(xmlUnescape(asPass.find((e) => e.name === 'system-out')!.text)).toContain('hazards: I3 in 4 run(s)');
  });

  it('errors are <error>, cells with no runs done are <skipped>', () => {
    const base = file.cells[0]!;
    const error: CellResult = {
      ...base,
      index: 0,
      verdict: 'error',
      errors: [{ kind: 'plugin-setup', runIndex: 3, seed: '0'.repeat(32), message: 'boom <x> & "y"' }],
    };
    const none: CellResult = { ...base, index: 1, runs: 0, steps: 0, verdict: 'safe', firstFailures: [] };
    const { elements } = wellFormed(junitXml({ ...file, cells: [error, none] }, { failOn: 'violations', outDir: 'o' }));
    expect(elements.find((e) => e.name === 'error')!.text).toContain('boom &lt;x&gt; &amp; \\&quot;y\\&quot;');
    expect(elements.find((e) => e.name === 'skipped')!.attrs.message).toContain('no runs done');
    expect(elements.find((e) => e.name === 'testsuites')!.attrs).toMatchObject({ tests: '2', errors: '1', skipped: '1', failures: '0' });
  });

  it('exhaustive cells: proved passes (a hazard failure under --fail-on hazards when it recorded hazards); incomplete is skipped, a failure under incomplete or hazards', () => {
    const base = file.cells[0]!;
    const proved: CellResult = { ...base, index: 0, verdict: 'proved', strategy: { kind: 'exhaustive', preemptions: 2 }, hazards: {}, useSites: {} };
    const provedHz: CellResult = { ...proved, index: 1, hazards: { I3: 5 }, firstFailures: [] };
    const incomplete: CellResult = { ...proved, index: 2, verdict: 'incomplete', strategy: { kind: 'exhaustive' } };
    const f = { ...file, cells: [proved, provedHz, incomplete] };
    const outcome = (failOn: 'violations' | 'incomplete' | 'hazards') =>
      wellFormed(junitXml(f, { failOn, outDir: 'o' }))
        .elements.filter((e) => e.name === 'testcase')
        .map((tc) => {
          const inner = wellFormed(`<x>${tc.text}</x>`).elements.find((e) => e.name === 'failure' || e.name === 'skipped');
          return inner === undefined ? 'pass' : `${inner.name}${inner.attrs.type !== undefined ? `:${inner.attrs.type}` : ''}`;
        });
    expect(outcome('violations')).toEqual(['pass', 'pass', 'skipped']);
    expect(outcome('incomplete')).toEqual(['pass', 'pass', 'failure:incomplete']);
    expect(outcome('hazards')).toEqual(['pass', 'failure:hazard', 'failure:incomplete']);
    expect(cellCaseName(incomplete)).toContain('exhaustive');
    expect(cellCaseName(proved)).toContain('exhaustive:2');
  });

  it('escapes the five XML characters and replaces characters XML 1.0 forbids', () => {
    expect(xmlEscape(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
    expect(xmlEscape('x\u0000y\u001bz\tok\n')).toBe('x\uFFFDy\uFFFDz\tok\n');
  });
});
