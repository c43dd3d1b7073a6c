// The baseline of the pipeline and burst suites: the same OrderWorkflow, started directly by a Temporal client on the
// same Temporal server, without the API, the outbox, Kafka or the bridge. Orders are inserted with raw SQL (no outbox
// row, no stock reservation), an in-process worker runs the real activities (activities/index.ts) with the simulated
// payment provider approving at once (as the stack does with PAYMENT_DURATION=0 PAYMENT_SUCCESS_RATE=1), on a task
// queue and workflow-id prefix of its own, so the stack's worker and bridge never see these workflows.
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, SimulatedPaymentProvider } from '../activities/index.ts';
import type { Config } from '../src/config.ts';
import { initOrm, type Orm } from '../src/db/orm.ts';
import { OrderWorkflowClient, type OrderRef } from '../src/temporal/order-workflow.client.ts';
import { createWorker, PRELOADED_MODULES, workerTuning, workflowsPath } from '../src/temporal/worker.ts';
import { mapLimit, progress } from './bench.lib.ts';
import type { StackClients } from './saga.ts';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The production workflow bundle, built once per benchmark process. */
function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  if (!bundle) {
    try {
      Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
    } catch {
      // already installed
    }
    progress('bundling workflows/ for the in-process worker …');
    bundle = bundleWorkflowCode({ workflowsPath, preloadModules: PRELOADED_MODULES, logger: new DefaultLogger('WARN') });
  }
  return bundle;
}

export class DirectPath {
  readonly taskQueue: string;
  readonly idPrefix: string;
  private readonly orm: Orm;
  private readonly connection: NativeConnection;
  private readonly clientConnection: Connection;
  private readonly workflows: OrderWorkflowClient;
  private readonly config: Config;

  private constructor(config: Config, orm: Orm, connection: NativeConnection, clientConnection: Connection, runId: string) {
    this.config = config;
    this.orm = orm;
    this.connection = connection;
    this.clientConnection = clientConnection;
    this.taskQueue = `bench-direct-${runId}`;
    this.idPrefix = `bench-direct-${runId}-`;
    const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });
    this.workflows = new OrderWorkflowClient(client, { taskQueue: this.taskQueue, expiryMs: config.ORDER_EXPIRY, idPrefix: this.idPrefix });
  }

  /** Connects to the app's database and Temporal server (same pool size as the app: DB_POOL_MAX). */
  static async open(config: Config): Promise<DirectPath> {
    await workflowBundle();
    const orm = await initOrm(config);
    const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
    const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS, connectTimeout: 5000 });
    return new DirectPath(config, orm, connection, clientConnection, randomBytes(4).toString('hex'));
  }

  /** Inserts `n` Pending orders of one item each with raw SQL, without an outbox row: nobody but us starts their saga. */
  async insertOrders(stack: StackClients, productId: number, n: number): Promise<OrderRef[]> {
    const now = new Date();
    const { rows } = await stack.db.query<{ id: number }>(
      `with o as (
         insert into orders (user_id, total, status, created_at, updated_at)
         select $1, 1.00, 'Pending', $3, $3 from generate_series(1, $4::int) returning id),
       i as (
         insert into order_items (order_id, product_id, quantity, price, created_at, updated_at)
         select id, $2, 1, 1.00, $3, $3 from o)
       select id from o order by id`,
      [stack.userId, productId, now, n],
    );
    return rows.map((r) => ({ orderId: r.id, userId: stack.userId, total: '1.00', createdAt: now.toISOString() }));
  }

  /** Runs an in-process worker (real activities, instant approval) while `during` runs; the worker stops afterwards. */
  async withWorker<T>(during: () => Promise<T>): Promise<T> {
    const paymentProvider = new SimulatedPaymentProvider({ durationMs: 0, successRate: 1 });
    const worker = await createWorker({
      connection: this.connection,
      namespace: this.config.TEMPORAL_NAMESPACE,
      taskQueue: this.taskQueue,
      activities: createActivities({ orm: this.orm, paymentProvider }),
      workflowBundle: await workflowBundle(),
      ...workerTuning(this.config), // the app's worker settings, so the ratio is the outbox/Kafka/bridge path alone
    });
    return worker.runUntil(during);
  }

  /** Starts the saga of each order as the bridge does (OrderWorkflowClient.ensureStarted), `concurrency` at a time. */
  async start(orders: OrderRef[], concurrency: number): Promise<void> {
    await mapLimit(orders, concurrency, async (order) => {
      const outcome = await this.workflows.ensureStarted(order);
      if (outcome !== 'started-or-running') throw new Error(`workflow ${this.workflows.workflowId(order.orderId)}: ${outcome}`);
    });
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.orm.close(), this.connection.close(), this.clientConnection.close()]);
  }
}
