import { defineConfig } from 'vitest/config';

// Pure modules (lib/) run in node; component tests (*.test.tsx) in jsdom.
export default defineConfig({
  test: {
    name: 'notebook',
    root: import.meta.dirname,
    include: ['lib/**/*.test.ts', 'components/**/*.test.tsx', 'hooks/**/*.test.ts?(x)'],
    exclude: ['**/node_modules/**', '.next/**'],
    environment: 'node',
  },
});
