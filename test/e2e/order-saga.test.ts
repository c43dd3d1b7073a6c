// The whole saga against the running app (every role in one process, real PostgreSQL, Kafka and Temporal dev
// server) with short knobs: HTTP order → outbox → Kafka → bridge → OrderWorkflow → outcome event → notification.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApp, type RunningApp } from '../helpers/app-process.ts';
import { connectTemporal } from '../../src/temporal/connection.ts';
import { testConfig } from '../helpers/config.ts';
import { eventually } from '../helpers/eventually.ts';

const run = promisify(execFile);
type Order = { id: number; userId: number; status: string; total: number; phase: string; paymentDueAt: string | null; createdAt: string };
type Notification = { orderId: number; status: string; message: string };
type Timeline = { status: string; entries: Array<{ at: string; source: string; event: string; detail: string }>; missing: unknown[] };

/** A fresh user and product of this test, and HTTP helpers bound to the running app. */
async function customer(app: RunningApp, initialStock = 5) {
  const call = async <T>(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${app.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  const email = `e2e-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
  expect((await call('PUT', '/api/user', undefined, { name: 'E2E Customer', email, password: 'Secret123!' })).status).toBe(201);
  const { token } = (await call<{ token: string }>('POST', '/api/auth/login', undefined, { email, password: 'Secret123!' })).body;
  const product = (
    await call<{ id: number }>('PUT', '/api/product', token, { name: `E2E item ${email}`, price: 514.99, stock: initialStock })
  ).body;
  const placeOrder = async (quantity = 2) => {
    const res = await call<Order>('PUT', '/api/order', token, { items: [{ productId: product.id, quantity }] });
    expect(res.status).toBe(201);
    return res.body;
  };
  const order = async (id: number) => (await call<Order>('GET', `/api/order/${id}`, token)).body;
  const stock = async () => (await call<{ stock: number }>('GET', `/api/product/${product.id}`, token)).body.stock;
  const notifications = async () => (await call<Notification[]>('GET', '/api/notification', token)).body;
  const statusOf = (id: number, wanted: string) =>
    eventually(
      () => order(id),
      (o) => o.status === wanted,
      { what: `order ${id} ${wanted}`, timeoutMs: 60_000 },
    );
  const notificationsOf = (id: number) =>
    eventually(
      async () => (await notifications()).filter((n) => n.orderId === id),
      (list) => list.length > 0,
      { what: `notification for order ${id}`, timeoutMs: 60_000 },
    );
  return { email, token, call, placeOrder, order, stock, statusOf, notificationsOf };
}

describe('when payments are approved (PAYMENT_SUCCESS_RATE=1)', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp({ PAYMENT_SUCCESS_RATE: '1', PAYMENT_DURATION: '1s', ORDER_EXPIRY: '10m' });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('then an order goes Pending → Processing → Completed, with exactly one e-mail notification and a visible workflow', async () => {
    const c = await customer(app);
    const placed = await c.placeOrder(2);
    expect(placed.status).toBe('Pending');

    await c.statusOf(placed.id, 'Processing');
    await c.statusOf(placed.id, 'Completed');
    const notes = await c.notificationsOf(placed.id);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toEqual(
      expect.objectContaining({
        status: 'OrderCompleted',
        message: `Order #${placed.id} for user ${c.email} was issued containing products: E2E item ${c.email} (x2). Total: $1029.98`,
      }),
    );
    expect(await c.stock()).toBe(3);

    const workflowId = `${app.env.TEMPORAL_WORKFLOW_ID_PREFIX}${placed.id}`;
    const cli = process.env.TEMPORAL_CLI_PATH ?? 'temporal';
    const listed = await eventually(
      async () => {
        const query = `OrderId='${placed.id}' AND WorkflowId='${workflowId}' AND OrderStatus='Completed'`;
        const { stdout } = await run(cli, [
          'workflow',
          'list',
          '--address',
          app.env.TEMPORAL_ADDRESS!,
          '--query',
          query,
          '--output',
          'json',
        ]);
        return JSON.parse(stdout || '[]') as Array<{ execution: { workflowId: string }; status: string }>;
      },
      (rows) => rows.length === 1,
      { what: 'workflow listed by its search attributes' },
    );
    expect(listed[0]!.execution.workflowId).toBe(workflowId);
    expect(listed[0]!.status).toMatch(/COMPLETED/);
  });
});

describe('when payments are declined (PAYMENT_SUCCESS_RATE=0) and nobody pays', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp({ PAYMENT_SUCCESS_RATE: '0', PAYMENT_DURATION: '0', ORDER_EXPIRY: '2s' });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('then the order expires, its stock is restored and exactly one expiry notification is written', async () => {
    const c = await customer(app);
    const placed = await c.placeOrder(2);
    expect(await c.stock()).toBe(3);

    await c.statusOf(placed.id, 'Expired');
    expect(await c.stock()).toBe(5);
    const notes = await c.notificationsOf(placed.id);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toEqual(
      expect.objectContaining({
        status: 'OrderExpired',
        message: `Order #${placed.id} for user ${c.email} has expired due to payment timeout.`,
      }),
    );
  });
});

describe('when a declined order waits for payment (ORDER_EXPIRY=10m)', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp({ PAYMENT_SUCCESS_RATE: '0', PAYMENT_DURATION: '0', ORDER_EXPIRY: '10m' });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('then POST /pay completes it and the customer is notified once', async () => {
    const c = await customer(app);
    const placed = await c.placeOrder(1);
    expect(placed).toEqual(expect.objectContaining({ phase: 'placed', paymentDueAt: null }));
    await c.statusOf(placed.id, 'Processing');
    // Declined: the order shows that it waits for payment, and until when (ORDER_EXPIRY after the decline).
    const waiting = await eventually(
      () => c.order(placed.id),
      (o) => o.phase === 'awaiting-payment',
      { what: `order ${placed.id} awaiting payment` },
    );
    const due = Date.parse(waiting.paymentDueAt!);
    expect(due).toBeGreaterThan(Date.parse(waiting.createdAt) + 10 * 60 * 1000 - 1);
    expect(due).toBeLessThan(Date.parse(waiting.createdAt) + 11 * 60 * 1000);

    const paid = await c.call<Order>('POST', `/api/order/${placed.id}/pay`, c.token);
    expect(paid.status).toBe(200);
    expect(paid.body).toEqual(expect.objectContaining({ status: 'Completed', phase: 'done', paymentDueAt: null }));
    const notes = await c.notificationsOf(placed.id);
    expect(notes.map((n) => n.status)).toEqual(['OrderCompleted']);
    expect(await c.stock()).toBe(4);

    // Its timeline tells the same story from all four sources, in time order.
    const { status, body: timeline } = await c.call<Timeline>('GET', `/api/order/${placed.id}/timeline`, c.token);
    expect(status).toBe(200);
    expect(timeline.missing).toEqual([]);
    expect(timeline.status).toBe('Completed');
    const times = timeline.entries.map((e) => e.at);
    expect(times).toEqual([...times].sort());
    const story = timeline.entries.map((e) => `${e.source} ${e.event} ${e.detail}`);
    const at = (pattern: RegExp) => {
      const index = story.findIndex((line) => pattern.test(line));
      expect({ pattern: String(pattern), found: index >= 0, story }).toEqual({ pattern: String(pattern), found: true, story });
      return index;
    };
    // Only what causality fixes: the workflow's own events are in history order; its start follows the published
    // OrderCreated; the outcome event is published after the payment wait began and before the notification. (The
    // workflow's completion and the relay publishing OrderCompleted race each other, so no order between them.)
    const chains = [
      [
        /^database order-placed /,
        /^outbox event-published OrderCreated /,
        /^workflow workflow-started /,
        /^workflow local-step chargePayment → \{"approved":false/,
        /^workflow timer-started waiting up to 600 s for payment/,
        /^workflow signal-received orderRequest "pay"/,
        /^workflow workflow-completed /,
      ],
      [
        /^workflow timer-started /,
        /^outbox event-published OrderCompleted /,
        /^notifications notification-written e-mail notification for OrderCompleted/,
      ],
    ];
    for (const chain of chains) {
      const indexes = chain.map(at);
      expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
    }
  });

  it('then POST /cancel cancels it, restores its stock and the customer is notified once', async () => {
    const c = await customer(app);
    const placed = await c.placeOrder(2);
    await c.statusOf(placed.id, 'Processing');
    // Declined and waiting: a cancel sent while the charge is still in flight is answered 202 (under way), not 200.
    await eventually(
      () => c.order(placed.id),
      (o) => o.phase === 'awaiting-payment',
      { what: `order ${placed.id} awaiting payment` },
    );

    const cancelled = await c.call<Order>('POST', `/api/order/${placed.id}/cancel`, c.token);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('Cancelled');
    expect(await c.stock()).toBe(5);
    const notes = await c.notificationsOf(placed.id);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toEqual(
      expect.objectContaining({ status: 'OrderCancelled', message: `Order #${placed.id} for user ${c.email} was cancelled.` }),
    );

    const again = await c.call<{ currentStatus: string }>('POST', `/api/order/${placed.id}/pay`, c.token);
    expect(again.status).toBe(409);
    expect(again.body.currentStatus).toBe('Cancelled');
  });

  it('when the app stops while an order still waits for payment, then the run leaves no workflow running behind', async () => {
    const c = await customer(app);
    const placed = await c.placeOrder(1);
    await c.statusOf(placed.id, 'Processing');

    expect(await app.stop()).toBeGreaterThanOrEqual(1);
    const client = await connectTemporal(testConfig());
    try {
      const query = `TaskQueue = '${app.env.TEMPORAL_TASK_QUEUE}' AND ExecutionStatus = 'Running'`;
      await eventually(
        async () => (await client.workflow.count(query)).count,
        (count) => count === 0,
        { what: 'no running workflow on the test task queue' },
      );
    } finally {
      await client.connection.close();
    }
  });
});
