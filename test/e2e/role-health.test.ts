// The background roles' own health server (METRICS_PORT): each role run alone as its own process against the real
// services reports live and ready; a relay whose PostgreSQL goes away (through a TCP proxy this test cuts) reports
// 503 with the reason, and ready again once the database is back; so does a reconciler, which repairs nothing meanwhile.
import { afterAll, describe, expect, it } from '@jest/globals';
import { startApp, type RunningApp } from '../helpers/app-process.ts';
import { freeLoopbackPort } from '../../src/lib/free-port.ts';
import { eventually } from '../helpers/eventually.ts';
import { cuttableProxy, type CuttableProxy } from '../helpers/tcp-proxy.ts';

const started: RunningApp[] = [];
afterAll(async () => {
  await Promise.all(started.map((app) => app.stop()));
});

async function startRole(role: string, env: Record<string, string> = {}): Promise<RunningApp> {
  const app = await startApp({ METRICS_PORT: String(await freeLoopbackPort()), ...env }, role);
  started.push(app);
  return app;
}

const health = async (app: RunningApp, path: string) => {
  const res = await fetch(`${app.roleUrl}${path}`);
  return { status: res.status, body: (await res.json()) as { status: string; checks?: Record<string, { ok: boolean; error?: string }> } };
};

describe('when each background role runs as its own process', () => {
  it.each(['relay', 'bridge', 'notifier', 'worker', 'reconciler'])(
    'then the %s answers /health/live 200 and becomes ready',
    async (role) => {
      const app = await startRole(role);
      expect(await health(app, '/health/live')).toEqual({ status: 200, body: { status: 'ok' } });
      // A consumer is ready once it joined its group, a worker once both pollers poll: both follow the start.
      const ready = await eventually(
        () => health(app, '/health/ready'),
        (r) => r.status === 200,
        { what: `${role} ready` },
      );
      expect(ready.body).toEqual({ status: 'ready', checks: { [role]: { ok: true } } });
    },
  );
});

describe('when a process runs a list of roles', () => {
  it('then it starts each listed role, whatever their order in the list, and its readiness checks each of them', async () => {
    const app = await startRole('notifier,relay');
    const ready = await eventually(
      () => health(app, '/health/ready'),
      (r) => r.status === 200,
      { what: 'relay and notifier ready' },
    );
    expect(ready.body).toEqual({ status: 'ready', checks: { relay: { ok: true }, notifier: { ok: true } } });
  });
});

describe('when the relay loses PostgreSQL', () => {
  const target = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://invalid');
  let proxy: CuttableProxy | undefined;
  afterAll(async () => {
    if (proxy?.listening) await proxy.cut();
  });

  it('then /health/ready turns 503 naming the failed polling, stays live, and is ready again once it is back', async () => {
    const port = await freeLoopbackPort();
    proxy = cuttableProxy(target, port);
    await proxy.open();
    const url = new URL(target);
    url.hostname = '127.0.0.1';
    url.port = String(port);
    // A short age so the outage shows within the test's deadline.
    const relay = await startRole('relay', { DATABASE_URL: url.toString(), HEALTH_MAX_LOOP_AGE: '2s' });
    await eventually(
      () => health(relay, '/health/ready'),
      (r) => r.status === 200,
      { what: 'relay ready' },
    );

    await proxy.cut();
    const down = await eventually(
      () => health(relay, '/health/ready'),
      (r) => r.status === 503,
      { what: 'relay not ready' },
    );
    expect(down.body).toEqual({
      status: 'not ready',
      checks: { relay: { ok: false, error: expect.stringMatching(/^no completed outbox polling round for \d+ s; last error: /) } },
    });
    expect((await health(relay, '/health/live')).status).toBe(200);

    await proxy.open();
    const back = await eventually(
      () => health(relay, '/health/ready'),
      (r) => r.status === 200,
      {
        what: 'relay ready again',
        timeoutMs: 60_000,
      },
    );
    expect(back.body).toEqual({ status: 'ready', checks: { relay: { ok: true } } });
  });
});

describe('when the reconciler loses PostgreSQL', () => {
  const target = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://invalid');
  let proxy: CuttableProxy | undefined;
  afterAll(async () => {
    if (proxy?.listening) await proxy.cut();
  });

  it('then /health/ready turns 503 naming the failing pass, and is ready again once it is back', async () => {
    const port = await freeLoopbackPort();
    proxy = cuttableProxy(target, port);
    await proxy.open();
    const url = new URL(target);
    url.hostname = '127.0.0.1';
    url.port = String(port);
    const reconciler = await startRole('reconciler', { DATABASE_URL: url.toString(), RECONCILE_INTERVAL: '1s', HEALTH_MAX_LOOP_AGE: '2s' });
    await eventually(
      () => health(reconciler, '/health/ready'),
      (r) => r.status === 200,
      { what: 'reconciler ready' },
    );

    await proxy.cut();
    const down = await eventually(
      () => health(reconciler, '/health/ready'),
      (r) => r.status === 503,
      { what: 'reconciler not ready' },
    );
    expect(down.body).toEqual({
      status: 'not ready',
      checks: { reconciler: { ok: false, error: expect.stringMatching(/^reconciler pass failing: /) } },
    });

    await proxy.open();
    const back = await eventually(
      () => health(reconciler, '/health/ready'),
      (r) => r.status === 200,
      { what: 'reconciler ready again', timeoutMs: 60_000 },
    );
    expect(back.body).toEqual({ status: 'ready', checks: { reconciler: { ok: true } } });
  });
});
