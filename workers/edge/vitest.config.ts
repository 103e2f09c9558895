// The edge's tests run inside workerd (real KV, D1, R2, Durable Objects) through
// @cloudflare/vitest-plugin. Outbound fetches go to the fake runner (Node side).
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { fakeRunner, signingSecret } from './test/fake-runner.ts';

// never fetch Cloudflare's cf.json (this config also loads in the root run's process)
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';

// absolute: the root config runs this project from the repository root
const here = (p: string) => resolve(dirname(fileURLToPath(import.meta.url)), p);

export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: here('wrangler.jsonc') },
      miniflare: {
        bindings: {
          RUNNERS: JSON.stringify([
            { url: 'http://runner-a.test', keyId: 'edge-test' },
            { url: 'http://runner-b.test', keyId: 'edge-test' },
          ]),
          RUNNER_SIGNING_KEYS: JSON.stringify({ 'edge-test': signingSecret }),
          RUNNER_STALL_SECONDS: '1',
          MAX_ATTEMPTS: '3',
          // short, so test/back-pressure.test.ts sees a queue_timeout, yet longer than its burst needs; no other test keeps runners busy
          QUEUE_TIMEOUT_SECONDS: '10',
          // production config: https: webhook targets only; retries 100 ms, 600 ms, 3.6 s … apart
          WEBHOOK_ALLOW_LOCAL_HTTP: 'false',
          WEBHOOK_FIRST_RETRY_MS: '100',
          TEST_MIGRATIONS: await readD1Migrations(here('migrations')),
        },
        outboundService: fakeRunner,
      },
    })),
  ],
  test: {
    name: 'edge',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: ['./test/setup.ts'],
    // one fake runner (its modes, its call counts) serves every file: run files one at a time
    fileParallelism: false,
    testTimeout: 30_000,
  },
});
