// tracing: what OpenTelemetry tracing costs the API. Two API processes of the same build on one scratch database, one
// with OTEL_EXPORTER_OTLP_ENDPOINT set (a span per request, the trace context written into the outbox row, batched
// OTLP http/protobuf export) and one without (tracing off, nothing installed), take the same requests in alternating
// rounds. The spans go to a do-nothing OTLP sink this suite starts, which counts what it receives, so the export's
// serialisation and HTTP posts are in the figures but no collector's work is.
//   GET /api/product/{id}, PUT /api/order (spread over N products): throughput, p50, p99, CPU per request
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config.ts';
import { createProduct, login, median, numberSetting, progress, stringSetting, withDatabase } from '../bench.lib.ts';
import { catalogueScenarios, measureSide, type Measurement } from '../api-ab.ts';
import { recreateDatabase, startOwnProcess, type OwnProcess } from '../stack.ts';
import type { Suite, SuiteContext } from '../suite.ts';

function readSettings() {
  return {
    TRACING_BENCH_DURATION: numberSetting('TRACING_BENCH_DURATION', 10),
    TRACING_BENCH_WARMUP_S: numberSetting('TRACING_BENCH_WARMUP_S', 2),
    TRACING_BENCH_ROUNDS: numberSetting('TRACING_BENCH_ROUNDS', 3),
    TRACING_BENCH_CONNECTIONS: numberSetting('TRACING_BENCH_CONNECTIONS', 64),
    TRACING_BENCH_PRODUCTS: numberSetting('TRACING_BENCH_PRODUCTS', 50),
    /** The tracing side listens here, the side without on the next port. */
    TRACING_BENCH_PORT: numberSetting('TRACING_BENCH_PORT', 3120),
    TRACING_BENCH_DATABASE: stringSetting('TRACING_BENCH_DATABASE', 'order_saga_bench_tracing'),
  };
}
type Settings = ReturnType<typeof readSettings>;
type Side = 'on' | 'off';

/** An OTLP/HTTP endpoint that accepts every export and keeps only counts (an empty protobuf body is a valid answer). */
async function startSink(): Promise<{ url: string; posts: () => number; bytes: () => number; close: () => Promise<void> }> {
  let posts = 0;
  let bytes = 0;
  const server: Server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') posts += 1;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    posts: () => posts,
    bytes: () => bytes,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function run(ctx: SuiteContext, s: Settings): Promise<void> {
  const appConfig = loadConfig(process.env);
  const databaseUrl = withDatabase(appConfig.DATABASE_URL, s.TRACING_BENCH_DATABASE);
  const ports: Record<Side, number> = { on: s.TRACING_BENCH_PORT, off: s.TRACING_BENCH_PORT + 1 };
  ctx.result.stack = { role: 'api (two own processes)', DATABASE: s.TRACING_BENCH_DATABASE, DB_POOL_MAX: String(appConfig.DB_POOL_MAX) };
  const sink = await startSink();
  progress(
    `recreating database ${s.TRACING_BENCH_DATABASE}; starting node src/main.ts api on :${ports.on} (tracing to ${sink.url}) and :${ports.off} (none)`,
  );
  await recreateDatabase(appConfig.DATABASE_URL, s.TRACING_BENCH_DATABASE);
  const env = (endpoint?: string) => ({
    DATABASE_URL: databaseUrl,
    LOG_PRETTY: 'false',
    SEED_DEMO_DATA: 'true',
    // Set explicitly empty on the side without: an endpoint in the bench's own environment must not turn it on.
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint ?? '',
  });
  let apis: Partial<Record<Side, OwnProcess>> = {};
  try {
    // One after the other: both would migrate and seed the fresh database at once.
    apis = { on: await startOwnProcess('api', ports.on, env(sink.url), 'api-tracing-on') };
    apis.off = await startOwnProcess('api', ports.off, env(), 'api-tracing-off');
    const url = (side: Side) => `http://127.0.0.1:${ports[side]}`;
    const token = await login(url('on'), ctx.common.BENCH_EMAIL, ctx.common.BENCH_PASSWORD);
    const ids: number[] = [];
    for (let i = 0; i < s.TRACING_BENCH_PRODUCTS; i++) ids.push(await createProduct(url('on'), token, `bench-tracing-${i}`, 2_000_000_000));

    const scenarios = catalogueScenarios(ids);
    const details: Record<string, Record<Side, Measurement[]>> = {};
    for (const scenario of scenarios) {
      const side = (which: Side, seconds: number) =>
        measureSide(apis[which]!, url(which), token, scenario.request(), s.TRACING_BENCH_CONNECTIONS, seconds);
      progress(`${scenario.name}: warming up both sides for ${s.TRACING_BENCH_WARMUP_S} s`);
      await side('on', s.TRACING_BENCH_WARMUP_S);
      await side('off', s.TRACING_BENCH_WARMUP_S);
      const rounds: Record<Side, Measurement[]> = { on: [], off: [] };
      // Alternate which side goes first so a drift in machine load does not favour one.
      for (let round = 0; round < s.TRACING_BENCH_ROUNDS; round++) {
        for (const which of round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
          const m = await side(which, s.TRACING_BENCH_DURATION);
          rounds[which].push(m);
          progress(
            `  round ${round + 1} tracing ${which.padEnd(3)}: ${m.perSecond.toFixed(0)}/s, p50 ${m.p50} ms, p99 ${m.p99} ms, ${m.cpuMs.toFixed(2)} ms CPU`,
          );
        }
      }
      details[scenario.name] = rounds;
      const med = (which: Side, key: keyof Measurement) => median(rounds[which].map((m) => m[key]));
      const baselineIs = 'same API, tracing off';
      const row = (figure: string, unit: string, key: keyof Measurement) =>
        ctx.row({ figure: `${scenario.name}: ${figure}`, unit, value: med('on', key), baseline: med('off', key), baselineIs });
      row('throughput', 'req/s', 'perSecond');
      row('latency p50', 'ms', 'p50');
      row('latency p99', 'ms', 'p99');
      row('CPU per request', 'ms', 'cpuMs');
      const errors = (which: Side) => rounds[which].reduce((sum, m) => sum + m.errors, 0);
      if (errors('on') + errors('off') > 0) ctx.note(`${scenario.name}: ${errors('on')} errors with tracing, ${errors('off')} without`);
    }
    ctx.result.details = details;
    // The batch processor exports every 5 s or 512 spans: a sink that heard nothing means the tracing side did not trace.
    if (sink.posts() === 0) throw new Error(`the tracing side exported no spans to ${sink.url}; see bench-api-tracing-on.log`);
    ctx.note(
      `${s.TRACING_BENCH_CONNECTIONS} connections; median of ${s.TRACING_BENCH_ROUNDS} alternating rounds of ${s.TRACING_BENCH_DURATION} s ` +
        `after a ${s.TRACING_BENCH_WARMUP_S} s warm-up; the OTLP sink took ${sink.posts()} exports, ${(sink.bytes() / 1e6).toFixed(1)} MB`,
    );
  } finally {
    await Promise.all([apis.on?.stop(), apis.off?.stop()]);
    await sink.close();
  }
}

export const tracingSuite: Suite = {
  name: 'tracing',
  long: true,
  summary:
    'the API with OpenTelemetry tracing (OTLP to a do-nothing sink) against the same API with tracing off (opt-in: npm run bench -- tracing)',
  settings: readSettings,
  run: (ctx) => run(ctx, readSettings()),
};
