import { defineConfig } from 'vitest/config';

// Two projects: Node tests beside the source, and the edge worker's tests, which
// run inside workerd through @cloudflare/vitest-plugin (its own config file).
export default defineConfig({
  test: {
    exclude: ['**/node_modules/**', '.local/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['packages/**/*.test.ts', 'gpu-runner/**/*.test.ts', 'models/**/*.test.ts', 'test/**/*.test.ts'],
        },
      },
      'workers/edge/vitest.config.ts',
      'apps/notebook/vitest.config.ts',
    ],
  },
});
