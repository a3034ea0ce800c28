import { defineConfig } from 'vitest/config';

// Three projects so `npm test` shows unit, integration and e2e counts separately and
// each can be run alone (`npm run test:unit` …). The machine has two cores: integration
// and e2e files run one at a time so timings and child processes don't fight.
export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          globalSetup: ['test/helpers/build-once.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          globalSetup: ['test/helpers/build-once.ts'],
        },
      },
    ],
  },
});
