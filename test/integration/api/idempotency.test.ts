// Idempotency-Key on PUT /api/order: a retry with the same key and body returns the first answer (201, the same
// order) and reserves nothing again, also when the retries race; the same key with another body is 422.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { startTestApi, type TestApi } from '../../helpers/api.ts';
import { createProduct, expectError, expectStatus, sql, stockOf, type OrderDto } from './support.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

const place = (token: string, key: string | undefined, items: Array<{ productId: number; quantity: number }>) =>
  api.request<OrderDto>('PUT', '/api/order', { token, body: { items }, headers: key ? { 'idempotency-key': key } : {} });

describe('PUT /api/order with an Idempotency-Key', () => {
  it('when the same key and body are sent again, then 201 with the same order and body, and stock is taken once', async () => {
    const { token } = await api.newUser();
    const product = await createProduct(api, token, { stock: 10 });
    const key = randomUUID();

    const first = await place(token, key, [{ productId: product.id, quantity: 3 }]);
    const again = await place(token, key, [{ productId: product.id, quantity: 3 }]);

    expectStatus(first, 201);
    expectStatus(again, 201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('location')).toBe(`/api/order/${first.body.id}`);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(await stockOf(api, token, product.id)).toBe(7);
  });

  it('when ten retries with one key race, then exactly one order exists and stock is taken once', async () => {
    const user = await api.newUser();
    const product = await createProduct(api, user.token, { stock: 10 });
    const key = randomUUID();

    const answers = await Promise.all(Array.from({ length: 10 }, () => place(user.token, key, [{ productId: product.id, quantity: 2 }])));

    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(201));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(await sql(api, 'select id from orders where user_id = ?', [user.id])).toHaveLength(1);
    expect(await stockOf(api, user.token, product.id)).toBe(8);
  });

  it('when the same key comes with another body, then 422 and nothing is reserved', async () => {
    const { token } = await api.newUser();
    const product = await createProduct(api, token, { stock: 10 });
    const key = randomUUID();
    expectStatus(await place(token, key, [{ productId: product.id, quantity: 1 }]), 201);

    const res = await place(token, key, [{ productId: product.id, quantity: 2 }]);

    expectError(res, 422);
    expect((res.body as unknown as { code: string }).code).toBe('idempotency-key-reused');
    expect(await stockOf(api, token, product.id)).toBe(9);
  });

  it('when two users use the same key, then each gets their own order', async () => {
    const a = await api.newUser();
    const b = await api.newUser();
    const product = await createProduct(api, a.token, { stock: 10 });
    const key = randomUUID();

    const first = await place(a.token, key, [{ productId: product.id, quantity: 1 }]);
    const second = await place(b.token, key, [{ productId: product.id, quantity: 1 }]);

    expect(second.body.id).not.toBe(first.body.id);
    expect(second.body.userId).toBe(b.id);
  });

  it('when the first attempt failed (insufficient stock), then a retry with the key runs afresh', async () => {
    const { token } = await api.newUser();
    const product = await createProduct(api, token, { stock: 1 });
    const key = randomUUID();
    expectError(await place(token, key, [{ productId: product.id, quantity: 2 }]), 422);
    await api.request('POST', `/api/product/${product.id}`, {
      token,
      body: { id: product.id, name: product.name, description: product.description, price: product.price, stock: 5 },
    });

    const retry = await place(token, key, [{ productId: product.id, quantity: 2 }]);

    expectStatus(retry, 201);
    expect(await stockOf(api, token, product.id)).toBe(3);
  });

  it('when the key is older than 24 hours, then it is forgotten and the request places a new order', async () => {
    const user = await api.newUser();
    const product = await createProduct(api, user.token, { stock: 10 });
    const key = randomUUID();
    const first = await place(user.token, key, [{ productId: product.id, quantity: 1 }]);
    await sql(api, "update idempotency_keys set created_at = now() - interval '25 hours' where user_id = ?", [user.id]);

    const later = await place(user.token, key, [{ productId: product.id, quantity: 1 }]);

    expectStatus(later, 201);
    expect(later.body.id).not.toBe(first.body.id);
  });

  it('when the order placed with the key was deleted, then a retry is 409, not a second order', async () => {
    const user = await api.newUser();
    const product = await createProduct(api, user.token, { stock: 10 });
    const key = randomUUID();
    const first = await place(user.token, key, [{ productId: product.id, quantity: 1 }]);
    expectStatus(await api.request('DELETE', `/api/order/${first.body.id}`, { token: user.token }), 200);

    expectError(await place(user.token, key, [{ productId: product.id, quantity: 1 }]), 409);
    expect(await sql(api, 'select id from orders where user_id = ?', [user.id])).toEqual([]);
  });

  it.each([
    { case: 'empty', key: '' },
    { case: 'longer than 200 characters', key: 'k'.repeat(201) },
    { case: 'not visible ASCII', key: 'schlüssel mit leerzeichen' },
  ])('when the key is $case, then 400', async ({ key }) => {
    const { token } = await api.newUser();
    const res = await api.request('PUT', '/api/order', {
      token,
      body: { items: [{ productId: 1, quantity: 1 }] },
      headers: { 'idempotency-key': key },
    });

    expectError(res, 400);
  });
});
