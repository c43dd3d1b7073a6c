// Outbox relay against real PostgreSQL and Kafka. The test database is shared with other suites, so a relay here also
// publishes their pending rows; assertions only look at this file's own (unused, high) order ids. The relays publish
// the topics of topics.ts under a per-run prefix (KAFKA_TOPIC_PREFIX), so these synthetic events and the other
// suites' rows never reach a developer's stack sharing the broker; the topics are deleted afterwards.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { initOrm, type Orm } from '../../src/db/orm.ts';
import { ensureTopics } from '../../src/messaging/admin.ts';
import { topicOf, type OrderEvent } from '../../src/domain/events.ts';
import { createKafka, type Consumer } from '../../src/messaging/kafka.ts';
import { TOPICS } from '../../src/messaging/topics.ts';
import { enqueueEvent } from '../../src/outbox/outbox.ts';
import { startRelay, type Relay } from '../../src/outbox/relay.ts';
import { testConfig, testLogger } from '../helpers/config.ts';
import { eventually } from '../helpers/eventually.ts';

type Received = { topic: string; outboxId: string; eventType: string; headers: string[]; payload: unknown };
type OutboxRow = { id: string; sent_at: Date | null; attempts: number; last_error: string | null; trace_context: unknown };

const newOrderId = () => 900_000_000 + Math.floor(Math.random() * 100_000_000);
const at = (second: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, second)).toISOString();

/** The i-th event of a synthetic history that cycles through every event type, so each topic gets several. */
function eventNo(orderId: number, i: number): OrderEvent {
  const base = { version: 1, orderId, userId: 1 } as const;
  switch (i % 4) {
    case 0:
      return { ...base, type: 'OrderCreated', total: `${i}.00`, createdAt: at(i) };
    case 1:
      return {
        ...base,
        type: 'OrderCompleted',
        total: `${i}.00`,
        items: [{ productId: 1, productName: 'p', quantity: 1, price: `${i}.00` }],
        completedAt: at(i),
      };
    case 2:
      return { ...base, type: 'OrderExpired', expiredAt: at(i) };
    default:
      return { ...base, type: 'OrderCancelled', cancelledAt: at(i) };
  }
}

describe('outbox relay', () => {
  const config = testConfig();
  const log = testLogger(config);
  const quiet = testLogger(testConfig({ LOG_LEVEL: 'silent' }));
  const kafka = createKafka(config, log);
  // What the relay role does too: kafkajs's own producer chatter stays out of the output.
  const relayKafka = createKafka(config, quiet);
  const run = `outbox-relay-test-${process.pid}-${Date.now()}`;
  const topicPrefix = `${run}.`;
  const topics = Object.values(TOPICS).map((t) => topicPrefix + t);
  const relays: Relay[] = [];
  const consumers: Consumer[] = [];
  const groupIds: string[] = [];
  let orm: Orm;

  beforeAll(async () => {
    orm = await initOrm(config);
    await ensureTopics(kafka, { partitions: config.KAFKA_PARTITIONS, topics });
  });

  afterAll(async () => {
    await Promise.all(relays.map((r) => r.stop()));
    await Promise.all(consumers.map((c) => c.disconnect()));
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups(groupIds).catch(() => undefined);
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
    await orm.close();
  });

  const relay = async (overrides: Partial<Parameters<typeof startRelay>[0]> = {}) => {
    const started = await startRelay({ orm, kafka: relayKafka, log, pollIntervalMs: 50, batchSize: 1000, topicPrefix, ...overrides });
    relays.push(started);
    return started;
  };

  /** One transaction, rows inserted one after another so their ids follow the events' order. */
  const enqueue = (events: OrderEvent[]) =>
    orm.em.fork().transactional(async (tx) => {
      for (const event of events) await enqueueEvent(tx, event);
    });

  const rowsOf = (orderId: number) =>
    orm.em
      .fork()
      .execute<OutboxRow[]>('select id, sent_at, attempts, last_error, trace_context from outbox where order_id = ? order by id', [
        orderId,
      ]);

  /**
   * Reads every topic from the beginning with a fresh group until it has passed the current end of each partition,
   * so the result holds every message already published for the key: a missing or duplicated one would show.
   */
  async function readAll(key: number): Promise<Received[]> {
    const admin = kafka.admin();
    await admin.connect();
    const ends = new Map<string, bigint>();
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(p.high) > BigInt(p.low)) ends.set(`${topic}/${p.partition}`, BigInt(p.high));
      }
    }
    await admin.disconnect();

    const groupId = `${run}-${groupIds.length}`;
    groupIds.push(groupId);
    const consumer = kafka.consumer({ groupId });
    consumers.push(consumer);
    const positions = new Map<string, bigint>();
    const received: Received[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        positions.set(`${topic}/${partition}`, BigInt(message.offset) + 1n);
        if (message.key?.toString() !== String(key)) return;
        received.push({
          topic,
          outboxId: String(message.headers?.['outbox-id']),
          eventType: String(message.headers?.['event-type']),
          headers: Object.keys(message.headers ?? {}).sort(),
          payload: JSON.parse(message.value!.toString()),
        });
      },
    });
    await eventually(async () => [...ends].every(([tp, end]) => (positions.get(tp) ?? 0n) >= end), Boolean, {
      what: 'consumer reached the end of every partition',
    });
    await consumer.disconnect();
    return received;
  }

  /** Kafka orders per partition only, and one key maps to one partition per topic: compare topic by topic. */
  function expectPublishedInOrder(received: Received[], events: OrderEvent[], rows: OutboxRow[]) {
    for (const topic of topics) {
      const expected = events
        .map((event, i) => ({ event, id: rows[i]!.id }))
        .filter(({ event }) => topicPrefix + topicOf[event.type] === topic);
      const got = received.filter((m) => m.topic === topic);
      expect(got.map((m) => m.payload)).toEqual(expected.map((e) => e.event));
      expect(got.map((m) => m.outboxId)).toEqual(expected.map((e) => e.id));
      expect(got.map((m) => m.eventType)).toEqual(expected.map((e) => e.event.type));
      // Tracing is off in this file: the rows carry no trace context, so no traceparent header is sent.
      expect(got.map((m) => m.headers)).toEqual(expected.map(() => ['event-type', 'outbox-id']));
    }
  }

  it('when Kafka is unreachable, then rows stay pending with attempts counted, and once Kafka is reachable the same rows are published in order', async () => {
    const orderId = newOrderId();
    const events: OrderEvent[] = [
      { type: 'OrderCreated', version: 1, orderId, userId: 1, total: '1029.98', createdAt: at(0) },
      { type: 'OrderCancelled', version: 1, orderId, userId: 1, cancelledAt: at(1) },
      // A retried activity may enqueue its event twice; the relay passes both on, in order.
      { type: 'OrderCancelled', version: 1, orderId, userId: 1, cancelledAt: at(2) },
    ];
    await enqueue(events);

    const logged: { level: number; msg: string }[] = [];
    const capture = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
    const unreachable = createKafka(testConfig({ KAFKA_BROKERS: '127.0.0.1:1' }), quiet, {
      connectionTimeout: 500,
      retry: { retries: 1, initialRetryTime: 100 },
    });
    const offline = await relay({ kafka: unreachable, log: capture });
    const pending = await eventually(
      () => rowsOf(orderId),
      (rows) => rows.length === 3 && rows.every((r) => r.attempts >= 2),
      { what: 'two failed attempts recorded' },
    );
    await offline.stop();
    expect(pending.every((r) => r.sent_at === null && /ECONNREFUSED/.test(r.last_error ?? ''))).toBe(true);
    expect(pending.map((r) => r.trace_context)).toEqual([null, null, null]);
    // Two or more failed rounds, one warning: an outage is reported once, not per retry.
    expect(logged.filter((l) => l.level === 40).map((l) => l.msg)).toEqual([expect.stringContaining('cannot publish')]);

    const online = await relay();
    const sent = await eventually(
      () => rowsOf(orderId),
      (rows) => rows.every((r) => r.sent_at !== null),
      { what: 'rows marked sent' },
    );
    expect(sent.map((r) => r.id)).toEqual(pending.map((r) => r.id));
    expectPublishedInOrder(await readAll(orderId), events, sent);
    await online.stop();
  });

  it('when two relays run at once, then every row is published exactly once', async () => {
    // No relay crashes here, so nothing is re-published: at-least-once delivery is observably exactly once.
    await Promise.all([relay({ batchSize: 7 }), relay({ batchSize: 7 })]);
    const orderId = newOrderId();
    const events = Array.from({ length: 50 }, (_, i) => eventNo(orderId, i));
    // Several commits, so rows arrive while both relays are polling.
    for (let i = 0; i < events.length; i += 10) await enqueue(events.slice(i, i + 10));

    const sent = await eventually(
      () => rowsOf(orderId),
      (rows) => rows.length === 50 && rows.every((r) => r.sent_at !== null),
      { what: 'all 50 rows marked sent' },
    );
    expectPublishedInOrder(await readAll(orderId), events, sent);
  });
});
