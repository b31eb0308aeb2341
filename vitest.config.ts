// Three test projects: runtime-free code in Node, the Worker and its Durable
// Object inside workerd, and end-to-end runs against a real `wrangler dev`.

import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { TEST_VARS } from './test/helpers/test-vars.ts';

export default defineConfig({
  test: {
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node' },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                ...TEST_VARS,
                MAX_CONNECTIONS_PER_USER: '6',
                RETENTION_MAX_EVENTS: '20',
                INBOX_MAX_ITEMS: '5',
                PUBLISH_RATE_PER_USER: '5',
                PUBLISH_BURST_PER_USER: '40',
                // Unhandled errors only: the tests refuse many requests on purpose.
                LOG_LEVEL: 'error',
              },
              // The Analytics Engine binding README's Observability describes; offline,
              // miniflare accepts and discards its data points.
              analyticsEngineDatasets: { METRICS: { dataset: 'userhub_test' } },
            },
          }),
        ],
        test: { name: 'workers', include: ['test/workers/**/*.test.ts'], testTimeout: 15_000 },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/e2e/hosts.setup.ts'],
          // The protocol-time-scale cases (test/e2e/timescales.test.ts) each wait out a
          // heartbeat or a 30 s long poll; all of them wait at once.
          maxConcurrency: 24,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
