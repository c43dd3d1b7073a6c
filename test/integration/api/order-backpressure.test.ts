// Requests that wait on an order's workflow have a deadline (ORDER_REQUEST_TIMEOUT). Here no worker polls the task
// queue at first (a worker that is down or far behind), so the workflow cannot answer: the API says 202 Accepted with
// Location and the order as it is, instead of hanging; once a worker polls, the accepted request takes effect.
// Processing is the exception the original contract makes: the API takes that first step itself, so it answers
// 200 Processing at once even with no worker, and a DELETE sent right after finds the order no longer Pending.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApi, type TestApi } from '../../helpers/api.ts';
import { eventually } from '../../helpers/eventually.ts';
import { createOrder, createProduct, expectStatus, sql, type OrderDto } from './support.ts';

let api: TestApi;
let buyer: { id: number; token: string };
beforeAll(async () => {
  api = await startTestApi({ ORDER_REQUEST_TIMEOUT: '1s' }, { saga: true, polling: false });
  buyer = await api.newUser('Patient Buyer');
});
afterAll(async () => {
  await api.close();
});

const post = (path: string, body?: unknown) => api.request<OrderDto>('POST', path, { token: buyer.token, ...(body ? { body } : {}) });
const dbStatus = async (id: number) => (await sql<{ status: string }>(api, 'select status from orders where id = ?', [id]))[0]?.status;

async function pendingOrder(): Promise<OrderDto> {
  const product = await createProduct(api, buyer.token, { stock: 10 });
  return createOrder(api, buyer.token, [{ productId: product.id, quantity: 1 }]);
}

describe('when the workflow cannot answer within ORDER_REQUEST_TIMEOUT', () => {
  const pending: Array<{ order: OrderDto; outcome: string }> = [];

  it.each([
    ['POST /api/order/{id}/pay', 'Completed', (id: number) => post(`/api/order/${id}/pay`)],
    ['POST /api/order/{id}/cancel', 'Cancelled', (id: number) => post(`/api/order/${id}/cancel`)],
    ['POST /api/order/{id} with status Completed', 'Completed', (id: number) => post(`/api/order/${id}`, { id, status: 'Completed' })],
  ])('then %s answers 202 with Location and the order still Pending', async (_how, outcome, request) => {
    const order = await pendingOrder();

    const res = await request(order.id);

    expectStatus(res, 202);
    expect(res.headers.get('location')).toBe(`/api/order/${order.id}`);
    expect(res.body).toEqual({ ...order, status: 'Pending' });
    pending.push({ order, outcome });
  });

  const processing: OrderDto[] = [];

  it('then POST /api/order/{id} with status Processing still answers 200 Processing at once, and a DELETE right after gets 409', async () => {
    const order = await pendingOrder();

    const res = await post(`/api/order/${order.id}`, { id: order.id, status: 'Processing' });

    expectStatus(res, 200);
    expect(res.body).toEqual({ ...order, status: 'Processing', phase: 'charging', updatedAt: expect.any(String) });
    expect(await dbStatus(order.id)).toBe('Processing');
    const deleted = await api.request('DELETE', `/api/order/${order.id}`, { token: buyer.token });
    expectStatus(deleted, 409);
    expect(await dbStatus(order.id)).toBe('Processing');
    processing.push(order);
  });

  it('then, once a worker polls, every accepted request takes effect', async () => {
    expect(pending).toHaveLength(3);
    expect(processing).toHaveLength(1);
    api.saga!.startPolling();
    // The order the API moved to Processing is charged once by its workflow (the scripted provider declines) and
    // then waits for payment.
    const [moved] = processing;
    await eventually(
      async () => (await api.request<OrderDto>('GET', `/api/order/${moved!.id}`, { token: buyer.token })).body,
      (o) => o.phase === 'awaiting-payment',
      { what: `order ${moved!.id} awaiting payment`, timeoutMs: 45_000 },
    );
    expect(api.saga!.provider.charged.filter((id) => id === moved!.id)).toHaveLength(1);
    for (const { order, outcome } of pending) {
      await eventually(
        () => dbStatus(order.id),
        (s) => s === outcome,
        { what: `order ${order.id} ${outcome}`, timeoutMs: 45_000 },
      );
    }
  });
});
