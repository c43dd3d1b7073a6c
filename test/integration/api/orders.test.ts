// /api/order: placing orders (stock reservation, server-side totals, exact money), reading one's own orders and
// deletion of pending orders (stock release). Status changes go through the saga: see order-status.test.ts.
// Every product and user here is this file's own.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApi, type TestApi } from '../../helpers/api.ts';
import {
  MISSING_ID,
  createOrder,
  createProduct,
  expectError,
  expectMoney,
  expectStatus,
  orderDto,
  orderItemDto,
  sql,
  stockOf,
  uniqueName,
  type ErrorBody,
  type NewProduct,
  type OrderDto,
  type ProductDto,
} from './support.ts';

type Buyer = { id: number; token: string };

let api: TestApi;
let buyer: Buyer;
beforeAll(async () => {
  api = await startTestApi();
  buyer = await api.newUser('Order Buyer');
});
afterAll(async () => {
  await api.close();
});

const product = (fields: Partial<NewProduct> = {}) => createProduct(api, buyer.token, fields);
const stock = (productId: number) => stockOf(api, buyer.token, productId);
const putOrder = (token: string, body: unknown) => api.request<OrderDto>('PUT', '/api/order', { token, body });
const ordersOf = (token: string) => api.request<OrderDto[]>('GET', '/api/order', { token });
const orderRow = async (id: number) =>
  (await sql<{ user_id: number; total: string; status: string }>(api, 'select user_id, total, status from orders where id = ?', [id]))[0];

describe('PUT /api/order', () => {
  it('when the items are valid, then 201 with a Pending OrderDto, the total computed server-side and the stock reserved', async () => {
    const widget = await product({ price: 12.5, stock: 10 });
    const gadget = await product({ price: 3.25, stock: 5 });

    const res = await putOrder(buyer.token, {
      items: [
        { productId: widget.id, quantity: 2 },
        { productId: gadget.id, quantity: 3 },
      ],
    });

    expectStatus(res, 201);
    expect(res.body).toEqual(orderDto({ userId: buyer.id, status: 'Pending', total: 34.75 }));
    expect([...res.body.items].sort((a, b) => a.productId - b.productId)).toEqual([
      orderItemDto({ productId: widget.id, productName: widget.name, quantity: 2, price: 12.5 }),
      orderItemDto({ productId: gadget.id, productName: gadget.name, quantity: 3, price: 3.25 }),
    ]);
    expectMoney(res.body.total);
    expect(await stock(widget.id)).toBe(8);
    expect(await stock(gadget.id)).toBe(2);
    expect(await orderRow(res.body.id)).toEqual({ user_id: buyer.id, total: '34.75', status: 'Pending' });
  });

  it('when an order is placed, then its items and its OrderCreated row carry its id, time and total', async () => {
    const widget = await product({ price: 4.5, stock: 3 });
    const res = await putOrder(buyer.token, { items: [{ productId: widget.id, quantity: 2 }] });
    expectStatus(res, 201);
    const iso = `to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
    const [order] = await sql<{ at: string }>(api, `select ${iso} as at from orders where id = ?`, [res.body.id]);
    const items = await sql<{ at: string }>(api, `select ${iso} as at from order_items where order_id = ?`, [res.body.id]);
    const events = await sql<{ topic: string; message_key: string; payload: string }>(
      api,
      'select topic, message_key, payload::text as payload from outbox where order_id = ?',
      [res.body.id],
    );
    expect(order?.at).toBe(res.body.createdAt);
    expect(items).toEqual([{ at: res.body.createdAt }]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ topic: 'order-created-events', message_key: String(res.body.id) });
    expect(JSON.parse(events[0]!.payload)).toEqual({
      type: 'OrderCreated',
      version: 1,
      orderId: res.body.id,
      userId: buyer.id,
      total: '9.00',
      createdAt: res.body.createdAt,
    });
  });

  it('when the price changed after the product was created, then the order uses the current price', async () => {
    const item = await product({ price: 5, stock: 10 });
    const repriced = await api.request<ProductDto>('POST', `/api/product/${item.id}`, {
      token: buyer.token,
      body: { id: item.id, name: item.name, description: item.description, price: 7.5, stock: item.stock },
    });
    expectStatus(repriced, 200);

    const order = await createOrder(api, buyer.token, [{ productId: item.id, quantity: 2 }]);

    expect(order.total).toBe(15);
    expect(order.items).toEqual([orderItemDto({ productId: item.id, productName: item.name, quantity: 2, price: 7.5 })]);
  });

  it('when 3 of a product priced 0.10 are ordered, then the total is exactly 0.3 (stored as 0.30)', async () => {
    const dime = await product({ price: 0.1, stock: 10 });

    const order = await createOrder(api, buyer.token, [{ productId: dime.id, quantity: 3 }]);

    expect(order.total).toBe(0.3);
    expect(order.items[0]?.price).toBe(0.1);
    expect((await orderRow(order.id))?.total).toBe('0.30');
  });

  it('when a 999.99 item and a 29.99 item are ordered, then the total is exactly 1029.98', async () => {
    const laptopLike = await product({ name: uniqueName('Laptop-like'), price: 999.99, stock: 5 });
    const mouseLike = await product({ name: uniqueName('Mouse-like'), price: 29.99, stock: 5 });

    const order = await createOrder(api, buyer.token, [
      { productId: laptopLike.id, quantity: 1 },
      { productId: mouseLike.id, quantity: 1 },
    ]);

    expect(order.total).toBe(1029.98);
    expectMoney(order.total);
    expect((await orderRow(order.id))?.total).toBe('1029.98');
  });

  it('when the quantity equals the whole stock, then 201 and the stock is 0', async () => {
    const item = await product({ stock: 4 });

    await createOrder(api, buyer.token, [{ productId: item.id, quantity: 4 }]);

    expect(await stock(item.id)).toBe(0);
  });

  it('when a product does not exist, then 422 "Product with ID {id} not found", no order is created and no stock is taken', async () => {
    const newcomer = await api.newUser();
    const item = await product({ stock: 10 });

    const res = await putOrder(newcomer.token, {
      items: [
        { productId: item.id, quantity: 1 },
        { productId: MISSING_ID, quantity: 1 },
      ],
    });

    expectError(res, 422, `Product with ID ${MISSING_ID} not found`);
    expect(await stock(item.id)).toBe(10);
    expect((await ordersOf(newcomer.token)).body).toEqual([]);
  });

  it('when the stock is insufficient, then 422 naming the product, available and requested, and nothing is reserved', async () => {
    const newcomer = await api.newUser();
    const plenty = await product({ stock: 10 });
    const scarce = await product({ name: uniqueName('Scarce'), stock: 2 });

    const res = await putOrder(newcomer.token, {
      items: [
        { productId: plenty.id, quantity: 1 },
        { productId: scarce.id, quantity: 3 },
      ],
    });

    expectError(res, 422, `Insufficient stock for product '${scarce.name}'. Available: 2, Requested: 3`);
    expect(await stock(plenty.id)).toBe(10);
    expect(await stock(scarce.id)).toBe(2);
    expect((await ordersOf(newcomer.token)).body).toEqual([]);
  });

  it.each([
    { case: 'the body is empty', body: () => ({}) },
    { case: 'the items are an empty list', body: () => ({ items: [] }) },
    { case: 'the items are not a list', body: (id: number) => ({ items: { productId: id, quantity: 1 } }) },
    { case: 'the product id is missing', body: () => ({ items: [{ quantity: 1 }] }) },
    { case: 'the product id is 0', body: () => ({ items: [{ productId: 0, quantity: 1 }] }) },
    { case: 'the product id is not an integer', body: (id: number) => ({ items: [{ productId: id + 0.5, quantity: 1 }] }) },
    { case: 'the quantity is missing', body: (id: number) => ({ items: [{ productId: id }] }) },
    { case: 'the quantity is 0', body: (id: number) => ({ items: [{ productId: id, quantity: 0 }] }) },
    { case: 'the quantity is negative', body: (id: number) => ({ items: [{ productId: id, quantity: -1 }] }) },
    { case: 'the quantity is not an integer', body: (id: number) => ({ items: [{ productId: id, quantity: 1.5 }] }) },
  ])('when $case, then 400 with a message and no stock is taken', async ({ body }) => {
    const item = await product({ stock: 10 });

    const res = await putOrder(buyer.token, body(item.id));

    expectError(res, 400);
    expect(await stock(item.id)).toBe(10);
  });

  it('when 20 orders of 1 race for a stock of 10, then exactly 10 succeed, 10 get 422, and the stock ends at 0', async () => {
    const scarce = await product({ name: uniqueName('Race'), stock: 10 });
    const racers = [await api.newUser(), await api.newUser(), await api.newUser(), await api.newUser()];

    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => putOrder(racers[i % racers.length]!.token, { items: [{ productId: scarce.id, quantity: 1 }] })),
    );

    const statuses = responses.map((r) => r.status).sort((a, b) => a - b);
    expect(statuses).toEqual([...Array<number>(10).fill(201), ...Array<number>(10).fill(422)]);
    for (const refused of responses.filter((r) => r.status === 422)) {
      expect((refused.body as unknown as ErrorBody).message).toBe(
        `Insufficient stock for product '${scarce.name}'. Available: 0, Requested: 1`,
      );
    }
    expect(await stock(scarce.id)).toBe(0);
    const [row] = await sql<{ stock: number; reserved: string; orders: string }>(
      api,
      `select p.stock,
              (select coalesce(sum(quantity), 0) from order_items where product_id = p.id)::text as reserved,
              (select count(distinct order_id) from order_items where product_id = p.id)::text as orders
         from products p where p.id = ?`,
      [scarce.id],
    );
    expect(row).toEqual({ stock: 0, reserved: '10', orders: '10' });
  });
});

describe('GET /api/order', () => {
  it('when two users have orders, then each sees only their own, newest first', async () => {
    const alice = await api.newUser('Alice');
    const bob = await api.newUser('Bob');
    const item = await product({ stock: 20 });
    const first = await createOrder(api, alice.token, [{ productId: item.id, quantity: 1 }]);
    const bobs = await createOrder(api, bob.token, [{ productId: item.id, quantity: 1 }]);
    const second = await createOrder(api, alice.token, [{ productId: item.id, quantity: 2 }]);
    const third = await createOrder(api, alice.token, [{ productId: item.id, quantity: 3 }]);

    const forAlice = await ordersOf(alice.token);
    const forBob = await ordersOf(bob.token);

    expectStatus(forAlice, 200);
    expect(forAlice.body).toEqual([third, second, first]);
    const createdAt = forAlice.body.map((o) => Date.parse(o.createdAt));
    expect(createdAt).toEqual([...createdAt].sort((a, b) => b - a));
    expectStatus(forBob, 200);
    expect(forBob.body).toEqual([bobs]);
  });

  it('when a user has no orders, then 200 with an empty list', async () => {
    const newcomer = await api.newUser();

    const res = await ordersOf(newcomer.token);

    expectStatus(res, 200);
    expect(res.body).toEqual([]);
  });
});

describe('GET /api/order/{id}', () => {
  it('when the caller owns the order, then 200 with the OrderDto as created', async () => {
    const item = await product();
    const order = await createOrder(api, buyer.token, [{ productId: item.id, quantity: 1 }]);

    const res = await api.request<OrderDto>('GET', `/api/order/${order.id}`, { token: buyer.token });

    expectStatus(res, 200);
    expect(res.body).toEqual(order);
  });

  it("when the order is another user's, then 403 with a message", async () => {
    const item = await product();
    const order = await createOrder(api, buyer.token, [{ productId: item.id, quantity: 1 }]);
    const stranger = await api.newUser();

    expectError(await api.request('GET', `/api/order/${order.id}`, { token: stranger.token }), 403);
  });

  it('when the order does not exist, then 404 with a message', async () => {
    expectError(await api.request('GET', `/api/order/${MISSING_ID}`, { token: buyer.token }), 404);
  });
});

describe('DELETE /api/order/{id}', () => {
  it('when the order is Pending, then 200 "Order deleted successfully", its stock is released and GET answers 404', async () => {
    const item = await product({ stock: 10 });
    const order = await createOrder(api, buyer.token, [{ productId: item.id, quantity: 4 }]);
    expect(await stock(item.id)).toBe(6);

    const res = await api.request('DELETE', `/api/order/${order.id}`, { token: buyer.token });

    expectStatus(res, 200);
    expect(res.body).toEqual({ message: 'Order deleted successfully' });
    expect(await stock(item.id)).toBe(10);
    expectError(await api.request('GET', `/api/order/${order.id}`, { token: buyer.token }), 404);
    expect(await sql(api, 'select id from order_items where order_id = ?', [order.id])).toEqual([]);
  });

  it("when the order is another user's, then 403, the order stays and its stock stays reserved", async () => {
    const item = await product({ stock: 10 });
    const order = await createOrder(api, buyer.token, [{ productId: item.id, quantity: 4 }]);
    const stranger = await api.newUser();

    const res = await api.request('DELETE', `/api/order/${order.id}`, { token: stranger.token });

    expectError(res, 403);
    expect((await api.request<OrderDto>('GET', `/api/order/${order.id}`, { token: buyer.token })).body).toEqual(order);
    expect(await stock(item.id)).toBe(6);
  });

  it('when the order does not exist, then 404 with a message', async () => {
    expectError(await api.request('DELETE', `/api/order/${MISSING_ID}`, { token: buyer.token }), 404);
  });
});
