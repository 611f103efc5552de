import { defineConfig } from 'vitest/config';

/**
 * The end-to-end tests (`test:e2e`): *.e2e.test.ts, the tests that leave the sandbox of the
 * hermetic ones: src/publish/pack-install.e2e.test.ts (pnpm pack, then npm install from the
 * registry into an empty project) and src/report/report-browser.e2e.test.ts (report.html in
 * Debian's Chromium, installed with apt-get when missing). Both need the packages built.
 */
export default defineConfig({
  test: {
    include: ['src/**/*.e2e.test.ts'],
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 900_000,
  },
});
