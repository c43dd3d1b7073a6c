// The seed data the global setup loads: two users, five products and the test user's three finished orders. No other test
// orders seeded products or places orders as test@example.com, so their stock and orders are exactly as seeded.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApi, type TestApi } from '../../helpers/api.ts';
import { expectStatus, orderItemDto, productDto, sql, userDto, type LoginDto, type OrderDto, type ProductDto } from './support.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

const SEED_PASSWORD = 'Password123!';
const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;

const SEEDED_PRODUCTS = [
  { name: 'Laptop', price: 999.99, stock: 50, description: 'High-performance laptop' },
  { name: 'Mouse', price: 29.99, stock: 200, description: 'Wireless mouse' },
  { name: 'Keyboard', price: 79.99, stock: 150, description: 'Mechanical keyboard' },
  { name: 'Monitor', price: 399.99, stock: 75, description: '27-inch 4K monitor' },
  { name: 'Headphones', price: 199.99, stock: 100, description: 'Noise-cancelling headphones' },
];

const daysAgo = (iso: string) => (Date.now() - Date.parse(iso)) / DAY_MS;
const hoursAgo = (iso: string) => (Date.now() - Date.parse(iso)) / HOUR_MS;
const byProductName = (items: OrderDto['items']) => [...items].sort((a, b) => a.productName.localeCompare(b.productName));

describe('seeded users', () => {
  it.each([
    { email: 'admin@example.com', name: 'Admin User' },
    { email: 'test@example.com', name: 'Test User' },
  ])('when $email logs in with the seed password, then 200 as "$name"', async ({ email, name }) => {
    const res = await api.request<LoginDto>('POST', '/api/auth/login', { body: { email, password: SEED_PASSWORD } });

    expectStatus(res, 200);
    expect(res.body.user).toEqual(userDto({ email, name }));
  });

  it('when the seeded users are stored, then their passwords are hashed, not plain text', async () => {
    const rows = await sql<{ email: string; password_hash: string }>(
      api,
      "select email, password_hash from users where email in ('admin@example.com', 'test@example.com') order by email",
    );

    expect(rows.map((r) => r.email)).toEqual(['admin@example.com', 'test@example.com']);
    for (const row of rows) expect(row.password_hash).not.toContain(SEED_PASSWORD);
  });
});

describe('seeded products', () => {
  let catalogue: ProductDto[];
  beforeAll(async () => {
    const token = await api.login('admin@example.com', SEED_PASSWORD);
    const res = await api.request<ProductDto[]>('GET', '/api/product', { token });
    expectStatus(res, 200);
    catalogue = res.body;
  });

  it.each(SEEDED_PRODUCTS)('when the catalogue is listed, then $name exists once at $price with stock $stock', (seeded) => {
    const found = catalogue.filter((p) => p.name === seeded.name);

    expect(found).toEqual([productDto(seeded)]);
  });
});

describe("the test user's seeded orders", () => {
  let testUserId: number;
  let orders: OrderDto[];
  let productIds: Record<string, number>;
  beforeAll(async () => {
    const login = await api.request<LoginDto>('POST', '/api/auth/login', { body: { email: 'test@example.com', password: SEED_PASSWORD } });
    expectStatus(login, 200);
    const { token } = login.body;
    testUserId = login.body.user.id;
    const res = await api.request<OrderDto[]>('GET', '/api/order', { token });
    expectStatus(res, 200);
    orders = res.body;
    const catalogue = await api.request<ProductDto[]>('GET', '/api/product', { token });
    productIds = Object.fromEntries(catalogue.body.map((p) => [p.name, p.id]));
  });

  const withStatus = (status: OrderDto['status']) => {
    const found = orders.filter((o) => o.status === status);
    expect(found).toHaveLength(1);
    return found[0]!;
  };

  it('when the test user lists their orders, then there are exactly three, one each Completed, Cancelled and Expired, newest first', () => {
    expect(orders.map((o) => o.status).sort()).toEqual(['Cancelled', 'Completed', 'Expired']);
    for (const order of orders) expect(order.userId).toBe(testUserId);
    const createdAt = orders.map((o) => Date.parse(o.createdAt));
    expect(createdAt).toEqual([...createdAt].sort((a, b) => b - a));
  });

  it('when the Completed order is read, then it is Laptop + Mouse for 1029.98, created about 5 days ago', () => {
    const order = withStatus('Completed');

    expect(order.total).toBe(1029.98);
    expect(byProductName(order.items)).toEqual([
      orderItemDto({ productId: productIds.Laptop, productName: 'Laptop', quantity: 1, price: 999.99 }),
      orderItemDto({ productId: productIds.Mouse, productName: 'Mouse', quantity: 1, price: 29.99 }),
    ]);
    expect(daysAgo(order.createdAt)).toBeGreaterThan(4);
    expect(daysAgo(order.createdAt)).toBeLessThan(6);
  });

  it('when the Cancelled order is read, then it is Keyboard + Monitor for 479.98, created about 2 days ago', () => {
    const order = withStatus('Cancelled');

    expect(order.total).toBe(479.98);
    expect(byProductName(order.items)).toEqual([
      orderItemDto({ productId: productIds.Keyboard, productName: 'Keyboard', quantity: 1, price: 79.99 }),
      orderItemDto({ productId: productIds.Monitor, productName: 'Monitor', quantity: 1, price: 399.99 }),
    ]);
    expect(daysAgo(order.createdAt)).toBeGreaterThan(1);
    expect(daysAgo(order.createdAt)).toBeLessThan(3);
  });

  it('when the Expired order is read, then it is one pair of Headphones for 199.99, created a few hours ago', () => {
    const order = withStatus('Expired');

    expect(order.total).toBe(199.99);
    expect(order.items).toEqual([
      orderItemDto({ productId: productIds.Headphones, productName: 'Headphones', quantity: 1, price: 199.99 }),
    ]);
    expect(hoursAgo(order.createdAt)).toBeGreaterThan(2);
    expect(hoursAgo(order.createdAt)).toBeLessThan(4);
  });

  it('when the notifications are inspected, then each order has the one notification its outcome gives, with the text the notifier writes', async () => {
    const rows = await sql<{ order_id: number; user_id: number; event_type: string; message: string }>(
      api,
      'select order_id, user_id, event_type, message from notifications where order_id in (?, ?, ?) order by order_id',
      orders.map((o) => o.id),
    );

    const [completed, cancelled, expired] = [withStatus('Completed'), withStatus('Cancelled'), withStatus('Expired')];
    const subject = (id: number) => `Order #${id} for user test@example.com`;
    expect(rows).toEqual(
      [
        {
          order_id: completed.id,
          user_id: testUserId,
          event_type: 'OrderCompleted',
          message: `${subject(completed.id)} was issued containing products: Laptop (x1), Mouse (x1). Total: $1029.98`,
        },
        { order_id: cancelled.id, user_id: testUserId, event_type: 'OrderCancelled', message: `${subject(cancelled.id)} was cancelled.` },
        {
          order_id: expired.id,
          user_id: testUserId,
          event_type: 'OrderExpired',
          message: `${subject(expired.id)} has expired due to payment timeout.`,
        },
      ].sort((a, b) => a.order_id - b.order_id),
    );
  });

  it('when the seed is done, then no order is left open and nothing waits in the outbox for a saga', async () => {
    const open = await sql<{ n: number }>(
      api,
      "select count(*)::int as n from orders where status in ('Pending', 'Processing') and user_id = ?",
      [testUserId],
    );
    const events = await sql<{ n: number }>(
      api,
      'select count(*)::int as n from outbox where order_id in (?, ?, ?)',
      orders.map((o) => o.id),
    );

    expect(open).toEqual([{ n: 0 }]);
    expect(events).toEqual([{ n: 0 }]);
  });
});
