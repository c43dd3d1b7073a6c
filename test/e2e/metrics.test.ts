// Every role as its own process (as docker compose runs them): the api serves /metrics on its port, the relay, bridge,
// notifier and worker on METRICS_PORT. After one order flows through the saga, each process's own counters show it,
// the worker's endpoint carries the Temporal SDK's metrics, and no label carries an order or user id. Then the `all`
// process (what `npm run stack` runs): one endpoint with every role's metrics.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApp, type RunningApp } from '../helpers/app-process.ts';
import { freeLoopbackPort } from '../../src/lib/free-port.ts';
import { eventually } from '../helpers/eventually.ts';
import { samplesOf, scrape, valueOf, type Sample } from '../helpers/metrics.ts';
import { testTopicPrefix } from '../helpers/config.ts';

const knobs = { PAYMENT_SUCCESS_RATE: '1', PAYMENT_DURATION: '0', ORDER_EXPIRY: '10m' };

/** A user and a product of this test; places one order and waits until it is Completed with its notification. */
async function placeCompletedOrder(api: RunningApp): Promise<{ orderId: number; userId: number }> {
  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const email = `metrics-e2e-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
  expect((await call('PUT', '/api/user', undefined, { name: 'Metrics Customer', email, password: 'Secret123!' })).status).toBe(201);
  const token = (await call('POST', '/api/auth/login', undefined, { email, password: 'Secret123!' })).body.token as string;
  const product = (await call('PUT', '/api/product', token, { name: `Metrics item ${email}`, price: 12.5, stock: 3 })).body;
  const order = await call('PUT', '/api/order', token, { items: [{ productId: product.id, quantity: 1 }] });
  expect(order.status).toBe(201);
  await eventually(
    async () => (await call('GET', `/api/order/${order.body.id}`, token)).body.status as string,
    (status) => status === 'Completed',
    { what: `order ${order.body.id} Completed`, timeoutMs: 60_000 },
  );
  await eventually(
    async () => (await call('GET', '/api/notification', token)).body as Array<{ orderId: number }>,
    (notes) => notes.some((n) => n.orderId === order.body.id),
    { what: `notification of order ${order.body.id}`, timeoutMs: 60_000 },
  );
  return { orderId: order.body.id as number, userId: order.body.userId as number };
}

/** Labels whose values are numbers of their own: bucket bounds, Kafka partitions, HTTP status codes, and the parts of
 * Node's version (nodejs_version_info: Node 24.22.3 has patch="3", which a small user id can equal). */
const NUMERIC_LABELS = new Set(['le', 'quantile', 'partition', 'status', 'major', 'minor', 'patch']);

/** No label names an order or user, and no other label value is (or embeds in a path or workflow id) this order's or user's id. */
function expectNoIdLabels(samples: Sample[], ids: number[]) {
  const keys = new Set(samples.flatMap((s) => Object.keys(s.labels)));
  for (const key of keys) expect(key).not.toMatch(/order|user|workflow_id/i);
  const values = new Set(
    samples.flatMap((s) =>
      Object.entries(s.labels)
        .filter(([k]) => !NUMERIC_LABELS.has(k))
        .map(([, v]) => v),
    ),
  );
  for (const id of ids) {
    expect(values).not.toContain(String(id));
    for (const v of values) expect(v).not.toMatch(new RegExp(`[/-]${id}$|/${id}/`));
  }
}

const metricsOf = async (app: RunningApp) => (await scrape(app.metricsUrl)).samples;

describe('each role in its own process', () => {
  const apps: Record<string, RunningApp> = {};

  beforeAll(async () => {
    const roles = ['relay', 'bridge', 'notifier', 'worker'];
    const started = await Promise.allSettled([
      startApp(knobs, 'api'),
      ...roles.map(async (role) => startApp({ ...knobs, METRICS_PORT: String(await freeLoopbackPort()) }, role)),
    ]);
    ['api', ...roles].forEach((role, i) => {
      const result = started[i]!;
      if (result.status === 'fulfilled') apps[role] = result.value;
    });
    // One role that failed to start must not leave the others running on the test database for later test files.
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) {
      await Promise.all(Object.values(apps).map((app) => app.stop()));
      for (const role of Object.keys(apps)) delete apps[role];
      throw failed.reason;
    }
  }, 120_000);
  afterAll(async () => {
    await Promise.all(Object.values(apps).map((app) => app.stop()));
  });

  it('when an order flows from HTTP to its notification, then each role counts its part on its own endpoint, without ids in labels', async () => {
    const relayBefore = valueOf(await metricsOf(apps.relay!), 'saga_outbox_published_total') ?? 0;
    const { orderId, userId } = await placeCompletedOrder(apps.api!);
    const created = `${testTopicPrefix}order-created-events`;
    const completed = `${testTopicPrefix}order-completed-events`;

    // The relay published the OrderCreated and the OrderCompleted (and perhaps rows other suites left in the outbox).
    const relay = await eventually(
      () => metricsOf(apps.relay!),
      (s) => (valueOf(s, 'saga_outbox_published_total', { topic: completed }) ?? 0) >= 1,
      { what: 'the relay counting the OrderCompleted' },
    );
    expect(valueOf(relay, 'saga_outbox_published_total', { topic: created })).toBeGreaterThanOrEqual(1);
    expect(valueOf(relay, 'saga_outbox_published_total')).toBeGreaterThanOrEqual(relayBefore + 2);
    expect(samplesOf(relay, 'http_request_duration_seconds_count')).toEqual([]);

    const bridge = await eventually(
      () => metricsOf(apps.bridge!),
      (s) => (valueOf(s, 'saga_workflow_start_latency_seconds_count') ?? 0) >= 1,
      { what: 'the bridge observing a workflow start' },
    );
    expect(valueOf(bridge, 'saga_bridge_workflow_starts_total', { outcome: 'started_or_running' })).toBeGreaterThanOrEqual(1);
    expect(
      valueOf(bridge, 'saga_consumer_handler_duration_seconds_count', {
        group: `${testTopicPrefix}order-processing-group`,
        topic: created,
        result: 'ok',
      }),
    ).toBeGreaterThanOrEqual(1);
    // The latency is a duration from the order's commit: positive and finite.
    const latencySum = valueOf(bridge, 'saga_workflow_start_latency_seconds_sum')!;
    expect(Number.isFinite(latencySum) && latencySum > 0).toBe(true);

    const notifier = await eventually(
      () => metricsOf(apps.notifier!),
      (s) => (valueOf(s, 'saga_notifications_total', { event_type: 'OrderCompleted', result: 'sent' }) ?? 0) >= 1,
      { what: 'the notifier counting the e-mail' },
    );
    expect(
      valueOf(notifier, 'saga_consumer_handler_duration_seconds_count', {
        group: `${testTopicPrefix}notification-group`,
        topic: completed,
        result: 'ok',
      }),
    ).toBeGreaterThanOrEqual(1);

    // The worker's endpoint is the Temporal SDK's metrics (proxied from its core exporter) plus Node's own.
    const worker = await eventually(
      () => metricsOf(apps.worker!),
      (s) => (valueOf(s, 'temporal_workflow_completed_total') ?? 0) >= 1,
      { what: 'the worker SDK counting a completed workflow' },
    );
    expect(valueOf(worker, 'temporal_worker_task_slots_available', { task_queue: apps.worker!.env.TEMPORAL_TASK_QUEUE! })).toBeGreaterThan(
      0,
    );
    expect(samplesOf(worker, 'temporal_workflow_task_schedule_to_start_latency_seconds_count').length).toBeGreaterThan(0);
    expect(valueOf(worker, 'process_cpu_seconds_total')).toBeGreaterThan(0);

    // The API: its requests by route template, and the saga state it measures.
    const api = await metricsOf(apps.api!);
    expect(valueOf(api, 'http_request_duration_seconds_count', { method: 'PUT', route: '/api/order', status: '201' })).toBe(1);
    expect(
      valueOf(api, 'http_request_duration_seconds_count', { method: 'GET', route: '/api/order/:id', status: '200' }),
    ).toBeGreaterThanOrEqual(1);
    expect(valueOf(api, 'saga_orders', { status: 'Completed' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(api, 'saga_state_up', { source: 'consumer_lag' })).toBe(1);

    for (const samples of [relay, bridge, notifier, worker, api]) expectNoIdLabels(samples, [orderId, userId]);
  });
});

describe('the all process (what npm run stack runs)', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp(knobs);
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
  });

  it("when an order has flowed, then its one /metrics on the API port has every role's metrics and the SDK's", async () => {
    await placeCompletedOrder(app);
    const samples = await eventually(
      () => metricsOf(app),
      (s) =>
        (valueOf(s, 'saga_notifications_total', { result: 'sent' }) ?? 0) >= 1 &&
        (valueOf(s, 'temporal_workflow_completed_total') ?? 0) >= 1,
      { what: 'every role counted in one endpoint' },
    );
    for (const name of [
      'http_request_duration_seconds_count',
      'saga_outbox_published_total',
      'saga_workflow_start_latency_seconds_count',
      'saga_consumer_handler_duration_seconds_count',
      'saga_orders',
      'saga_consumer_lag_messages',
      'temporal_worker_task_slots_available',
      'process_cpu_seconds_total',
    ]) {
      expect({ name, present: samplesOf(samples, name).length > 0 }).toEqual({ name, present: true });
    }
  });

  it('when METRICS_ENABLED=false, then the API answers /metrics with 404', async () => {
    const off = await startApp({ METRICS_ENABLED: 'false' }, 'api');
    try {
      expect((await fetch(off.metricsUrl)).status).toBe(404);
      expect((await fetch(`${off.url}/health`)).status).toBe(200);
    } finally {
      await off.stop();
    }
  });
});
