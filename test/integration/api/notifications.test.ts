// GET /api/notification: the caller's own notifications, newest first. Rows other than the seeded one are written
// here directly (the notifier that normally writes them has its own test), for orders of this file's own users.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApi, type TestApi } from '../../helpers/api.ts';
import { ISO_UTC, createOrder, createProduct, expectError, expectStatus, sql, type OrderDto } from './support.ts';

type NotificationDto = { id: number; orderId: number; message: string; status: string; createdAt: string; updatedAt: string };

const notificationDto = (expected: Partial<Record<keyof NotificationDto, unknown>> = {}): unknown => ({
  id: expect.any(Number),
  orderId: expect.any(Number),
  message: expect.any(String),
  status: expect.any(String),
  createdAt: expect.stringMatching(ISO_UTC),
  updatedAt: expect.stringMatching(ISO_UTC),
  ...expected,
});

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

const notificationsOf = (token?: string) => api.request<NotificationDto[]>('GET', '/api/notification', token ? { token } : {});

/** Writes a notification row as the notifier would, at a chosen time; returns its id. */
async function insertNotification(userId: number, orderId: number, status: string, at: Date): Promise<number> {
  const [row] = await sql<{ id: number }>(
    api,
    'insert into notifications (user_id, order_id, message, event_type, created_at, updated_at) values (?, ?, ?, ?, ?, ?) returning id',
    [userId, orderId, `Order #${orderId} ${status}`, status, at, at],
  );
  return row!.id;
}

async function orderOf(token: string): Promise<OrderDto> {
  const product = await createProduct(api, token);
  return createOrder(api, token, [{ productId: product.id, quantity: 1 }]);
}

describe('GET /api/notification', () => {
  it('when test@example.com asks, then 200 with the seeded OrderCompleted notification of their Completed order', async () => {
    const token = await api.login('test@example.com', 'Password123!');
    const orders = await api.request<OrderDto[]>('GET', '/api/order', { token });
    const completedOrder = orders.body.find((o) => o.status === 'Completed');

    const res = await notificationsOf(token);

    expectStatus(res, 200);
    const seeded = res.body.filter((n) => n.status === 'OrderCompleted' && n.message.startsWith('Order #'));
    expect(seeded).toEqual([
      notificationDto({
        orderId: completedOrder!.id,
        status: 'OrderCompleted',
        message: `Order #${completedOrder!.id} for user test@example.com was issued containing products: Laptop (x1), Mouse (x1). Total: $1029.98`,
      }),
    ]);
  });

  it('when a user has several notifications, then they come newest first, the later-written first when written at the same time', async () => {
    const user = await api.newUser('Notification Reader');
    const [first, second] = [await orderOf(user.token), await orderOf(user.token)];
    const earlier = new Date(Date.now() - 60_000);
    const later = new Date();
    const oldest = await insertNotification(user.id, first.id, 'OrderCompleted', earlier);
    const tiedLower = await insertNotification(user.id, second.id, 'OrderExpired', later);
    const tiedHigher = await insertNotification(user.id, first.id, 'OrderCancelled', later);

    const res = await notificationsOf(user.token);

    expectStatus(res, 200);
    expect(res.body.map((n) => n.id)).toEqual([tiedHigher, tiedLower, oldest]);
    expect(res.body[2]).toEqual(
      notificationDto({
        id: oldest,
        orderId: first.id,
        status: 'OrderCompleted',
        message: `Order #${first.id} OrderCompleted`,
        createdAt: earlier.toISOString(),
        updatedAt: earlier.toISOString(),
      }),
    );
  });

  it('when another user asks, then they see only their own notifications, none for a fresh user', async () => {
    const owner = await api.newUser('Notification Owner');
    await insertNotification(owner.id, (await orderOf(owner.token)).id, 'OrderCompleted', new Date());
    const stranger = await api.newUser('Notification Stranger');

    const [ownerView, strangerView] = [await notificationsOf(owner.token), await notificationsOf(stranger.token)];

    expectStatus(ownerView, 200);
    expect(ownerView.body).toHaveLength(1);
    expectStatus(strangerView, 200);
    expect(strangerView.body).toEqual([]);
  });

  it('when no token is sent, then 401', async () => {
    expectError(await notificationsOf(), 401);
  });
});
