// End-to-end tests of the notebook against the whole system: GPU runner, edge
// and notebook, brought up by scripts/start.sh on 127.0.0.1 (runner 8790, edge
// 8787, notebook 3000). Uses Debian's Chromium; Playwright downloads no browser
// (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 at install).
//   npm run test:e2e
// Screenshots of every step land in test-results/e2e/ (kept as artifacts).
import { resolve } from 'node:path';
import { defineConfig } from '@playwright/test';
import { e2eEnv } from './e2e-env.ts';

const root = resolve(import.meta.dirname, '../..');
const env = e2eEnv();

export default defineConfig({
  testDir: import.meta.dirname,
  testMatch: '*.spec.ts',
  outputDir: resolve(root, 'test-results/e2e'),
  // Generation runs on the real cascade; on a CPU runner a step can take seconds.
  timeout: env.testTimeoutMs,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list'], ['html', { outputFolder: resolve(root, 'playwright-report'), open: 'never' }]],
  use: {
    baseURL: env.baseUrl,
    screenshot: 'on',
    trace: 'retain-on-failure',
    viewport: { width: 1280, height: 900 },
    launchOptions: {
      executablePath: env.chromium,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
  webServer: {
    // Brings up runner, edge and notebook, writes .local/dev-api-key, and stays
    // in the foreground until Playwright stops it.
    command: 'bash scripts/start.sh',
    cwd: root,
    url: `${env.baseUrl}/api/dev-config`,
    // locally, reuse a running `scripts/start.sh`; in CI always start (and stop) our own
    reuseExistingServer: !process.env.CI,
    timeout: env.startTimeoutMs,
    // SIGTERM lets start.sh stop its services' whole process group cleanly
    gracefulShutdown: { signal: 'SIGTERM', timeout: 20_000 },
    stdout: 'pipe',
    stderr: 'pipe',
    env: { NEXT_TELEMETRY_DISABLED: '1' },
  },
});
