// The background roles' readiness from their loop states, without servers: worker statuses are built by hand.
import { describe, expect, it } from '@jest/globals';
import { loopReadiness } from '../../src/lib/loop-state.ts';
import { workerLoopState } from '../../src/roles/worker.role.ts';

type Status = Parameters<typeof workerLoopState>[0];
const status = (overrides: Partial<Status>): Status =>
  ({ runState: 'RUNNING', workflowPollerState: 'POLLING', activityPollerState: 'POLLING', ...overrides }) as Status;

describe('worker loop state', () => {
  it('when the worker runs and both pollers poll, then it is ready', () => {
    expect(workerLoopState(status({}))).toEqual({ ok: true });
  });

  it('when the worker failed, then it is not ready and says why', () => {
    expect(workerLoopState(status({ runState: 'FAILED' }), 'Error: connection lost')).toEqual({
      ok: false,
      error: 'worker FAILED: Error: connection lost',
    });
  });

  it('when a poller stopped, then it is not ready and names the poller', () => {
    expect(workerLoopState(status({ activityPollerState: 'FAILED' }))).toEqual({ ok: false, error: 'activity poller FAILED' });
  });
});

describe('loop readiness', () => {
  it('when one loop is unhealthy or its check throws, then the report is not ready and names each', () => {
    const report = loopReadiness({
      relay: () => ({ ok: true }),
      bridge: () => ({ ok: false, error: 'consumer crashed 3 s ago' }),
      notifier: () => {
        throw new Error('boom');
      },
    });
    expect(report).toEqual({
      ready: false,
      checks: {
        relay: { ok: true },
        bridge: { ok: false, error: 'consumer crashed 3 s ago' },
        notifier: { ok: false, error: 'health check failed: Error: boom' },
      },
    });
  });
});
