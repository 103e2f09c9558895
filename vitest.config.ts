import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['gpu-runner/**/*.test.ts', 'models/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '.local/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
