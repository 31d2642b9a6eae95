import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    // Soak tests (minutes of fault, e.g. a broker down for 200 s) run on demand: `npm run test:soak`.
    exclude: ['node_modules/**', 'lake/data/**', '.marketlake/**', ...(process.env.MARKETLAKE_SOAK ? [] : ['**/*.soak.test.ts'])],
    // One real Kafka broker and one Temporal dev server for the whole run (test/global-setup.ts).
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // The JSON report lets .ci/run print one plain 'N passed, N failed' line at the end.
    reporters: ['default', 'json'],
    outputFile: { json: '.marketlake/test-results.json' },
  },
});
