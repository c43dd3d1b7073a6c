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

// A short loop age (and, for the reconciler, a short interval) so the outage shows within the test's deadline.
describe.each<{ role: string; env: Record<string, string>; error: RegExp }>([
  {
    role: 'relay',
    env: { HEALTH_MAX_LOOP_AGE: '2s' },
    error: /^no completed outbox polling round for \d+ s; last error: /,
  },
  {
    role: 'reconciler',
    env: { HEALTH_MAX_LOOP_AGE: '2s', RECONCILE_INTERVAL: '1s' },
    error: /^reconciler pass failing: /,
  },
])('when the $role loses PostgreSQL', ({ role, env, error }) => {
  const target = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://invalid');
  let proxy: CuttableProxy | undefined;
  afterAll(async () => {
    if (proxy?.listening) await proxy.cut();
  });

  it('then /health/ready turns 503 naming the failure, stays live, and is ready again once it is back', async () => {
    const port = await freeLoopbackPort();
    proxy = cuttableProxy(target, port);
    await proxy.open();
    const url = new URL(target);
    url.hostname = '127.0.0.1';
    url.port = String(port);
    const app = await startRole(role, { DATABASE_URL: url.toString(), ...env });
    await eventually(
      () => health(app, '/health/ready'),
      (r) => r.status === 200,
      { what: `${role} ready` },
    );

    await proxy.cut();
    const down = await eventually(
      () => health(app, '/health/ready'),
      (r) => r.status === 503,
      { what: `${role} not ready` },
    );
    expect(down.body).toEqual({ status: 'not ready', checks: { [role]: { ok: false, error: expect.stringMatching(error) } } });
    expect((await health(app, '/health/live')).status).toBe(200);

    await proxy.open();
    const back = await eventually(
      () => health(app, '/health/ready'),
      (r) => r.status === 200,
      { what: `${role} ready again`, timeoutMs: 60_000 },
    );
    expect(back.body).toEqual({ status: 'ready', checks: { [role]: { ok: true } } });
  });
});
