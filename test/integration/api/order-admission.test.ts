// Admission control over HTTP, on the real services: no worker polls the order task queue at first (a worker that is
// down or far behind), so a placed order's workflow task waits; once it has waited longer than the limit, new orders
// are refused with 503, Retry-After and the reason, while reads, pay and cancel keep working and the retry of an
// order already accepted still replays. Once a worker polls and the backlog drains, orders are accepted again.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AdmissionControl } from '../../../src/health/admission.ts';
import { backlogMeter } from '../../../src/health/saga-measurements.ts';
import { createKafka } from '../../../src/messaging/kafka.ts';
import { Metrics } from '../../../src/metrics/metrics.ts';
import { startTestApi, type TestApi } from '../../helpers/api.ts';
import { testLogger } from '../../helpers/config.ts';
import { eventually } from '../../helpers/eventually.ts';
import { createProduct, expectStatus, type OrderDto } from './support.ts';

let api: TestApi;
let buyer: { id: number; token: string };
let productId: number;
const metrics = new Metrics({ defaultMetrics: false });

beforeAll(async () => {
  api = await startTestApi(
    // A pay or cancel answers 202 after ORDER_REQUEST_TIMEOUT while no worker polls.
    { ADMISSION_RETRY_AFTER: '7s', ORDER_REQUEST_TIMEOUT: '1s' },
    {
      saga: true,
      polling: false,
      metrics,
      // Only the workflow-task limit: no relay runs in these tests, so the outbox and the bridge are no backlog here.
      admission: ({ orm, config, saga }) =>
        new AdmissionControl({
          measure: backlogMeter({
            orm,
            kafka: createKafka(config, testLogger(config)),
            temporal: saga!.client,
            topicPrefix: config.KAFKA_TOPIC_PREFIX,
            namespace: config.TEMPORAL_NAMESPACE,
            taskQueue: saga!.taskQueue,
          }),
          limits: { outboxAgeSeconds: 0, bridgeLag: 0, taskAgeSeconds: 1 },
          refreshMs: 200,
        }),
    },
  );
  buyer = await api.newUser('Admitted Buyer');
  productId = (await createProduct(api, buyer.token, { stock: 100 })).id;
});
afterAll(async () => {
  await api.close();
});

const place = (key?: string) =>
  api.request<OrderDto>('PUT', '/api/order', {
    token: buyer.token,
    body: { items: [{ productId, quantity: 1 }] },
    ...(key && { headers: { 'Idempotency-Key': key } }),
  });

describe('when no worker takes the order workflows and their tasks wait past the limit', () => {
  let accepted: OrderDto;

  it('then new orders are refused with 503, Retry-After and the reason, and each refusal is counted', async () => {
    const first = await place('admission-first');
    expectStatus(first, 201);
    accepted = first.body;
    // Its workflow starts once something asks for it: a pay records the request and starts the run, whose first task
    // then waits for a worker.
    expectStatus(await api.request('POST', `/api/order/${accepted.id}/pay`, { token: buyer.token }), 202);

    const refused = await eventually(
      () => place(),
      (res) => res.status === 503,
      { what: 'an order refused', timeoutMs: 30_000 },
    );
    expect(refused.headers.get('retry-after')).toBe('7');
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body).toEqual(
      expect.objectContaining({
        code: 'overloaded',
        status: 503,
        reasons: [expect.stringMatching(/^oldest workflow task waits \d+ s \(limit 1 s\)$/)],
      }),
    );
    const counted = (await metrics.registry.getSingleMetric('saga_admission_refusals_total')!.get()).values[0]!.value;
    expect(counted).toBeGreaterThanOrEqual(1);
  });

  it('then reads, pay and cancel still work, and the retry of the accepted order replays it', async () => {
    expectStatus(await api.request('GET', `/api/order/${accepted.id}`, { token: buyer.token }), 200);
    expectStatus(await api.request('POST', `/api/order/${accepted.id}/cancel`, { token: buyer.token }), 202);
    const retried = await place('admission-first');
    expectStatus(retried, 201);
    expect(retried.body.id).toBe(accepted.id);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    // A new key is a new order: refused.
    expectStatus(await place('admission-second'), 503);
  });

  it('then, once a worker polls and the backlog is gone, new orders are accepted again', async () => {
    api.saga!.startPolling();
    const again = await eventually(
      () => place(),
      (res) => res.status === 201,
      { what: 'an order accepted again', timeoutMs: 45_000 },
    );
    expect(again.body.status).toBe('Pending');
  });
});
