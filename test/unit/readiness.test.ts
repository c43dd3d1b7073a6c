// Readiness reporting without servers: probes are stubbed.
import { describe, expect, it } from '@jest/globals';
import { createApp } from '../../src/api/app.ts';
import type { Probe } from '../../src/health/readiness.ts';
import type { Orm } from '../../src/db/orm.ts';
import type { OrderWorkflows } from '../../src/orders/order-status-requests.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';

// /health and /ready never touch the database or the saga, so both are stubs here.
const config = loadConfig({ LOG_LEVEL: 'silent' });
const appWith = (probes: Record<string, Probe>) =>
  createApp({ orm: {} as Orm, workflows: {} as OrderWorkflows, config, log: createLogger(config), probes });

const ok = async () => undefined;

describe('GET /ready', () => {
  it('when every dependency answers, then it is 200 ready', async () => {
    const app = appWith({ postgres: ok, kafka: ok });
    const res = await app.request('/ready');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { postgres: { ok: true }, kafka: { ok: true } } });
  });

  it('when one dependency fails, then it is 503 and names the one that failed', async () => {
    const app = appWith({
      postgres: ok,
      kafka: async () => {
        throw new Error('connection refused');
      },
    });
    const res = await app.request('/ready');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      status: 'not ready',
      checks: { postgres: { ok: true }, kafka: { ok: false, error: 'connection refused' } },
    });
  });

  it('when a dependency hangs, then it is reported as failed instead of hanging the request', async () => {
    const app = appWith({ temporal: () => new Promise<void>(() => undefined) });
    const res = await app.request('/ready');
    expect(res.status).toBe(503);
    const body = (await res.json()) as { checks: { temporal: { ok: boolean; error: string } } };
    expect(body.checks.temporal.ok).toBe(false);
    expect(body.checks.temporal.error).toMatch(/no answer/);
  });
});
