// What GET /health/saga concludes from its measurements (no servers: the measurements are given), and how the
// endpoint answers.
import { describe, expect, it } from '@jest/globals';
import { createApp } from '../../src/api/app.ts';
import { loadConfig } from '../../src/config.ts';
import type { Orm } from '../../src/db/orm.ts';
import { createLogger } from '../../src/logger.ts';
import type { OrderWorkflows } from '../../src/orders/order-status-requests.ts';
import { assessSaga, type SagaMeasurements } from '../../src/health/saga-health.ts';

const limits = { outboxAgeSeconds: 30, bridgeLag: 1000, taskAgeSeconds: 30 };
const healthy: SagaMeasurements = {
  outbox: { pending: 3, oldestAgeSeconds: 1 },
  bridge: { lag: 12 },
  workflowTasks: { backlog: 4, oldestAgeSeconds: 0, pollers: 2 },
};

describe('assessing the saga', () => {
  it('when every measurement is within its limit and a worker polls, then ok with no reasons', () => {
    expect(assessSaga(healthy, limits)).toEqual({ status: 'ok', reasons: [], ...healthy });
  });

  it('when each limit is exceeded, then degraded with one reason per excess', () => {
    const report = assessSaga(
      {
        outbox: { pending: 900, oldestAgeSeconds: 31 },
        bridge: { lag: 1001 },
        workflowTasks: { backlog: 5000, oldestAgeSeconds: 300, pollers: 0 },
      },
      limits,
    );
    expect(report.status).toBe('degraded');
    expect(report.reasons).toEqual([
      'outbox: oldest unsent event is 31 s old (limit 30 s)',
      'bridge: 1001 OrderCreated events not yet consumed (limit 1000)',
      'workflowTasks: no worker polls the task queue',
      'workflowTasks: oldest task waits 300 s (limit 30 s)',
    ]);
  });

  it('when a measurement fails, then degraded naming it, the others still reported', () => {
    const report = assessSaga({ ...healthy, bridge: { error: 'connection refused' } }, limits);
    expect(report).toEqual({
      status: 'degraded',
      reasons: ['bridge: connection refused'],
      ...healthy,
      bridge: { error: 'connection refused' },
    });
  });
});

describe('GET /health/saga', () => {
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  const appWith = (measurements: SagaMeasurements) =>
    createApp({
      orm: {} as Orm,
      workflows: {} as OrderWorkflows,
      config,
      log: createLogger(config),
      probes: {},
      sagaHealth: async () => assessSaga(measurements, limits),
    });

  it('when the saga keeps up, then 200 with the figures', async () => {
    const res = await appWith(healthy).request('/health/saga');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', reasons: [], ...healthy });
  });

  it('when it falls behind, then 503 with the reasons', async () => {
    const res = await appWith({ ...healthy, workflowTasks: { backlog: 1, oldestAgeSeconds: 0, pollers: 0 } }).request('/health/saga');
    expect(res.status).toBe(503);
    expect(((await res.json()) as { reasons: string[] }).reasons).toEqual(['workflowTasks: no worker polls the task queue']);
  });
});
