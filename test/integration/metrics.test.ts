// Metrics against the real services: the API's request histogram (route templates, never raw ids), the saga-state
// gauges measured on scrape (PostgreSQL outbox and orders, Kafka consumer lag), the consumer loop's dead letters by
// reason code, and the relay's failures by cause. The role processes themselves are in test/e2e/metrics.test.ts.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { createApp } from '../../src/api/app.ts';
import type { AppEnv } from '../../src/api/context.ts';
import { initOrm, type Orm } from '../../src/db/orm.ts';
import { ensureTopics } from '../../src/messaging/admin.ts';
import { PermanentError, startConsumer, type RunningConsumer } from '../../src/messaging/consumer.ts';
import { createKafka, Partitioners, type Admin, type Producer } from '../../src/messaging/kafka.ts';
import { allTopics, consumerGroup, dlqTopic, TOPICS } from '../../src/messaging/topics.ts';
import { Metrics } from '../../src/metrics/metrics.ts';
import { registerSagaState, SAGA_STATE_KAFKA_RETRY } from '../../src/health/saga-state.ts';
import type { OrderWorkflows } from '../../src/orders/order-status-requests.ts';
import { startRelay } from '../../src/outbox/relay.ts';
import { freeLoopbackPort } from '../../src/lib/free-port.ts';
import { testConfig, testLogger } from '../helpers/config.ts';
import { eventually } from '../helpers/eventually.ts';
import { parseMetrics, samplesOf, valueOf, type Sample } from '../helpers/metrics.ts';

const config = testConfig();
const log = testLogger(config);
const quiet = testLogger(testConfig({ LOG_LEVEL: 'silent' }));
const kafka = createKafka(config, log);
const run = `metrics-test-${process.pid}-${Date.now()}`;
const prefix = `${run}.`;

let orm: Orm;
let admin: Admin;
let producer: Producer;
const extraTopics: string[] = [];
const groups: string[] = [];
/** Rows this file inserts (removed again: other suites' relays would publish them). */
const outboxIds: number[] = [];
const orderIds: number[] = [];

const samplesFrom = async (metrics: Metrics): Promise<Sample[]> => parseMetrics(await metrics.render());

beforeAll(async () => {
  orm = await initOrm(config);
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
});
afterAll(async () => {
  const db = orm?.em.getConnection();
  if (outboxIds.length > 0) await db?.execute(`delete from outbox where id in (${outboxIds.join(',')})`);
  if (orderIds.length > 0) await db?.execute(`delete from orders where id in (${orderIds.join(',')})`);
  await producer?.disconnect();
  await admin?.deleteGroups(groups).catch(() => undefined);
  await admin?.deleteTopics({ topics: [...allTopics(prefix), ...extraTopics] }).catch(() => undefined);
  await admin?.disconnect();
  await orm?.close();
});

describe('the API: http_request_duration_seconds', () => {
  /** Every route used here answers without a saga: any request to a workflow fails. */
  const noSaga = new Proxy({}, { get: () => () => Promise.reject(new Error('no saga in this test')) }) as OrderWorkflows;
  let app: OpenAPIHono<AppEnv>;
  let metrics: Metrics;
  const call = (method: string, path: string, token?: string, body?: unknown) =>
    app.request(path, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  beforeAll(() => {
    metrics = new Metrics();
    app = createApp({ orm, config, log, probes: {}, workflows: noSaga, metrics });
  });

  it('when requests hit routes with ids, then /metrics counts them by route template and status, never by raw path', async () => {
    const email = `${run}@example.com`;
    expect((await call('PUT', '/api/user', undefined, { name: 'Metrics Person', email, password: 'Secret123!' })).status).toBe(201);
    const { token } = (await (await call('POST', '/api/auth/login', undefined, { email, password: 'Secret123!' })).json()) as {
      token: string;
    };
    const [first, second] = (await (await call('GET', '/api/product?limit=2', token)).json()) as Array<{ id: number }>;
    expect((await call('GET', `/api/product/${first!.id}`, token)).status).toBe(200);
    expect((await call('GET', `/api/product/${second!.id}`, token)).status).toBe(200);
    expect((await call('GET', '/api/product/987654321', token)).status).toBe(404);
    expect((await call('GET', `/api/product/${first!.id}`)).status).toBe(401);
    expect((await call('GET', '/no/such/route/4242')).status).toBe(404);
    expect((await call('PATCH', `/api/product/${first!.id}`, token)).status).toBe(405);

    const res = await call('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const samples = parseMetrics(await res.text());
    const count = (route: string, status: string, method = 'GET') =>
      valueOf(samples, 'http_request_duration_seconds_count', { method, route, status });
    expect(count('/api/product/:id', '200')).toBe(2);
    expect(count('/api/product/:id', '404')).toBe(1);
    expect(count('/api/product/:id', '401')).toBe(1);
    expect(count('/api/product', '200')).toBe(1);
    expect(count('/api/user', '201', 'PUT')).toBe(1);
    expect(count('/api/auth/login', '200', 'POST')).toBe(1);
    expect(count('unmatched', '404')).toBe(1);
    expect(count('unmatched', '405', 'PATCH')).toBe(1);
    // Buckets are cumulative and end in +Inf, which equals the count.
    const buckets = samplesOf(samples, 'http_request_duration_seconds_bucket', { route: '/api/product/:id', status: '200' });
    expect(buckets.find((b) => b.labels.le === '+Inf')?.value).toBe(2);
    // No label value anywhere carries an id, a query string or the unmatched raw path.
    const routes = new Set(samplesOf(samples, 'http_request_duration_seconds_count').map((s) => s.labels.route));
    for (const route of routes) expect(route).not.toMatch(/\d|\?/);
    expect(routes).not.toContain('/no/such/route/4242');
  });

  it('when the app is built without metrics (METRICS_ENABLED=false in the api role), then /metrics is a 404 like any unknown route', async () => {
    const bare = createApp({ orm, config, log, probes: {}, workflows: noSaga });
    expect((await bare.request('/metrics')).status).toBe(404);
  });
});

describe('saga-state gauges, measured on scrape', () => {
  const bridgeGroup = consumerGroup('bridge', prefix);
  let metrics: Metrics;

  beforeAll(async () => {
    await ensureTopics(kafka, { partitions: 2, topics: allTopics(prefix) });
    metrics = new Metrics({ defaultMetrics: false });
    registerSagaState(metrics, { orm, kafka: createKafka(config, quiet, { retry: SAGA_STATE_KAFKA_RETRY }), topicPrefix: prefix });
  });

  it('when OrderCreated events wait on two partitions and the bridge group has consumed none, then its lag is reported per partition', async () => {
    const topic = prefix + TOPICS.orderCreated;
    await producer.send({
      topic,
      acks: -1,
      messages: [
        { key: 'a', value: '{}', partition: 0 },
        { key: 'b', value: '{}', partition: 0 },
        { key: 'c', value: '{}', partition: 1 },
      ],
    });
    // Prometheus scrapes again and again; right after the topics were created the first measurement may still fail.
    const samples = await eventually(
      () => samplesFrom(metrics),
      (s) => valueOf(s, 'saga_state_up', { source: 'consumer_lag' }) === 1,
      { what: 'the lag measured' },
    );
    expect(valueOf(samples, 'saga_consumer_lag_messages', { group: bridgeGroup, topic, partition: '0' })).toBe(2);
    expect(valueOf(samples, 'saga_consumer_lag_messages', { group: bridgeGroup, topic, partition: '1' })).toBe(1);
    // The notifier's group is measured on each of its three topics, two partitions each, nothing waiting.
    const notifier = samplesOf(samples, 'saga_consumer_lag_messages', { group: consumerGroup('notifier', prefix) });
    expect(notifier).toHaveLength(6);
    expect(notifier.every((s) => s.value === 0)).toBe(true);
    expect(valueOf(samples, 'saga_state_up', { source: 'consumer_lag' })).toBe(1);
  });

  it('when an event has waited two minutes in the outbox, then the outbox gauges show it', async () => {
    const [row] = await orm.em
      .getConnection()
      .execute<{ id: number }[]>(
        `insert into outbox (order_id, topic, message_key, payload, created_at) values (0, 'nowhere', '0', '{}', now() - interval '120 seconds') returning id`,
      );
    outboxIds.push(row!.id);
    // Other suites may have left younger unsent rows; this one is the oldest once a scrape after the insert sees it.
    const samples = await eventually(
      () => samplesFrom(metrics),
      (s) => (valueOf(s, 'saga_outbox_oldest_pending_age_seconds') ?? 0) >= 120,
      { what: 'the two-minute-old outbox row measured' },
    );
    expect(valueOf(samples, 'saga_outbox_pending_events')).toBeGreaterThanOrEqual(1);
    expect(valueOf(samples, 'saga_state_up', { source: 'outbox' })).toBe(1);
  });

  it('when orders exist, then every status is counted as the database has it, and only orders that entered the saga age the backlog', async () => {
    const db = orm.em.getConnection();
    const [user] = await db.execute<{ id: number }[]>('select id from users order by id limit 1');
    // Placed five minutes ago with its OrderCreated (as PUT /api/order writes both), and a Pending order without one
    // (written straight into the table, so it never entered a saga): only the first is a backlog.
    const insertOrder = async (ageSeconds: number) => {
      const [o] = await db.execute<{ id: number }[]>(
        `insert into orders (user_id, total, status, created_at, updated_at) values (?, 1, 'Pending', now() - make_interval(secs => ?), now()) returning id`,
        [user!.id, ageSeconds],
      );
      orderIds.push(o!.id);
      return o!.id;
    };
    const inSaga = await insertOrder(300);
    await insertOrder(3000);
    const [event] = await db.execute<{ id: number }[]>(
      `insert into outbox (order_id, topic, message_key, payload, sent_at) values (?, ?, ?, '{}', now()) returning id`,
      [inSaga, TOPICS.orderCreated, String(inSaga)],
    );
    outboxIds.push(event!.id);

    // Gauges registered now: their first scrape is after the inserts (a scrape is reused for a second at most).
    const fresh = new Metrics({ defaultMetrics: false });
    registerSagaState(fresh, { orm, kafka: createKafka(config, quiet, { retry: SAGA_STATE_KAFKA_RETRY }), topicPrefix: prefix });
    const samples = await samplesFrom(fresh);
    // At least the five minutes of the order in the saga; the older order outside any saga is not counted (other
    // suites' orders are younger than it).
    expect(valueOf(samples, 'saga_orders_oldest_age_seconds', { status: 'Pending' })).toBeGreaterThanOrEqual(300);
    expect(valueOf(samples, 'saga_orders_oldest_age_seconds', { status: 'Pending' })).toBeLessThan(3000);
    const counts = await db.execute<{ status: string; count: number }[]>(
      'select status, count(*)::int as count from orders group by status',
    );
    for (const status of ['Pending', 'Processing', 'Completed', 'Cancelled', 'Expired']) {
      expect({ status, count: valueOf(samples, 'saga_orders', { status }) }).toEqual({
        status,
        count: counts.find((c) => c.status === status)?.count ?? 0,
      });
    }
  });

  it('when Kafka does not answer, then the lag series are absent and saga_state_up says so, while the database gauges still work', async () => {
    const down = new Metrics({ defaultMetrics: false });
    const nowhere = createKafka({ KAFKA_BROKERS: [`127.0.0.1:${await freeLoopbackPort()}`], KAFKA_CLIENT_ID: 'metrics-test' }, quiet, {
      retry: SAGA_STATE_KAFKA_RETRY,
    });
    registerSagaState(down, { orm, kafka: nowhere, topicPrefix: prefix });
    const samples = await samplesFrom(down);
    expect(valueOf(samples, 'saga_state_up', { source: 'consumer_lag' })).toBe(0);
    expect(samplesOf(samples, 'saga_consumer_lag_messages')).toEqual([]);
    expect(valueOf(samples, 'saga_state_up', { source: 'orders' })).toBe(1);
    expect(valueOf(samples, 'saga_state_up', { source: 'outbox' })).toBe(1);
  });
});

describe('consumer loop: dead letters and handler attempts', () => {
  it('when messages are bad JSON, off-schema or permanently refused, then each reason code is counted on its topic, and good ones as ok', async () => {
    const topic = `${run}-consumer`;
    const groupId = `${topic}-group`;
    extraTopics.push(topic, dlqTopic(topic));
    groups.push(groupId);
    await ensureTopics(kafka, { topics: [topic, dlqTopic(topic)], partitions: 1 });
    const metrics = new Metrics({ defaultMetrics: false });
    const consumer: RunningConsumer = await startConsumer({
      kafka,
      groupId,
      topics: [topic],
      schema: z.object({ n: z.number().int() }),
      handle: async ({ n }) => {
        if (n < 0) throw new PermanentError(`negative ${n}`, 'unknown_user');
      },
      log: quiet,
      metrics,
      maxBackoffMs: 50,
    });
    try {
      await producer.send({
        topic,
        acks: -1,
        messages: ['{"n": 1', '{"n": "x"}', '{"n": -1}', '{"n": 2}', '{"n": 3}'].map((value) => ({ key: 'k', value, partition: 0 })),
      });
      const samples = await eventually(
        () => samplesFrom(metrics),
        (s) => valueOf(s, 'saga_consumer_handler_duration_seconds_count', { group: groupId, topic, result: 'ok' }) === 2,
        { what: 'the two good messages handled' },
      );
      expect(valueOf(samples, 'saga_dead_letters_total', { topic, reason: 'invalid_json' })).toBe(1);
      expect(valueOf(samples, 'saga_dead_letters_total', { topic, reason: 'invalid_schema' })).toBe(1);
      expect(valueOf(samples, 'saga_dead_letters_total', { topic, reason: 'unknown_user' })).toBe(1);
      // Only the message that reached the handler and was refused is a dead_letter attempt; parse failures are not.
      expect(valueOf(samples, 'saga_consumer_handler_duration_seconds_count', { group: groupId, topic, result: 'dead_letter' })).toBe(1);
      // The reason's free text (with the order's numbers) is in the DLQ header, never in a label.
      expect(samplesOf(samples, 'saga_dead_letters_total').map((s) => s.labels.reason)).not.toContain('negative -1');
    } finally {
      await consumer.stop();
    }
  });
});

describe('outbox relay: failures by cause', () => {
  it('when Kafka does not answer, then failed rounds are counted with cause kafka and nothing as published', async () => {
    const [row] = await orm.em
      .getConnection()
      .execute<{ id: number }[]>(
        `insert into outbox (order_id, topic, message_key, payload) values (0, 'nowhere', '0', '{}') returning id`,
      );
    outboxIds.push(row!.id);
    const metrics = new Metrics({ defaultMetrics: false });
    const nowhere = createKafka({ KAFKA_BROKERS: [`127.0.0.1:${await freeLoopbackPort()}`], KAFKA_CLIENT_ID: 'metrics-test' }, quiet, {
      retry: { retries: 0 },
    });
    const relay = await startRelay({ orm, kafka: nowhere, log: quiet, pollIntervalMs: 50, batchSize: 10, topicPrefix: prefix, metrics });
    try {
      const samples = await eventually(
        () => samplesFrom(metrics),
        (s) => (valueOf(s, 'saga_outbox_publish_failures_total', { cause: 'kafka' }) ?? 0) >= 1,
        { what: 'a failed round counted' },
      );
      expect(samplesOf(samples, 'saga_outbox_published_total')).toEqual([]);
      expect(valueOf(samples, 'saga_outbox_publish_failures_total', { cause: 'database' })).toBeUndefined();
    } finally {
      await relay.stop();
    }
  });
});
