// Lint rules that carry design decisions (docs/architecture.md, "Where each concern lives"):
// workflow code is deterministic, and imports between the src/ folders point one way:
//   worker → activities, schedules, clients, shared (and bundles workflows)
//   api, cli → clients, schedules, shared
//   activities → clients, shared;  schedules → clients, shared;  clients → shared (never @temporalio/activity)
//   workflows → shared (plus activity *types*);  shared → nothing of ours but itself
// test/unit/lint/import-boundaries.test.ts proves each rule fires on a violating file.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = [
  'node:*',
  'fs',
  'path',
  'crypto',
  'http',
  'https',
  'os',
  'child_process',
  'net',
  'dns',
  'url',
];
const SIDE_EFFECT_LIBS = [
  'openai',
  'jose',
  'fastify',
  'pino',
  'ajv',
  'ajv/*',
  'prom-client',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
];

/** A `no-restricted-imports` pattern for one of our src/ folders, reached from another src/ folder. */
function folder(name, message) {
  return { regex: `^(\\.\\./)+${name}(/.*)?$`, message };
}

const NOT_FROM_HERE = (what) => `${what} (docs/architecture.md, "Where each concern lives").`;

/** Per folder: what it must not import. */
const boundaries = {
  'src/shared/**/*.ts': [
    { group: NODE_BUILTINS, message: 'src/shared is workflow-safe: no Node built-ins.' },
    { group: SIDE_EFFECT_LIBS, message: 'src/shared is workflow-safe: no side-effecting libraries.' },
    ...['activities', 'api', 'cli', 'clients', 'schedules', 'worker', 'workflows', 'config'].map((f) =>
      folder(f, NOT_FROM_HERE(`src/shared imports only itself and @temporalio/workflow|common, not ${f}`)),
    ),
  ],
  'src/workflows/**/*.ts': [
    { group: NODE_BUILTINS, message: 'Workflow code must be deterministic: no Node built-ins.' },
    { group: SIDE_EFFECT_LIBS, message: 'Side-effecting libraries belong in activities and clients.' },
    ...['api', 'cli', 'clients', 'schedules', 'worker', 'config'].map((f) =>
      folder(f, NOT_FROM_HERE(`workflows import only src/shared and activity types, not ${f}`)),
    ),
  ],
  'src/clients/**/*.ts': [
    ...['activities', 'api', 'cli', 'schedules', 'worker', 'workflows'].map((f) =>
      folder(
        f,
        NOT_FROM_HERE(
          `clients are adapters over the outside world and import only shared and config, not ${f}`,
        ),
      ),
    ),
    {
      group: ['@temporalio/activity'],
      message:
        'Clients must work outside an activity too: take an AbortSignal, which the activity passes in (src/activities/context.ts).',
    },
  ],
  'src/schedules/**/*.ts': ['activities', 'api', 'cli', 'worker', 'workflows'].map((f) =>
    folder(f, NOT_FROM_HERE(`schedules import clients and shared, not ${f}`)),
  ),
  'src/activities/**/*.ts': ['api', 'cli', 'schedules', 'worker', 'workflows'].map((f) =>
    folder(f, NOT_FROM_HERE(`activities are thin factories over clients and shared, not ${f}`)),
  ),
  'src/api/**/*.ts': ['activities', 'cli', 'worker', 'workflows'].map((f) =>
    folder(
      f,
      NOT_FROM_HERE(`the API starts workflows by name (src/shared/workflow-types.ts) and never imports ${f}`),
    ),
  ),
  'src/cli/**/*.ts': ['activities', 'api', 'worker', 'workflows'].map((f) =>
    folder(f, NOT_FROM_HERE(`the CLI talks to the API and Temporal through clients, never ${f}`)),
  ),
  'src/worker/**/*.ts': ['api', 'cli'].map((f) => folder(f, NOT_FROM_HERE(`the worker never imports ${f}`))),
};

/** Workflows may import activity *types* (to type their proxies); the rule allows `import type` only. */
const workflowActivityTypes = {
  ...folder('activities', ''),
  message: 'Import activity types only, via `import type`.',
  allowTypeImports: true,
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      '.tools/',
      '.data/',
      'coverage/',
      'bin/',
      'bench/.out/',
      'workflow-bundle.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // Type-aware rules: a promise nobody awaits is a lost error (or a workflow step that never ran).
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  ...Object.entries(boundaries).map(([files, patterns]) => ({
    files: [files],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: files.startsWith('src/workflows') ? [...patterns, workflowActivityTypes] : patterns },
      ],
    },
  })),
  {
    // The bench's probe workflows follow the workflow rules too.
    files: ['bench/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: boundaries['src/workflows/**/*.ts'] },
      ],
    },
  },
);
