// End-to-end saga throughput against a running stack started with PAYMENT_DURATION=0 PAYMENT_SUCCESS_RATE=1: places
// ORDERS orders over HTTP, waits until every one is Completed, then reports how fast orders went from their commit
// (orders.created_at) to a started workflow (Temporal's startTime: outbox relay + Kafka + bridge) and to Completed
// (orders.updated_at of the Completed row). A probe order placed first warms the path and is not counted.
// Usage: node bench/saga-throughput.bench.ts (see bench/README.md).
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import {
  createProduct,
  login,
  mapLimit,
  ms,
  numberSetting,
  percentile,
  placeOrder,
  printSettings,
  reproduceCommand,
  sleep,
  stringSetting,
} from './bench.lib.ts';

const settings = {
  BASE_URL: stringSetting('BASE_URL', 'http://127.0.0.1:3000'),
  DATABASE_URL: stringSetting('DATABASE_URL', 'postgres://saga:saga@127.0.0.1:5432/order_saga'),
  TEMPORAL_ADDRESS: stringSetting('TEMPORAL_ADDRESS', '127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: stringSetting('TEMPORAL_NAMESPACE', 'default'),
  TEMPORAL_WORKFLOW_ID_PREFIX: stringSetting('TEMPORAL_WORKFLOW_ID_PREFIX', 'order-'),
  ORDERS: numberSetting('ORDERS', 500),
  CONCURRENCY: numberSetting('CONCURRENCY', 16),
  DEADLINE_S: numberSetting('DEADLINE_S', 600),
  PROBE_TIMEOUT_S: numberSetting('PROBE_TIMEOUT_S', 30),
  BENCH_EMAIL: stringSetting('BENCH_EMAIL', 'test@example.com'),
};
const password = stringSetting('BENCH_PASSWORD', 'Password123!');
const POLL_INTERVAL_MS = 200;
const FINAL_NOT_COMPLETED = ['Cancelled', 'Expired'];

const db = new pg.Pool({ connectionString: settings.DATABASE_URL, max: 4 });
const connection = await Connection.connect({ address: settings.TEMPORAL_ADDRESS, connectTimeout: 5000 });
const temporal = new Client({ connection, namespace: settings.TEMPORAL_NAMESPACE });

/** Orders of `ids` per status. */
async function statusCounts(ids: number[]): Promise<Map<string, number>> {
  const { rows } = await db.query<{ status: string; n: number }>(
    'select status, count(*)::int as n from orders where id = any($1::int[]) group by status',
    [ids],
  );
  return new Map(rows.map((r) => [r.status, r.n]));
}

/** Polls until every order is Completed, one has ended otherwise, or the deadline passes; returns the Completed count. */
async function waitForCompleted(ids: number[], deadline: number): Promise<number> {
  let lastReport = Date.now();
  let lastCompleted = 0;
  for (;;) {
    const counts = await statusCounts(ids);
    const completed = counts.get('Completed') ?? 0;
    const failed = FINAL_NOT_COMPLETED.reduce((sum, s) => sum + (counts.get(s) ?? 0), 0);
    if (completed === ids.length || completed + failed === ids.length || Date.now() >= deadline) {
      if (failed > 0 || completed < ids.length) console.log(`  statuses: ${JSON.stringify(Object.fromEntries(counts))}`);
      return completed;
    }
    const since = Date.now() - lastReport;
    if ((since >= 5000 && completed !== lastCompleted) || since >= 30_000) {
      console.log(`  ${completed}/${ids.length} Completed`);
      lastReport = Date.now();
      lastCompleted = completed;
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

/** Why orders are not Completed: no workflow yet, or their workflow id already taken by an earlier order. */
async function diagnose(ids: number[]): Promise<void> {
  const { rows } = await db.query<{ id: number; status: string; created_at: Date }>(
    "select id, status, created_at from orders where id = any($1::int[]) and status <> 'Completed' order by id",
    [ids],
  );
  const kinds = new Map<string, number[]>();
  await mapLimit(rows, 16, async (row) => {
    let kind: string;
    try {
      const wf = await temporal.workflow.getHandle(`${settings.TEMPORAL_WORKFLOW_ID_PREFIX}${row.id}`).describe();
      kind =
        wf.startTime < row.created_at
          ? `${row.status}, its workflow id was taken by a workflow started before the order was committed (${wf.status.name})`
          : `${row.status}, workflow ${wf.status.name}`;
    } catch {
      kind = `${row.status}, no workflow (not yet started by relay + bridge)`;
    }
    kinds.set(kind, [...(kinds.get(kind) ?? []), row.id]);
  });
  for (const [kind, of] of kinds) {
    const sample = of.sort((a, b) => a - b).slice(0, 8);
    console.log(`  ${of.length} × ${kind}: ids ${sample.join(', ')}${of.length > sample.length ? ', …' : ''}`);
  }
}

/** Checks the settings the stack should run with, without measuring anything. */
async function probe(token: string, productId: number): Promise<void> {
  const { rows } = await db.query<{ n: number }>('select count(*)::int as n from outbox where sent_at is null');
  const backlog = rows[0]?.n ?? 0;
  if (backlog > 0) console.warn(`WARNING: ${backlog} outbox events are still unsent: the figures will include that backlog`);
  const id = await placeOrder(settings.BASE_URL, token, productId);
  const completed = await waitForCompleted([id], Date.now() + settings.PROBE_TIMEOUT_S * 1000);
  if (completed === 0) {
    console.warn(
      `WARNING: probe order ${id} not Completed within ${settings.PROBE_TIMEOUT_S} s: is the stack running with ` +
        'PAYMENT_DURATION=0 PAYMENT_SUCCESS_RATE=1? (see bench/README.md)',
    );
    await diagnose([id]);
    return;
  }
  const [row] = (
    await db.query<{ took: string }>('select extract(epoch from updated_at - created_at) * 1000 as took from orders where id = $1', [id])
  ).rows;
  console.log(`probe order ${id} Completed ${ms(Number(row?.took))} after its commit`);
}

type Timing = { id: number; committed: number; started: number; completed: number };

async function timings(ids: number[]): Promise<Timing[]> {
  const { rows } = await db.query<{ id: number; created_at: Date; updated_at: Date }>(
    'select id, created_at, updated_at from orders where id = any($1::int[])',
    [ids],
  );
  return mapLimit(rows, 16, async (row) => {
    const description = await temporal.workflow.getHandle(`${settings.TEMPORAL_WORKFLOW_ID_PREFIX}${row.id}`).describe();
    return {
      id: row.id,
      committed: row.created_at.getTime(),
      started: description.startTime.getTime(),
      completed: row.updated_at.getTime(),
    };
  });
}

function report(results: Timing[], placedInMs: number): void {
  const firstCommit = Math.min(...results.map((t) => t.committed));
  const lastCompletion = Math.max(...results.map((t) => t.completed));
  const wallMs = lastCompletion - firstCommit;
  const startLag = results.map((t) => t.started - t.committed).sort((a, b) => a - b);
  const endToEnd = results.map((t) => t.completed - t.committed).sort((a, b) => a - b);
  console.log(`
orders                          ${results.length} (placed over HTTP in ${(placedInMs / 1000).toFixed(2)} s)
wall time, first commit → last Completed   ${(wallMs / 1000).toFixed(2)} s
end-to-end throughput           ${(results.length / (wallMs / 1000)).toFixed(1)} orders/s
workflow start − commit         p50 ${ms(percentile(startLag, 50))}  p95 ${ms(percentile(startLag, 95))}  p99 ${ms(percentile(startLag, 99))}  max ${ms(percentile(startLag, 100))}
Completed − commit              p50 ${ms(percentile(endToEnd, 50))}  p99 ${ms(percentile(endToEnd, 99))}`);
}

async function main(): Promise<number> {
  console.log('saga end-to-end throughput');
  printSettings(settings);
  const token = await login(settings.BASE_URL, settings.BENCH_EMAIL, password);
  const productId = await createProduct(settings.BASE_URL, token, `bench-saga-${Date.now()}`, 1_000_000_000);
  await probe(token, productId);

  const deadline = Date.now() + settings.DEADLINE_S * 1000;
  const placing = performance.now();
  const ids = await mapLimit(Array.from({ length: settings.ORDERS }), settings.CONCURRENCY, () =>
    placeOrder(settings.BASE_URL, token, productId),
  );
  const placedInMs = performance.now() - placing;
  console.log(`placed ${ids.length} orders (ids ${Math.min(...ids)}…${Math.max(...ids)}); waiting for Completed …`);

  const completed = await waitForCompleted(ids, deadline);
  if (completed < ids.length) {
    console.error(`FAILED: only ${completed} of ${ids.length} orders Completed within ${settings.DEADLINE_S} s`);
    await diagnose(ids);
    return 1;
  }
  report(await timings(ids), placedInMs);
  return 0;
}

try {
  process.exitCode = await main();
  console.log(`\nreproduce: PAYMENT_DURATION=0 PAYMENT_SUCCESS_RATE=1 bash scripts/stack.sh up`);
  console.log(`           ${reproduceCommand('bench/saga-throughput.bench.ts', settings)}`);
} finally {
  await Promise.allSettled([db.end(), connection.close()]);
}
