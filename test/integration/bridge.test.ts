// The bridge on real Kafka and a real Temporal dev server: an OrderCreated becomes the order's workflow, which a real
// worker with the real activities drives to Completed on the test database (payments approved by the scripted
// provider). Redeliveries never start a second run, messages that can never succeed are dead-lettered without
// blocking their partition, and the group's offset ends at the partition's end. The topics sit under a sub-prefix of
// this file's own inside the run's prefix and the group is this file's own, so no other consumer of the run reads
// them and the bridge reads nothing else; OrderCreated events are produced here, not by a relay. Every assertion is
// on an effect others can see (workflow runs in Temporal, rows, dead letters, committed offsets), not on the log.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startBridge } from '../../src/bridge/bridge.ts';
import { ensureTopics } from '../../src/messaging/admin.ts';
import type { RunningConsumer } from '../../src/messaging/consumer.ts';
import type { OrderCreated } from '../../src/domain/events.ts';
import { createKafka, Partitioners, type Admin, type Producer } from '../../src/messaging/kafka.ts';
import { allTopics, dlqTopic, TOPICS } from '../../src/messaging/topics.ts';
import type { orderWorkflow } from '../../workflows/order.workflow.ts';
import { startTestApi, type TestApi } from '../helpers/api.ts';
import { testConfig, testLogger, testRunId } from '../helpers/config.ts';
import { eventually } from '../helpers/eventually.ts';
import { topicReaders, type CollectedMessage } from '../helpers/kafka.ts';
import { startTestSaga, type TestSaga } from '../helpers/saga.ts';
import { createOrder, createProduct, sql, uniqueName, type OrderDto } from './api/support.ts';

const config = testConfig();
const kafka = createKafka(config, testLogger(config));
const run = `bridge-${process.pid}-${Date.now()}`;
const prefix = `${config.KAFKA_TOPIC_PREFIX}${run}.`;
const topic = prefix + TOPICS.orderCreated;
const groupId = `bridge-test-${testRunId}-${run}`;
const log = testLogger(config);

let api: TestApi;
let saga: TestSaga;
let admin: Admin;
let producer: Producer;
let bridge: RunningConsumer;
let buyer: { id: number; token: string };
const readers = topicReaders(kafka, groupId);
const collect = (topic: string) => readers.collect(topic);
/** Everything the bridge dead-lettered (this file's DLQ topic, read from its beginning). */
let deadLetters: CollectedMessage[];

beforeAll(async () => {
  api = await startTestApi();
  saga = await startTestSaga(api.orm, api.config);
  saga.provider.approveAll = true;
  await ensureTopics(kafka, { partitions: config.KAFKA_PARTITIONS, topics: allTopics(prefix) });
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  // The bridge as it runs beside a worker in one process: its starts hand the first task straight to that worker.
  bridge = await startBridge({
    kafka,
    workflows: saga.eagerWorkflows,
    log,
    topicPrefix: prefix,
    groupId,
    messagesConcurrently: config.BRIDGE_CONCURRENCY,
  });
  deadLetters = await collect(dlqTopic(topic));
  buyer = await api.newUser('Bridged Buyer');
});
afterAll(async () => {
  // The bridge first: its in-flight starts need the saga's Temporal client.
  await Promise.all([bridge?.stop(), readers.close()]);
  await producer?.disconnect();
  await admin?.deleteGroups([groupId, ...readers.groups]).catch(() => undefined);
  await admin?.deleteTopics({ topics: allTopics(prefix) }).catch(() => undefined);
  await admin?.disconnect();
  await saga?.stop();
  await api?.close();
});

/** A real order of the buyer's own: 3 of a product priced 12.50 (total 37.50), Pending, with its stock reserved. */
async function placeOrder(): Promise<OrderDto> {
  const product = await createProduct(api, buyer.token, { name: uniqueName('Bridged product'), price: 12.5, stock: 10 });
  return createOrder(api, buyer.token, [{ productId: product.id, quantity: 3 }]);
}

const created = (order: OrderDto): OrderCreated => ({
  type: 'OrderCreated',
  version: 1,
  orderId: order.id,
  userId: order.userId,
  total: order.total.toFixed(2),
  createdAt: order.createdAt,
});

/** Produces raw values in order under one key (so to one partition); returns that partition and each value's offset. */
async function publish(key: number, values: string[]): Promise<{ partition: number; offsets: string[] }> {
  const [meta] = await producer.send({ topic, acks: -1, messages: values.map((value) => ({ key: String(key), value })) });
  return { partition: meta!.partition, offsets: values.map((_, i) => (BigInt(meta!.baseOffset!) + BigInt(i)).toString()) };
}

const statusOf = async (orderId: number) =>
  (await sql<{ status: string }>(api, 'select status from orders where id = ?', [orderId]))[0]?.status;
const completed = (orderId: number) =>
  eventually(
    () => statusOf(orderId),
    (status) => status === 'Completed',
    { what: `order ${orderId} Completed` },
  );
const outboxTypes = async (orderId: number) =>
  (await sql<{ type: string }>(api, `select payload->>'type' as type from outbox where order_id = ? order by id`, [orderId])).map(
    (r) => r.type,
  );
const handleOf = (orderId: number) => saga.client.workflow.getHandle<typeof orderWorkflow>(saga.workflows.workflowId(orderId));

/**
 * The dead letters of the order's OrderCreated messages, once the reader has read the DLQ topic up to the end it has
 * now: the bridge dead-letters a message before it commits its offset, so after `handledThrough` an empty answer
 * means none was dead-lettered, not that the reader is behind.
 */
async function deadLettersOf(orderId: number): Promise<CollectedMessage[]> {
  const ends = await admin.fetchTopicOffsets(dlqTopic(topic));
  const total = ends.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  const all = await eventually(
    async () => deadLetters,
    (d) => d.length >= total,
    { what: `${dlqTopic(topic)} read to its end (${total} messages)` },
  );
  return all.filter((m) => m.headers['dlq-topic'] === topic && m.key === String(orderId));
}

/** Every run Temporal's visibility lists under the order's workflow id (eventually consistent). */
async function runsOf(orderId: number): Promise<Array<{ runId: string; status: string }>> {
  const runs: Array<{ runId: string; status: string }> = [];
  for await (const wf of saga.client.workflow.list({ query: `WorkflowId='${saga.workflows.workflowId(orderId)}'` })) {
    runs.push({ runId: wf.runId, status: wf.status.name });
  }
  return runs;
}

/** Resolves once the bridge's group has committed past `offset` on `partition`, i.e. handled everything up to it. */
async function handledThrough(partition: number, offset: string): Promise<void> {
  const committed = async () => {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return BigInt(offsets!.partitions.find((p) => p.partition === partition)!.offset);
  };
  await eventually(committed, (c) => c > BigInt(offset), { what: `${topic}[${partition}] handled through ${offset}` });
}

describe('bridge', () => {
  it("when an OrderCreated arrives, then the order's workflow runs and the order completes", async () => {
    const order = await placeOrder();

    await publish(order.id, [JSON.stringify(created(order))]);

    await completed(order.id);
    expect(await handleOf(order.id).result()).toEqual(expect.objectContaining({ orderId: order.id, status: 'Completed' }));
    expect(await outboxTypes(order.id)).toEqual(['OrderCreated', 'OrderCompleted']);
    expect(saga.provider.charged.filter((id) => id === order.id)).toHaveLength(1);
    const description = await handleOf(order.id).describe();
    expect(await description.staticSummary()).toBe(`Order #${order.id} of user ${order.userId}, total ${order.total.toFixed(2)}`);
    expect(await description.staticDetails()).toContain(`**Order** #${order.id}`);
    // Started eagerly: Temporal accepted handing the first workflow task to the worker in the start's answer.
    const [started] = (await handleOf(order.id).fetchHistory()).events ?? [];
    expect(started?.workflowExecutionStartedEventAttributes?.eagerExecutionAccepted).toBe(true);
  });

  it('when the same OrderCreated is delivered twice, and again after the workflow closed, then there is one workflow run and one OrderCompleted', async () => {
    const order = await placeOrder();
    const event = JSON.stringify(created(order));

    await publish(order.id, [event, event]);
    await completed(order.id);
    await handleOf(order.id).result();
    const runs = await eventually(
      () => runsOf(order.id),
      (r) => r.length === 1 && r[0]!.status === 'COMPLETED',
      { what: `one closed run of order ${order.id} listed` },
    );
    const third = await publish(order.id, [event]);
    await handledThrough(third.partition, third.offsets[0]!);

    expect(await runsOf(order.id)).toEqual(runs);
    // Visibility may lag; the latest run of the id, read from history, is the first one: nothing was started after it.
    expect((await handleOf(order.id).describe()).runId).toBe(runs[0]!.runId);
    // All three deliveries were handled as successes (offset committed past the third, no dead letter): the
    // redelivery to the closed run counted as already done, not as another order's id or a failure.
    expect(await deadLettersOf(order.id)).toEqual([]);
    expect(await outboxTypes(order.id)).toEqual(['OrderCreated', 'OrderCompleted']);
    expect(saga.provider.charged.filter((id) => id === order.id)).toHaveLength(1);
  });

  it('when a malformed and a schema-invalid message precede a valid OrderCreated on its partition, then both land in the DLQ with a reason and the valid one is still processed', async () => {
    const order = await placeOrder();
    const notJson = 'OrderCreated, but not JSON {';
    const wrongSchema = JSON.stringify({ ...created(order), total: 37.5 });

    const { partition, offsets } = await publish(order.id, [notJson, wrongSchema, JSON.stringify(created(order))]);

    await completed(order.id);
    await handledThrough(partition, offsets[2]!);
    const dead = await deadLettersOf(order.id);
    expect(dead).toHaveLength(2);
    const byOffset = (offset: string) => dead.find((m) => m.headers['dlq-offset'] === offset);
    expect(byOffset(offsets[0]!)).toEqual({
      key: String(order.id),
      value: notJson,
      headers: {
        'dlq-reason': 'not valid JSON',
        'dlq-reason-code': 'invalid_json',
        'dlq-failed-at': expect.stringMatching(/^\d{4}-\d{2}-\d{2}T.*Z$/),
        'dlq-topic': topic,
        'dlq-partition': String(partition),
        'dlq-offset': offsets[0],
      },
    });
    expect(byOffset(offsets[1]!)).toEqual(expect.objectContaining({ key: String(order.id), value: wrongSchema }));
    expect(byOffset(offsets[1]!)!.headers['dlq-reason']).toMatch(/^schema: total: /);
    // One run, started by the valid message: its memo carries that message's total and creation time.
    const runs = await eventually(
      () => runsOf(order.id),
      (r) => r.length === 1 && r[0]!.status === 'COMPLETED',
      { what: `one closed run of order ${order.id} listed` },
    );
    const description = await handleOf(order.id).describe();
    expect(description.runId).toBe(runs[0]!.runId);
    expect(description.memo).toEqual({ total: '37.50', orderCreatedAt: order.createdAt });
    expect(saga.provider.charged.filter((id) => id === order.id)).toHaveLength(1);
  });

  it("when the bridge has processed every message, then the group's committed offset equals each partition's end offset", async () => {
    const order = await placeOrder();
    const { partition } = await publish(order.id, [JSON.stringify(created(order))]);
    await completed(order.id);

    const positions = async () => {
      const ends = await admin.fetchTopicOffsets(topic);
      const [group] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return ends.map(({ partition, high }) => ({
        partition,
        end: high,
        committed: group!.partitions.find((p) => p.partition === partition)?.offset,
      }));
    };
    // A partition that never held a message has no committed offset (-1) and an end offset of 0.
    const settled = await eventually(
      positions,
      (all) => all.every((p) => p.committed === p.end || (p.end === '0' && p.committed === '-1')),
      { what: 'committed offsets at the end of every partition' },
    );
    const last = settled.find((p) => p.partition === partition)!;
    expect(Number(last.end)).toBeGreaterThan(0);
    expect(last.committed).toBe(last.end);
  });
});
