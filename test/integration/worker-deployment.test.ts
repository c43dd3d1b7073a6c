// Worker Deployment Versioning on the real Temporal dev server: a build no worker polls is refused as current, with
// the reason; an order workflow started on build A stays pinned to A after build B became current, and finishes
// there (every workflow task of its history completed by A), while a new one starts on B; the status names both.
// A deployment and task queue of this run only, and stubbed activities: no database needed.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { createActivities } from '../../activities/index.ts';
import {
  deploymentStatus,
  DeploymentRefused,
  pollersByBuild,
  runVersioning,
  setCurrent,
  setRamping,
  type DeploymentTarget,
} from '../../src/temporal/deployments.ts';
import { createWorker } from '../../src/temporal/worker.ts';
import { orderRequestSignal, type OrderWorkflowInput } from '../../workflows/order.definitions.ts';
import { testConfig, testRunId } from '../helpers/config.ts';
import { eventually } from '../helpers/eventually.ts';
import { workflowBundle } from '../helpers/temporal.ts';

const config = testConfig();
const taskQueue = `deploy-test-${testRunId}`;
const deploymentName = `order-saga-test-${testRunId}`;
let connection: Connection;
let nativeConnection: NativeConnection;
let target: DeploymentTarget;
const running: Array<{ worker: Worker; done: Promise<void> }> = [];

/** Declined charges: each order waits for a pay (or its expiry, far away). */
const activities: ReturnType<typeof createActivities> = {
  markProcessing: async () => ({ status: 'Processing', changed: true }),
  chargePayment: async () => ({ approved: false, reference: 'test' }),
  recordPaymentDue: async () => ({ status: 'Processing', changed: true }),
  completeOrder: async () => ({ status: 'Completed', changed: true }),
  cancelOrder: async () => ({ status: 'Cancelled', changed: true }),
  expireOrder: async () => ({ status: 'Expired', changed: true }),
} as unknown as ReturnType<typeof createActivities>;

async function startBuild(buildId: string): Promise<void> {
  const worker = await createWorker({
    connection: nativeConnection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue,
    activities,
    workflowBundle: await workflowBundle(),
    deployment: { deploymentName, buildId },
  });
  running.push({ worker, done: worker.run() });
  await eventually(
    async () => (await pollersByBuild(target)).get(buildId)?.length ?? 0,
    (n) => n > 0,
    { what: `build ${buildId} polling` },
  );
}

const start = (orderId: number) =>
  target.client.workflow.start('orderWorkflow', {
    taskQueue,
    workflowId: `deploy-test-${testRunId}-${orderId}`,
    args: [{ orderId, userId: 1, total: '10.00', expiryMs: 600_000 } satisfies OrderWorkflowInput],
  });

beforeAll(async () => {
  connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  nativeConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  target = {
    client: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }),
    namespace: config.TEMPORAL_NAMESPACE,
    deploymentName,
    taskQueue,
  };
});
afterAll(async () => {
  for (const r of running) r.worker.shutdown();
  await Promise.all(running.map((r) => r.done.catch(() => undefined)));
  await nativeConnection?.close();
  await connection?.close();
});

describe('worker deployment versioning', () => {
  it('when no worker of a build polls, then making it current or ramping is refused with the reason', async () => {
    await expect(setCurrent(target, 'wf-nobody', 'test')).rejects.toThrow(DeploymentRefused);
    await expect(setCurrent(target, 'wf-nobody', 'test')).rejects.toThrow(/no worker of it polls task queue/);
    await expect(setRamping(target, 'wf-nobody', 10, 'test')).rejects.toThrow(/refused to make build wf-nobody ramping/);
  });

  it('when build B becomes current while an order waits on build A, then it finishes on A and new orders start on B', async () => {
    await startBuild('build-a');
    expect(await setCurrent(target, 'build-a', 'test')).toBeNull();
    const early = await start(1);
    await eventually(
      async () => (await early.query<{ phase: string }>('getState')).phase,
      (phase) => phase === 'awaiting-payment',
      { what: 'order 1 waiting for payment on A' },
    );

    await startBuild('build-b');
    await setRamping(target, 'build-b', 0, 'test');
    expect(await setCurrent(target, 'build-b', 'test')).toBe('build-a');
    const late = await start(2);
    await early.signal(orderRequestSignal, 'pay');
    expect((await early.result()).status).toBe('Completed');

    expect(await runVersioning(target.client, early.workflowId)).toEqual({
      behavior: 'PINNED',
      buildId: 'build-a',
      historyBuilds: ['build-a'],
    });
    await eventually(
      () => runVersioning(target.client, late.workflowId),
      (v) => v.buildId === 'build-b' && v.behavior === 'PINNED',
      { what: 'order 2 on B' },
    );

    const status = await deploymentStatus(target);
    expect(status.current).toBe('build-b');
    expect(status.builds.find((b) => b.buildId === 'build-b')).toMatchObject({ status: 'current', openWorkflows: expect.any(Number) });
    expect(status.builds.find((b) => b.buildId === 'build-a')?.status).toMatch(/draining|drained/);
    await late.terminate('test over');
  });
});
