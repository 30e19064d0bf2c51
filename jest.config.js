/** @type {import('jest').Config} */
// eslint-disable-next-line no-undef
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/examples'],
  testMatch: ['**/*.test.ts'],
  // Against a real local model server, minutes long: `make test-local-llm` runs it, never `make test`.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/local-llm/'],
  transform: { '^.+\\.(ts|js)$': ['@swc/jest'] },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // One Temporal dev server serves every file; two workers keep a 2-core box responsive.
  maxWorkers: 2,
  testTimeout: 60_000,
};
