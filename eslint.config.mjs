// Lint rules that carry design decisions: workflow code is deterministic, so Node built-ins and
// activity implementations must never be imported under src/workflows/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tools/', '.data/', 'coverage/', 'bin/', 'bench/.out/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['src/workflows/**/*.ts', 'bench/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'path', 'crypto', 'http', 'https', 'os', 'child_process'], message: 'Workflow code must be deterministic: no Node built-ins.' },
            { group: ['**/activities/*', '!**/activities/index'], message: 'Import activity types only, via `import type`.' },
            { group: ['openai', 'jose', 'fastify', 'pino'], message: 'Side-effecting libraries belong in activities.' },
          ],
        },
      ],
    },
  },
);
