// A real order saga for integration tests: a Temporal client and worker on the dev server (own task queue and
// workflow-id prefix per run, so runs and a developer's stack never share workflows), the real activities on the
// test database, and a scripted payment provider (the one stubbed seam: it decides approvals per order).
import { randomBytes } from 'node:crypto';
import { NativeConnection } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { createActivities } from '../../activities/index.ts';
import type { Charge, PaymentProvider } from '../../activities/payment.activities.ts';
import type { Config } from '../../src/config.ts';
import type { Orm } from '../../src/db/orm.ts';
import { clientOn, connectTemporal } from '../../src/temporal/connection.ts';
import { OrderWorkflowClient } from '../../src/temporal/order-workflow.client.ts';
import { createWorker } from '../../src/temporal/worker.ts';
import { currentTracing } from '../../src/telemetry/tracing.ts';
import { terminateRunningWorkflows, workflowBundle } from './temporal.ts';

/**
 * Approves the orders it was told to approve (or all, with approveAll), declines the rest, at once; or, for an order
 * held with `hold(id)`, only once the test calls the release function it got (a charge in flight for as long as the
 * test needs).
 */
export class ScriptedPaymentProvider implements PaymentProvider {
  readonly approved = new Set<number>();
  approveAll = false;
  readonly charged: number[] = [];
  private readonly held = new Map<number, Promise<void>>();

  /** Holds the order's charge until the returned function is called. */
  hold(orderId: number): () => void {
    let release!: () => void;
    this.held.set(orderId, new Promise<void>((resolve) => (release = resolve)));
    return release;
  }

  async charge(request: Charge) {
    this.charged.push(request.orderId);
    await this.held.get(request.orderId);
    const approved = this.approveAll || this.approved.has(request.orderId);
    return { approved, reference: `scripted-${request.orderId}` };
  }
}

export type TestSaga = {
  taskQueue: string;
  workflows: OrderWorkflowClient;
  client: Client;
  provider: ScriptedPaymentProvider;
  /** Workflows with another expiry (e.g. a short one to see orders expire), on the same worker. */
  withExpiry(expiryMs: number): OrderWorkflowClient;
  /** The workflows through a client on the worker's own connection, started eagerly (as the bridge beside a worker). */
  eagerWorkflows: OrderWorkflowClient;
  /** Starts the worker of a saga created with `polling: false`. */
  startPolling(): void;
  stop(): Promise<void>;
};

export const runId = () => randomBytes(4).toString('hex');

/** `polling: false` leaves the task queue without a worker until `startPolling()` (a worker that is down or behind). */
export async function startTestSaga(orm: Orm, config: Config, { expiryMs = 10 * 60 * 1000, polling = true } = {}): Promise<TestSaga> {
  const run = runId();
  const taskQueue = `orders-test-${run}`;
  const idPrefix = `order-t${run}-`;
  const client = await connectTemporal(config);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const provider = new ScriptedPaymentProvider();
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue,
    // A worker made while tracing is installed runs the workflow tracing interceptors: the bundle must have them.
    workflowBundle: await workflowBundle({ tracing: currentTracing() !== undefined }),
    activities: createActivities({ orm, paymentProvider: provider }),
  });
  let running: Promise<void> | undefined;
  const startPolling = () => void (running ??= worker.run());
  if (polling) startPolling();
  const withExpiry = (ms: number) => new OrderWorkflowClient(client, { taskQueue, expiryMs: ms, idPrefix });
  const eagerWorkflows = new OrderWorkflowClient(clientOn(connection, config), {
    taskQueue,
    expiryMs,
    idPrefix,
    eagerStart: { deadlineMs: 10_000 },
  });
  return {
    taskQueue,
    workflows: withExpiry(expiryMs),
    eagerWorkflows,
    client,
    provider,
    withExpiry,
    startPolling,
    stop: async () => {
      await terminateRunningWorkflows(client, taskQueue);
      startPolling(); // a worker that never ran cannot be shut down
      worker.shutdown();
      await running;
      await connection.close();
      await client.connection.close();
    },
  };
}
