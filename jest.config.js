// Jest runs the TypeScript sources as native ES modules (node --experimental-vm-modules) through @swc/jest, which
// strips types only; `npm run typecheck` (tsc --noEmit) checks them. MikroORM 7 is ESM-only, hence ESM rather than
// CommonJS. Three projects, one per folder: unit (no servers), integration (real PostgreSQL, Kafka, Temporal test
// server), e2e (the running stack). Suites share databases and servers, so they run serially (--runInBand).
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2023' }, module: { type: 'es6' } }];

const project = (name, extra = {}) => ({
  displayName: name,
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
  setupFiles: ['<rootDir>/test/setup/quiet-temporal.ts'],
  ...extra,
});
const withDatabase = {
  globalSetup: '<rootDir>/test/setup/fresh-database.ts',
  globalTeardown: '<rootDir>/test/setup/delete-test-topics.ts',
};

export default {
  projects: [project('unit'), project('integration', withDatabase), project('workflows'), project('e2e', withDatabase)],
  testTimeout: 60_000,
  reporters: ['default', '<rootDir>/test/setup/summary-reporter.cjs'],
};
