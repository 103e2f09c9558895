// @ts-check
import tseslint from 'typescript-eslint';

const noRunnerInternals = {
  group: ['**/gpu-runner/**', '**/gpu-runner', '@imagen-ts/gpu-runner', '@imagen-ts/gpu-runner/**'],
  message: 'import the wire protocol from @imagen-ts/protocol, not the runner',
};

export default tseslint.config(
  { ignores: ['**/node_modules/**', '.local/**', '**/.next/**', '**/.wrangler/**', '**/dist/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  // The engine and runner internals stay behind the wire: the worker, the apps and the
  // protocol speak to the runner through @imagen-ts/protocol only.
  {
    files: ['workers/**', 'apps/**', 'packages/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noRunnerInternals] }] },
  },
  // The protocol runs in workerd, Node and the browser: Web-standard APIs only.
  {
    files: ['packages/**'],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noRunnerInternals, { group: ['node:*'], message: '@imagen-ts/protocol is Web-standard only (it runs in workerd and the browser)' }] }] },
  },
);
