// scale: what running the roles as separate processes, and N of a role, adds. Each setup runs its own processes
// (`node src/main.ts <role>`) on a scratch database, with its own topic prefix, consumer groups, task queue and
// workflow ids, places the same number of orders over HTTP with instant payments, and measures orders/s from the first
// request to the last Completed. The baseline is the first setup (every role in one process), measured in the same
// run. After each setup it checks the guarantees: every order Completed, exactly one notification each.
import pg from 'pg';
import { loadConfig } from '../../src/config.ts';
import { createProduct, login, mapLimit, numberSetting, placeOrder, progress, stringSetting, withDatabase } from '../bench.lib.ts';
import { cpuSecondsOf, ownAppEnv, recreateDatabase, stackPids, startOwnProcess, type OwnProcess } from '../stack.ts';
import type { Suite, SuiteContext } from '../suite.ts';

const ROLES = ['relay', 'bridge', 'worker', 'notifier'] as const;
type Role = (typeof ROLES)[number];
/** 'all': one process with every role; otherwise an api process plus this many processes of each role. */
type Setup = 'all' | Record<Role, number>;

function readSettings() {
  return {
    SCALE_ORDERS: numberSetting('SCALE_ORDERS', 400),
    SCALE_CONCURRENCY: numberSetting('SCALE_CONCURRENCY', 16),
    /** Setups in order, `;`-separated: `all`, or relay,bridge,worker,notifier process counts. */
    SCALE_SETUPS: stringSetting('SCALE_SETUPS', 'all;1,1,1,1;1,1,2,1;1,2,2,1;2,2,2,2'),
    SCALE_PORT: numberSetting('SCALE_PORT', 3200),
    SCALE_DATABASE: stringSetting('SCALE_DATABASE', 'order_saga_bench_scale'),
    SCALE_DEADLINE_S: numberSetting('SCALE_DEADLINE_S', 300),
  };
}
type ScaleSettings = ReturnType<typeof readSettings>;

function parseSetups(text: string): Setup[] {
  return text.split(';').map((part) => {
    const trimmed = part.trim();
    if (trimmed === 'all') return 'all';
    const counts = trimmed.split(',').map(Number);
    if (counts.length !== ROLES.length || counts.some((n) => !Number.isInteger(n) || n < 1 || n > 8)) {
      throw new Error(`SCALE_SETUPS: "${trimmed}" is neither "all" nor four process counts 1-8 (relay,bridge,worker,notifier)`);
    }
    return Object.fromEntries(ROLES.map((role, i) => [role, counts[i]])) as Record<Role, number>;
  });
}

const label = (setup: Setup) =>
  setup === 'all' ? 'one process, every role' : `api + ${ROLES.map((r) => `${setup[r]} ${r}${setup[r] > 1 ? 's' : ''}`).join(', ')}`;

type SetupResult = { ordersPerS: number; cpuMsPerOrder: Record<string, number>; missing: number; duplicates: number; notCompleted: number };

async function runSetup(
  setup: Setup,
  index: number,
  databaseUrl: string,
  settings: ScaleSettings,
  ctx: SuiteContext,
): Promise<SetupResult> {
  const run = `${Date.now().toString(36)}-${index}`;
  const env = ownAppEnv(databaseUrl, `bench-scale-${run}`);
  const port = settings.SCALE_PORT;
  const processes: Array<{ name: string; process: OwnProcess }> = [];
  try {
    const api = await startOwnProcess(setup === 'all' ? 'all' : 'api', port, env, `scale-${setup === 'all' ? 'all' : 'api'}`);
    processes.push({ name: setup === 'all' ? 'app' : 'api', process: api });
    if (setup !== 'all') {
      let next = port + 1;
      for (const role of ROLES) {
        for (let i = 1; i <= setup[role]; i++) {
          const metricsPort = next++;
          const name = `${role}-${i}`;
          const started = await startOwnProcess(
            role,
            metricsPort,
            { ...env, METRICS_PORT: String(metricsPort) },
            `scale-${name}`,
            '/metrics',
          );
          processes.push({ name, process: started });
        }
      }
    }
    const baseUrl = `http://127.0.0.1:${port}`;
    const token = await login(baseUrl, ctx.common.BENCH_EMAIL, ctx.common.BENCH_PASSWORD);
    const productId = await createProduct(baseUrl, token, `bench-scale-${run}`, 2_000_000_000);
    const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    try {
      // One order through first: every process is connected and its consumer group has settled before the clock runs.
      const [probeId] = [await placeOrder(baseUrl, token, productId)];
      await waitCompleted(db, [probeId], 120);

      const pids = { ...Object.fromEntries(processes.map((p) => [p.name, p.process.pid])), ...pick(stackPids(), ['temporal', 'kafka']) };
      const cpuBefore = Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, cpuSecondsOf(pid)]));
      const started = Date.now();
      const ids = await mapLimit(Array.from({ length: settings.SCALE_ORDERS }), settings.SCALE_CONCURRENCY, () =>
        placeOrder(baseUrl, token, productId),
      );
      const finished = await waitCompleted(db, ids, settings.SCALE_DEADLINE_S);
      const cpuMsPerOrder = Object.fromEntries(
        Object.entries(pids).map(([n, pid]) => [n, ((cpuSecondsOf(pid) - cpuBefore[n]!) * 1000) / ids.length]),
      );
      const all = [probeId, ...ids];
      const { rows } = await db.query<{ missing: string; duplicates: string; not_completed: string }>(
        `select count(*) filter (where n = 0) as missing, count(*) filter (where n > 1) as duplicates,
                count(*) filter (where status <> 'Completed') as not_completed
           from (select o.id, o.status, count(n.id) as n from orders o left join notifications n on n.order_id = o.id
                  where o.id = any($1) group by o.id, o.status) per_order`,
        [all],
      );
      const row = rows[0]!;
      return {
        ordersPerS: finished === undefined ? 0 : ids.length / ((finished - started) / 1000),
        cpuMsPerOrder,
        missing: Number(row.missing),
        duplicates: Number(row.duplicates),
        notCompleted: Number(row.not_completed),
      };
    } finally {
      await db.end();
    }
  } finally {
    await Promise.all(processes.map((p) => p.process.stop()));
  }
}

const pick = (record: Record<string, number>, keys: string[]) =>
  Object.fromEntries(keys.flatMap((k) => (k in record ? [[k, record[k]!]] : [])));

/** Polls until every order is Completed and notified; returns when the last became Completed, undefined on timeout. */
export async function waitCompleted(db: pg.Pool, ids: number[], timeoutS: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    const { rows } = await db.query<{ open: string; unnotified: string; last: Date | null }>(
      `select count(*) filter (where o.status <> 'Completed') as open,
              count(*) filter (where not exists (select 1 from notifications n where n.order_id = o.id)) as unnotified,
              max(o.updated_at) as last
         from orders o where o.id = any($1)`,
      [ids],
    );
    const row = rows[0]!;
    if (Number(row.open) === 0) {
      if (Number(row.unnotified) === 0) return row.last?.getTime();
    }
    if (Date.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function run(ctx: SuiteContext, settings: ScaleSettings): Promise<void> {
  const setups = parseSetups(settings.SCALE_SETUPS);
  const appConfig = loadConfig(process.env);
  const databaseUrl = withDatabase(appConfig.DATABASE_URL, settings.SCALE_DATABASE);
  progress(`recreating database ${settings.SCALE_DATABASE}`);
  await recreateDatabase(appConfig.DATABASE_URL, settings.SCALE_DATABASE);
  ctx.result.stack = { processes: 'own, per setup', DATABASE: settings.SCALE_DATABASE, PAYMENT_DURATION: '0' };
  const results: Array<{ setup: string } & SetupResult> = [];
  for (const [index, setup] of setups.entries()) {
    progress(`setup ${index + 1}/${setups.length}: ${label(setup)}: ${settings.SCALE_ORDERS} orders`);
    const result = await runSetup(setup, index, databaseUrl, settings, ctx);
    progress(
      `  ${result.ordersPerS.toFixed(1)} orders/s; not completed ${result.notCompleted}, notifications missing ${result.missing}, duplicated ${result.duplicates}`,
    );
    results.push({ setup: label(setup), ...result });
  }
  ctx.result.details = results;
  const baseline = results[0]!;
  for (const r of results) {
    ctx.row({
      figure: `${r.setup}: HTTP → Completed`,
      unit: 'orders/s',
      value: r.ordersPerS,
      baseline: baseline.ordersPerS,
      baselineIs: `${baseline.setup}, same run`,
    });
    const total = Object.values(r.cpuMsPerOrder).reduce((s, v) => s + v, 0);
    const app = total - (r.cpuMsPerOrder.temporal ?? 0) - (r.cpuMsPerOrder.kafka ?? 0);
    ctx.note(
      `${r.setup}: CPU per order app processes ${app.toFixed(1)} ms, Temporal ${(r.cpuMsPerOrder.temporal ?? Number.NaN).toFixed(1)} ms, ` +
        `Kafka ${(r.cpuMsPerOrder.kafka ?? Number.NaN).toFixed(1)} ms; not completed ${r.notCompleted}, notifications missing ${r.missing}, duplicated ${r.duplicates}`,
    );
  }
  const broken = results.filter((r) => r.notCompleted + r.missing + r.duplicates > 0);
  if (broken.length > 0) throw new Error(`guarantee broken in: ${broken.map((r) => r.setup).join('; ')}`);
}

export const scaleSuite: Suite = {
  name: 'scale',
  long: true,
  summary: 'roles as separate processes, N per role: orders/s vs every role in one process; one notification per order',
  settings: readSettings,
  run: (ctx) => run(ctx, readSettings()),
};
