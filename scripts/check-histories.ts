// npm run histories:check [-- --hours N] [-- --query "<visibility query>"]: replays the histories of the order
// workflows running now or closed in the last N hours (default 24) on the Temporal server the app is configured for
// (TEMPORAL_* variables) against this checkout's workflow code. Exit status 1 when any history fails to replay: the
// workflow change needs patched() (see docs/architecture.md, workflow versions) before it may be deployed.
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { connectTemporal } from '../src/temporal/connection.ts';
import { installTemporalRuntime } from '../src/temporal/runtime.ts';
import { checkLiveHistories } from '../src/temporal/history-check.ts';

const { values } = parseArgs({ options: { hours: { type: 'string' }, query: { type: 'string' }, limit: { type: 'string' } } });
const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn' });
// The SDK's own lines (replay workers starting and stopping) only at warn and above, like the app's.
installTemporalRuntime(createLogger(config));
const client = await connectTemporal(config);
try {
  const result = await checkLiveHistories(client, {
    ...(values.query && { query: values.query }),
    ...(values.hours && { closedWithinHours: Number(values.hours) }),
    ...(values.limit && { limit: Number(values.limit) }),
  });
  console.log(`query: ${result.query}`);
  console.log(`replayed ${result.checked} histories against this checkout's workflow code: ${result.failures.length} failed`);
  for (const f of result.failures) console.log(`  ${f.workflowId} (run ${f.runId}): ${f.error.split('\n')[0]}`);
  process.exitCode = result.failures.length > 0 ? 1 : 0;
} finally {
  await client.connection.close();
}
