// metrics: what Prometheus metrics cost the API. Two API processes of the same build on one scratch database, one with
// METRICS_ENABLED=true (the default: request histogram, /metrics, saga-state gauges) and one with METRICS_ENABLED=false,
// take the same requests in alternating rounds; the metrics side is scraped every METRICS_BENCH_SCRAPE_S seconds
// meanwhile, as the stack's Prometheus does, so the scrape's own work (SQL, Kafka admin, rendering) is counted too.
//   GET /api/product/{id}, PUT /api/order (spread over N products): throughput, p50, p99, CPU per request
//   GET /metrics: one scrape's latency, against GET /health on the same process
import { loadConfig } from '../../src/config.ts';
import { createProduct, login, median, numberSetting, progress, stringSetting, withDatabase } from '../bench.lib.ts';
import { catalogueScenarios, measureSide, type Measurement } from '../api-ab.ts';
import { recreateDatabase, startOwnProcess, type OwnProcess } from '../stack.ts';
import type { Suite, SuiteContext } from '../suite.ts';

function readSettings() {
  return {
    METRICS_BENCH_DURATION: numberSetting('METRICS_BENCH_DURATION', 10),
    METRICS_BENCH_WARMUP_S: numberSetting('METRICS_BENCH_WARMUP_S', 2),
    METRICS_BENCH_ROUNDS: numberSetting('METRICS_BENCH_ROUNDS', 3),
    METRICS_BENCH_CONNECTIONS: numberSetting('METRICS_BENCH_CONNECTIONS', 64),
    METRICS_BENCH_PRODUCTS: numberSetting('METRICS_BENCH_PRODUCTS', 50),
    METRICS_BENCH_SCRAPE_S: numberSetting('METRICS_BENCH_SCRAPE_S', 5),
    /** The metrics side listens here, the side without on the next port. */
    METRICS_BENCH_PORT: numberSetting('METRICS_BENCH_PORT', 3110),
    METRICS_BENCH_DATABASE: stringSetting('METRICS_BENCH_DATABASE', 'order_saga_bench_metrics'),
  };
}
type Settings = ReturnType<typeof readSettings>;
type Side = 'on' | 'off';

/** Scrapes `url` every `seconds` until stopped; resolves with the number of scrapes. */
function scraper(url: string, seconds: number): { stop: () => Promise<number> } {
  let count = 0;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<unknown> = Promise.resolve();
  const tick = () => {
    inFlight = fetch(url)
      .then((r) => r.text())
      .then(() => (count += 1));
    timer = setTimeout(tick, seconds * 1000);
  };
  tick();
  return {
    stop: async () => {
      clearTimeout(timer);
      await inFlight.catch(() => undefined);
      return count;
    },
  };
}

/** Median latency (ms) of `n` sequential GETs. */
async function latencyOf(url: string, n: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await (await fetch(url)).text();
    times.push(performance.now() - started);
  }
  return median(times);
}

async function run(ctx: SuiteContext, s: Settings): Promise<void> {
  const appConfig = loadConfig(process.env);
  const databaseUrl = withDatabase(appConfig.DATABASE_URL, s.METRICS_BENCH_DATABASE);
  const ports: Record<Side, number> = { on: s.METRICS_BENCH_PORT, off: s.METRICS_BENCH_PORT + 1 };
  ctx.result.stack = { role: 'api (two own processes)', DATABASE: s.METRICS_BENCH_DATABASE, DB_POOL_MAX: String(appConfig.DB_POOL_MAX) };
  progress(
    `recreating database ${s.METRICS_BENCH_DATABASE}; starting node src/main.ts api on :${ports.on} (metrics) and :${ports.off} (none)`,
  );
  await recreateDatabase(appConfig.DATABASE_URL, s.METRICS_BENCH_DATABASE);
  const env = (enabled: boolean) => ({
    DATABASE_URL: databaseUrl,
    LOG_PRETTY: 'false',
    SEED_DEMO_DATA: 'true',
    METRICS_ENABLED: String(enabled),
  });
  // One after the other: both would migrate and seed the fresh database at once.
  const apis: Record<Side, OwnProcess> = {
    on: await startOwnProcess('api', ports.on, env(true), 'api-metrics-on'),
    off: await startOwnProcess('api', ports.off, env(false), 'api-metrics-off'),
  };
  try {
    const url = (side: Side) => `http://127.0.0.1:${ports[side]}`;
    if ((await fetch(`${url('off')}/metrics`)).status !== 404) throw new Error('the METRICS_ENABLED=false side serves /metrics');
    const token = await login(url('on'), ctx.common.BENCH_EMAIL, ctx.common.BENCH_PASSWORD);
    const ids: number[] = [];
    for (let i = 0; i < s.METRICS_BENCH_PRODUCTS; i++) ids.push(await createProduct(url('on'), token, `bench-metrics-${i}`, 2_000_000_000));

    const scenarios = catalogueScenarios(ids);
    const details: Record<string, Record<Side, Measurement[]>> = {};
    let scrapes = 0;
    for (const scenario of scenarios) {
      const side = async (which: Side, seconds: number) => {
        const scraping = which === 'on' ? scraper(`${url('on')}/metrics`, s.METRICS_BENCH_SCRAPE_S) : undefined;
        try {
          return await measureSide(apis[which], url(which), token, scenario.request(), s.METRICS_BENCH_CONNECTIONS, seconds);
        } finally {
          scrapes += (await scraping?.stop()) ?? 0;
        }
      };
      progress(`${scenario.name}: warming up both sides for ${s.METRICS_BENCH_WARMUP_S} s`);
      await side('on', s.METRICS_BENCH_WARMUP_S);
      await side('off', s.METRICS_BENCH_WARMUP_S);
      const rounds: Record<Side, Measurement[]> = { on: [], off: [] };
      // Alternate which side goes first so a drift in machine load does not favour one.
      for (let round = 0; round < s.METRICS_BENCH_ROUNDS; round++) {
        for (const which of round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
          const m = await side(which, s.METRICS_BENCH_DURATION);
          rounds[which].push(m);
          progress(
            `  round ${round + 1} metrics ${which.padEnd(3)}: ${m.perSecond.toFixed(0)}/s, p50 ${m.p50} ms, p99 ${m.p99} ms, ${m.cpuMs.toFixed(2)} ms CPU`,
          );
        }
      }
      details[scenario.name] = rounds;
      const med = (which: Side, key: keyof Measurement) => median(rounds[which].map((m) => m[key]));
      const baselineIs = 'same API, METRICS_ENABLED=false';
      ctx.row({
        figure: `${scenario.name}: throughput`,
        unit: 'req/s',
        value: med('on', 'perSecond'),
        baseline: med('off', 'perSecond'),
        baselineIs,
      });
      ctx.row({ figure: `${scenario.name}: latency p50`, unit: 'ms', value: med('on', 'p50'), baseline: med('off', 'p50'), baselineIs });
      ctx.row({ figure: `${scenario.name}: latency p99`, unit: 'ms', value: med('on', 'p99'), baseline: med('off', 'p99'), baselineIs });
      ctx.row({
        figure: `${scenario.name}: CPU per request`,
        unit: 'ms',
        value: med('on', 'cpuMs'),
        baseline: med('off', 'cpuMs'),
        baselineIs,
      });
      const errors = (which: Side) => rounds[which].reduce((sum, m) => sum + m.errors, 0);
      if (errors('on') + errors('off') > 0) ctx.note(`${scenario.name}: ${errors('on')} errors with metrics, ${errors('off')} without`);
    }
    ctx.row({
      figure: 'GET /metrics: one scrape, idle',
      unit: 'ms',
      value: await latencyOf(`${url('on')}/metrics`, 20),
      baseline: await latencyOf(`${url('on')}/health`, 20),
      baselineIs: 'GET /health, same process',
    });
    ctx.result.details = details;
    ctx.note(
      `${s.METRICS_BENCH_CONNECTIONS} connections; median of ${s.METRICS_BENCH_ROUNDS} alternating rounds of ${s.METRICS_BENCH_DURATION} s ` +
        `after a ${s.METRICS_BENCH_WARMUP_S} s warm-up; the metrics side was scraped every ${s.METRICS_BENCH_SCRAPE_S} s (${scrapes} scrapes)`,
    );
  } finally {
    await Promise.all([apis.on.stop(), apis.off.stop()]);
  }
}

export const metricsSuite: Suite = {
  name: 'metrics',
  long: true,
  summary: 'the API with Prometheus metrics against the same API with METRICS_ENABLED=false (opt-in: npm run bench -- metrics)',
  settings: readSettings,
  run: (ctx) => run(ctx, readSettings()),
};
