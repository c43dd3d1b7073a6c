// The running app (all roles, started as its own process against the real services): liveness and readiness.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApp, type RunningApp } from '../helpers/app-process.ts';
import { freeLoopbackPort } from '../../src/lib/free-port.ts';

describe('health endpoints of the running app', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp();
  });

  afterAll(async () => {
    await app?.stop();
  });

  it('when the app is up, then /health answers 200', async () => {
    const res = await fetch(`${app.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('when PostgreSQL, Kafka and Temporal are reachable, then /ready answers 200 with every check ok', async () => {
    const res = await fetch(`${app.url}/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ready',
      checks: { postgres: { ok: true }, kafka: { ok: true }, temporal: { ok: true } },
    });
  });

  it('when a route does not exist, then the answer is a 404 problem document with a message', async () => {
    const res = await fetch(`${app.url}/no/such/route`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toEqual(
      expect.objectContaining({ status: 404, code: 'not-found', message: 'Route GET /no/such/route not found' }),
    );
  });
});

describe('the API while Temporal is unreachable', () => {
  let app: RunningApp;

  beforeAll(async () => {
    // A port nothing listens on: the API role must start anyway.
    app = await startApp({ TEMPORAL_ADDRESS: `127.0.0.1:${await freeLoopbackPort()}`, ORDER_REQUEST_TIMEOUT: '3s' }, 'api');
  });

  afterAll(async () => {
    await app?.stop();
  });

  const call = async (method: string, path: string, body?: unknown, token?: string) => {
    const res = await fetch(`${app.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('when it starts, then it takes orders (they need only PostgreSQL), /ready names Temporal, paying is 503 and Processing is 200', async () => {
    // A user of its own: the seeded ones' orders are what the seed tests check.
    const email = `outage-${process.pid}-${Date.now()}@example.com`;
    expect((await call('PUT', '/api/user', { name: 'Outage Customer', email, password: 'Secret123!' })).status).toBe(201);
    const login = await call('POST', '/api/auth/login', { email, password: 'Secret123!' });
    expect(login.status).toBe(200);
    const token = login.body.token as string;
    const product = await call('PUT', '/api/product', { name: `Outage item ${Date.now()}`, price: 3.5, stock: 4 }, token);
    const order = await call('PUT', '/api/order', { items: [{ productId: product.body.id, quantity: 1 }] }, token);
    expect(order.status).toBe(201);
    expect(order.body.status).toBe('Pending');

    const ready = await call('GET', '/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.temporal.ok).toBe(false);
    expect(ready.body.checks.postgres).toEqual({ ok: true });

    const pay = await call('POST', `/api/order/${order.body.id}/pay`, undefined, token);
    expect(pay.status).toBe(503);
    expect(pay.body.message).toMatch(/temporarily unavailable/);

    // The timeline still tells what PostgreSQL knows and says which part it could not read.
    const timeline = await call('GET', `/api/order/${order.body.id}/timeline`, undefined, token);
    expect(timeline.status).toBe(200);
    const entries = timeline.body.entries as Array<{ event: string }>;
    expect(entries.map((e) => e.event)).toEqual(['order-placed', 'event-written']);
    expect(timeline.body.missing).toEqual([{ part: 'workflow', reason: expect.stringMatching(/workflow history could not be read/) }]);

    // Processing is the step the API takes itself: the order is Processing (its saga starts once Temporal answers).
    const processing = await call('POST', `/api/order/${order.body.id}`, { id: order.body.id, status: 'Processing' }, token);
    expect(processing.status).toBe(200);
    expect(processing.body).toMatchObject({ id: order.body.id, status: 'Processing', phase: 'charging' });
  });
});
