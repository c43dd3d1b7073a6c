// Status changes over HTTP go through the order's saga (real Temporal dev server, real worker and activities on the
// test database; only the payment provider is scripted): POST /api/order/{id} with a status, /pay and /cancel.
// Requests that do not fit the order's state are 409 with currentStatus; stock is released exactly once.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApi, type TestApi } from '../../helpers/api.ts';
import { eventually } from '../../helpers/eventually.ts';
import type { orderWorkflow } from '../../../workflows/order.workflow.ts';
import {
  MISSING_ID,
  createOrder,
  createProduct,
  expectError,
  expectStatus,
  sql,
  stockOf,
  type OrderDto,
  type OrderStatus,
} from './support.ts';

let api: TestApi;
let buyer: { id: number; token: string };
beforeAll(async () => {
  api = await startTestApi({}, { saga: true });
  buyer = await api.newUser('Saga Buyer');
});
afterAll(async () => {
  await api.close();
});

const saga = () => api.saga!;
const post = (path: string, body?: unknown, token = buyer.token) =>
  api.request<OrderDto>('POST', path, { token, ...(body ? { body } : {}) });
const setStatus = (id: number, status: OrderStatus | number, token = buyer.token) => post(`/api/order/${id}`, { id, status }, token);
const getOrder = async (id: number) => (await api.request<OrderDto>('GET', `/api/order/${id}`, { token: buyer.token })).body;
const stock = (productId: number) => stockOf(api, buyer.token, productId);
const dbStatus = async (id: number) => (await sql<{ status: string }>(api, 'select status from orders where id = ?', [id]))[0]?.status;

/** A product with stock 10 and an order of 3 of it, driven through the saga to `status`. */
async function orderIn(status: OrderStatus): Promise<{ order: OrderDto; productId: number }> {
  const item = await createProduct(api, buyer.token, { stock: 10 });
  const created = await createOrder(api, buyer.token, [{ productId: item.id, quantity: 3 }]);
  const ref = { orderId: created.id, userId: buyer.id, total: String(created.total), createdAt: created.createdAt };
  if (status === 'Processing') {
    expectStatus(await setStatus(created.id, 'Processing'), 200);
    // The scripted provider declines: the order then waits for payment.
    await eventually(
      () => getOrder(created.id),
      (o) => o.phase === 'awaiting-payment',
      { what: `order ${created.id} awaiting payment` },
    );
  }
  if (status === 'Completed') expectStatus(await post(`/api/order/${created.id}/pay`), 200);
  if (status === 'Cancelled') expectStatus(await post(`/api/order/${created.id}/cancel`), 200);
  if (status === 'Expired') {
    await saga().withExpiry(1).ensureStarted(ref);
    await eventually(
      () => dbStatus(created.id),
      (s) => s === 'Expired',
      { what: `order ${created.id} expired` },
    );
  }
  return { order: await getOrder(created.id), productId: item.id };
}

describe('requesting status changes', () => {
  it('when a Pending order is set to Processing, then 200 as soon as it is Processing, with its stock still reserved', async () => {
    const { order, productId } = await orderIn('Pending');
    const res = await setStatus(order.id, 'Processing');
    expectStatus(res, 200);
    // The answer comes once the workflow moved the order to Processing, not when its charge returns: the body is the
    // order at that moment, charging or (the scripted provider declines at once) already waiting for payment.
    expect(res.body).toEqual({
      ...order,
      status: 'Processing',
      phase: expect.stringMatching(/^(charging|awaiting-payment)$/),
      paymentDueAt: res.body.phase === 'awaiting-payment' ? expect.any(String) : null,
      updatedAt: expect.any(String),
    });
    expect(await dbStatus(order.id)).toBe('Processing');
    expect(await stock(productId)).toBe(7);
  });

  it('when the status is given as the numeric code 1, then the order becomes Processing', async () => {
    const { order } = await orderIn('Pending');
    const res = await setStatus(order.id, 1);
    expectStatus(res, 200);
    expect(res.body.status).toBe('Processing');
  });

  it.each([
    ['POST /api/order/{id} with status Cancelled', (id: number) => setStatus(id, 'Cancelled')],
    ['POST /api/order/{id} with status code 3', (id: number) => setStatus(id, 3)],
    ['POST /api/order/{id}/cancel', (id: number) => post(`/api/order/${id}/cancel`)],
  ])('when a Pending order is cancelled with %s, then 200 Cancelled and its stock is released', async (_how, cancel) => {
    const { order, productId } = await orderIn('Pending');
    const res = await cancel(order.id);
    expectStatus(res, 200);
    expect(res.body.status).toBe('Cancelled');
    expect(await stock(productId)).toBe(10);
  });

  it('when an order waiting for payment is cancelled, then 200 Cancelled and its stock is released once', async () => {
    const { order, productId } = await orderIn('Processing');
    expectStatus(await post(`/api/order/${order.id}/cancel`), 200);
    expect(await stock(productId)).toBe(10);
    // A retry (the first answer got lost) sees its effect, not a conflict, and releases nothing again.
    expectStatus(await post(`/api/order/${order.id}/cancel`), 200);
    expect(await stock(productId)).toBe(10);
    expectError(await post(`/api/order/${order.id}/pay`), 409);
  });

  it.each([
    ['POST /api/order/{id}/pay', (id: number) => post(`/api/order/${id}/pay`)],
    ['POST /api/order/{id} with status Completed', (id: number) => setStatus(id, 'Completed')],
  ])('when the payment of an order waiting for it is confirmed with %s, then 200 Completed and the stock stays sold', async (_how, pay) => {
    const { order, productId } = await orderIn('Processing');
    const res = await pay(order.id);
    expectStatus(res, 200);
    expect(res.body.status).toBe('Completed');
    expect(await stock(productId)).toBe(7);
  });

  it('when a Pending order is paid before its saga ran, then the saga starts and completes it without charging again', async () => {
    const { order } = await orderIn('Pending');
    const res = await post(`/api/order/${order.id}/pay`);
    expectStatus(res, 200);
    expect(res.body.status).toBe('Completed');
    expect(saga().provider.charged).not.toContain(order.id);
  });

  it('when the provider approves the payment at once, then the order completes by itself', async () => {
    const { order } = await orderIn('Pending');
    saga().provider.approved.add(order.id);
    expectStatus(await setStatus(order.id, 'Processing'), 200);
    await eventually(
      () => dbStatus(order.id),
      (s) => s === 'Completed',
      { what: 'order completed' },
    );
  });

  /** A Pending order whose charge, once the saga starts it, stays in flight until the returned release is called. */
  async function chargingOrder(approve: boolean) {
    const { order, productId } = await orderIn('Pending');
    const release = saga().provider.hold(order.id);
    if (approve) saga().provider.approved.add(order.id);
    const res = await setStatus(order.id, 'Processing');
    expectStatus(res, 200);
    await eventually(
      () => getOrder(order.id),
      (o) => o.phase === 'charging' && saga().provider.charged.includes(order.id),
      { what: `order ${order.id} charging` },
    );
    return { order: await getOrder(order.id), productId, release };
  }

  it.each([
    ['/pay', 'a declined charge', false, 'Completed', 7],
    ['/pay', 'an approved charge', true, 'Completed', 7],
    ['/cancel', 'a declined charge', false, 'Cancelled', 10],
    ['/cancel', 'an approved charge', true, 'Completed', 7],
  ] as const)(
    'when %s comes during %s, then 202 with Location and the order as it is, and the order ends %s once the charge returns',
    async (action, _charge, approve, outcome, stockAfter) => {
      const { order, productId, release } = await chargingOrder(approve);
      // The charge is still held here, so the request cannot have been answered by its taking effect.
      const res = await post(`/api/order/${order.id}${action}`);
      expectStatus(res, 202);
      expect(res.headers.get('location')).toBe(`/api/order/${order.id}`);
      expect(res.body).toEqual(order);
      expect(await dbStatus(order.id)).toBe('Processing');

      release();
      await eventually(
        () => dbStatus(order.id),
        (s) => s === outcome,
        { what: `order ${order.id} ${outcome}` },
      );
      expect(await stock(productId)).toBe(stockAfter);
      expect(saga().provider.charged.filter((id) => id === order.id)).toHaveLength(1);
    },
  );

  it('when nobody pays within the expiry, then the order expires and its stock is released', async () => {
    const { order, productId } = await orderIn('Expired');
    expect(order.status).toBe('Expired');
    expect(await stock(productId)).toBe(10);
  });
});

describe('requests that do not fit the order', () => {
  const finals: OrderStatus[] = ['Completed', 'Cancelled', 'Expired'];
  const requests: Array<[string, (id: number) => ReturnType<typeof post>]> = [
    ['status Processing', (id) => setStatus(id, 'Processing')],
    ['status Completed', (id) => setStatus(id, 'Completed')],
    ['status Cancelled', (id) => setStatus(id, 'Cancelled')],
    ['status Pending', (id) => setStatus(id, 'Pending')],
    ['status Expired', (id) => setStatus(id, 'Expired')],
    ['/pay', (id) => post(`/api/order/${id}/pay`)],
    ['/cancel', (id) => post(`/api/order/${id}/cancel`)],
  ];

  /** A retried /pay of a Completed order, or /cancel of a Cancelled one, already had its effect: 200. */
  const alreadyDone = (status: OrderStatus, request: string) =>
    (status === 'Completed' && request === '/pay') || (status === 'Cancelled' && request === '/cancel');

  it.each(finals)('when an order is %s, then every other status request is 409 with currentStatus and nothing changes', async (status) => {
    const { order, productId } = await orderIn(status);
    const stockBefore = await stock(productId);
    for (const [name, request] of requests) {
      const res = await request(order.id);
      if (alreadyDone(status, name)) {
        expectStatus(res, 200);
        expect(res.body).toEqual(order);
      } else {
        expectError(res, 409);
        expect(res.body).toEqual(expect.objectContaining({ currentStatus: status }));
      }
    }
    expect(await getOrder(order.id)).toEqual(order);
    expect(await stock(productId)).toBe(stockBefore);
  });

  it.each([
    ['Pending', 'Pending'],
    ['Pending', 'Expired'],
    ['Processing', 'Processing'],
    ['Processing', 'Pending'],
    ['Processing', 'Expired'],
  ] as const)('when a %s order is set to %s, then 409 with currentStatus', async (from, to) => {
    const { order } = await orderIn(from);
    const res = await setStatus(order.id, to);
    expectError(res, 409);
    expect(res.body).toEqual(expect.objectContaining({ currentStatus: from }));
    expect(await dbStatus(order.id)).toBe(from);
  });

  it.each([
    { case: 'the id in the body differs from the id in the path', body: (id: number) => ({ id: id + 1, status: 'Processing' }) },
    { case: 'the status is an unknown name', body: (id: number) => ({ id, status: 'Shipped' }) },
    { case: 'the status is an unknown code (5)', body: (id: number) => ({ id, status: 5 }) },
    { case: 'the status is a negative code', body: (id: number) => ({ id, status: -1 }) },
    { case: 'the status is missing', body: (id: number) => ({ id }) },
    { case: 'the id is missing', body: () => ({ status: 'Processing' }) },
  ])('when $case, then 400 and the order stays Pending', async ({ body }) => {
    const { order, productId } = await orderIn('Pending');
    expectError(await post(`/api/order/${order.id}`, body(order.id)), 400);
    expect(await dbStatus(order.id)).toBe('Pending');
    expect(await stock(productId)).toBe(7);
  });

  it.each([
    ['status Cancelled', (id: number, token: string) => setStatus(id, 'Cancelled', token)],
    ['/pay', (id: number, token: string) => post(`/api/order/${id}/pay`, undefined, token)],
    ['/cancel', (id: number, token: string) => post(`/api/order/${id}/cancel`, undefined, token)],
  ])("when another user requests %s on someone's order, then 403 and the order stays Pending", async (_what, request) => {
    const { order } = await orderIn('Pending');
    const stranger = await api.newUser();
    expectError(await request(order.id, stranger.token), 403);
    expect(await dbStatus(order.id)).toBe('Pending');
  });

  it.each([`/api/order/${MISSING_ID}/pay`, `/api/order/${MISSING_ID}/cancel`])('when %s names no order, then 404', async (path) => {
    expectError(await post(path), 404);
    expectError(await setStatus(MISSING_ID, 'Cancelled'), 404);
  });
});

describe('DELETE /api/order/{id} and the saga', () => {
  it.each(['Processing', 'Completed', 'Cancelled', 'Expired'] as const)(
    'when the order is %s, then 409 naming the status with currentStatus, and the order and stock stay',
    async (status) => {
      const { order, productId } = await orderIn(status);
      const stockBefore = await stock(productId);
      const res = await api.request('DELETE', `/api/order/${order.id}`, { token: buyer.token });
      expectError(res, 409, `Cannot delete order with status '${status}'. Only pending orders can be deleted.`);
      expect(res.body).toEqual(expect.objectContaining({ currentStatus: status }));
      expect(await getOrder(order.id)).toEqual(order);
      expect(await stock(productId)).toBe(stockBefore);
    },
  );

  it('when a Pending order is deleted and its saga starts afterwards, then the saga ends quietly and the stock is released once', async () => {
    const { order, productId } = await orderIn('Pending');
    expectStatus(await api.request('DELETE', `/api/order/${order.id}`, { token: buyer.token }), 200);
    expect(await stock(productId)).toBe(10);
    const outbox = await sql<{ n: string }>(api, 'select count(*) as n from outbox where order_id = ? and sent_at is null', [order.id]);
    expect(Number(outbox[0]?.n)).toBe(0);

    await saga().workflows.ensureStarted({ orderId: order.id, userId: buyer.id, total: String(order.total), createdAt: order.createdAt });
    const state = await saga().client.workflow.getHandle<typeof orderWorkflow>(saga().workflows.workflowId(order.id)).result();
    expect(state.status).toBe('Gone');
    expect(await stock(productId)).toBe(10);
  });
});
