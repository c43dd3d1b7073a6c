// One trace per order, on the real services: an order placed over HTTP (under a caller's W3C traceparent) while no
// relay runs, then published by a relay started afterwards (a relay restart: the trace context waits in the outbox
// row, not in a process), started as a workflow by the bridge, paid and completed by a real worker with Temporal's
// OpenTelemetry interceptors, and notified. Every span of that story, read from an in-memory exporter, carries the
// caller's trace id, and the notifier's log line about the order names it too. Topics and groups are this file's own.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startBridge } from '../../src/bridge/bridge.ts';
import { createLogger } from '../../src/logger.ts';
import { ensureTopics } from '../../src/messaging/admin.ts';
import type { RunningConsumer } from '../../src/messaging/consumer.ts';
import { createKafka } from '../../src/messaging/kafka.ts';
import { allTopics, TOPICS } from '../../src/messaging/topics.ts';
import { startNotifier } from '../../src/notifier/notifier.ts';
import { startRelay, type Relay } from '../../src/outbox/relay.ts';
import { installTracing, type Tracing } from '../../src/telemetry/tracing.ts';
import { startTestApi, type TestApi } from '../helpers/api.ts';
import { testConfig, testLogger, testRunId } from '../helpers/config.ts';
import { eventually } from '../helpers/eventually.ts';
import { createProduct, sql, uniqueName } from './api/support.ts';

const config = testConfig();
const quiet = testLogger(testConfig({ LOG_LEVEL: 'silent' }));
const kafka = createKafka(config, quiet);
const run = `tracing-${process.pid}-${Date.now()}`;
const prefix = `${config.KAFKA_TOPIC_PREFIX}${run}.`;
const groups = { bridge: `bridge-${testRunId}-${run}`, notifier: `notifier-${testRunId}-${run}` };
const exporter = new InMemorySpanExporter();
/** The notifier's log, as JSON lines. */
const notifierLines: Array<Record<string, unknown>> = [];

let tracing: Tracing;
let api: TestApi;
let bridge: RunningConsumer;
let notifier: RunningConsumer;
const relays: Relay[] = [];

const relay = async () => {
  const started = await startRelay({ orm: api.orm, kafka, log: quiet, pollIntervalMs: 50, batchSize: 100, topicPrefix: prefix });
  relays.push(started);
  return started;
};

beforeAll(async () => {
  // Before the app, clients and worker are built: each takes its tracing part only if tracing is installed.
  tracing = installTracing(config, 'test', { exporter })!;
  api = await startTestApi({}, { saga: true });
  api.saga!.provider.approveAll = true;
  await ensureTopics(kafka, { partitions: config.KAFKA_PARTITIONS, topics: allTopics(prefix) });
  const notifierLog = createLogger(
    { LOG_LEVEL: 'info', LOG_PRETTY: false },
    { write: (line: string) => void notifierLines.push(JSON.parse(line)) },
  );
  [bridge, notifier] = await Promise.all([
    startBridge({ kafka, workflows: api.saga!.workflows, log: quiet, topicPrefix: prefix, groupId: groups.bridge }),
    startNotifier({ orm: api.orm, kafka, log: notifierLog, topicPrefix: prefix, groupId: groups.notifier }),
  ]);
});
afterAll(async () => {
  await Promise.all([...relays.map((r) => r.stop()), bridge?.stop(), notifier?.stop()]);
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups(Object.values(groups)).catch(() => undefined);
  await admin.deleteTopics({ topics: allTopics(prefix) }).catch(() => undefined);
  await admin.disconnect();
  await api?.close();
  await tracing?.shutdown();
});

const traceOf = (traceId: string) => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
const named = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);

describe('when an order is placed while no relay runs and a fresh relay publishes it later', () => {
  it('then its spans from the HTTP request to the notification share the caller’s trace id, and the notification row exists', async () => {
    const buyer = await api.newUser('Traced Buyer');
    const product = await createProduct(api, buyer.token, { name: uniqueName('Traced product'), price: 12.5, stock: 10 });
    // A relay ran before and was stopped: the order waits in the outbox while none runs.
    await (await relay()).stop();

    const traceId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const callerSpanId = '1122334455667788';
    const res = await api.request('PUT', '/api/order', {
      token: buyer.token,
      body: { items: [{ productId: product.id, quantity: 2 }] },
      headers: { traceparent: `00-${traceId}-${callerSpanId}-01` },
    });
    expect(res.status).toBe(201);
    const orderId = res.body.id as number;

    const [row] = await sql<{ trace_context: { traceparent: string }; sent_at: Date | null }>(
      api,
      `select trace_context, sent_at from outbox where order_id = ? and payload->>'type' = 'OrderCreated'`,
      [orderId],
    );
    expect(row!.sent_at).toBeNull();
    expect(row!.trace_context.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    await relay();
    await eventually(
      () => sql<{ id: number }>(api, `select id from notifications where order_id = ? and event_type = 'OrderCompleted'`, [orderId]),
      (rows) => rows.length === 1,
      { what: `notification of order ${orderId}`, timeoutMs: 60_000 },
    );
    const created = `${prefix}${TOPICS.orderCreated}`;
    const completed = `${prefix}${TOPICS.orderCompleted}`;
    // The notifier's span ends after its row is written; the workflow's span reaches the exporter through a sink.
    const spans = await eventually(
      async () => traceOf(traceId),
      (s) => named(s, `notifier ${completed}`).length === 1 && named(s, 'RunWorkflow:orderWorkflow').length === 1,
      { what: 'the notifier and workflow spans in the trace', timeoutMs: 30_000 },
    );

    const [http] = named(spans, 'PUT /api/order');
    expect(http).toBeDefined();
    expect(http!.kind).toBe(SpanKind.SERVER);
    expect(http!.parentSpanId).toBe(callerSpanId);
    expect(http!.attributes).toEqual(
      expect.objectContaining({ 'order.id': orderId, 'http.route': '/api/order', 'http.response.status_code': 201 }),
    );
    const names = new Set(spans.map((s) => s.name));
    for (const name of [
      `publish ${created}`,
      `bridge ${created}`,
      'StartWorkflow:orderWorkflow',
      'RunWorkflow:orderWorkflow',
      'RunActivity:markProcessing',
      'RunActivity:chargePayment',
      'RunActivity:completeOrder',
      `publish ${completed}`,
      `notifier ${completed}`,
    ])
      expect(names).toContain(name);
    expect(named(spans, `notifier ${completed}`)[0]!.attributes['order.id']).toBe(orderId);
    // The outcome event was written inside the completing activity's span: the publish of OrderCompleted is its child.
    const [completing] = named(spans, 'RunActivity:completeOrder');
    expect(named(spans, `publish ${completed}`)[0]!.parentSpanId).toBe(completing!.spanContext().spanId);

    const line = notifierLines.find((l) => l.orderId === orderId && String(l.msg).startsWith('e-mail'));
    expect(line).toEqual(expect.objectContaining({ traceId, spanId: expect.stringMatching(/^[0-9a-f]{16}$/) }));
  });
});
