import { describe, expect, it } from 'vitest';
import type { EventCostKey } from '@lazytlb/explore';
import type { CpuCostGroup, ReportData } from './data.js';
import { constants } from '@lazytlb/core';
import { ACTOR_COLORS, ACTOR_PREFIXES, escapeHtml, inlineScript, renderReportHtml, scriptJson } from './html.js';

const data: ReportData = {
  title: 'lazytlb sweep',
  summary: 'a <summary> & more',
  heatmap: {
    rows: ['x86-native'],
    columns: ['none × 2 CPUs'],
    points: [{ x: 0, y: 0, verdict: 'violates', cells: [0], invariants: ['I1', 'I3 hazard'], sites: ['__mmdrop'], tooltip: '</script><b>' }],
  },
  costVsCpus: [],
  costs: [{ title: 'x86-native', metrics: ['m'], series: [{ name: 'none × 2 CPUs', values: [1] }] }],
  swimlanes: [
    {
      id: 'swimlane-0-I3',
      title: 'cell 0 I3',
      cell: 0,
      class: 'violation',
      key: 'I3',
      artifact: 'failures/0-I3.shrunk.json',
      cpus: 2,
      steps: 3,
      reproduced: true,
      truncated: false,
      events: [{ step: 0, cpu: 0, actor: 'task', fn: 'context_switch', text: 't', slot: 0, slots: 1 }],
      finding: {
        class: 'violation',
        key: 'I3',
        step: 2,
        cpu: 1,
        name: 'lazy-pointer-live',
        message: 'free_mm(M1@1) while <CPU0>',
        label: 'I3 lazy-pointer-live violated (step 2, CPU1)',
        caption: 'I3 lazy-pointer-live violated at step 2 on CPU1: free_mm(M1@1) while <CPU0>',
      },
    },
  ],
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

  it('cost vs CPUs: a section right after the heatmap with one chart and one cost selector per event and group, only when there is data', () => {
    const zeros = (): Record<EventCostKey, number[]> => ({ atomics: [0, 0], lineTransfers: [0, 0], remoteReads: [1, 3], ipis: [0, 0], barriers: [0, 0] });
    const fits = (): Record<EventCostKey, string> => ({
      atomics: 'zero',
      lineTransfers: 'zero',
      remoteReads: '-1.00 + 1.00·N (R² 1.000) → 1023.00 at N=1024',
      ipis: 'zero',
      barriers: 'zero',
    });
    const group: CpuCostGroup = {
      title: 'x86-native:release=v6.18 · default · <random>',
      cpus: [2, 4],
      series: [
        {
          name: 'hazptr',
          cells: [0, 1],
          cpus: [2, 4],
          counts: { switch: [10, 20], exit: [3, 4], mmdrop: [3, 4] },
          values: { switch: zeros(), exit: zeros(), mmdrop: zeros() },
          fits: { switch: fits(), exit: fits(), mmdrop: fits() },
        },
      ],
    };
    const html = renderReportHtml({ ...data, costVsCpus: [group, group] }, '');
    const section = /<section id="cost-vs-cpus">.*?<\/section>/s.exec(html)![0];
    expect(html.indexOf('<section id="cost-vs-cpus">')).toBeGreaterThan(html.indexOf('<div id="heatmap"'));
    expect(html.indexOf('<section id="cost-vs-cpus">')).toBeLessThan(html.indexOf('<section id="costs">'));
    expect(section).toContain('<h3>x86-native:release=v6.18 · default · &lt;random&gt;</h3>');
    expect(section).toContain('not times');
    expect(section).toContain("32 CPUs is the model's ceiling");
    for (const g of [0, 1]) {
      for (const e of ['switch', 'exit', 'mmdrop']) {
        expect(section).toContain(`<div class="cpu-chart" id="cpus-${g}-${e}" data-event="${e}"></div>`);
        expect(section).toMatch(new RegExp(`<select class="cpu-category" id="cpus-${g}-${e}-cost" data-chart="cpus-${g}-${e}">`));
      }
    }
    // every category is offered; each event starts on its main cost
    const options = (e: string): string => new RegExp(`<select[^>]+id="cpus-0-${e}-cost"[^>]*>(.*?)</select>`, 's').exec(section)![1]!;
    expect([...options('exit').matchAll(/<option value="(\w+)"/g)].map((m) => m[1])).toEqual(['atomics', 'lineTransfers', 'remoteReads', 'ipis', 'barriers']);
    expect(options('switch')).toContain('<option value="atomics" selected>atomics</option>');
    expect(options('exit')).toContain('<option value="remoteReads" selected>remote reads</option>');
    expect(options('mmdrop')).toContain('<option value="remoteReads" selected>remote reads</option>');
    expect(options('exit')).toContain('<option value="ipis">IPIs</option>');
    // no data: no section
    expect(renderReportHtml(data, '')).not.toContain('cost-vs-cpus');
    expect(renderReportHtml(data, '')).not.toContain('class="cpu-chart"');
  });

  it('says so when there are no shrunk failures', () => {
    const html = renderReportHtml({ ...data, swimlanes: [], notes: [] }, '');
    expect(html).toContain('No shrunk first failures.');
    expect(html).not.toContain('class="swimlane"');
  });
});
