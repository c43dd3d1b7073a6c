// reconcile: what one reconciler pass costs over a large orders table. A database of its own
// (order_saga_bench_reconcile, dropped and made again) gets RECONCILE_BENCH_ORDERS orders (default 100,000): 1 %
// Processing without a workflow (drift each pass finds), 1 % Pending with their OrderCreated unsent (not drift), the
// rest finished over the last ~50 minutes with their notification, except one in 2,000. The reconciler runs in report
// mode (the data stays the same from pass to pass) against the stack's Temporal server, on a task queue and id prefix
// of its own.
// Baseline, in the same run: the same comparison done naively, as a script would without the reconciler's partial
// indexes, windows and cursors: every open order's workflow described and every finished order checked for its
// notification, each pass. Rows read per pass come from PostgreSQL's own counters (pg_stat_user_tables: rows fetched
// by index scans plus rows read by sequential scans), flushed by closing the pass's connections.
import pg from 'pg';
import { initOrm, migrate } from '../../src/db/orm.ts';
import { createLogger } from '../../src/logger.ts';
import { Reconciler } from '../../src/reconciler/reconciler.ts';
import { OrderWorkflowClient } from '../../src/temporal/order-workflow.client.ts';
import { distribution, mapLimit, numberSetting, progress, sleep, withDatabase } from '../bench.lib.ts';
import type { Suite, SuiteContext } from '../suite.ts';

const DATABASE = 'order_saga_bench_reconcile';
const TABLES = ['orders', 'notifications', 'outbox', 'drift_findings', 'reconciler_cursors'];

function readSettings() {
  return {
    RECONCILE_BENCH_ORDERS: numberSetting('RECONCILE_BENCH_ORDERS', 100_000),
    RECONCILE_BENCH_PASSES: numberSetting('RECONCILE_BENCH_PASSES', 5),
    RECONCILE_BENCH_BATCH: numberSetting('RECONCILE_BENCH_BATCH', 200),
  };
}

/** Rows PostgreSQL read from the reconciler's tables so far (index fetches + sequential reads). */
async function rowsRead(db: pg.Pool): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `select coalesce(sum(coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0)), 0)::bigint as n
       from pg_stat_user_tables where relname = any($1)`,
    [TABLES],
  );
  return Number(rows[0]!.n);
}

/** Runs `work` on its own connections and closes them, so their table counters are flushed; its time and rows read. */
async function measured(db: pg.Pool, work: () => Promise<void>): Promise<{ ms: number; rows: number }> {
  const before = await rowsRead(db);
  const t = performance.now();
  await work();
  const ms = performance.now() - t;
  // A backend flushes its counters when it exits; the statistics collector makes them visible a moment later.
  let rows = before;
  for (let i = 0; i < 20 && rows === before; i++) {
    await sleep(250);
    await db.query('select pg_stat_clear_snapshot()');
    rows = await rowsRead(db);
  }
  return { ms, rows: rows - before };
}

async function seed(db: pg.Pool, n: number): Promise<void> {
  await db.query(
    `insert into users (name, email, password_hash, created_at, updated_at) values ('Bench', 'bench-reconcile@example.com', 'x', now(), now())`,
  );
  // Order i finished (n - i) × 30 ms ago: the newest last, spread over n × 30 ms (50 minutes for 100,000).
  await db.query(
    `insert into orders (id, user_id, total, status, created_at, updated_at)
     select i, 1, 10,
            case when i % 100 = 0 then 'Processing' when i % 100 = 1 then 'Pending'
                 else (array['Completed', 'Expired', 'Cancelled'])[1 + i % 3] end,
            now() - (($1 - i) * interval '30 ms') - interval '2 minutes',
            now() - (($1 - i) * interval '30 ms') - interval '2 minutes'
       from generate_series(1, $1) as i`,
    [n],
  );
  await db.query(`select setval(pg_get_serial_sequence('orders', 'id'), $1)`, [n]);
  await db.query(
    `insert into outbox (topic, message_key, payload, order_id, created_at)
     select 'order-created-events', o.id::text, jsonb_build_object('type', 'OrderCreated'), o.id, now() from orders o where o.status = 'Pending'`,
  );
  await db.query(
    `insert into notifications (user_id, order_id, message, event_type, created_at, updated_at)
     select 1, o.id, 'bench', 'Order' || o.status, o.updated_at, o.updated_at
       from orders o where o.status in ('Completed', 'Expired', 'Cancelled') and o.id % 2000 <> 2`,
  );
  await db.query('analyze');
}

async function run(ctx: SuiteContext, settings: ReturnType<typeof readSettings>): Promise<void> {
  const { RECONCILE_BENCH_ORDERS: n, RECONCILE_BENCH_PASSES: passes, RECONCILE_BENCH_BATCH: batch } = settings;
  const stack = await ctx.stack({ env: {}, check: () => [] });
  await stack.db.query(`drop database if exists ${DATABASE} with (force)`);
  await stack.db.query(`create database ${DATABASE}`);
  const url = withDatabase(stack.config.DATABASE_URL, DATABASE);
  const config = { ...stack.config, DATABASE_URL: url, LOG_LEVEL: 'silent' as const };
  const db = new pg.Pool({ connectionString: url, max: 2 });
  try {
    const schema = await initOrm(config);
    await migrate(schema);
    await schema.close();
    progress(`seeding ${n} orders`);
    await seed(db, n);
    const run = Date.now().toString(36);
    const workflows = new OrderWorkflowClient(stack.temporal, {
      taskQueue: `bench-reconcile-${run}`,
      expiryMs: 600_000,
      idPrefix: `order-bench-${run}-`,
    });
    const log = createLogger(config);

    progress(`${passes} reconciler passes (report mode, RECONCILE_BATCH=${batch})`);
    const ours: Array<{ ms: number; rows: number; findings: number }> = [];
    for (let i = 0; i < passes; i++) {
      const orm = await initOrm(config);
      let findings = 0;
      const reconciler = new Reconciler({
        orm,
        workflows,
        log,
        settings: { intervalMs: 30_000, graceMs: 60_000, batch, mode: 'report', maxOutboxAgeMs: 300_000 },
      });
      const m = await measured(db, async () => {
        const report = await reconciler.pass();
        findings = report.result === 'done' ? report.findings.length : 0;
        await orm.close();
      });
      ours.push({ ...m, findings });
    }

    progress(`${passes} naive passes (every open order described, every finished order checked)`);
    const naive: Array<{ ms: number; rows: number; findings: number }> = [];
    for (let i = 0; i < passes; i++) {
      const own = new pg.Pool({ connectionString: url, max: 8 });
      let findings = 0;
      const m = await measured(db, async () => {
        const open = await own.query<{ id: number }>(`select id from orders where status in ('Pending', 'Processing') order by id`);
        const presences = await mapLimit(open.rows, 8, (o) => workflows.presence(o.id));
        const unnotified = await own.query(
          `select o.id from orders o where o.status in ('Completed', 'Expired', 'Cancelled')
              and not exists (select 1 from notifications x where x.order_id = o.id and x.event_type = 'Order' || o.status)`,
        );
        findings = presences.filter((p) => p.state !== 'running').length + unnotified.rowCount!;
        await own.end();
      });
      naive.push({ ...m, findings });
    }

    const time = [distribution(ours.map((p) => p.ms)), distribution(naive.map((p) => p.ms))] as const;
    const rows = [distribution(ours.map((p) => p.rows)), distribution(naive.map((p) => p.rows))] as const;
    ctx.row({
      figure: `pass time over ${n} orders, p50`,
      unit: 'ms',
      value: time[0].p50,
      baseline: time[1].p50,
      baselineIs: 'naive full check',
    });
    ctx.row({
      figure: `pass time over ${n} orders, max`,
      unit: 'ms',
      value: time[0].max,
      baseline: time[1].max,
      baselineIs: 'naive full check',
    });
    ctx.row({ figure: 'rows read per pass, p50', unit: 'rows', value: rows[0].p50, baseline: rows[1].p50, baselineIs: 'naive full check' });
    ctx.row({
      figure: 'drift found per pass, p50',
      unit: 'findings',
      value: distribution(ours.map((p) => p.findings)).p50,
      baseline: distribution(naive.map((p) => p.findings)).p50,
      baselineIs: 'naive full check',
      note: `the reconciler checks ${batch} Processing orders a pass (a window moving on) and finished orders from a cursor; the naive check all of them every time`,
    });
    ctx.note(`per pass (ms / rows / findings): ${ours.map((p) => `${Math.round(p.ms)}/${p.rows}/${p.findings}`).join(', ')}`);
    ctx.note(`naive per pass: ${naive.map((p) => `${Math.round(p.ms)}/${p.rows}/${p.findings}`).join(', ')}`);
  } finally {
    await db.end();
    await stack.db.query(`drop database if exists ${DATABASE} with (force)`).catch(() => undefined);
  }
}

export const reconcileSuite: Suite = {
  name: 'reconcile',
  long: false,
  summary: 'one reconciler pass over 100,000 orders (time, rows read) against a naive full check',
  settings: readSettings,
  run: (ctx) => run(ctx, readSettings()),
};
