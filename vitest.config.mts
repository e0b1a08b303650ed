import { defineConfig } from 'vitest/config';

// Three layers (see README "Tests"): pure units, integration over real HTTP (client + emulator),
// and end-to-end tests on ONE real Temporal dev server started by the global setup.
export default defineConfig({
  test: {
    // The JSON summary lets CI print one plain "N passed, N failed" line (see .ci/run).
    reporters: ['default', ['json', { outputFile: '.data/vitest-results.json' }]],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          pool: 'threads',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          pool: 'forks',
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          pool: 'forks',
          globalSetup: ['test/support/temporal-global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
