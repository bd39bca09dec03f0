/**
 * Jest: every workspace's tests, transpiled by SWC (type checking is `npm run typecheck`), in two projects:
 * - `unit`: the `*.unit.test.ts` files, pure code with no server (`npm run test:unit`, seconds);
 * - `integration`: every other test file (`*.int.test.ts`, `*.e2e.test.ts`), against real PostgreSQL,
 *   NATS and processes (the global setup finds or starts the servers).
 * `jest` (part of `npm test`) runs both; `jest --selectProjects unit` one.
 */
const shared = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 30000,
};
const places = ['<rootDir>/packages/*/src/**/', '<rootDir>/services/*/src/**/', '<rootDir>/apps/*/src/**/', '<rootDir>/test/**/'];
// The browser tests run separately (jest.browser.config.js, `npm run test:browser`).
const ignored = ['/node_modules/', '<rootDir>/test/browser/'];

module.exports = {
  // Global as well: jest-circus takes the default test timeout from the global configuration, not a project's.
  testTimeout: shared.testTimeout,
  // Two test files at a time, also on 2 cores (where jest's default, cores − 1, is one file after another): an
  // integration file mostly waits on its processes, PostgreSQL and NATS (one file alone keeps about 60 % of one core
  // busy), and each has its own database, namespace, streams and ports. `-i` runs them one by one.
  maxWorkers: 2,
  projects: [
    { ...shared, displayName: 'unit', testMatch: places.map((p) => `${p}*.unit.test.ts`), testPathIgnorePatterns: ignored },
    {
      ...shared,
      displayName: 'integration',
      testMatch: places.map((p) => `${p}*.test.ts`),
      testPathIgnorePatterns: [...ignored, '\\.unit\\.test\\.ts$'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
  ],
};
