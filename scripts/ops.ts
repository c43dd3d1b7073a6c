// npm run ops -- dlq list|redrive [filters]: the dead-letter store from a terminal, through the same service module
// as /api/admin/dead-letters, on the PostgreSQL and Kafka the environment configures (DATABASE_URL, KAFKA_*). A
// redrive's audit row names `cli:<os user>`. Exit codes: 0 done, 2 a usage mistake, 1 anything else.
import { userInfo } from 'node:os';
import { loadConfig } from '../src/config.ts';
import { initOrm } from '../src/db/orm.ts';
import { deadLetterTable, DLQ_USAGE, parseDlqCommand, UsageError } from '../src/dead-letters/dlq-command.ts';
import { listDeadLetters } from '../src/dead-letters/dead-letter.store.ts';
import { lazyPublisher, redriveDeadLetters } from '../src/dead-letters/redrive.service.ts';
import { createLogger } from '../src/logger.ts';
import { Resources } from '../src/roles/resources.ts';

const [area, ...args] = process.argv.slice(2);
if (area !== 'dlq') {
  console.error(DLQ_USAGE);
  process.exit(2);
}
let command;
try {
  command = parseDlqCommand(args);
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  console.error(err.message);
  process.exit(2);
}

const config = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
const log = createLogger(config).child({ role: 'ops' });
// The schema is the app's to migrate: ops reads and writes it as it is.
const orm = await initOrm(config);
const resources = new Resources(config, log);
try {
  if (command.command === 'list') {
    const entries = await listDeadLetters(orm.em.fork(), command.filter, { limit: command.limit });
    console.log(command.json ? JSON.stringify(entries, null, 2) : deadLetterTable(entries));
    if (!command.json && entries.length === command.limit) console.log(`(first ${command.limit}; --limit shows more)`);
  } else {
    const actor = `cli:${userInfo().username}`;
    const deps = { em: orm.em.fork(), publish: lazyPublisher(() => resources.producer()), log };
    const result = await redriveDeadLetters(deps, command.filter, { dryRun: command.dryRun, actor });
    if (command.json) console.log(JSON.stringify(result, null, 2));
    else {
      const verb = result.dryRun ? 'would redrive' : 'redrove';
      console.log(`${verb} ${result.count} dead letters${result.count > 0 ? `: ${result.ids.join(', ')}` : ''}`);
      if (result.more) console.log('more matched than one run sends: run it again');
    }
  }
} catch (err) {
  console.error(`failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  await resources.close();
  await orm.close();
}
