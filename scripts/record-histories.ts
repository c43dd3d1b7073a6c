// Records OrderWorkflow histories from real runs (Temporal dev server, real activities and database) into
// test/workflows/histories/, where the replay test checks that today's workflow code still replays them. Re-record
// after an intentional, versioned change to the workflow. Usage: npm run histories:record (needs npm run stack:up).
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { NativeConnection } from '@temporalio/worker';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createActivities } from '../activities/index.ts';
import type { PaymentProvider } from '../activities/payment.activities.ts';
import { reserveStock } from '../src/products/product-stock.ts';
import { loadConfig } from '../src/config.ts';
import { Product, User } from '../src/db/entities.ts';
import { initOrm, migrate } from '../src/db/orm.ts';
import { connectTemporal, temporalConnectionOptions } from '../src/temporal/connection.ts';
import { OrderWorkflowClient } from '../src/temporal/order-workflow.client.ts';
import { createWorker } from '../src/temporal/worker.ts';
import { getStateQuery, orderRequestSignal, type OrderRequest, type WorkflowOrderStatus } from '../workflows/order.definitions.ts';
import type { orderWorkflow } from '../workflows/order.workflow.ts';

/** One folder per workflow version: bump it with each patch, keep the older folders (the replay test reads them all). */
const HISTORY_SET = 'v6-resume-from-database';
const outDir = fileURLToPath(new URL(`../test/workflows/histories/${HISTORY_SET}/`, import.meta.url));
const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn' });
const run = Date.now().toString(36);
const approve = new Set<number>();
/** Charges held until the recorder lets them go: a request can then arrive while the charge is in flight. */
const held = new Map<number, Promise<void>>();
const charging = new Set<number>();
const provider: PaymentProvider = {
  charge: async ({ orderId }) => {
    charging.add(orderId);
    await held.get(orderId);
    return { approved: approve.has(orderId), reference: `rec-${orderId}` };
  },
};

await mkdir(outDir, { recursive: true });
const orm = await initOrm(config);
await migrate(orm);
const client = await connectTemporal(config);
const connection = await NativeConnection.connect(temporalConnectionOptions(config));
const taskQueue = `record-histories-${run}`;
const worker = await createWorker({
  connection,
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue,
  activities: createActivities({ orm, paymentProvider: provider }),
});
const workflows = (expiryMs: number) => new OrderWorkflowClient(client, { taskQueue, expiryMs, idPrefix: `order-rec-${run}-` });

const em = orm.em.fork();
const user = await em.findOneOrFail(User, { email: 'admin@example.com' });
const product = em.create(Product, { name: `Replay fixture ${run}`, price: '12.50', stock: 100, description: null });
await em.flush();
/**
 * A Pending order with its stock reserved but without an OrderCreated in the outbox: otherwise a stack running on the
 * same database would start its own workflow for it, race this recorder's, and leave a history of the quiet path.
 */
const newOrder = () =>
  orm.em.fork().transactional(async (tx) => {
    await reserveStock(tx, [{ productId: product.id, quantity: 2 }]);
    const [order] = await tx.execute<{ id: number; created_at: Date }[]>(
      `insert into orders (user_id, total, status, created_at, updated_at) values (?, '25.00', 'Pending', now(), now())
       returning id, created_at`,
      [user.id],
    );
    await tx.execute(
      `insert into order_items (order_id, product_id, quantity, price, created_at, updated_at) values (?, ?, 2, '12.50', now(), now())`,
      [order!.id, product.id],
    );
    return { orderId: order!.id, userId: user.id, total: '25.00', createdAt: new Date(order!.created_at).toISOString() };
  });

async function scenario(
  name: string,
  expected: WorkflowOrderStatus,
  expiryMs: number,
  drive: (ref: Awaited<ReturnType<typeof newOrder>>, wf: OrderWorkflowClient) => Promise<void>,
) {
  const ref = await newOrder();
  const wf = workflows(expiryMs);
  await drive(ref, wf);
  const handle = client.workflow.getHandle<typeof orderWorkflow>(wf.workflowId(ref.orderId));
  const state = await handle.result();
  if (state.status !== expected) throw new Error(`${name}: order ${ref.orderId} ended ${state.status}, expected ${expected}`);
  // The CLI writes the canonical proto3 JSON that historyFromJSON (the replay test) reads.
  const cli = process.env.TEMPORAL_CLI_PATH ?? `${process.env.HOME}/.cache/order-saga/bin/temporal`;
  const { stdout } = await promisify(execFile)(
    cli,
    ['workflow', 'show', '--address', config.TEMPORAL_ADDRESS, '--workflow-id', handle.workflowId, '--output', 'json'],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  await writeFile(`${outDir}${name}.json`, stdout);
  console.log(`${name}: order ${ref.orderId} ended ${state.status}`);
}

const awaitingPayment = async (wf: OrderWorkflowClient, orderId: number) => {
  for (;;) {
    if ((await client.workflow.getHandle(wf.workflowId(orderId)).query(getStateQuery)).phase === 'awaiting-payment') return;
    await new Promise((r) => setTimeout(r, 100));
  }
};

/** A customer's request as the API records it (src/orders/order-status-requests.ts): a signal. */
const request = (wf: OrderWorkflowClient, orderId: number, what: OrderRequest) =>
  client.workflow.getHandle(wf.workflowId(orderId)).signal(orderRequestSignal, what);

await worker.runUntil(async () => {
  await scenario('completed', 'Completed', 600_000, async (ref, wf) => {
    approve.add(ref.orderId);
    await wf.ensureStarted(ref);
  });
  await scenario('expired', 'Expired', 1_000, async (ref, wf) => {
    await wf.ensureStarted(ref);
  });
  await scenario('paid-after-decline', 'Completed', 600_000, async (ref, wf) => {
    await wf.ensureStarted(ref);
    await awaitingPayment(wf, ref.orderId);
    await request(wf, ref.orderId, 'pay');
  });
  await scenario('cancelled', 'Cancelled', 600_000, async (ref, wf) => {
    await wf.ensureStarted(ref);
    await awaitingPayment(wf, ref.orderId);
    await request(wf, ref.orderId, 'cancel');
  });
  // Since v5 the API records requests as signals, which reach a run even while its charge holds the workflow task.
  await scenario('paid-during-charge', 'Completed', 600_000, async (ref, wf) => {
    let release!: () => void;
    held.set(ref.orderId, new Promise<void>((resolve) => (release = resolve)));
    await wf.ensureStarted(ref);
    while (!charging.has(ref.orderId)) await new Promise((r) => setTimeout(r, 50));
    await request(wf, ref.orderId, 'pay');
    release();
  });
  // Since v6 the reconciler replaces a run that was terminated: the new run resumes from the order row.
  await scenario('resumed-awaiting-payment', 'Completed', 600_000, async (ref, wf) => {
    await wf.ensureStarted(ref);
    await awaitingPayment(wf, ref.orderId);
    await client.workflow.getHandle(wf.workflowId(ref.orderId)).terminate('recording: an operator terminated the run');
    await wf.resume(ref);
    await awaitingPayment(wf, ref.orderId);
    await request(wf, ref.orderId, 'pay');
  });
  await scenario('resumed-mid-charge', 'Completed', 600_000, async (ref, wf) => {
    approve.add(ref.orderId);
    let release!: () => void;
    held.set(ref.orderId, new Promise<void>((resolve) => (release = resolve)));
    await wf.ensureStarted(ref);
    while (!charging.has(ref.orderId)) await new Promise((r) => setTimeout(r, 50));
    await client.workflow.getHandle(wf.workflowId(ref.orderId)).terminate('recording: terminated while charging');
    held.delete(ref.orderId);
    await wf.resume(ref);
    release();
  });
});

await connection.close();
await client.connection.close();
await orm.close();
