import { describe, expect, it } from 'vitest';
import type { ReportData } from './data.js';
import { constants } from '@lazytlb/core';
import { ACTOR_COLORS, ACTOR_PREFIXES, escapeHtml, inlineScript, renderReportHtml, scriptJson } from './html.js';

const data: ReportData = {
  title: 'lazytlb sweep',
  summary: 'a <summary> & more',
  heatmap: { rows: ['x86-native'], columns: ['none × 2 CPUs'], points: [{ x: 0, y: 0, verdict: 'violates', cells: [0], invariants: ['I1', 'I3 hazard'], sites: ['__mmdrop'], tooltip: '</script><b>' }] },
  costs: [{ title: 'x86-native', metrics: ['m'], series: [{ name: 'none × 2 CPUs', values: [1] }] }],
  swimlanes: [{
    id: 'swimlane-0-I3', title: 'cell 0 I3', cell: 0, class: 'violation', key: 'I3', artifact: 'failures/0-I3.shrunk.json', cpus: 2, steps: 3, reproduced: true, truncated: false,
    events: [{ step: 0, cpu: 0, actor: 'task', fn: 'context_switch', text: 't', slot: 0, slots: 1 }],
    finding: {
      class: 'violation', key: 'I3', step: 2, cpu: 1, name: 'lazy-pointer-live', message: 'free_mm(M1@1) while <CPU0>',
      label: 'I3 lazy-pointer-live violated (step 2, CPU1)', caption: 'I3 lazy-pointer-live violated at step 2 on CPU1: free_mm(M1@1) while <CPU0>',
    },
  }],
  notes: ['cell 1 I1: no swimlane'],
};

describe('report.html template', () => {
  it('has the stable ids and classes, the data as JSON and the library inlined', () => {
    const html = renderReportHtml(data, 'window.echarts = {};');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<div id="heatmap" class="chart"></div>');
    expect(html).toContain('<div class="cost-chart" id="cost-0" data-title="x86-native"></div>');
    expect(html).toContain('<div class="swimlane" id="swimlane-0-I3"></div>');
    expect(html).toContain('I3 lazy-pointer-live violated at step 2 on CPU1: free_mm(M1@1) while &lt;CPU0&gt;');
    expect(html).toContain('<li class="note">cell 1 I1: no swimlane</li>');
    expect(html).toContain('a &lt;summary&gt; &amp; more');
    expect(html).toContain('<script>window.echarts = {};</script>');
    const json = /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]!;
    expect(JSON.parse(json)).toEqual(data);
    // no network: nothing is loaded from elsewhere
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('escapes what would end a script element or inject markup', () => {
    expect(scriptJson({ a: '</script><!--\u2028' })).toBe('{"a":"\\u003c/script\\u003e\\u003c!--\\u2028"}');
    expect(JSON.parse(scriptJson({ a: '</script>' }))).toEqual({ a: '</script>' });
    expect(inlineScript('a("</script>"); b("<!--")')).toBe('a("<\\/script>"); b("<\\!--")');
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('swimlanes: every actor kind has a colour, a prefix and a legend entry, the store-buffer drain (tso) as <sb>', () => {
    expect(Object.keys(ACTOR_PREFIXES)).toEqual([...constants.ACTOR_KIND_NAMES]);
    for (const k of constants.ACTOR_KIND_NAMES) expect(ACTOR_COLORS[k]).toMatch(/^#[0-9a-f]{6}$/);
    expect(ACTOR_PREFIXES.drain).toBe('<sb> ');
    const html = renderReportHtml(data, '');
    expect(html).toContain(`<i style="background:${ACTOR_COLORS.drain}"></i>&lt;sb&gt; store buffer drain`);
    expect(html).toContain('&lt;hyp&gt; hypervisor (vCPU preempt / resume)');
    expect(html).toContain('var ACTOR_PREFIXES = {"task":"","irq":"<irq> ","hyp":"<hyp> ","drain":"<sb> "};');
  });

  it('says so when there are no shrunk failures', () => {
    const html = renderReportHtml({ ...data, swimlanes: [], notes: [] }, '');
    expect(html).toContain('No shrunk first failures.');
    expect(html).not.toContain('class="swimlane"');
  });
});
