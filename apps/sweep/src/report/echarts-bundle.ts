/**
 * The echarts library report.html inlines: the custom build of echarts-entry.ts that the
 * package build writes (scripts/bundle-echarts.mjs), `dist/report/echarts-report.min.js` —
 * only the chart types, components and renderer the report draws with, not the whole
 * distribution. Resolved from this module, so it is found both from `src/report` (tests) and
 * from `dist/report` (the built and the installed package).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The bundle's path: `<package>/dist/report/echarts-report.min.js`. */
export const ECHARTS_BUNDLE_PATH = fileURLToPath(new URL('../../dist/report/echarts-report.min.js', import.meta.url));

let cache: string | undefined;

/** The text of the echarts bundle (read once per process); throws, saying how to make it, when the package was not built. */
export function echartsBundleSource(): string {
  if (cache !== undefined) return cache;
  try {
    cache = readFileSync(ECHARTS_BUNDLE_PATH, 'utf8');
  } catch (e) {
    throw new Error(
      `report.html needs the echarts bundle ${ECHARTS_BUNDLE_PATH} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): it is written by the package build (pnpm --filter @lazytlb/sweep build)`,
    );
  }
  return cache;
}
