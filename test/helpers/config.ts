// Test configuration: the app's own config module, pointed at the test database and quiet by default.
import { loadConfig, type Config } from '../../src/config.ts';
import { createLogger, type Logger } from '../../src/logger.ts';

export function testConfig(overrides: Record<string, string> = {}): Config {
  const databaseUrl = process.env.TEST_DATABASE_URL;
  if (!databaseUrl) throw new Error('TEST_DATABASE_URL is not set: run the tests through `npm test`');
  return loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    LOG_PRETTY: 'false',
    DATABASE_URL: databaseUrl,
    ...overrides,
  });
}

export function testLogger(config: Config = testConfig()): Logger {
  return createLogger(config);
}
