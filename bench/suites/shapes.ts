// shapes: the same work on the stack's two shapes in one run. The dev-server shape is every role in one process
// (`node src/main.ts all`) against the default stack's Temporal dev server (SQLite) and single Kafka broker; the
// cluster shape is the cluster stack's eleven processes (two each of api, relay, bridge, worker, notifier, one
// reconciler, production settings) against its Temporal server on PostgreSQL and three brokers (RF 3). Each shape runs
// processes of its own (started here, on a scratch database, with their own topic prefix, consumer groups, task queue
// and workflow ids: neither stack's app is touched) with instant payments, then measures the pipeline (orders/s from
// HTTP to Completed) and a burst (time until none is Pending, until all are Completed), and the CPU each process used
// per order, from /proc/<pid>/stat. Rows: the cluster shape against the dev-server shape as baseline, so the ratio is
// cluster ÷ dev.
import pg from 'pg';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { appTopicOptions, ensureTopicsEventually } from '../../src/messaging/admin.ts';
import { createKafka } from '../../src/messaging/kafka.ts';
import { createProduct, login, mapLimit, numberSetting, placeOrder, progress, sleep, stringSetting, withDatabase } from '../bench.lib.ts';
import { findStack } from '../soak/processes.ts';
import { cpuSecondsOf, ownAppEnv, recreateDatabase, stackPids, startOwnProcess, type OwnProcess } from '../stack.ts';
import { SkipError, type Suite, type SuiteContext } from '../suite.ts';
import { waitCompleted } from './scale.ts';

type Shape = 'dev' | 'cluster';

function readSettings() {
  return {
    SHAPES_ORDERS: numberSetting('SHAPES_ORDERS', 500),
    SHAPES_CONCURRENCY: numberSetting('SHAPES_CONCURRENCY', 16),
    SHAPES_BURST_ORDERS: numberSetting('SHAPES_BURST_ORDERS', 1000),
    SHAPES_BURST_CONCURRENCY: numberSetting('SHAPES_BURST_CONCURRENCY', 64),
    /** The dev shape's process; the cluster shape's API processes at +10 and +11, the other roles from +12. */
    SHAPES_PORT: numberSetting('SHAPES_PORT', 3300),
    SHAPES_DATABASE: stringSetting('SHAPES_DATABASE', 'order_saga_bench_shapes'),
    SHAPES_DEADLINE_S: numberSetting('SHAPES_DEADLINE_S', 600),
    SHAPES_IDLE_S: numberSetting('SHAPES_IDLE_S', 10),
  };
}
type Settings = ReturnType<typeof readSettings>;

/** The cluster shape's processes in scripts/cluster.sh's order, but the first API first: it migrates and seeds. */
const CLUSTER_PROCESSES = [
  'api:1',
  'worker:1',
  'worker:2',
  'notifier:1',
  'notifier:2',
  'bridge:1',
  'bridge:2',
  'relay:1',
  'relay:2',
  'api:2',
  'reconciler:1',
];

/** Settings a shape's environment must not inherit from the stack it borrows (ports, the soak's expiry, payments). */
const NOT_INHERITED = ['PORT', 'METRICS_PORT', 'ORDER_EXPIRY', 'PAYMENT_DURATION', 'PAYMENT_SUCCESS_RATE', 'DATABASE_URL'];

type Services = {
  /** The environment the shape's processes start from (the stack's own settings: brokers, Temporal, secrets). */
  env: Record<string, string>;
  /** Processes shared with others that do the shape's work too: Temporal and the brokers. */
  pids: Record<string, number>;
  /** Databases whose PostgreSQL backends work for the shape, per group. */
  databases: Record<string, string[]>;
};

function services(shape: Shape, database: string): Services {
  if (shape === 'dev') {
    const found = stackPids();
    if (!found.temporal || !found.kafka)
      throw new SkipError('the default stack is not running (Temporal dev server and Kafka): npm run stack:up');
    const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
    return { env, pids: { temporal: found.temporal, kafka: found.kafka }, databases: { 'pg-app': [database], 'pg-temporal': [] } };
  }
  let stack;
  try {
    stack = findStack('cluster');
  } catch (err) {
    throw new SkipError(
      `${err instanceof Error ? err.message : String(err)} (start it on moved ports beside the default stack: docs/production.md)`,
    );
  }
  const all = stack.processes();
  const pids = Object.fromEntries(Object.entries(all).filter(([name]) => name === 'temporal-server' || name.startsWith('kafka-')));
  if (!pids['temporal-server']) throw new SkipError('the cluster stack has no Temporal server running');
  return { env: stack.env, pids, databases: { 'pg-app': [database], 'pg-temporal': ['temporal', 'temporal_visibility'] } };
}

type Snapshot = { at: number; procs: Record<string, number>; backends: Record<string, Map<number, number>> };

const cpuOf = (pid: number) => {
  try {
    return cpuSecondsOf(pid);
  } catch {
    return Number.NaN; // gone
  }
};

async function snapshot(pids: Record<string, number>, db: pg.Pool, databases: Record<string, string[]>): Promise<Snapshot> {
  const backends: Record<string, Map<number, number>> = {};
  for (const [group, names] of Object.entries(databases)) {
    const { rows } = await db.query<{ pid: number }>('select pid from pg_stat_activity where datname = any($1::text[])', [names]);
    backends[group] = new Map(rows.map((r) => [r.pid, cpuOf(r.pid)]).filter(([, s]) => Number.isFinite(s)) as Array<[number, number]>);
  }
  return { at: Date.now(), procs: Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuOf(pid)])), backends };
}

/** CPU seconds between two snapshots; a backend that appeared in between counts whole, one that ended is lost. */
function used(before: Snapshot, after: Snapshot): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, s] of Object.entries(after.procs)) out[name] = s - (before.procs[name] ?? Number.NaN);
  for (const [group, pids] of Object.entries(after.backends)) {
    let sum = 0;
    for (const [pid, s] of pids) sum += s - (before.backends[group]?.get(pid) ?? 0);
    out[group] = sum;
  }
  return out;
}

/** Per-process CPU into the rows' groups: the app's processes, Temporal, the brokers, PostgreSQL's backends. */
function groups(cpu: Record<string, number>, appNames: string[]): Record<string, number> {
  const sum = (pred: (name: string) => boolean) =>
    Object.entries(cpu)
      .filter(([name]) => pred(name))
      .reduce((s, [, v]) => s + v, 0);
  return {
    app: sum((n) => appNames.includes(n)),
    temporal: sum((n) => n === 'temporal' || n === 'temporal-server'),
    kafka: sum((n) => n.startsWith('kafka')),
    'pg-app': cpu['pg-app'] ?? 0,
    'pg-temporal': cpu['pg-temporal'] ?? 0,
    total: Object.values(cpu).reduce((s, v) => s + v, 0),
  };
}

type ShapeResult = {
  shape: Shape;
  processes: string[];
  pipeline: { ordersPerS: number; wallS: number } & PhaseCpu;
  burst: { nonePendingS: number; allCompletedS: number; placedS: number } & PhaseCpu;
  /** CPU per second of the shared processes while the shape's own processes were idle. */
  idleCpuPerS: Record<string, number>;
  guarantee: { notCompleted: number; missing: number; duplicates: number };
};

const perOrder = (cpu: Record<string, number>, n: number) => Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, (v * 1000) / n]));

type PhaseCpu = {
  /** Per group (app processes, Temporal, brokers, PostgreSQL backends, total), ms per order. */
  cpuMsPerOrder: Record<string, number>;
  /** The same less what the group burnt idle over as long (its idle rate × the phase's seconds), at least 0. */
  netMsPerOrder: Record<string, number>;
  perProcessMs: Record<string, number>;
  phaseS: number;
};

function phaseCpu(before: Snapshot, after: Snapshot, n: number, appNames: string[], idleCpuPerS: Record<string, number>): PhaseCpu {
  const cpu = used(before, after);
  const grouped = groups(cpu, appNames);
  const phaseS = (after.at - before.at) / 1000;
  const net = Object.fromEntries(Object.entries(grouped).map(([k, v]) => [k, Math.max(0, v - (idleCpuPerS[k] ?? 0) * phaseS)]));
  return { cpuMsPerOrder: perOrder(grouped, n), netMsPerOrder: perOrder(net, n), perProcessMs: perOrder(cpu, n), phaseS };
}

async function runShape(shape: Shape, settings: Settings, ctx: SuiteContext): Promise<ShapeResult> {
  const database = `${settings.SHAPES_DATABASE}_${shape}`;
  const svc = services(shape, database);
  const adminUrl = shape === 'dev' ? loadConfig(process.env).DATABASE_URL : svc.env.DATABASE_URL!;
  const databaseUrl = withDatabase(adminUrl, database);
  progress(`${shape}: recreating database ${database}`);
  await recreateDatabase(adminUrl, database);
  const run = `${Date.now().toString(36)}-${shape}`;
  const base = Object.fromEntries(Object.entries(svc.env).filter(([k]) => !NOT_INHERITED.includes(k)));
  const env = { ...base, ...ownAppEnv(databaseUrl, `bench-shapes-${run}`) };
  // The shape's topics first, created by the app's own code with its retries: a bridge or notifier that creates fresh
  // topics on three brokers can exit at start (kafkajs: UNKNOWN_TOPIC_OR_PARTITION while it waits for their leaders).
  const shapeConfig = loadConfig(env);
  const kafkaLog = createLogger({ LOG_LEVEL: 'error', LOG_PRETTY: false });
  const topicsCreated = ensureTopicsEventually(createKafka(shapeConfig, kafkaLog), appTopicOptions(shapeConfig), kafkaLog);
  if ((await Promise.race([topicsCreated.then(() => true), sleep(120_000).then(() => false)])) === false) {
    throw new Error(`${shape}: could not create the shape's Kafka topics within 120 s`);
  }
  const own: Array<{ name: string; process: OwnProcess }> = [];
  const db = new pg.Pool({ connectionString: databaseUrl, max: 3 });
  try {
    const apiPorts: number[] = [];
    if (shape === 'dev') {
      own.push({ name: 'app', process: await startOwnProcess('all', settings.SHAPES_PORT, env, 'shapes-dev-all') });
      apiPorts.push(settings.SHAPES_PORT);
    } else {
      let next = settings.SHAPES_PORT + 12;
      for (const p of CLUSTER_PROCESSES) {
        const [role, index] = p.split(':') as [string, string];
        const name = `${role}-${index}`;
        progress(`  cluster: starting ${name}`);
        if (role === 'api') {
          const port = settings.SHAPES_PORT + 9 + Number(index);
          own.push({ name, process: await startOwnProcess('api', port, env, `shapes-cluster-${name}`) });
          apiPorts.push(port);
        } else {
          const port = next++;
          const started = await startOwnProcess(role, port, { ...env, METRICS_PORT: String(port) }, `shapes-cluster-${name}`, '/metrics');
          own.push({ name, process: started });
        }
      }
    }
    const urls = apiPorts.map((p) => `http://127.0.0.1:${p}`);
    const token = await login(urls[0]!, ctx.common.BENCH_EMAIL, ctx.common.BENCH_PASSWORD);
    // The catalogue is admin-only in production (PRODUCT_WRITE_ACCESS=admin).
    const admin = await login(
      urls[0]!,
      process.env.BENCH_ADMIN_EMAIL || 'admin@example.com',
      process.env.BENCH_ADMIN_PASSWORD || 'Password123!',
    );
    const productId = await createProduct(urls[0]!, admin, `bench-shapes-${run}`, 2_000_000_000);
    let next = 0;
    const place = () => placeOrder(urls[next++ % urls.length]!, token, productId);

    // One order through first: every process is connected and every consumer group has settled.
    const probe = await place();
    if ((await waitCompleted(db, [probe], 120)) === undefined) throw new Error(`${shape}: the probe order did not complete in 120 s`);

    const pids = { ...Object.fromEntries(own.map((p) => [p.name, p.process.pid])), ...svc.pids };
    const appNames = own.map((p) => p.name);

    // Idle: what the processes burn without orders (pollers, heartbeats, the relay's rounds; for the shared servers, also
    // the other users of the default stack).
    const idleBefore = await snapshot(pids, db, svc.databases);
    await sleep(settings.SHAPES_IDLE_S * 1000);
    const idleCpuPerS = Object.fromEntries(
      Object.entries(groups(used(idleBefore, await snapshot(pids, db, svc.databases)), appNames)).map(([k, v]) => [
        k,
        v / settings.SHAPES_IDLE_S,
      ]),
    );

    progress(`${shape}: pipeline, ${settings.SHAPES_ORDERS} orders over HTTP, ${settings.SHAPES_CONCURRENCY} at a time`);
    const p0 = await snapshot(pids, db, svc.databases);
    const t0 = Date.now();
    const pipelineIds = await mapLimit(Array.from({ length: settings.SHAPES_ORDERS }), settings.SHAPES_CONCURRENCY, place);
    const pipelineEnd = await waitCompleted(db, pipelineIds, settings.SHAPES_DEADLINE_S);
    const p1 = await snapshot(pids, db, svc.databases);
    if (pipelineEnd === undefined) throw new Error(`${shape}: pipeline orders not all Completed within ${settings.SHAPES_DEADLINE_S} s`);
    const pipelineWallS = (pipelineEnd - t0) / 1000;

    progress(`${shape}: burst, ${settings.SHAPES_BURST_ORDERS} orders, ${settings.SHAPES_BURST_CONCURRENCY} at a time`);
    const b0 = await snapshot(pids, db, svc.databases);
    const u0 = Date.now();
    const burstIds = await mapLimit(Array.from({ length: settings.SHAPES_BURST_ORDERS }), settings.SHAPES_BURST_CONCURRENCY, place);
    const placedS = (Date.now() - u0) / 1000;
    let nonePendingAt: number | undefined;
    const deadline = u0 + settings.SHAPES_DEADLINE_S * 1000;
    while (nonePendingAt === undefined && Date.now() < deadline) {
      const { rows } = await db.query<{ n: number }>(
        `select count(*)::int as n from orders where id = any($1::int[]) and status = 'Pending'`,
        [burstIds],
      );
      if (rows[0]?.n === 0) nonePendingAt = Date.now();
      else await sleep(100);
    }
    const burstEnd = await waitCompleted(db, burstIds, Math.max(1, (deadline - Date.now()) / 1000));
    const b1 = await snapshot(pids, db, svc.databases);
    if (nonePendingAt === undefined || burstEnd === undefined)
      throw new Error(`${shape}: burst not done within ${settings.SHAPES_DEADLINE_S} s`);

    const all = [probe, ...pipelineIds, ...burstIds];
    const { rows } = await db.query<{ missing: number; duplicates: number; not_completed: number }>(
      `select count(*) filter (where n = 0)::int as missing, count(*) filter (where n > 1)::int as duplicates,
              count(*) filter (where status <> 'Completed')::int as not_completed
         from (select o.id, o.status, count(n.id) as n from orders o left join notifications n on n.order_id = o.id
                where o.id = any($1) group by o.id, o.status) per_order`,
      [all],
    );
    return {
      shape,
      processes: appNames,
      pipeline: {
        ordersPerS: pipelineIds.length / pipelineWallS,
        wallS: pipelineWallS,
        ...phaseCpu(p0, p1, pipelineIds.length, appNames, idleCpuPerS),
      },
      burst: {
        nonePendingS: (nonePendingAt - u0) / 1000,
        allCompletedS: (burstEnd - u0) / 1000,
        placedS,
        ...phaseCpu(b0, b1, burstIds.length, appNames, idleCpuPerS),
      },
      idleCpuPerS,
      guarantee: { notCompleted: rows[0]!.not_completed, missing: rows[0]!.missing, duplicates: rows[0]!.duplicates },
    };
  } finally {
    await db.end();
    await Promise.all(own.map((p) => p.process.stop()));
  }
}

const GROUP_LABELS: Record<string, string> = {
  app: 'app processes',
  temporal: 'Temporal server',
  kafka: 'Kafka brokers',
  'pg-app': "PostgreSQL backends, the app's database",
  'pg-temporal': "PostgreSQL backends, Temporal's databases",
  total: 'all of them',
};

/** Per-role sums of the cluster's per-process figures (api-1 + api-2 → api). */
const byRole = (perProcess: Record<string, number>, names: string[]) => {
  const roles = new Map<string, number>();
  for (const name of names) {
    const role = name.replace(/-\d+$/, '');
    roles.set(role, (roles.get(role) ?? 0) + (perProcess[name] ?? 0));
  }
  return [...roles].map(([role, ms]) => `${role} ${ms.toFixed(2)}`).join(', ');
};

async function run(ctx: SuiteContext, settings: Settings): Promise<void> {
  const results: ShapeResult[] = [];
  for (const shape of ['dev', 'cluster'] as const) results.push(await runShape(shape, settings, ctx));
  const [dev, cluster] = results as [ShapeResult, ShapeResult];
  ctx.result.stack = {
    processes: 'own, per shape',
    DATABASE: `${settings.SHAPES_DATABASE}_dev, _cluster`,
    PAYMENT_DURATION: '0',
    PAYMENT_SUCCESS_RATE: '1',
  };
  ctx.result.details = results;
  const baselineIs = 'dev-server shape, same run';
  ctx.row({
    figure: `pipeline: first request → last Completed (${settings.SHAPES_ORDERS} orders)`,
    unit: 'orders/s',
    value: cluster.pipeline.ordersPerS,
    baseline: dev.pipeline.ordersPerS,
    baselineIs,
  });
  ctx.row({
    figure: `burst: time until none Pending (${settings.SHAPES_BURST_ORDERS} orders)`,
    unit: 's',
    value: cluster.burst.nonePendingS,
    baseline: dev.burst.nonePendingS,
    baselineIs,
  });
  ctx.row({
    figure: 'burst: time until all Completed',
    unit: 's',
    value: cluster.burst.allCompletedS,
    baseline: dev.burst.allCompletedS,
    baselineIs,
  });
  for (const phase of ['pipeline', 'burst'] as const) {
    for (const [group, label] of Object.entries(GROUP_LABELS)) {
      const d = dev[phase].cpuMsPerOrder[group] ?? 0;
      const c = cluster[phase].cpuMsPerOrder[group] ?? 0;
      if (d === 0 && c === 0) continue;
      ctx.row({ figure: `${phase}: CPU per order, ${label}`, unit: 'ms', value: c, baseline: d, baselineIs });
    }
  }
  // The dev server and the default broker also work for whoever else uses the default stack: less their idle rate.
  for (const phase of ['pipeline', 'burst'] as const) {
    for (const group of ['app', 'temporal', 'kafka', 'total']) {
      ctx.row({
        figure: `${phase}: CPU per order less idle, ${GROUP_LABELS[group]}`,
        unit: 'ms',
        value: cluster[phase].netMsPerOrder[group] ?? 0,
        baseline: dev[phase].netMsPerOrder[group] ?? 0,
        baselineIs,
      });
    }
  }
  for (const group of ['app', 'temporal', 'total']) {
    ctx.row({
      figure: `idle: CPU per second, ${GROUP_LABELS[group]}`,
      unit: 'ms/s',
      value: (cluster.idleCpuPerS[group] ?? 0) * 1000,
      baseline: (dev.idleCpuPerS[group] ?? 0) * 1000,
      baselineIs,
    });
  }
  for (const r of results) {
    for (const phase of ['pipeline', 'burst'] as const) {
      ctx.note(
        `${r.shape}, ${phase}: CPU ms per order by process: ${Object.entries(r[phase].perProcessMs)
          .map(([k, v]) => `${k} ${v.toFixed(2)}`)
          .join(', ')}${r.shape === 'cluster' ? `; app by role: ${byRole(r[phase].perProcessMs, r.processes)}` : ''}`,
      );
    }
    ctx.note(
      `${r.shape}: idle CPU before the run, ${settings.SHAPES_IDLE_S} s after the probe order (ms per second): ${Object.entries(
        r.idleCpuPerS,
      )
        .map(([k, v]) => `${k} ${(v * 1000).toFixed(0)}`)
        .join(', ')}; burst orders placed in ${r.burst.placedS.toFixed(1)} s; not completed ${r.guarantee.notCompleted}, ` +
        `notifications missing ${r.guarantee.missing}, duplicated ${r.guarantee.duplicates}`,
    );
  }
  ctx.note(
    'PostgreSQL backends: CPU of the backends connected to the databases at the start or end of each phase (a backend that ' +
      'ended in between is not counted); the dev server keeps its state in SQLite inside its own process',
  );
  const broken = results.filter((r) => r.guarantee.notCompleted + r.guarantee.missing + r.guarantee.duplicates > 0);
  if (broken.length > 0) throw new Error(`guarantee broken on: ${broken.map((r) => r.shape).join(', ')}`);
}

export const shapesSuite: Suite = {
  name: 'shapes',
  long: true,
  summary: 'pipeline, burst and CPU per order per process on the dev-server shape and the cluster shape, cluster ÷ dev',
  settings: readSettings,
  run: (ctx) => run(ctx, readSettings()),
};
