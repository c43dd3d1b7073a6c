// api: the HTTP API against the same database work done by a raw node-postgres loop, at the same concurrency and pool
// size. The API runs as its own process (`node src/main.ts api`, nothing else) on a scratch database recreated per
// run, so no relay, bridge or worker competes for the CPU and the orders created here never enter a saga.
//   PUT /api/order (1 hot product | spread over N products)  vs  the same transaction in raw SQL
//   GET /api/product/{id}                                     vs  select … from products where id = $1
// A third side serves the same raw SQL over a bare node:http server (bench/raw-sql.ts, its own process, the same
// load generator): the most any Node HTTP service can do here, so the API's gap splits into what HTTP and the load
// generator cost on this machine (bare vs raw) and what the API's own layers cost (API vs bare).
import autocannon, { type Request as AutocannonRequest } from 'autocannon';
import pg from 'pg';
import { loadConfig } from '../../src/config.ts';
import { placeOrderRaw, readProductRaw } from '../raw-sql.ts';
import { createProduct, distribution, login, median, numberSetting, progress, stringSetting, withDatabase } from '../bench.lib.ts';
import { cpuSecondsOf, recreateDatabase, startOwnProcess, startScript, type OwnProcess } from '../stack.ts';
import type { Suite, SuiteContext } from '../suite.ts';

function readSettings() {
  return {
    API_DURATION: numberSetting('API_DURATION', 10),
    API_WARMUP_S: numberSetting('API_WARMUP_S', 2),
    API_ROUNDS: numberSetting('API_ROUNDS', 2),
    API_CONNECTIONS: numberSetting('API_CONNECTIONS', 64),
    API_PRODUCTS: numberSetting('API_PRODUCTS', 50),
    API_PORT: numberSetting('API_PORT', 3100),
    API_BARE_PORT: numberSetting('API_BARE_PORT', 3101),
    API_DATABASE: stringSetting('API_DATABASE', 'order_saga_bench'),
    /** The app's pool size; the API process gets the same environment, so the raw pool matches it. */
    DB_POOL_MAX: loadConfig(process.env).DB_POOL_MAX,
  };
}
type ApiSettings = ReturnType<typeof readSettings>;

/** The three sides: the API, the raw node-postgres loop, the bare node:http server over the same SQL. */
const SIDES = ['raw', 'api', 'bare'] as const;
type Side = (typeof SIDES)[number];

/** One measured run of one side: throughput and latency. */
/** cpuMs: CPU per successful request of the API process (API side) or of this process (raw side); PostgreSQL's is not counted. */
type Measurement = { perSecond: number; p50: number; p99: number; ok: number; errors: number; cpuMs: number };

type Scenario = {
  name: string;
  /** autocannon requests for the API side. */
  request: (ids: number[]) => AutocannonRequest;
  /** The raw side: one unit of work on a pooled connection. */
  raw: (pool: pg.Pool, productId: number) => Promise<void>;
  products: 'hot' | 'spread';
};

/** `n` ids taken round-robin. */
const roundRobin = (ids: number[]) => {
  let next = 0;
  return () => ids[next++ % ids.length] as number;
};

async function measureApi(
  apiPid: number,
  baseUrl: string,
  token: string,
  scenario: Scenario,
  ids: number[],
  settings: ApiSettings,
  seconds: number,
): Promise<Measurement> {
  const cpuBefore = cpuSecondsOf(apiPid);
  const result = await autocannon({
    url: baseUrl,
    connections: settings.API_CONNECTIONS,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    requests: [scenario.request(ids)],
  });
  const cpuMs = ((cpuSecondsOf(apiPid) - cpuBefore) * 1000) / result['2xx'];
  const errors = result.non2xx + result.errors;
  return { perSecond: result['2xx'] / result.duration, p50: result.latency.p50, p99: result.latency.p99, ok: result['2xx'], errors, cpuMs };
}

/** `API_CONNECTIONS` concurrent workers doing `work` in a loop for `seconds`; latency includes the wait for a pooled connection. */
async function measureRaw(pool: pg.Pool, scenario: Scenario, ids: number[], settings: ApiSettings, seconds: number): Promise<Measurement> {
  const next = roundRobin(ids);
  const latencies: number[] = [];
  let errors = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const end = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      try {
        await scenario.raw(pool, next());
        latencies.push(performance.now() - t);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: settings.API_CONNECTIONS }, worker));
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const d = distribution(latencies);
  const cpuMs = (cpu.user + cpu.system) / 1000 / latencies.length;
  return { perSecond: latencies.length / elapsed, p50: d.p50, p99: d.p99, ok: latencies.length, errors, cpuMs };
}

async function run(ctx: SuiteContext, settings: ApiSettings): Promise<void> {
  const appConfig = loadConfig(process.env);
  const databaseUrl = withDatabase(appConfig.DATABASE_URL, settings.API_DATABASE);
  ctx.result.stack = { role: 'api (own process)', DATABASE: settings.API_DATABASE, DB_POOL_MAX: String(settings.DB_POOL_MAX) };
  progress(`recreating database ${settings.API_DATABASE} and starting node src/main.ts api on :${settings.API_PORT}`);
  await recreateDatabase(appConfig.DATABASE_URL, settings.API_DATABASE);
  const apiProcess = await startOwnProcess('api', settings.API_PORT, {
    DATABASE_URL: databaseUrl,
    LOG_PRETTY: 'false',
    SEED_DEMO_DATA: 'true',
  });
  const pool = new pg.Pool({ connectionString: databaseUrl, max: settings.DB_POOL_MAX });
  let bare: OwnProcess | undefined;
  try {
    const baseUrl = `http://127.0.0.1:${settings.API_PORT}`;
    const token = await login(baseUrl, ctx.common.BENCH_EMAIL, ctx.common.BENCH_PASSWORD);
    const { rows } = await pool.query<{ id: number }>('select id from users where email = $1', [ctx.common.BENCH_EMAIL]);
    const userId = rows[0]!.id;
    const hot = [await createProduct(baseUrl, token, 'bench-api-hot', 2_000_000_000)];
    const spread: number[] = [];
    for (let i = 0; i < settings.API_PRODUCTS; i++) spread.push(await createProduct(baseUrl, token, `bench-api-${i}`, 2_000_000_000));

    const orderRequest = (ids: number[]): AutocannonRequest => {
      const next = roundRobin(ids);
      return {
        method: 'PUT',
        path: '/api/order',
        setupRequest: (request) => ({ ...request, body: JSON.stringify({ items: [{ productId: next(), quantity: 1 }] }) }),
      };
    };
    const placeRaw = (p: pg.Pool, productId: number) => placeOrderRaw(p, userId, productId);
    const scenarios: Scenario[] = [
      { name: 'PUT /api/order, 1 hot product', products: 'hot', request: orderRequest, raw: placeRaw },
      { name: `PUT /api/order, ${settings.API_PRODUCTS} products`, products: 'spread', request: orderRequest, raw: placeRaw },
      {
        name: 'GET /api/product/{id}',
        products: 'spread',
        request: (ids) => {
          const next = roundRobin(ids);
          return { method: 'GET', setupRequest: (request) => ({ ...request, path: `/api/product/${next()}` }) };
        },
        raw: async (p, id) => {
          await readProductRaw(p, id);
        },
      },
    ];

    progress(`starting the bare node:http reference on :${settings.API_BARE_PORT}`);
    bare = await startScript(
      ['bench/raw-sql.ts', String(settings.API_BARE_PORT)],
      settings.API_BARE_PORT,
      { DATABASE_URL: databaseUrl, DB_POOL_MAX: String(settings.DB_POOL_MAX), BARE_USER_ID: String(userId) },
      'api-bare',
    );
    const bareProcess = bare;
    const bareUrl = `http://127.0.0.1:${settings.API_BARE_PORT}`;

    const details: Record<string, Record<Side, Measurement[]>> = {};
    for (const scenario of scenarios) {
      const ids = scenario.products === 'hot' ? hot : spread;
      const measure: Record<Side, (seconds: number) => Promise<Measurement>> = {
        api: (seconds) => measureApi(apiProcess.pid, baseUrl, token, scenario, ids, settings, seconds),
        raw: (seconds) => measureRaw(pool, scenario, ids, settings, seconds),
        bare: (seconds) => measureApi(bareProcess.pid, bareUrl, token, scenario, ids, settings, seconds),
      };
      const rounds: Record<Side, Measurement[]> = { api: [], raw: [], bare: [] };
      progress(`${scenario.name}: warming up every side for ${settings.API_WARMUP_S} s`);
      for (const side of SIDES) await measure[side](settings.API_WARMUP_S);
      // Rotate which side goes first (raw, api, bare | api, bare, raw | …) so a drift in machine load favours none.
      for (let round = 0; round < settings.API_ROUNDS; round++) {
        const order = [...SIDES.slice(round % SIDES.length), ...SIDES.slice(0, round % SIDES.length)];
        for (const side of order) {
          const m = await measure[side](settings.API_DURATION);
          rounds[side].push(m);
          progress(
            `  round ${round + 1} ${side.padEnd(4)}: ${m.perSecond.toFixed(0)}/s, p50 ${m.p50.toFixed(1)} ms, p99 ${m.p99.toFixed(1)} ms`,
          );
        }
      }
      details[scenario.name] = rounds;
      const med = (side: Side, key: 'perSecond' | 'p50' | 'p99' | 'cpuMs') => median(rounds[side].map((m) => m[key]));
      const baselineIs = 'raw pg loop';
      ctx.row({
        figure: `${scenario.name}: throughput`,
        unit: 'req/s',
        value: med('api', 'perSecond'),
        baseline: med('raw', 'perSecond'),
        baselineIs,
      });
      ctx.row({ figure: `${scenario.name}: latency p50`, unit: 'ms', value: med('api', 'p50'), baseline: med('raw', 'p50'), baselineIs });
      ctx.row({ figure: `${scenario.name}: latency p99`, unit: 'ms', value: med('api', 'p99'), baseline: med('raw', 'p99'), baselineIs });
      ctx.row({
        figure: `${scenario.name}: CPU per request`,
        unit: 'ms',
        value: med('api', 'cpuMs'),
        baseline: med('raw', 'cpuMs'),
        baselineIs: `${baselineIs}; API process vs benchmark process`,
      });
      ctx.row({
        figure: `${scenario.name}: bare node:http + pg, throughput`,
        unit: 'req/s',
        value: med('bare', 'perSecond'),
        baseline: med('raw', 'perSecond'),
        baselineIs: `${baselineIs}: the HTTP layer and load generator's share`,
      });
      ctx.row({
        figure: `${scenario.name}: API vs bare node:http, throughput`,
        unit: 'req/s',
        value: med('api', 'perSecond'),
        baseline: med('bare', 'perSecond'),
        baselineIs: "bare node:http + pg: the API's own layers' share",
      });
      ctx.row({
        figure: `${scenario.name}: bare node:http + pg, CPU per request`,
        unit: 'ms',
        value: med('bare', 'cpuMs'),
        baseline: med('api', 'cpuMs'),
        baselineIs: 'the API process',
      });
      const errors = (side: Side) => rounds[side].reduce((s, m) => s + m.errors, 0);
      if (errors('api') + errors('raw') + errors('bare') > 0)
        ctx.note(
          `${scenario.name}: ${errors('api')} API errors (non-2xx or socket), ${errors('raw')} raw errors, ${errors('bare')} bare-HTTP errors`,
        );
    }
    ctx.result.details = details;
    ctx.note(
      `${settings.API_CONNECTIONS} connections / concurrent workers, pool of ${settings.DB_POOL_MAX} on every side; ` +
        `median of ${settings.API_ROUNDS} rotating rounds of ${settings.API_DURATION} s after a ${settings.API_WARMUP_S} s warm-up`,
    );
  } finally {
    await bare?.stop();
    await pool.end();
    await apiProcess.stop();
  }
}

export const apiSuite: Suite = {
  name: 'api',
  long: false,
  summary: 'PUT /api/order and GET /api/product/{id} against a raw node-postgres loop doing the same SQL',
  settings: readSettings,
  run: (ctx) => run(ctx, readSettings()),
};
