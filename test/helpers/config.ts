// Test configuration: the app's own config module, pointed at the test database and quiet by default. Kafka topics
// and Temporal workflow ids carry a per-run prefix: the test database is reset every run (order ids start again at
// 1) and the broker and Temporal server may be shared with a developer's running stack, so nothing of a run may
// meet another run's or the stack's topics and workflows.
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config.ts';
import { createLogger, type Logger } from '../../src/logger.ts';

/** Set by scripts/stack.sh for the whole jest run (so child app processes share it); random otherwise. */
export const testRunId = (process.env.TEST_RUN_ID ??= randomBytes(4).toString('hex'));
export const testTopicPrefix = `test-${testRunId}.`;

export function testConfig(overrides: Record<string, string> = {}): Config {
  const databaseUrl = process.env.TEST_DATABASE_URL;
  if (!databaseUrl) throw new Error('TEST_DATABASE_URL is not set: run the tests through `npm test`');
  return loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    LOG_PRETTY: 'false',
    DATABASE_URL: databaseUrl,
    KAFKA_TOPIC_PREFIX: testTopicPrefix,
    TEMPORAL_WORKFLOW_ID_PREFIX: `order-test-${testRunId}-`,
    // Tests wait for outcomes; a loaded machine must not turn a slow answer into 202 (order-backpressure.test.ts
    // sets its own short deadline to test exactly that).
    ORDER_REQUEST_TIMEOUT: '60s',
    // In-process requests all come from one "address"; a whole suite logs in far more often than a person would.
    // test/integration/api/security.test.ts sets low limits to test the throttle itself.
    LOGIN_MAX_ATTEMPTS_PER_ADDRESS: '1000000',
    ...overrides,
  });
}

export function testLogger(config: Config = testConfig()): Logger {
  return createLogger(config);
}
