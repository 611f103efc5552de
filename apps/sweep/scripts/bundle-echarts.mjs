#!/usr/bin/env node
/**
 * Package build step: bundles src/report/echarts-entry.ts (echarts/core with only the chart
 * types, components and renderer report.html uses) into one minified IIFE that sets the
 * global `echarts`, dist/report/echarts-report.min.js, which report/write.ts inlines into every
 * report.html. The licence notices travel with it: echarts' Apache-2.0 header and NOTICE and
 * zrender's BSD-3-Clause licence as a leading comment, and the bundled modules' own legal
 * comments (tslib's) at the end (esbuild legalComments: 'eof').
 *
 * Usage: node scripts/bundle-echarts.mjs [OUT_FILE]   (prints the file and its size)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const out = process.argv[2] ?? join(root, 'dist', 'report', 'echarts-report.min.js');

const echartsDir = dirname(require.resolve('echarts/package.json'));
// zrender is echarts' dependency (not ours): resolve it from echarts.
const zrenderDir = dirname(createRequire(join(echartsDir, 'package.json')).resolve('zrender/package.json'));
const version = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
const text = (dir, name) => readFileSync(join(dir, name), 'utf8').trim();

// The Apache-2.0 header every echarts file carries (the first comment of its full build).
const apacheHeader = /^\s*\/\*[\s\S]*?\*\//.exec(readFileSync(join(echartsDir, 'dist', 'echarts.min.js'), 'utf8'));
if (apacheHeader === null || !apacheHeader[0].includes('Apache License, Version 2.0'))
  throw new Error('echarts/dist/echarts.min.js does not start with its Apache-2.0 header');
const comment = (s) => s.replace(/\*\//g, '* /');
const banner = [
  '/*!',
  ` * Apache ECharts ${version(echartsDir)}: a custom build for lazytlb's report.html (echarts/core, heatmap, line, bar and`,
  ' * custom series, grid, tooltip, title, legend, visualMap, dataZoom and markArea components, canvas renderer),',
  ` * with zrender ${version(zrenderDir)}.`,
  ' *',
  comment(
    apacheHeader[0]
      .trim()
      .replace(/^\/\*\s*/, '')
      .replace(/\s*\*\/$/, ''),
  )
    .split('\n')
    .map((l) => ` * ${l.replace(/^\s*\*\s?/, '')}`.trimEnd())
    .join('\n'),
  ' *',
  ' * NOTICE (Apache ECharts):',
  comment(text(echartsDir, 'NOTICE'))
    .split('\n')
    .map((l) => ` * ${l}`.trimEnd())
    .join('\n'),
  ' *',
  ' * zrender (https://github.com/ecomfe/zrender), its LICENSE:',
  comment(text(zrenderDir, 'LICENSE'))
    .split('\n')
    .map((l) => ` * ${l}`.trimEnd())
    .join('\n'),
  ' */',
].join('\n');

const r = await build({
  entryPoints: [join(root, 'src', 'report', 'echarts-entry.ts')],
  bundle: true,
  format: 'iife',
  globalName: 'echarts',
  platform: 'browser',
  target: 'es2018',
  minify: true,
  legalComments: 'eof',
  banner: { js: banner },
  define: { __DEV__: 'false', 'process.env.NODE_ENV': '"production"' },
  write: false,
  logLevel: 'warning',
});
const code = r.outputFiles[0].text;
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, code);
console.log(`${relative(process.cwd(), out) || out}: ${code.length} bytes (echarts ${version(echartsDir)}, zrender ${version(zrenderDir)})`);
