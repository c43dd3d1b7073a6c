// The running app (all roles, started as its own process against the real services): liveness and readiness.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApp, type RunningApp } from '../helpers/app-process.ts';

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

  it('when a route does not exist, then the answer is a JSON 404 with a message', async () => {
    const res = await fetch(`${app.url}/no/such/route`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: 'Route GET /no/such/route not found' });
  });
});
