// The notifier on real Kafka and PostgreSQL: each order outcome produced to its topic becomes exactly one notification
// with the e-mail text, redeliveries change nothing, and an event that can never succeed is dead-lettered without
// blocking its partition. Orders are this file's own (placed through the API). Topics carry a per-run prefix and the
// group is the run's own, so neither a developer's stack nor earlier runs (whose order ids name rows of other databases)
// feed this notifier, and it feeds on nothing else.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { initOrm } from '../../src/db/orm.ts';
import { ensureTopics } from '../../src/messaging/admin.ts';
import { PermanentError, type RunningConsumer } from '../../src/messaging/consumer.ts';
import type { OrderCancelled, OrderCompleted, OrderExpired, OrderOutcomeEvent } from '../../src/domain/events.ts';
import { createKafka, Partitioners, type Admin, type Producer } from '../../src/messaging/kafka.ts';
import { dlqTopic, TOPICS } from '../../src/messaging/topics.ts';
import { handleOutcome, startNotifier } from '../../src/notifier/notifier.ts';
import { startTestApi, type TestApi } from '../helpers/api.ts';
import { testConfig, testLogger } from '../helpers/config.ts';
import { eventually } from '../helpers/eventually.ts';
import { topicReaders, type CollectedMessage } from '../helpers/kafka.ts';
import { MISSING_ID, createOrder, createProduct, sql, uniqueName, type OrderDto } from './api/support.ts';

const config = testConfig();
const kafka = createKafka(config, testLogger(config));
const run = `notifier-test-${process.pid}-${Date.now()}`;
const prefix = `${run}.`;
const groupId = run;
const topic = {
  OrderCompleted: prefix + TOPICS.orderCompleted,
  OrderExpired: prefix + TOPICS.orderExpired,
  OrderCancelled: prefix + TOPICS.orderCancelled,
};
const topics = Object.values(topic);

/** The notifier's log, captured: the fake e-mails are info lines. */
const logLines: Array<{ msg: string; to?: string; orderId?: number }> = [];
const log = pino({ level: 'info', base: undefined }, { write: (line: string) => void logLines.push(JSON.parse(line)) });

let api: TestApi;
let admin: Admin;
let producer: Producer;
let notifier: RunningConsumer;
let buyer: { id: number; email: string; token: string };
const readers = topicReaders(kafka, groupId);
const collect = (topic: string) => readers.collect(topic);

beforeAll(async () => {
  api = await startTestApi();
  await ensureTopics(kafka, { partitions: config.KAFKA_PARTITIONS, topics: [...topics, ...topics.map(dlqTopic)] });
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  notifier = await startNotifier({ orm: api.orm, kafka, log, groupId, topicPrefix: prefix });
  buyer = await api.newUser('Notified Buyer');
});
afterAll(async () => {
  await Promise.all([notifier?.stop(), readers.close()]);
  await producer?.disconnect();
  await admin?.deleteGroups([groupId, ...readers.groups]).catch(() => undefined);
  await admin?.deleteTopics({ topics: [...topics, ...topics.map(dlqTopic)] }).catch(() => undefined);
  await admin?.disconnect();
  await api?.close();
});

/** An order of the buyer's own: a Laptop-like and a Mouse-like product, one of each (total 1029.98). */
async function placeOrder(): Promise<OrderDto> {
  const laptop = await createProduct(api, buyer.token, { name: uniqueName('Laptop'), price: 999.99 });
  const mouse = await createProduct(api, buyer.token, { name: uniqueName('Mouse'), price: 29.99 });
  return createOrder(api, buyer.token, [
    { productId: laptop.id, quantity: 1 },
    { productId: mouse.id, quantity: 1 },
  ]);
}

const completed = (order: OrderDto): OrderCompleted => ({
  type: 'OrderCompleted',
  version: 1,
  orderId: order.id,
  userId: order.userId,
  total: order.total.toFixed(2),
  items: order.items.map((i) => ({ productId: i.productId, productName: i.productName, quantity: i.quantity, price: i.price.toFixed(2) })),
  completedAt: new Date().toISOString(),
});
const expired = (order: OrderDto): OrderExpired => ({
  type: 'OrderExpired',
  version: 1,
  orderId: order.id,
  userId: order.userId,
  expiredAt: new Date().toISOString(),
});
const cancelled = (order: OrderDto): OrderCancelled => ({
  type: 'OrderCancelled',
  version: 1,
  orderId: order.id,
  userId: order.userId,
  cancelledAt: new Date().toISOString(),
});

/** Produces the events in order, keyed by order id (all to `partition` when given); returns each one's partition and offset. */
async function publish(events: OrderOutcomeEvent[], partition?: number): Promise<Array<{ partition: number; offset: string }>> {
  const placed: Array<{ partition: number; offset: string }> = [];
  for (const event of events) {
    const message = { key: String(event.orderId), value: JSON.stringify(event), ...(partition === undefined ? {} : { partition }) };
    const [meta] = await producer.send({ topic: topic[event.type], acks: -1, messages: [message] });
    placed.push({ partition: meta!.partition, offset: meta!.baseOffset! });
  }
  return placed;
}

type Row = { user_id: number; message: string; event_type: string };
const rowsOf = (orderId: number) =>
  sql<Row>(api, 'select user_id, message, event_type from notifications where order_id = ? order by id', [orderId]);
const notified = (orderId: number, count = 1) =>
  eventually(
    () => rowsOf(orderId),
    (rows) => rows.length >= count,
    { what: `notification of order ${orderId}` },
  );
const emailsAbout = (orderId: number) => logLines.filter((l) => l.orderId === orderId && l.msg.startsWith('e-mail: '));

/** Resolves once the notifier's group has committed past `offset`, i.e. handled everything up to it. */
async function handledThrough(name: string, { partition, offset }: { partition: number; offset: string }): Promise<void> {
  const committed = async () => {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [name] });
    return BigInt(offsets!.partitions.find((p) => p.partition === partition)!.offset);
  };
  await eventually(committed, (c) => c > BigInt(offset), { what: `${name}[${partition}] handled through ${offset}` });
}

describe('notifier', () => {
  it('when an OrderCompleted arrives, then exactly one OrderCompleted notification with the e-mail text exists and the e-mail is logged', async () => {
    const order = await placeOrder();
    const [laptop, mouse] = order.items;

    await publish([completed(order)]);

    const rows = await notified(order.id);
    const text = `Order #${order.id} for user ${buyer.email} was issued containing products: ${laptop!.productName} (x1), ${mouse!.productName} (x1). Total: $1029.98`;
    expect(rows).toEqual([{ user_id: buyer.id, message: text, event_type: 'OrderCompleted' }]);
    expect(emailsAbout(order.id)).toEqual([expect.objectContaining({ to: buyer.email, orderId: order.id, msg: `e-mail: ${text}` })]);
  });

  it('when the same event is delivered twice, then there is still exactly one notification and one e-mail', async () => {
    const order = await placeOrder();
    const event = completed(order);

    const [, second] = await publish([event, event]);
    await handledThrough(topic.OrderCompleted, second!);

    expect(await rowsOf(order.id)).toHaveLength(1);
    expect(emailsAbout(order.id)).toHaveLength(1);
  });

  it.each([
    { type: 'OrderExpired', event: expired, says: 'has expired due to payment timeout.' },
    { type: 'OrderCancelled', event: cancelled, says: 'was cancelled.' },
  ])('when an $type arrives, then its notification says "$says" with status $type', async ({ type, event, says }) => {
    const order = await placeOrder();

    await publish([event(order)]);

    expect(await notified(order.id)).toEqual([
      { user_id: buyer.id, message: `Order #${order.id} for user ${buyer.email} ${says}`, event_type: type },
    ]);
  });

  it('when the e-mail text is longer than the column, then it is cut to 500 characters ending in an ellipsis', async () => {
    const order = await placeOrder();
    const event = completed(order);
    event.items[0]!.productName = 'Very long name '.repeat(50);

    await publish([event]);

    const [row] = await notified(order.id);
    expect(Array.from(row!.message)).toHaveLength(500);
    expect(row!.message).toMatch(new RegExp(`^Order #${order.id} for user ${buyer.email} was issued containing products: Very long name `));
    expect(row!.message.endsWith('…')).toBe(true);
  });
});

describe('notifier: events that can never succeed', () => {
  let deadLetters: CollectedMessage[];
  beforeAll(async () => {
    deadLetters = await collect(dlqTopic(topic.OrderCompleted));
  });
  const deadLetterOf = (source: { partition: number; offset: string }) =>
    eventually(
      async () =>
        deadLetters.find(
          (m) =>
            m.headers['dlq-topic'] === topic.OrderCompleted &&
            m.headers['dlq-partition'] === String(source.partition) &&
            m.headers['dlq-offset'] === source.offset,
        ),
      Boolean,
      { what: `dead letter of ${topic.OrderCompleted}[${source.partition}]@${source.offset}` },
    );

  it('when an event names an order that does not exist, then it lands in the DLQ with a reason, and the next event on its partition is processed', async () => {
    const order = await placeOrder();
    const ghost = { ...completed(order), orderId: MISSING_ID };

    const [bad] = await publish([ghost, completed(order)], 0);

    expect(await notified(order.id)).toEqual([expect.objectContaining({ event_type: 'OrderCompleted' })]);
    const dead = await deadLetterOf(bad!);
    expect(dead!.key).toBe(String(MISSING_ID));
    expect(dead!.headers['dlq-reason']).toContain(`order ${MISSING_ID}`);
    expect(dead!.headers['dlq-reason']).toContain(`(order_id)=(${MISSING_ID})`);
    expect(await rowsOf(MISSING_ID)).toEqual([]);
  });

  it('when an event names a user that does not exist, then it lands in the DLQ and no notification is written', async () => {
    const order = await placeOrder();

    const [bad] = await publish([{ ...completed(order), userId: MISSING_ID }]);

    const dead = await deadLetterOf(bad!);
    expect(dead!.headers['dlq-reason']).toContain(`user ${MISSING_ID}`);
    expect(await rowsOf(order.id)).toEqual([]);
  });

  it('when PostgreSQL cannot be reached, then the handler fails with a retryable error, not a permanent one', async () => {
    const unreachable = await initOrm({ ...config, DATABASE_URL: 'postgres://saga:saga@127.0.0.1:1/nowhere', DB_POOL_MAX: 1 });
    try {
      const order = await placeOrder();
      const failure = await handleOutcome(
        unreachable,
        log,
      )(completed(order)).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(Error);
      expect(failure).not.toBeInstanceOf(PermanentError);
    } finally {
      await unreachable.close();
    }
  });
});
