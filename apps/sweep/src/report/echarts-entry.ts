/**
 * The echarts build inlined into report.html: `echarts/core` with only the chart types,
 * components and renderer that report.html's charts use (html.ts RENDER_SCRIPT). Bundled at
 * package build time by scripts/bundle-echarts.mjs into one minified IIFE that sets the global
 * `echarts` (dist/report/echarts-report.min.js); write.ts inlines that file.
 *
 * - heatmap (`#heatmap`): HeatmapChart, VisualMapPiecewiseComponent (its legend);
 * - cost-vs-CPUs (`.cpu-chart`): LineChart, TitleComponent, LegendPlainComponent;
 * - costs (`.cost-chart`): BarChart, LegendScrollComponent, the tooltip's shadow axisPointer;
 * - swimlanes (`.swimlane`): CustomChart (renderItem blocks, `graphic.clipRectByRect`),
 *   MarkAreaComponent (the finding's band), DataZoomSliderComponent and DataZoomInsideComponent;
 * - every chart: GridComponent (cartesian axes), TooltipComponent, CanvasRenderer.
 *
 * A chart type or component added to RENDER_SCRIPT must be added here: echarts-bundle.test.ts
 * checks that the bundle registers exactly what the report's options use.
 */
import { BarChart, CustomChart, HeatmapChart, LineChart } from 'echarts/charts';
import {
  DataZoomInsideComponent,
  DataZoomSliderComponent,
  GridComponent,
  LegendPlainComponent,
  LegendScrollComponent,
  MarkAreaComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapPiecewiseComponent,
} from 'echarts/components';
import { ChartView, ComponentModel, ComponentView, getInstanceByDom, graphic as allGraphic, init, SeriesModel, use } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

use([
  HeatmapChart,
  LineChart,
  BarChart,
  CustomChart,
  GridComponent,
  TooltipComponent,
  TitleComponent,
  LegendPlainComponent,
  LegendScrollComponent,
  VisualMapPiecewiseComponent,
  DataZoomSliderComponent,
  DataZoomInsideComponent,
  MarkAreaComponent,
  CanvasRenderer,
]);

/** What report.html's script (and its tests) call: `echarts.init`, `echarts.getInstanceByDom`, `echarts.graphic.clipRectByRect`; the model and view classes let a test ask what is registered. */
export const graphic = { clipRectByRect: allGraphic.clipRectByRect };
export { ChartView, ComponentModel, ComponentView, getInstanceByDom, init, SeriesModel };
