import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The hermetic tests (`test`): no network, no browser, no npm pack. The end-to-end tests
 * (*.e2e.test.ts: the pack-and-install test, which needs the npm registry, and report.html in
 * real Chromium) run apart, in `test:e2e` (vitest.e2e.config.ts).
 */
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    exclude: [...configDefaults.exclude, 'src/**/*.e2e.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
  },
});
