/**
 * report.html's template: one self-contained page (no network: the echarts library and the
 * data are inlined) with stable element ids and classes —
 *
 * - `#heatmap`: the verdict heatmap (`#verdicts` section): safe / hazard / violates / error
 *   colours, each cell labelled with its verdict, the invariants it violated or recorded as
 *   hazards and the use sites that fired;
 * - `.cpu-chart` (`#cpus-<g>-<event>`, event switch / exit / mmdrop, `data-event`, `data-cost`
 *   the category drawn): the cost-vs-CPUs line charts (`#cost-vs-cpus`, right after the
 *   heatmap, only when some cells differ only in their CPU count), one per event and group
 *   (`.cpu-group`), x = CPUs, y = the chosen cost per event, one line per scheme label; the
 *   `select.cpu-category` (`#cpus-<g>-<event>-cost`, `data-chart`) above each picks the
 *   category (atomics, line transfers, remote reads, IPIs, barriers);
 * - `.cost-chart` (`#cost-<i>`): one grouped-bar chart of costs per arch row (`#costs`);
 * - `.swimlane` (`#swimlane-<artifact base name>`): the per-CPU timeline of a shrunk first
 *   failure (violation, hazard or use site), inside `.swimlane-section` with its
 *   `.swimlane-caption` (`#failures`);
 *   `.note` items in `#notes` say which failures have no swimlane and why;
 * - `#report-data`: the ReportData JSON; `body[data-rendered]` is set to the number of charts
 *   once the inline script has drawn them all.
 *
 * Pure: the same data and library source give the same text.
 */
import { COST_EVENTS, CPU_CEILING, EVENT_COSTS, EVENT_LABELS, EXTRAPOLATE_TO, FIT_MIN_R2, FIT_MIN_SLOPE, MAIN_EVENT_COSTS } from './cost-vs-cpus.js';
import type { ReportData } from './data.js';
import { LEGEND_VERDICTS, VERDICTS } from './data.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON safe inside a <script> element (no "</script", "<!--", or line separators that end it). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A script's source made safe to inline (it must not close its <script> element). */
export function inlineScript(source: string): string {
  return source.replace(/<\/script/gi, '<\\/script').replace(/<!--/g, '<\\!--');
}

export const VERDICT_COLORS: Record<(typeof VERDICTS)[number], string> = {
  safe: '#43a047',
  hazard: '#fdd835',
  violates: '#e53935',
  error: '#6d4c41',
  proved: '#1b5e20',
  incomplete: '#90a4ae',
};
/** Label colour on each verdict's background (dark on the light ones). */
export const VERDICT_TEXT: Record<(typeof VERDICTS)[number], string> = {
  safe: '#fff',
  hazard: '#222',
  violates: '#fff',
  error: '#fff',
  proved: '#fff',
  incomplete: '#222',
};
export const ACTOR_COLORS = { task: '#5470c6', irq: '#ee9b2a', hyp: '#9a60b4', drain: '#26a69a', violation: '#b71c1c', hazard: '#f9a825' } as const;
/** How a block of a non-task actor is prefixed (as `lazytlb replay` prints it): <irq>, <hyp>, <sb> (the store-buffer drain under tso). */
export const ACTOR_PREFIXES = { task: '', irq: '<irq> ', hyp: '<hyp> ', drain: '<sb> ' } as const;
/** The swimlane legend's text per colour (HTML). */
export const ACTOR_LEGEND: Readonly<Record<keyof typeof ACTOR_COLORS, string>> = {
  task: 'task',
  irq: '&lt;irq&gt; interrupt (IPI handler, wake-up, tick)',
  hyp: '&lt;hyp&gt; hypervisor (vCPU preempt / resume)',
  drain: '&lt;sb&gt; store buffer drain (tso: a buffered store reaches memory)',
  hazard: 'hazard / kernel WARN (the run goes on)',
  violation: 'violation',
};

const CSS = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 16px; color: #222; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 24px 0 8px; } h3 { font-size: 14px; margin: 16px 0 4px; }
.chart, .cost-chart, .swimlane { width: 100%; border: 1px solid #ddd; border-radius: 4px; }
#heatmap { min-height: 200px; }
.cost-chart { height: 320px; margin-bottom: 12px; }
.cpu-charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 12px; }
.cpu-chart-box { margin: 0; }
.cpu-chart-box label { display: block; font-size: 12px; margin-bottom: 4px; }
.cpu-chart { min-height: 352px; border: 1px solid #ddd; border-radius: 4px; }
.swimlane { min-height: 150px; }
.swimlane-caption { margin: 4px 0 0; font-family: ui-monospace, monospace; font-size: 12px; white-space: pre-wrap; }
.legend span { display: inline-block; margin-right: 14px; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: middle; border-radius: 2px; }
.note { color: #8d6e00; }
.muted { color: #666; }
`;

/** Draws the charts from #report-data with the global `echarts`. */
export const RENDER_SCRIPT = `(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var VERDICTS = ${JSON.stringify(VERDICTS)};
  var LEGEND_VERDICTS = ${JSON.stringify(LEGEND_VERDICTS)};
  var VERDICT_COLORS = ${JSON.stringify(VERDICT_COLORS)};
  var VERDICT_TEXT = ${JSON.stringify(VERDICT_TEXT)};
  var ACTOR_COLORS = ${JSON.stringify(ACTOR_COLORS)};
  var ACTOR_PREFIXES = ${JSON.stringify(ACTOR_PREFIXES)};
  var CPU_EVENTS = ${JSON.stringify(COST_EVENTS)};
  var CPU_EVENT_LABELS = ${JSON.stringify(EVENT_LABELS)};
  var CPU_COSTS = ${JSON.stringify(EVENT_COSTS)};
  var charts = [];
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; });
  }
  function init(el) {
    var c = echarts.init(el, null, { renderer: 'canvas' });
    charts.push(c);
    return c;
  }

  var hm = data.heatmap;
  var hmEl = document.getElementById('heatmap');
  hmEl.style.height = Math.max(220, 120 + 56 * hm.rows.length) + 'px';
  var present = hm.points.map(function (p) { return p.verdict; });
  var legend = VERDICTS.filter(function (v) { return LEGEND_VERDICTS.indexOf(v) >= 0 || present.indexOf(v) >= 0; });
  function cellLabel(p) {
    var lines = [p.verdict];
    if (p.invariants.length > 0) lines.push(p.invariants.join(' '));
    if (p.sites.length > 0) lines.push(p.sites.join(', '));
    return lines.join('\\n');
  }
  init(hmEl).setOption({
    animation: false,
    tooltip: { formatter: function (p) { return esc(p.data.tooltip).replace(/\\n/g, '<br>'); } },
    grid: { left: 10, right: 20, top: 20, bottom: 50, containLabel: true },
    xAxis: { type: 'category', data: hm.columns, splitArea: { show: true }, axisLabel: { interval: 0, rotate: hm.columns.length > 6 ? 30 : 0 } },
    yAxis: { type: 'category', data: hm.rows, inverse: true, splitArea: { show: true } },
    visualMap: {
      type: 'piecewise', dimension: 2, orient: 'horizontal', left: 'center', bottom: 0,
      pieces: legend.map(function (v) { return { value: VERDICTS.indexOf(v), label: v, color: VERDICT_COLORS[v] }; })
    },
    series: [{
      type: 'heatmap',
      data: hm.points.map(function (p) {
        return {
          value: [p.x, p.y, VERDICTS.indexOf(p.verdict)], verdict: p.verdict, invariants: p.invariants, sites: p.sites, tooltip: p.tooltip,
          label: { color: VERDICT_TEXT[p.verdict] }
        };
      }),
      label: {
        show: true, fontSize: 10, lineHeight: 12, overflow: 'truncate', width: Math.max(80, (hmEl.clientWidth - 220) / Math.max(1, hm.columns.length) - 12),
        formatter: function (p) { return cellLabel(p.data); }
      },
      itemStyle: { borderColor: '#fff', borderWidth: 2 }
    }]
  });

  function costLabel(key) {
    for (var i = 0; i < CPU_COSTS.length; i++) if (CPU_COSTS[i].key === key) return CPU_COSTS[i].label;
    return key;
  }
  /** Rows of a wrapped legend of these names in a chart this wide (about 7 px a character, 12 px font). */
  function legendRows(names, width) {
    var rows = 1, x = 0;
    names.forEach(function (n) {
      var w = 40 + 7 * n.length;
      if (x > 0 && x + w > width) { rows++; x = 0; }
      x += w;
    });
    return rows;
  }
  function cpuOption(g, ev, key, legendHeight) {
    var label = costLabel(key);
    return {
      animation: false,
      title: { text: CPU_EVENT_LABELS[ev], subtext: label + ' per event (counts)', textStyle: { fontSize: 13 } },
      tooltip: {
        trigger: 'axis',
        formatter: function (ps) {
          if (!ps || ps.length === 0) return '';
          return 'N = ' + ps[0].value[0] + ' CPUs, ' + esc(label) + ' per event<br>' + ps.map(function (p) {
            var s = g.series[p.seriesIndex];
            return p.marker + esc(s.name) + ': <b>' + p.value[1] + '</b> <span style="color:#666">(' + esc(s.fits[ev][key]) + ')</span>';
          }).join('<br>');
        }
      },
      legend: { type: 'plain', top: 48, left: 10, right: 10, itemGap: 8 },
      grid: { left: 10, right: 24, top: 62 + legendHeight, bottom: 36, containLabel: true },
      xAxis: { type: 'value', name: 'CPUs', nameLocation: 'middle', nameGap: 24, min: 0, minInterval: 1 },
      yAxis: { type: 'value', min: 0 },
      series: g.series.map(function (s) {
        return {
          name: s.name, type: 'line', symbolSize: 6,
          data: s.cpus.map(function (n, i) { return [n, Number(s.values[ev][key][i].toFixed(4))]; })
        };
      })
    };
  }
  data.costVsCpus.forEach(function (g, gi) {
    CPU_EVENTS.forEach(function (ev) {
      var id = 'cpus-' + gi + '-' + ev;
      var el = document.getElementById(id);
      var select = document.getElementById(id + '-cost');
      var legendHeight = 22 * legendRows(g.series.map(function (s) { return s.name; }), Math.max(200, el.clientWidth - 20));
      el.style.height = (330 + legendHeight) + 'px';
      var chart = init(el);
      function draw() {
        el.setAttribute('data-cost', select.value);
        chart.setOption(cpuOption(g, ev, select.value, legendHeight), true);
      }
      select.addEventListener('change', draw);
      draw();
    });
  });

  data.costs.forEach(function (c, i) {
    init(document.getElementById('cost-' + i)).setOption({
      animation: false,
      title: { text: c.title, textStyle: { fontSize: 13 } },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { top: 22, type: 'scroll' },
      grid: { left: 10, right: 10, top: 60, bottom: 10, containLabel: true },
      xAxis: { type: 'category', data: c.metrics, axisLabel: { interval: 0, width: 150, overflow: 'break' } },
      yAxis: { type: 'value' },
      series: c.series.map(function (s) {
        return { name: s.name, type: 'bar', data: s.values.map(function (v) { return v === null ? '-' : Number(v.toFixed(4)); }) };
      })
    });
  });

  data.swimlanes.forEach(function (s) {
    var el = document.getElementById(s.id);
    el.style.height = (110 + 54 * s.cpus) + 'px';
    var lanes = [];
    for (var i = 0; i < s.cpus; i++) lanes.push('CPU' + i);
    var last = 0;
    var items = s.events.map(function (e) {
      last = Math.max(last, e.step + 1);
      return { value: [e.step + e.slot / e.slots, e.cpu, e.step + (e.slot + 1) / e.slots, e.step], ev: e };
    });
    function block(params, api) {
      var e = items[params.dataIndex].ev;
      var a = api.coord([api.value(0), api.value(1)]);
      var b = api.coord([api.value(2), api.value(1)]);
      var h = api.size([0, 1])[1] * 0.72;
      var cs = params.coordSys;
      var shape = echarts.graphic.clipRectByRect(
        { x: a[0], y: a[1] - h / 2, width: Math.max(1, b[0] - a[0] - 1), height: h },
        { x: cs.x, y: cs.y, width: cs.width, height: cs.height }
      );
      if (!shape) return null;
      var fill = e.violation ? ACTOR_COLORS.violation : e.hazard ? ACTOR_COLORS.hazard : ACTOR_COLORS[e.actor];
      return {
        type: 'rect', shape: shape,
        style: { fill: fill, stroke: e.actor === 'task' ? null : '#333', lineWidth: e.actor === 'task' ? 0 : 1, lineDash: e.actor === 'hyp' ? [3, 2] : e.actor === 'drain' ? [1, 2] : null },
        textContent: { style: { text: (ACTOR_PREFIXES[e.actor] || '') + (e.violation ? e.violation : e.hazard ? e.hazard : e.fn), fill: e.hazard && !e.violation ? '#222' : '#fff', fontSize: 10, width: Math.max(0, shape.width - 4), overflow: 'truncate' } },
        textConfig: { position: 'inside' }
      };
    }
    var v = s.finding;
    var violated = v && (v.class === 'violation' || v.name !== '' && v.label.indexOf(' violated ') >= 0);
    var markColor = violated ? ACTOR_COLORS.violation : ACTOR_COLORS.hazard;
    var series = {
      type: 'custom', name: 'events', renderItem: block, encode: { x: [0, 2], y: 1 }, data: items,
      markArea: v ? {
        silent: true,
        itemStyle: { color: violated ? 'rgba(229, 57, 53, 0.14)' : 'rgba(249, 168, 37, 0.22)', borderColor: markColor, borderWidth: 1 },
        label: { position: 'top', align: 'right', color: violated ? markColor : '#8d6e00', fontWeight: 'bold' },
        data: [[{ name: v.label, xAxis: v.step }, { xAxis: v.step + 1 }]]
      } : undefined
    };
    init(el).setOption({
      animation: false,
      tooltip: {
        formatter: function (p) {
          var e = p.data && p.data.ev;
          if (!e) return '';
          return 'step ' + e.step + ', CPU' + e.cpu + ' ' + esc(ACTOR_PREFIXES[e.actor] || '<' + e.actor + '>') + '<br><b>' + esc(e.violation ? e.violation + ' violated' : e.hazard ? e.fn + ' (' + e.hazard + ')' : e.fn) + '</b>: ' + esc(e.text);
        }
      },
      grid: { left: 60, right: 40, top: 40, bottom: 56 },
      dataZoom: [
        { type: 'slider', xAxisIndex: 0, filterMode: 'weakFilter', bottom: 8, height: 18 },
        { type: 'inside', xAxisIndex: 0, filterMode: 'weakFilter' }
      ],
      xAxis: { type: 'value', name: 'step', min: 0, max: Math.max(last, s.steps), minInterval: 1 },
      yAxis: { type: 'category', data: lanes, inverse: true },
      series: [series]
    });
  });

  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
  document.body.setAttribute('data-rendered', String(charts.length));
})();
`;

function swimlaneSections(d: ReportData): string {
  const L: string[] = [];
  for (const s of d.swimlanes) {
    const v = s.finding;
    const caption = v === null ? `no ${s.class === 'violation' ? 'violation' : s.class} in the replayed trace` : v.caption;
    const extra = [
      s.reproduced ? '' : 'the replay did NOT reproduce the recorded outcome',
      s.truncated ? `only the first ${s.events.length} events are drawn` : '',
    ].filter(Boolean);
    L.push(
      `<article class="swimlane-section" data-cell="${s.cell}" data-class="${escapeHtml(s.class)}" data-key="${escapeHtml(s.key)}">`,
      `<h3>${escapeHtml(s.title)} — <code>${escapeHtml(s.artifact)}</code></h3>`,
      `<div class="swimlane" id="${escapeHtml(s.id)}"></div>`,
      `<p class="swimlane-caption">${escapeHtml(caption)}${extra.length > 0 ? `<br><span class="note">${escapeHtml(extra.join('; '))}</span>` : ''}</p>`,
      '</article>',
    );
  }
  return L.join('\n');
}

/** The cost-vs-CPUs section (empty when no cells differ only in their CPU count). */
function costVsCpusSection(d: ReportData): string {
  if (d.costVsCpus.length === 0) return '';
  const L: string[] = [
    '<section id="cost-vs-cpus">',
    '<h2>Cost vs CPUs</h2>',
    '<p class="muted">Cells that differ only in their CPU count N: the lazy-mm costs by event (<code>switch</code>: a context switch; ' +
      '<code>exit</code>: <code>__mmput</code>; <code>mmdrop</code>: the final <code>__mmdrop</code>) against N, one line per scheme; pick the cost ' +
      'above each chart. These are counts per event, not times. ' +
      `Hover a point for the fit: a + b·N extrapolated to N = ${EXTRAPOLATE_TO} only when the line explains the series (R² ≥ ${FIT_MIN_R2}, b ≥ ${FIT_MIN_SLOPE} per CPU), ` +
      `otherwise workload-bound (the largest N's value). ${CPU_CEILING} CPUs is the model's ceiling (cpumasks are ${CPU_CEILING}-bit words). report.md has the numbers.</p>`,
  ];
  d.costVsCpus.forEach((g, gi) => {
    L.push(`<div class="cpu-group" data-title="${escapeHtml(g.title)}">`, `<h3>${escapeHtml(g.title)}</h3>`, '<div class="cpu-charts">');
    for (const e of COST_EVENTS) {
      const id = `cpus-${gi}-${e}`;
      const main = MAIN_EVENT_COSTS[e][0];
      const options = EVENT_COSTS.map((c) => `<option value="${c.key}"${c.key === main ? ' selected' : ''}>${escapeHtml(c.label)}</option>`).join('');
      L.push(
        '<figure class="cpu-chart-box">',
        `<label>${escapeHtml(EVENT_LABELS[e])}: <select class="cpu-category" id="${id}-cost" data-chart="${id}">${options}</select></label>`,
        `<div class="cpu-chart" id="${id}" data-event="${e}"></div>`,
        '</figure>',
      );
    }
    L.push('</div>', '</div>');
  });
  L.push('</section>');
  return L.join('\n');
}

/** The whole page. `echartsSource`: the echarts library to inline (write.ts: the package's build of the parts the report uses, echarts-bundle.ts). */
export function renderReportHtml(d: ReportData, echartsSource: string): string {
  const costs = d.costs.map((c, i) => `<div class="cost-chart" id="cost-${i}" data-title="${escapeHtml(c.title)}"></div>`).join('\n');
  const legend = (Object.entries(ACTOR_COLORS) as [string, string][])
    .map(([k, col]) => `<span><i style="background:${col}"></i>${ACTOR_LEGEND[k as keyof typeof ACTOR_COLORS]}</span>`)
    .join('');
  const notes = d.notes.map((n) => `<li class="note">${escapeHtml(n)}</li>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(d.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1 id="title">${escapeHtml(d.title)}</h1>
<p id="summary">${escapeHtml(d.summary)}</p>
</header>
<section id="verdicts">
<h2>Verdicts</h2>
<p class="muted">Rows: arch and options (and mutations); columns: scheme (options, preemption model, memory model) × CPUs. Colours: safe, hazard (a hazard or a hazard-class use site was recorded and the runs went on; no violation), violates, error. Each cell names the invariants it violated or recorded as hazards and the use sites that fired; hover it for the runs of each.</p>
<div id="heatmap" class="chart"></div>
</section>
${costVsCpusSection(d)}
<section id="costs">
<h2>Costs</h2>
<p class="muted">Per arch, each scheme × CPUs: <code>mm_count</code> atomics and their cross-CPU cache-line transfers per context switch, IPIs per mm exit, lazily pinned mm·steps per step (pinned memory). A missing bar: nothing to normalise by.</p>
${costs}
</section>
<section id="failures">
<h2>Shrunk first failures</h2>
${d.swimlanes.length > 0 ? `<p class="legend">One lane per CPU, one block per trace event in its step (kernel function names; the events of one step split it in order): ${legend}. The red band marks a violation's step, labelled with the invariant; the amber band a hazard's or a kernel WARN's (those runs are recorded up to that step).</p>` : '<p class="muted">No shrunk first failures.</p>'}
${swimlaneSections(d)}
<ul id="notes">${notes}</ul>
</section>
<script type="application/json" id="report-data">${scriptJson(d)}</script>
<script>${inlineScript(echartsSource)}</script>
<script>${inlineScript(RENDER_SCRIPT)}</script>
</body>
</html>
`;
}
