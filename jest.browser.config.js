/**
 * Jest for the browser tests (`npm run test:browser`): web pages in a real Chromium (playwright-core
 * driving Debian's /usr/bin/chromium) against a real platform. Screenshots go to test-output/browser/.
 */
const integration = require('./jest.config').projects.find((p) => p.displayName === 'integration');

module.exports = {
  ...integration,
  displayName: undefined,
  testMatch: ['<rootDir>/test/browser/**/*.browser.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 120000,
  // One browser test file at a time: each starts a whole platform and a browser on a shared machine.
  maxWorkers: 1,
};
