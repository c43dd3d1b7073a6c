// The soak: `npm run soak [-- --cluster] [--minutes 60] [--rate N] [--sample 1m]` (see bench/README.md, "soak").
// Measures the stack's maximum order rate with a short ramp (unless --rate is given), then places orders for
// --minutes at --load-share (70 %) of it with pays, cancels and orders left to expire mixed in, samples every
// --sample the RSS and open file descriptors of every process of the stack, PostgreSQL's connections, the outbox,
// Kafka consumer lag, Temporal's task backlog and the p99 latency of each kind of request, and fails when a series
// grows steadily over the last --window minutes (bench/soak/slope.ts). Writes bench/results/soak-<time>/: the samples
// as JSON, one SVG chart per series and summary.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Connection } from '@temporalio/client';
import ms from 'ms';
import pg from 'pg';
import { consumerGroup, OUTCOME_TOPICS, TOPICS } from '../src/messaging/topics.ts';
import { createProduct, distribution, login, progress, sleep } from './bench.lib.ts';
import { machine } from './report.ts';
import { FINAL_STATUSES, groupLag, kafkaAdmin } from './saga.ts';
import { ROOT } from './stack.ts';
import { KINDS, Load, parseMix, Session, type Bucket, type Mix } from './soak/load.ts';
import { childCount, findStack, sampleProcess, type StackView } from './soak/processes.ts';
import { chartFile, seriesDef } from './soak/series.ts';
import { slopeTest, type SlopeResult } from './soak/slope.ts';
import { chartSvg } from './soak/svg.ts';

const USAGE = `usage: npm run soak -- [--cluster] [--minutes 60] [--sample 1m] [--rate N] [options]
  --cluster          the cluster stack (npm run stack:up -- --cluster), else the default stack
  --minutes N        minutes of load (default 60)
  --sample D         time between samples (default 1m; e.g. 20s for a trial run)
  --rate N           orders/s; without it the ramp measures the maximum and the soak runs at --load-share of it
  --load-share F     share of the measured maximum (default 0.7)
  --window N         minutes the slope test fits, ending at the last sample (default 40; at most 2/3 of --minutes)
  --min-t T          smallest t statistic of the slope that counts as a trend (default 3)
  --mix P,C,L        shares of orders paid, cancelled and left alone (default 0.4,0.3,0.3)
  --max-delay D      pays and cancels are sent 0.5 s to D after the order (default 30s)
  --connections N    keep-alive connections per API process at most (default 8)
  --ramp-start N     first rate of the ramp, orders/s (default 4)
  --ramp-step D      length of each ramp step (default 40s)
  --out DIR          where to write (default bench/results/soak-<time>)`;

type Options = {
  shape: 'cluster' | 'dev';
  minutes: number;
  sampleMs: number;
  rate?: number;
  loadShare: number;
  windowMin: number;
  minT: number;
  mix: Mix;
  maxDelayMs: number;
  connections: number;
  rampStart: number;
  rampStepMs: number;
  out: string;
};

function duration(name: string, text: string): number {
  const value = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : ms(text as ms.StringValue);
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new Error(`--${name}: not a duration: "${text}"`);
  return value;
}

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got "${text}"`);
  return value;
}

function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      cluster: { type: 'boolean', default: false },
      minutes: { type: 'string' },
      sample: { type: 'string', default: '1m' },
      rate: { type: 'string' },
      'load-share': { type: 'string' },
      window: { type: 'string' },
      'min-t': { type: 'string' },
      mix: { type: 'string', default: '0.4,0.3,0.3' },
      'max-delay': { type: 'string', default: '30s' },
      connections: { type: 'string' },
      'ramp-start': { type: 'string' },
      'ramp-step': { type: 'string', default: '40s' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return undefined;
  const minutes = positive('minutes', values.minutes, 60);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return {
    shape: values.cluster ? 'cluster' : 'dev',
    minutes,
    sampleMs: duration('sample', values.sample),
    rate: values.rate === undefined ? undefined : positive('rate', values.rate, 1),
    loadShare: positive('load-share', values['load-share'], 0.7),
    windowMin: Math.min(positive('window', values.window, 40), (minutes * 2) / 3),
    minT: positive('min-t', values['min-t'], 3),
    mix: parseMix(values.mix),
    maxDelayMs: duration('max-delay', values['max-delay']),
    connections: Math.ceil(positive('connections', values.connections, 8)),
    rampStart: positive('ramp-start', values['ramp-start'], 4),
    rampStepMs: duration('ramp-step', values['ramp-step']),
    out: path.resolve(ROOT, values.out ?? `bench/results/soak-${stamp}`),
  };
}

type Sample = { t: number; at: string; values: Record<string, number> };

/** The soak's clients of the stack: the app's database, Temporal's frontend and a Kafka admin client. */
async function connect(stack: StackView) {
  const { config } = stack;
  const db = new pg.Pool({ connectionString: config.DATABASE_URL, max: 3 });
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS, connectTimeout: 5000 });
  const admin = await kafkaAdmin(config, 'order-saga-soak');
  const prefix = config.KAFKA_TOPIC_PREFIX;
  const groups = {
    bridge: { id: consumerGroup('bridge', prefix), topics: [prefix + TOPICS.orderCreated] },
    notifier: { id: consumerGroup('notifier', prefix), topics: OUTCOME_TOPICS.map((t) => prefix + t) },
  };
  const backlog = async (type: 1 | 2): Promise<number> => {
    const res = await connection.workflowService.describeTaskQueue({
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: { name: config.TEMPORAL_TASK_QUEUE, kind: 1 },
      taskQueueType: type,
      reportStats: true,
    });
    return Number(res.stats?.approximateBacklogCount ?? Number.NaN);
  };
  const close = async () => {
    await Promise.allSettled([db.end(), connection.close(), admin.disconnect()]);
  };
  return { db, admin, groups, backlog, close };
}
type Clients = Awaited<ReturnType<typeof connect>>;

const safe = async (f: () => Promise<number>): Promise<number> => {
  try {
    return await f();
  } catch {
    return Number.NaN;
  }
};

/** One sample of every series; the load's bucket is taken (so latencies are per interval). */
async function takeSample(stack: StackView, clients: Clients, load: Load, appDb: string, ids: () => number[]) {
  const values: Record<string, number> = {};
  const processes = stack.processes();
  for (const [name, pid] of Object.entries(processes)) {
    const s = sampleProcess(pid);
    values[`rss:${name}`] = s?.rssMiB ?? Number.NaN;
    values[`fds:${name}`] = s?.fds ?? Number.NaN;
  }
  if (processes.postgres) values['pg-backends:'] = childCount(processes.postgres);
  const { db } = clients;
  const [connections, outbox, orders] = await Promise.all([
    db.query<{ datname: string | null; n: number }>(
      // Other users' sessions (Temporal's) show their database but no backend_type to a non-superuser.
      `select datname, count(*)::int as n from pg_stat_activity where datname is not null and pid <> pg_backend_pid() group by datname`,
    ),
    db.query<{ unsent: number; total: number }>(
      'select count(*) filter (where sent_at is null)::int as unsent, count(*)::int as total from outbox',
    ),
    db.query<{ status: string; n: number }>('select status, count(*)::int as n from orders where id = any($1::int[]) group by status', [
      ids(),
    ]),
  ]);
  values['pg-connections:all'] = connections.rows.reduce((s, r) => s + r.n, 0);
  const perDb = new Map(connections.rows.map((r) => [r.datname ?? '', r.n]));
  for (const name of stack.shape === 'cluster' ? [appDb, 'temporal', 'temporal_visibility'] : [appDb]) {
    values[`pg-connections:${name}`] = perDb.get(name) ?? 0;
  }
  values['outbox-unsent:'] = outbox.rows[0]?.unsent ?? Number.NaN;
  values['outbox-rows:'] = outbox.rows[0]?.total ?? Number.NaN;
  const byStatus = new Map(orders.rows.map((r) => [r.status, r.n]));
  values['orders:Pending'] = byStatus.get('Pending') ?? 0;
  values['orders:Processing'] = byStatus.get('Processing') ?? 0;
  for (const [name, group] of Object.entries(clients.groups)) {
    values[`kafka-lag:${name}`] = await safe(() => groupLag(clients.admin, group.id, group.topics));
  }
  values['temporal-backlog:workflow'] = await safe(() => clients.backlog(1));
  values['temporal-backlog:activity'] = await safe(() => clients.backlog(2));
  const bucket = load.take();
  for (const kind of KINDS) {
    values[`p99:${kind}`] = distribution(bucket.latencyMs[kind]).p99;
    values[`requests:${kind}`] = bucket.latencyMs[kind].length;
  }
  values['unexpected:'] = bucket.unexpected;
  return { values, bucket };
}

type RampStep = {
  rate: number;
  placed: number;
  pendingAfter: number;
  unexpected: number;
  late: number;
  p99Ms: number;
  backlog: number;
  ok: boolean;
  why: string;
};

/** Steps the rate up by 25 % every --ramp-step until the stack falls behind twice at one rate; the last rate it kept up with. */
async function measureMaximum(options: Options, clients: Clients, load: Load): Promise<{ max: number; steps: RampStep[] }> {
  const steps: RampStep[] = [];
  let rate = options.rampStart;
  let max = 0;
  for (;;) {
    const before = load.orders.length;
    load.take();
    progress(`ramp: ${rate.toFixed(1)} orders/s for ${options.rampStepMs / 1000} s`);
    await load.run(rate, options.rampStepMs);
    const bucket: Bucket = load.take();
    const stepIds = load.orders.slice(before).map((o) => o.id);
    // A moment for the orders placed last to be started, then: are this step's orders all started?
    await sleep(10_000);
    const { rows } = await clients.db.query<{ n: number }>(
      `select count(*)::int as n from orders where id = any($1::int[]) and status = 'Pending'`,
      [stepIds],
    );
    const pendingAfter = rows[0]?.n ?? 0;
    const backlog = (await safe(() => clients.backlog(1))) + (await safe(() => clients.backlog(2)));
    const sent = Math.floor((rate * options.rampStepMs) / 1000);
    const p99Ms = distribution(bucket.latencyMs.place).p99;
    const why = [
      pendingAfter > 0.01 * sent ? `${pendingAfter} orders still Pending 10 s after the step` : '',
      bucket.unexpected > 0.01 * sent ? `${bucket.unexpected} unexpected answers` : '',
      bucket.late > 0.05 * sent ? `${bucket.late} orders sent late` : '',
      p99Ms > 2000 ? `PUT p99 ${p99Ms.toFixed(0)} ms` : '',
      backlog > Math.max(100, rate * 5) ? `Temporal backlog ${backlog}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    const step = {
      rate,
      placed: bucket.placed,
      pendingAfter,
      unexpected: bucket.unexpected,
      late: bucket.late,
      p99Ms,
      backlog,
      ok: !why,
      why,
    };
    steps.push(step);
    progress(
      `  ${step.ok ? 'kept up' : `fell behind: ${why}`} (placed ${bucket.placed}, PUT p99 ${p99Ms.toFixed(0)} ms, backlog ${backlog})`,
    );
    if (!step.ok) {
      // A noisy machine (other work on it) can make one step fall behind: the same rate again once, after the stack
      // has caught up, before the ramp ends.
      const tries = steps.filter((s) => s.rate === rate).length;
      if (tries >= 2) break;
      await catchUp(
        clients,
        load.orders.map((o) => o.id),
        120_000,
      );
      continue;
    }
    max = rate;
    rate *= 1.25;
    if (rate > 500) break;
  }
  if (max === 0)
    throw new Error(`the stack fell behind at the ramp's first rate (${options.rampStart}/s): give --rate or a lower --ramp-start`);
  return { max, steps };
}

/** Waits until the saga has caught up with the ramp: nothing Pending, outbox sent, Temporal's backlog small. */
async function catchUp(clients: Clients, ids: number[], maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    const { rows } = await clients.db.query<{ n: number }>(
      `select (select count(*) from orders where id = any($1::int[]) and status = 'Pending')
            + (select count(*) from outbox where sent_at is null) as n`,
      [ids],
    );
    const backlog = (await safe(() => clients.backlog(1))) + (await safe(() => clients.backlog(2)));
    if (Number(rows[0]?.n ?? 0) === 0 && !(backlog > 20)) return;
    await sleep(2000);
  }
  progress(`  the stack had not caught up after ${maxMs / 1000} s; going on`);
}

type FinalCheck = {
  orders: number;
  byStatus: Record<string, number>;
  notFinal: number;
  withoutNotification: number;
  withTwoOutcomes: number;
  unsentOutbox: number;
  waitedS: number;
  ok: boolean;
};

/** After the load: waits until every order placed is final (or the deadline), then checks notifications and outbox. */
async function finalCheck(clients: Clients, ids: number[], deadlineMs: number): Promise<FinalCheck> {
  const started = Date.now();
  const query = async () => {
    const [statuses, notifications, outbox] = await Promise.all([
      clients.db.query<{ status: string; n: number }>(
        'select status, count(*)::int as n from orders where id = any($1::int[]) group by status',
        [ids],
      ),
      clients.db.query<{ none: number; many: number }>(
        `select count(*) filter (where n = 0)::int as none, count(*) filter (where n > 1)::int as many
           from (select o.id, count(n.id) as n from orders o left join notifications n on n.order_id = o.id
                  where o.id = any($1::int[]) and o.status = any($2::text[]) group by o.id) per_order`,
        [ids, FINAL_STATUSES],
      ),
      clients.db.query<{ n: number }>('select count(*)::int as n from outbox where sent_at is null and order_id = any($1::int[])', [ids]),
    ]);
    const byStatus = Object.fromEntries(statuses.rows.map((r) => [r.status, r.n]));
    const notFinal = statuses.rows.filter((r) => !FINAL_STATUSES.includes(r.status)).reduce((s, r) => s + r.n, 0);
    return {
      byStatus,
      notFinal,
      withoutNotification: notifications.rows[0]?.none ?? 0,
      withTwoOutcomes: notifications.rows[0]?.many ?? 0,
      unsentOutbox: outbox.rows[0]?.n ?? 0,
    };
  };
  let last = await query();
  let lastReport = Date.now();
  while ((last.notFinal > 0 || last.withoutNotification > 0 || last.unsentOutbox > 0) && Date.now() < started + deadlineMs) {
    if (Date.now() - lastReport > 30_000) {
      progress(`  waiting: ${JSON.stringify(last.byStatus)}, ${last.withoutNotification} final without notification`);
      lastReport = Date.now();
    }
    await sleep(2000);
    last = await query();
  }
  const ok = last.notFinal === 0 && last.withoutNotification === 0 && last.withTwoOutcomes === 0 && last.unsentOutbox === 0;
  return { orders: ids.length, ...last, waitedS: (Date.now() - started) / 1000, ok };
}

const fmt = (v: number) =>
  !Number.isFinite(v) ? '–' : Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(1) : v.toPrecision(2);

type SeriesResult = {
  key: string;
  title: string;
  unit: string;
  tested: boolean;
  first: number;
  last: number;
  min: number;
  max: number;
} & SlopeResult;

function judge(samples: Sample[], options: Options): SeriesResult[] {
  const keys = [...new Set(samples.flatMap((s) => Object.keys(s.values)))];
  return keys.map((key) => {
    const def = seriesDef(key);
    const points = samples.map((s) => ({ t: s.t, v: s.values[key] ?? Number.NaN })).filter((p) => Number.isFinite(p.v));
    const result = slopeTest(points, def.tolerance, { windowMin: options.windowMin, minT: options.minT, minPoints: 5 });
    const vs = points.map((p) => p.v);
    return {
      key,
      title: def.title,
      unit: def.unit,
      tested: def.tested,
      first: vs[0] ?? Number.NaN,
      last: vs[vs.length - 1] ?? Number.NaN,
      min: vs.length ? Math.min(...vs) : Number.NaN,
      max: vs.length ? Math.max(...vs) : Number.NaN,
      ...result,
      verdict: def.tested ? result.verdict : result.verdict === 'too few samples' ? result.verdict : 'steady',
    };
  });
}

const verdictText = (r: SeriesResult) => (r.tested ? r.verdict : `${r.verdict === 'too few samples' ? r.verdict : 'not judged'}`);

function writeOutputs(
  options: Options,
  samples: Sample[],
  results: SeriesResult[],
  report: Record<string, unknown>,
  markdownHead: string[],
) {
  mkdirSync(options.out, { recursive: true });
  for (const r of results) {
    const points = samples.map((s) => ({ t: s.t, v: s.values[r.key] ?? Number.NaN }));
    const subtitle = r.fit
      ? `${verdictText(r)}: fitted growth ${fmt(r.growth)} ${r.unit} over the last ${fmt(r.fit.t1 - r.fit.t0)} min ` +
        `(allowed ${fmt(r.allowed)}), t = ${fmt(r.fit.tStat)}`
      : verdictText(r);
    const svg = chartSvg({
      title: r.title,
      unit: r.unit,
      points,
      subtitle,
      alarm: r.tested && r.verdict === 'grows',
      ...(r.fit ? { fit: { slope: r.fit.slope, intercept: r.fit.intercept, t0: r.fit.t0, t1: r.fit.t1 } } : {}),
    });
    writeFileSync(path.join(options.out, chartFile(r.key)), svg);
  }
  writeFileSync(path.join(options.out, 'samples.json'), `${JSON.stringify({ ...report, samples, results }, null, 2)}\n`);
  const table = [
    '| series | unit | first | last | min | max | slope /min | growth over window | allowed | t | verdict | chart |',
    '| ------ | ---- | ----- | ---- | --- | --- | ---------- | ------------------ | ------- | - | ------- | ----- |',
    ...results
      .sort((a, b) => Number(b.tested) - Number(a.tested) || a.key.localeCompare(b.key))
      .map(
        (r) =>
          `| ${r.title} | ${r.unit} | ${fmt(r.first)} | ${fmt(r.last)} | ${fmt(r.min)} | ${fmt(r.max)} | ${fmt(r.fit?.slope ?? Number.NaN)} | ` +
          `${fmt(r.growth)} | ${r.tested ? fmt(r.allowed) : '–'} | ${fmt(r.fit?.tStat ?? Number.NaN)} | ${r.tested && r.verdict === 'grows' ? '**grows**' : verdictText(r)} | [svg](${chartFile(r.key)}) |`,
      ),
  ];
  writeFileSync(path.join(options.out, 'summary.md'), `${[...markdownHead, '', ...table].join('\n')}\n`);
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  const stack = findStack(options.shape);
  const { config } = stack;
  const appDb = new URL(config.DATABASE_URL).pathname.slice(1);
  progress(
    `soak on the ${options.shape} stack (${stack.apiUrls.join(', ')}): ${options.minutes} min, a sample every ${options.sampleMs / 1000} s, ` +
      `ORDER_EXPIRY ${config.ORDER_EXPIRY / 1000} s, PAYMENT_DURATION ${config.PAYMENT_DURATION / 1000} s, PAYMENT_SUCCESS_RATE ${config.PAYMENT_SUCCESS_RATE}`,
  );
  if (config.ORDER_EXPIRY > (options.minutes * 60_000) / 2) {
    progress(
      `  note: ORDER_EXPIRY is ${config.ORDER_EXPIRY / 60_000} min, so few orders expire within the run; start the stack with e.g. ORDER_EXPIRY=2m`,
    );
  }
  const clients = await connect(stack);
  const session = new Session(
    stack.apiUrls[0]!,
    process.env.BENCH_EMAIL || 'test@example.com',
    process.env.BENCH_PASSWORD || 'Password123!',
    20 * 60_000,
  );
  const startedAt = new Date().toISOString();
  try {
    // The catalogue may be admin-only (PRODUCT_WRITE_ACCESS=admin, the production default).
    const admin = await login(
      stack.apiUrls[0]!,
      process.env.BENCH_ADMIN_EMAIL || 'admin@example.com',
      process.env.BENCH_ADMIN_PASSWORD || 'Password123!',
    );
    const productId = await createProduct(stack.apiUrls[0]!, admin, `soak-${Date.now()}`, 2_000_000_000);
    // The ramp's orders and answers apart from the soak's: the ramp overloads the stack on purpose.
    const rampLoad = new Load(stack.apiUrls, session, productId, options.mix, options.maxDelayMs, options.connections);
    const load = new Load(stack.apiUrls, session, productId, options.mix, options.maxDelayMs, options.connections);

    let ramp: Awaited<ReturnType<typeof measureMaximum>> | undefined;
    let rate = options.rate;
    if (rate === undefined) {
      ramp = await measureMaximum(options, clients, rampLoad);
      rate = Math.max(0.5, Number((ramp.max * options.loadShare).toFixed(1)));
      progress(`maximum kept up with: ${ramp.max.toFixed(1)} orders/s; the soak runs at ${rate} orders/s`);
      await catchUp(
        clients,
        rampLoad.orders.map((o) => o.id),
        180_000,
      );
    }
    const ids = () => load.orders.map((o) => o.id);

    const samples: Sample[] = [];
    const t0 = Date.now();
    const durationMs = options.minutes * 60_000;
    load.take();
    const sampleNow = async () => {
      const t = (Date.now() - t0) / 60_000;
      const { values } = await takeSample(stack, clients, load, appDb, ids);
      samples.push({ t: Number(t.toFixed(3)), at: new Date().toISOString(), values });
      progress(
        `sample ${samples.length} at ${t.toFixed(1)} min: placed ${load.orders.length}, Pending ${values['orders:Pending']}, ` +
          `Processing ${values['orders:Processing']}, outbox unsent ${values['outbox-unsent:']}, lag ${values['kafka-lag:bridge']}/${values['kafka-lag:notifier']}, ` +
          `backlog ${values['temporal-backlog:workflow']}/${values['temporal-backlog:activity']}, PUT p99 ${fmt(values['p99:place'] ?? Number.NaN)} ms`,
      );
    };
    await sampleNow();
    progress(
      `load: ${rate} orders/s for ${options.minutes} min (mix pay ${options.mix.pay.toFixed(2)}, cancel ${options.mix.cancel.toFixed(2)}, leave ${options.mix.leave.toFixed(2)})`,
    );
    const running = load.run(rate, durationMs);
    for (let i = 1; i * options.sampleMs <= durationMs; i++) {
      const wait = t0 + i * options.sampleMs - Date.now();
      if (wait > 0) await sleep(wait);
      await sampleNow();
    }
    await running;
    progress('load done; waiting for the last pays and cancels, then for every order to be final');
    await Promise.all([load.settle(), rampLoad.settle()]);
    const check = await finalCheck(
      clients,
      [...rampLoad.orders, ...load.orders].map((o) => o.id),
      config.ORDER_EXPIRY + config.PAYMENT_DURATION + 180_000,
    );
    progress(
      `final check: ${check.orders} orders, ${JSON.stringify(check.byStatus)}; not final ${check.notFinal}, final without notification ` +
        `${check.withoutNotification}, two outcomes ${check.withTwoOutcomes}, unsent outbox rows ${check.unsentOutbox} (waited ${check.waitedS.toFixed(0)} s)`,
    );

    const results = judge(samples, options);
    const growing = results.filter((r) => r.tested && r.verdict === 'grows');
    const totals = load.totals();
    const requests = KINDS.reduce((s, k) => s + totals.latencyMs[k].length, 0);
    const unexpectedOk = totals.unexpected <= 0.01 * requests;
    const passed = growing.length === 0 && check.ok && unexpectedOk;
    const settings = {
      shape: options.shape,
      minutes: options.minutes,
      sampleS: options.sampleMs / 1000,
      rate,
      loadShare: options.rate === undefined ? options.loadShare : undefined,
      windowMin: options.windowMin,
      minT: options.minT,
      mix: options.mix,
      maxDelayS: options.maxDelayMs / 1000,
      ORDER_EXPIRY: config.ORDER_EXPIRY,
      PAYMENT_DURATION: config.PAYMENT_DURATION,
      PAYMENT_SUCCESS_RATE: config.PAYMENT_SUCCESS_RATE,
    };
    const head = [
      `# Soak, ${options.shape} stack, ${startedAt}`,
      '',
      `- ${passed ? 'PASSED' : 'FAILED'}: ${growing.length} judged series grow${growing.length ? ` (${growing.map((g) => g.title).join('; ')})` : ''}; ` +
        `final check ${check.ok ? 'ok' : 'FAILED'}; unexpected answers ${totals.unexpected} of ${requests} requests`,
      `- load: ${rate} orders/s for ${options.minutes} min` +
        (ramp
          ? ` (${Math.round(options.loadShare * 100)} % of ${ramp.max.toFixed(1)} orders/s, the highest ramp step the stack kept up with)`
          : ' (--rate)') +
        `, orders paid ${options.mix.pay.toFixed(2)}, cancelled ${options.mix.cancel.toFixed(2)}, left alone ${options.mix.leave.toFixed(2)}; ` +
        `ORDER_EXPIRY ${config.ORDER_EXPIRY / 1000} s, PAYMENT_DURATION ${config.PAYMENT_DURATION / 1000} s, PAYMENT_SUCCESS_RATE ${config.PAYMENT_SUCCESS_RATE}`,
      `- answers: ${KINDS.map((k) => `${k} ${JSON.stringify(totals.answers[k])}`).join('; ')}`,
      ...(ramp ? [`- the ramp's answers: ${KINDS.map((k) => `${k} ${JSON.stringify(rampLoad.totals().answers[k])}`).join('; ')}`] : []),
      `- final check (the ramp's orders and the soak's): ${check.orders} orders ${JSON.stringify(check.byStatus)}; not final ${check.notFinal}, final without a notification ${check.withoutNotification}, ` +
        `with two outcomes ${check.withTwoOutcomes}, unsent outbox rows ${check.unsentOutbox}`,
      `- slope test: least squares over the last ${fmt(options.windowMin)} min; a judged series grows when its fitted growth exceeds max(relative × level, floor) and t ≥ ${options.minT}`,
      `- ${samples.length} samples, one every ${options.sampleMs / 1000} s; machine: ${os.cpus().length} CPUs, load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} at the end`,
    ];
    if (ramp) {
      head.push(
        `- ramp (${options.rampStepMs / 1000} s a step): ${ramp.steps.map((s) => `${s.rate.toFixed(1)}/s ${s.ok ? 'ok' : `behind (${s.why})`}`).join(', ')}`,
      );
    }
    writeOutputs(
      options,
      samples,
      results,
      {
        settings,
        machine: machine(),
        startedAt,
        finishedAt: new Date().toISOString(),
        ramp,
        finalCheck: check,
        answers: totals.answers,
        rampAnswers: ramp ? rampLoad.totals().answers : undefined,
        unexpected: totals.unexpected,
        passed,
      },
      head,
    );
    console.log(`\n${head.join('\n')}\n`);
    for (const r of results.filter((r) => r.tested)) {
      console.log(
        `${(r.tested && r.verdict === 'grows' ? 'GROWS ' : '      ') + r.title.padEnd(58)} ${fmt(r.first).padStart(8)} → ${fmt(r.last).padStart(8)} ${r.unit.padEnd(12)} growth ${fmt(r.growth)} (allowed ${fmt(r.allowed)}), t ${fmt(r.fit?.tStat ?? Number.NaN)}`,
      );
    }
    console.log(`\nresults: ${path.relative(process.cwd(), options.out)}/ (summary.md, samples.json, one SVG per series)`);
    return passed ? 0 : 1;
  } finally {
    await clients.close();
  }
}

try {
  process.exitCode = await main();
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 2;
}
