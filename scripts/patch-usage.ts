// npm run patches:usage [-- --query "<visibility query>"]: for each patched() marker of OrderWorkflow, how many open
// order workflows on the configured Temporal server (TEMPORAL_* variables) recorded it and how many may still need
// its old branch. A marker may go to deprecatePatch only once that second figure is 0 (and stays 0: no older worker
// build still starts runs), and away once no history with the old branch needs to replay any more.
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { connectTemporal } from '../src/temporal/connection.ts';
import { patchUsage } from '../src/temporal/patch-usage.ts';

const { values } = parseArgs({ options: { query: { type: 'string' } } });
const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn' });
const client = await connectTemporal(config);
try {
  const usage = await patchUsage(client, values.query);
  console.log(`${'patch'.padEnd(20)} ${'open runs'.padStart(9)} ${'recorded it'.padStart(11)} ${'may need old branch'.padStart(19)}`);
  for (const u of usage) {
    const sample = u.sample.length > 0 ? `  e.g. ${u.sample.join(', ')}` : '';
    console.log(
      `${u.patch.padEnd(20)} ${String(u.openRuns).padStart(9)} ${String(u.recorded).padStart(11)} ${String(u.mayNeedOldBranch).padStart(19)}${sample}`,
    );
  }
} finally {
  await client.connection.close();
}
