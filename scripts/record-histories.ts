// Records OrderWorkflow histories from real runs (Temporal dev server, real activities and database) into
// test/workflows/histories/, where the replay test checks that today's workflow code still replays them. Re-record
// after an intentional, versioned change to the workflow. Usage: npm run histories:record (needs npm run stack:up).
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { NativeConnection } from '@temporalio/worker';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createActivities } from '../activities/index.ts';
import type { PaymentProvider } from '../activities/payment.activities.ts';
import { placeOrder } from '../src/orders/order.service.ts';
import { loadConfig } from '../src/config.ts';
import { Product, User } from '../src/db/entities.ts';
import { initOrm, migrate } from '../src/db/orm.ts';
import { connectTemporal } from '../src/temporal/connection.ts';
import { OrderWorkflowClient } from '../src/temporal/order-workflow.client.ts';
import { createWorker } from '../src/temporal/worker.ts';
import { cancelOrderUpdate, confirmPaymentUpdate, getStateQuery } from '../workflows/order.definitions.ts';
import type { orderWorkflow } from '../workflows/order.workflow.ts';

const outDir = fileURLToPath(new URL('../test/workflows/histories/', import.meta.url));
const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn' });
const run = Date.now().toString(36);
const approve = new Set<number>();
const provider: PaymentProvider = { charge: async ({ orderId }) => ({ approved: approve.has(orderId), reference: `rec-${orderId}` }) };

const orm = await initOrm(config);
await migrate(orm);
const client = await connectTemporal(config);
const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
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
const newOrder = async () => {
  const order = await placeOrder(orm.em.fork(), user.id, [{ productId: product.id, quantity: 2 }]);
  return { orderId: order.id, userId: user.id, total: order.total, createdAt: order.createdAt.toISOString() };
};

async function scenario(
  name: string,
  expiryMs: number,
  drive: (ref: Awaited<ReturnType<typeof newOrder>>, wf: OrderWorkflowClient) => Promise<void>,
) {
  const ref = await newOrder();
  const wf = workflows(expiryMs);
  await drive(ref, wf);
  const handle = client.workflow.getHandle<typeof orderWorkflow>(wf.workflowId(ref.orderId));
  const state = await handle.result();
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

await worker.runUntil(async () => {
  await scenario('completed', 600_000, async (ref, wf) => {
    approve.add(ref.orderId);
    await wf.ensureStarted(ref);
  });
  await scenario('expired', 1_000, async (ref, wf) => {
    await wf.ensureStarted(ref);
  });
  await scenario('paid-after-decline', 600_000, async (ref, wf) => {
    await wf.ensureStarted(ref);
    await awaitingPayment(wf, ref.orderId);
    await client.workflow.getHandle(wf.workflowId(ref.orderId)).executeUpdate(confirmPaymentUpdate);
  });
  await scenario('cancelled', 600_000, async (ref, wf) => {
    await wf.ensureStarted(ref);
    await awaitingPayment(wf, ref.orderId);
    await client.workflow.getHandle(wf.workflowId(ref.orderId)).executeUpdate(cancelOrderUpdate);
  });
});

await connection.close();
await client.connection.close();
await orm.close();
