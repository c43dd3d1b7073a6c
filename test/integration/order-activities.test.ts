// The saga's activities against the real test database, each run in Temporal's MockActivityEnvironment (a real
// activity Context without a worker). Orders are real: placed through the API harness (stock reserved, OrderCreated
// in the outbox). What matters is what a retried activity does the second time: nothing, reported as such, so an
// order gets one outcome, one outcome event and at most one stock release.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createOrderActivities } from '../../activities/order.activities.ts';
import { createPaymentActivities, SimulatedPaymentProvider, type Charge } from '../../activities/payment.activities.ts';
import { initOrm, type Orm } from '../../src/db/orm.ts';
import { OrderCancelled, OrderCompleted, OrderExpired } from '../../src/domain/events.ts';
import { startTestApi, type TestApi } from '../helpers/api.ts';
import { testConfig } from '../helpers/config.ts';
import { createOrder, createProduct, sql, uniqueName, type OrderDto, type ProductDto } from './api/support.ts';

let api: TestApi;
let orm: Orm;
let activities: ReturnType<typeof createOrderActivities>;
let buyer: { id: number; token: string };

beforeAll(async () => {
  api = await startTestApi();
  // The activities get a pool of their own, as in the worker role: nothing is shared with the API's ORM.
  orm = await initOrm(testConfig());
  activities = createOrderActivities({ orm });
  buyer = await api.newUser('Activity Buyer');
});
afterAll(async () => {
  await orm?.close();
  await api?.close();
});

/** A fresh environment per call, as each activity attempt gets its own Context; the SDK's logger kept quiet. */
const mockEnv = () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('WARN') });
/** Runs an activity in `env`, keeping its result type (MockActivityEnvironment.run cannot infer it). */
const runIn = <A extends unknown[], R>(env: MockActivityEnvironment, activity: (...args: A) => Promise<R>, ...args: A): Promise<R> =>
  env.run(activity, ...args);
const run = <A extends unknown[], R>(activity: (...args: A) => Promise<R>, ...args: A): Promise<R> => runIn(mockEnv(), activity, ...args);

/** A product of the test's own with stock 10 and an order of 3 of it: Pending, stock 7. */
async function placeOrder(): Promise<{ order: OrderDto; product: ProductDto }> {
  const product = await createProduct(api, buyer.token, { name: uniqueName('Activity product'), price: 12.5, stock: 10 });
  const order = await createOrder(api, buyer.token, [{ productId: product.id, quantity: 3 }]);
  expect(await dbState(order, product)).toEqual({ status: 'Pending', stock: 7, events: ['OrderCreated'] });
  return { order, product };
}

/** The order's row status (undefined once deleted), its product's stock and the types of its outbox events in order. */
async function dbState(order: OrderDto, product: ProductDto) {
  const [row] = await sql<{ status: string }>(api, 'select status from orders where id = ?', [order.id]);
  const [stock] = await sql<{ stock: number }>(api, 'select stock from products where id = ?', [product.id]);
  const events = await sql<{ type: string }>(api, `select payload->>'type' as type from outbox where order_id = ? order by id`, [order.id]);
  return { status: row?.status, stock: stock?.stock, events: events.map((e) => e.type) };
}

async function payloadOf(order: OrderDto, type: string): Promise<unknown> {
  const rows = await sql<{ payload: unknown }>(api, `select payload from outbox where order_id = ? and payload->>'type' = ?`, [
    order.id,
    type,
  ]);
  expect(rows).toHaveLength(1);
  return rows[0]!.payload;
}

describe('order activities: retried status changes', () => {
  it('when markProcessing runs twice, then the first run moves the order to Processing and the second changes nothing', async () => {
    const { order, product } = await placeOrder();

    const first = await run(activities.markProcessing, order.id);
    const second = await run(activities.markProcessing, order.id);

    expect(first).toEqual({ status: 'Processing', changed: true });
    // The second run also says where the order got to (no payment due time yet): what a resumed run needs (v6).
    expect(second).toEqual({ status: 'Processing', changed: false, paymentDueAt: null });
    expect(await dbState(order, product)).toEqual({ status: 'Processing', stock: 7, events: ['OrderCreated'] });
  });

  it('when markProcessing finds the order waiting for payment, then it answers the recorded due time', async () => {
    const { order } = await placeOrder();
    await run(activities.markProcessing, order.id);
    const dueAt = new Date(Date.now() + 5 * 60_000).toISOString();
    expect(await activities.recordPaymentDue(order.id, dueAt)).toBe(true);

    expect(await run(activities.markProcessing, order.id)).toEqual({ status: 'Processing', changed: false, paymentDueAt: dueAt });
  });

  it('when completeOrder runs twice, then the order completes once with one valid OrderCompleted carrying decimal strings, and the stock stays reserved', async () => {
    const { order, product } = await placeOrder();
    await run(activities.markProcessing, order.id);

    const first = await run(activities.completeOrder, order.id);
    const second = await run(activities.completeOrder, order.id);

    expect(first).toEqual({ status: 'Completed', changed: true });
    expect(second).toEqual({ status: 'Completed', changed: false });
    expect(await dbState(order, product)).toEqual({ status: 'Completed', stock: 7, events: ['OrderCreated', 'OrderCompleted'] });
    // Parsing with the consumers' own schema: what the relay publishes is what the notifier accepts.
    const event = OrderCompleted.parse(await payloadOf(order, 'OrderCompleted'));
    expect(event).toEqual({
      type: 'OrderCompleted',
      version: 1,
      orderId: order.id,
      userId: buyer.id,
      total: '37.50',
      items: [{ productId: product.id, productName: product.name, quantity: 3, price: '12.50' }],
      completedAt: expect.any(String),
    });
  });

  it.each([
    { from: 'Pending', activity: 'cancelOrder', outcome: 'Cancelled', type: 'OrderCancelled', schema: OrderCancelled },
    { from: 'Processing', activity: 'cancelOrder', outcome: 'Cancelled', type: 'OrderCancelled', schema: OrderCancelled },
    { from: 'Pending', activity: 'expireOrder', outcome: 'Expired', type: 'OrderExpired', schema: OrderExpired },
    { from: 'Processing', activity: 'expireOrder', outcome: 'Expired', type: 'OrderExpired', schema: OrderExpired },
  ] as const)(
    'when $activity runs twice on a $from order, then it is $outcome once, its stock is released once (10, not 13) and one $type is enqueued',
    async ({ from, activity, outcome, type, schema }) => {
      const { order, product } = await placeOrder();
      if (from === 'Processing') await run(activities.markProcessing, order.id);

      const first = await run(activities[activity], order.id);
      const second = await run(activities[activity], order.id);

      expect(first).toEqual({ status: outcome, changed: true });
      expect(second).toEqual({ status: outcome, changed: false });
      expect(await dbState(order, product)).toEqual({ status: outcome, stock: 10, events: ['OrderCreated', type] });
      expect(schema.parse(await payloadOf(order, type))).toEqual(expect.objectContaining({ type, orderId: order.id, userId: buyer.id }));
    },
  );
});

describe('order activities: an order that is not where the activity expects it', () => {
  it('when cancelOrder runs on a Completed order, then it reports Completed unchanged, releases no stock and enqueues no OrderCancelled', async () => {
    const { order, product } = await placeOrder();
    await run(activities.markProcessing, order.id);
    await run(activities.completeOrder, order.id);

    const result = await run(activities.cancelOrder, order.id);

    expect(result).toEqual({ status: 'Completed', changed: false });
    expect(await dbState(order, product)).toEqual({ status: 'Completed', stock: 7, events: ['OrderCreated', 'OrderCompleted'] });
  });

  it('when markProcessing runs on an order deleted through the API, then it reports Missing and nothing reappears', async () => {
    const { order, product } = await placeOrder();
    const deleted = await api.request('DELETE', `/api/order/${order.id}`, { token: buyer.token });
    expect(deleted.status).toBe(200);

    const result = await run(activities.markProcessing, order.id);

    expect(result).toEqual({ status: 'Missing', changed: false });
    // The deletion released the stock and dropped the unpublished OrderCreated; the activity added nothing.
    expect(await dbState(order, product)).toEqual({ status: undefined, stock: 10, events: [] });
  });

  it('when markProcessing runs on a Completed order (a duplicate saga start), then it reports Completed unchanged', async () => {
    const { order, product } = await placeOrder();
    await run(activities.markProcessing, order.id);
    await run(activities.completeOrder, order.id);

    const result = await run(activities.markProcessing, order.id);

    expect(result).toEqual({ status: 'Completed', changed: false });
    expect(await dbState(order, product)).toEqual({ status: 'Completed', stock: 7, events: ['OrderCreated', 'OrderCompleted'] });
  });
});

describe('payment activity (simulated provider)', () => {
  const charge = { orderId: 42, total: '37.50' };
  const chargePaymentWith = (durationMs: number, successRate: number) =>
    createPaymentActivities({ provider: new SimulatedPaymentProvider({ durationMs, successRate }) }).chargePayment;

  it('when the provider approves, then the result is approved with its reference', async () => {
    expect(await run(chargePaymentWith(0, 1), charge)).toEqual({ approved: true, reference: 'sim-42-ok' });
  });

  it('when the provider declines, then the activity returns a declined result instead of failing (a decline is not retried)', async () => {
    expect(await run(chargePaymentWith(0, 0), charge)).toEqual({ approved: false, reference: 'sim-42-declined' });
  });

  it('when a charge is retried (a later attempt, another worker process), then it carries the same idempotency key', async () => {
    const keys: string[] = [];
    const recording = { charge: async (c: Charge) => (keys.push(c.idempotencyKey), { approved: true, reference: 'r' }) };
    const chargePayment = createPaymentActivities({ provider: recording }).chargePayment;
    await runIn(new MockActivityEnvironment({ attempt: 1 }, { logger: new DefaultLogger('WARN') }), chargePayment, charge);
    await runIn(new MockActivityEnvironment({ attempt: 3 }, { logger: new DefaultLogger('WARN') }), chargePayment, charge);
    expect(keys).toEqual(['order-42-payment', 'order-42-payment']);
  });

  it('when two simulated providers (two worker processes) are asked about the same orders, then each order gets one answer', async () => {
    const first = chargePaymentWith(0, 0.5);
    const second = chargePaymentWith(0, 0.5);
    const orders = Array.from({ length: 40 }, (_, i) => ({ orderId: 1000 + i, total: '1.00' }));
    const answers = async (charge: typeof first) => Promise.all(orders.map(async (o) => (await run(charge, o)).approved));
    const [a, b] = [await answers(first), await answers(second)];
    expect(a).toEqual(b);
    // The success rate still applies across orders: some are approved and some declined.
    expect(new Set(a)).toEqual(new Set([true, false]));
  });

  it('when the provider takes a few seconds, then the activity heartbeats while it waits', async () => {
    const env = mockEnv();
    let heartbeats = 0;
    env.on('heartbeat', () => (heartbeats += 1));

    const result = await runIn(env, chargePaymentWith(2500, 1), charge);

    expect(result.approved).toBe(true);
    expect(heartbeats).toBeGreaterThanOrEqual(2);
  });
});
