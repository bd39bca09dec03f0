// ESLint (flat config). The rule that matters: domain code imports no I/O (DESIGN.md, Conventions).
const tseslint = require('typescript-eslint');

const IO_MODULES = ['node:*', 'fs', 'net', 'http', 'https', 'child_process', 'pg', 'pg-*', '@nats-io/*', '@grpc/*', 'fastify', '@fastify/*', 'undici', 'nodemailer', 'pino', '@tongban/eventstore', '@tongban/messaging', '@tongban/runtime'];

module.exports = tseslint.config(
  { ignores: ['**/node_modules/**', 'packages/contracts/src/generated/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
    },
  },
  {
    files: ['packages/domain/src/**/*.ts'],
    ignores: ['packages/domain/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: IO_MODULES, message: 'domain code is pure: no I/O imports (DESIGN.md, Conventions)' }],
      }],
      'no-restricted-globals': ['error', { name: 'fetch', message: 'no I/O in the domain' }, { name: 'process', message: 'no environment access in the domain' }],
    },
  },
);
