// End-to-end smoke check of a running stack: `npm run stack:smoke` (the default stack) or `npm run stack:smoke --
// --cluster` (the cluster stack, scripts/cluster.sh). An admin adds a product, a new customer orders it through the
// first API process and follows it through the last one until it is Completed (paying when the simulated charge was
// declined), then finds its notification and its Completed workflow with its search attributes. With CLUSTER=true it
// also checks the production shape itself: every app topic on 3 replicas with the brokers' min.insync.replicas, two
// members in each consumer group, and two worker processes polling the task queue.
// Env: API_URLS (comma-separated), the app's config variables (scripts/stack.sh sets them), SMOKE_TIMEOUT (90s).
// Prints one line per check and a closing "N passed, N failed"; exits 1 when a check failed.
import ms from 'ms';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { createKafka } from '../src/messaging/kafka.ts';
import { allTopics, consumerGroup } from '../src/messaging/topics.ts';
import { connectTemporal } from '../src/temporal/connection.ts';

type Order = { id: number; status: string; phase: string };
type Notification = { orderId: number; status: string; message: string };

const config = loadConfig();
const log = createLogger({ ...config, LOG_LEVEL: 'warn' });
const apis = (process.env.API_URLS ?? `http://127.0.0.1:${config.PORT}`).split(',');
const cluster = process.env.CLUSTER === 'true';
const timeoutMs = ms((process.env.SMOKE_TIMEOUT ?? '90s') as ms.StringValue);
const results: Array<{ ok: boolean; what: string }> = [];

function check(ok: boolean, what: string, detail = ''): boolean {
  results.push({ ok, what });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? `: ${detail}` : ''}`);
  return ok;
}

async function call<T>(api: string, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** Polls until `done` holds for the value, or the deadline passes (then the last value). */
async function until<T>(get: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await get();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function login(api: string, email: string, password: string): Promise<string | undefined> {
  return (await call<{ token?: string }>(api, 'POST', '/api/auth/login', undefined, { email, password })).body?.token;
}

/** The saga through the API processes: returns the order id once it is Completed, or undefined. */
async function orderFlow(): Promise<number | undefined> {
  const first = apis[0]!;
  const last = apis.at(-1)!;
  for (const api of apis) check((await call(api, 'GET', '/ready')).status === 200, `API ${api} is ready`);
  const admin = await login(first, 'admin@example.com', 'Password123!');
  if (!check(admin !== undefined, 'the demo admin logs in', admin ? '' : 'needs SEED_DEMO_DATA=true (the stack default)')) return undefined;
  const tag = `smoke-${Date.now()}`;
  const product = await call<{ id: number }>(first, 'PUT', '/api/product', admin, { name: `Smoke item ${tag}`, price: 12.5, stock: 3 });
  if (!check(product.status === 201, 'the admin adds a product', `HTTP ${product.status}`)) return undefined;
  const email = `${tag}@example.com`;
  check(
    (await call(first, 'PUT', '/api/user', undefined, { name: 'Smoke Customer', email, password: 'Secret123!' })).status === 201,
    'a customer registers',
  );
  const token = await login(first, email, 'Secret123!');
  const placed = await call<Order>(first, 'PUT', '/api/order', token, { items: [{ productId: product.body.id, quantity: 1 }] });
  if (!check(placed.status === 201 && placed.body.status === 'Pending', `order placed through ${first}`, `HTTP ${placed.status}`))
    return undefined;
  const id = placed.body.id;
  const started = Date.now();

  let paid = false;
  const final = await until(
    async () => {
      const order = (await call<Order>(last, 'GET', `/api/order/${id}`, token)).body;
      // A declined charge (PAYMENT_SUCCESS_RATE) leaves it awaiting payment: pay, as the customer would.
      if (order.phase === 'awaiting-payment' && !paid) paid = (await call(last, 'POST', `/api/order/${id}/pay`, token)).status < 300;
      return order;
    },
    (order) => order.status === 'Completed' || order.status === 'Cancelled' || order.status === 'Expired',
  );
  const how = paid ? ', after paying a declined charge' : '';
  if (
    !check(
      final.status === 'Completed',
      `order ${id} Completed, read through ${last}`,
      `${final.status} after ${Date.now() - started} ms${how}`,
    )
  )
    return undefined;
  const notes = await until(
    async () => (await call<Notification[]>(last, 'GET', '/api/notification', token)).body.filter((n) => n.orderId === id),
    (list) => list.length > 0,
  );
  check(
    notes.length === 1 && notes[0]!.status === 'OrderCompleted',
    `one OrderCompleted notification for order ${id}`,
    notes[0]?.message ?? 'none',
  );
  return id;
}

async function workflowChecks(orderId: number): Promise<void> {
  const client = await connectTemporal(config);
  try {
    const workflowId = `${config.TEMPORAL_WORKFLOW_ID_PREFIX}${orderId}`;
    const description = await client.workflow.getHandle(workflowId).describe();
    const status = description.typedSearchAttributes.getAll().find((pair) => pair.key.name === 'OrderStatus')?.value;
    check(
      description.status.name === 'COMPLETED' && status === 'Completed',
      `workflow ${workflowId} COMPLETED, OrderStatus=${String(status)}`,
    );
    // Visibility (the SQL store on a real server) finds it by its search attribute.
    const listed = await until(
      async () => {
        const found: string[] = [];
        for await (const w of client.workflow.list({ query: `OrderId = "${orderId}"` })) found.push(w.workflowId);
        return found;
      },
      (found) => found.length > 0,
    );
    check(listed.includes(workflowId), `visibility lists it for OrderId="${orderId}"`);
    if (cluster) {
      const queue = await client.workflowService.describeTaskQueue({
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue: { name: config.TEMPORAL_TASK_QUEUE },
        taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
      });
      const pollers = new Set((queue.pollers ?? []).map((p) => p.identity));
      check(pollers.size >= 2, `${pollers.size} workers poll task queue ${config.TEMPORAL_TASK_QUEUE}`, [...pollers].join(', '));
    }
  } finally {
    await client.connection.close();
  }
}

async function kafkaChecks(): Promise<void> {
  const admin = createKafka(config, log).admin();
  await admin.connect();
  try {
    const cluster = await admin.describeCluster();
    check(
      cluster.brokers.length === 3,
      `${cluster.brokers.length} Kafka brokers`,
      cluster.brokers.map((b) => `${b.nodeId}@${b.port}`).join(' '),
    );
    const topics = allTopics(config.KAFKA_TOPIC_PREFIX);
    const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
    const replicas = metadata.flatMap((t) => t.partitions.map((p) => p.replicas.length));
    check(
      replicas.length > 0 && replicas.every((n) => n === config.KAFKA_REPLICATION_FACTOR),
      `${metadata.length} topics, every partition on ${config.KAFKA_REPLICATION_FACTOR} replicas`,
    );
    const configs = await admin.describeConfigs({
      resources: topics.map((name) => ({ type: 2, name, configNames: ['min.insync.replicas'] })), // 2: TOPIC
      includeSynonyms: false,
    });
    const minIsr = configs.resources.map((r) => r.configEntries[0]?.configValue);
    check(
      minIsr.every((v) => v === String(config.KAFKA_MIN_INSYNC_REPLICAS)),
      `min.insync.replicas ${config.KAFKA_MIN_INSYNC_REPLICAS} on every topic`,
      minIsr.join(','),
    );
    for (const role of ['bridge', 'notifier'] as const) {
      const group = consumerGroup(role, config.KAFKA_TOPIC_PREFIX);
      const described = await until(
        async () => (await admin.describeGroups([group])).groups[0]!,
        (g) => g.members.length >= 2,
      );
      check(described.members.length === 2, `consumer group ${group} has ${described.members.length} members`, described.state);
    }
  } finally {
    await admin.disconnect();
  }
}

async function main(): Promise<void> {
  console.log(`smoke: ${cluster ? 'cluster stack' : 'stack'}, APIs ${apis.join(' ')}, Temporal ${config.TEMPORAL_ADDRESS}`);
  const started = Date.now();
  const orderId = await orderFlow();
  if (orderId !== undefined) await workflowChecks(orderId);
  if (cluster) await kafkaChecks();
  const failed = results.filter((r) => !r.ok).length;
  console.log(`smoke finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`${results.length - failed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}

main().catch((err: unknown) => {
  console.error('smoke: error:', err);
  console.log(`${results.filter((r) => r.ok).length} passed, ${results.filter((r) => !r.ok).length + 1} failed`);
  process.exit(1);
});
