// Two environments on one broker, told apart only by their prefix (as a developer's `npm run stack` and a test run
// are): each environment's consumers get their own group id, so each handles exactly its own events and never
// starves the other's partitions. A group that is shared anyway is detected from its members' subscriptions.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { ensureTopics } from '../../src/messaging/admin.ts';
import { startConsumer, type RunningConsumer } from '../../src/messaging/consumer.ts';
import { membersWithOtherTopics } from '../../src/messaging/group-members.ts';
import { createKafka, Partitioners, type Admin, type Consumer, type Producer } from '../../src/messaging/kafka.ts';
import { allTopics, consumerGroup, TOPICS } from '../../src/messaging/topics.ts';
import { testConfig, testLogger } from '../helpers/config.ts';
import { eventually } from '../helpers/eventually.ts';

const config = testConfig();
const log = testLogger(config);
const kafka = createKafka(config, log);
const run = `isolation-${process.pid}-${Date.now()}`;
const environments = [`${run}-a.`, `${run}-b.`];
const Event = z.object({ env: z.string(), n: z.number().int() });

let admin: Admin;
let producer: Producer;
const cleanup: Array<() => Promise<void>> = [];

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await ensureTopics(kafka, { partitions: 3, topics: environments.flatMap((prefix) => allTopics(prefix)) });
});
afterAll(async () => {
  await Promise.all(cleanup.map((stop) => stop()));
  await producer.disconnect();
  const groups = environments.flatMap((prefix) => [consumerGroup('bridge', prefix), consumerGroup('notifier', prefix)]);
  await admin.deleteGroups([...groups, `${run}-shared`]).catch(() => undefined);
  await admin.deleteTopics({ topics: environments.flatMap((prefix) => allTopics(prefix)) }).catch(() => undefined);
  await admin.disconnect();
});

describe('environments sharing a broker', () => {
  it('when two environments differ only in their prefix, then their consumer groups differ too', () => {
    const [a, b] = environments as [string, string];
    expect(consumerGroup('bridge', a)).not.toBe(consumerGroup('bridge', b));
    expect(consumerGroup('notifier', a)).not.toBe(consumerGroup('notifier', b));
    expect(consumerGroup('bridge')).toBe('order-processing-group');
    expect(consumerGroup('notifier')).toBe('notification-group');
  });

  it('when both run two consumers of the same role, then each environment handles exactly its own events', async () => {
    const handled = new Map(environments.map((prefix) => [prefix, [] as Array<z.infer<typeof Event>>]));
    for (const prefix of environments) {
      for (let member = 0; member < 2; member++) {
        const consumer: RunningConsumer = await startConsumer({
          kafka,
          log,
          groupId: consumerGroup('bridge', prefix),
          topics: [prefix + TOPICS.orderCreated],
          schema: Event,
          handle: async (event) => void handled.get(prefix)!.push(event),
        });
        cleanup.push(consumer.stop);
      }
    }
    const perEnvironment = 12;
    for (const prefix of environments) {
      await producer.send({
        topic: prefix + TOPICS.orderCreated,
        acks: -1,
        messages: Array.from({ length: perEnvironment }, (_, n) => ({ key: String(n), value: JSON.stringify({ env: prefix, n }) })),
      });
    }
    for (const prefix of environments) {
      const events = await eventually(
        async () => handled.get(prefix)!,
        (list) => list.length >= perEnvironment,
        { timeoutMs: 45_000, what: `${prefix} events handled` },
      );
      expect(events.every((e) => e.env === prefix)).toBe(true);
      expect(new Set(events.map((e) => e.n)).size).toBe(perEnvironment);
    }
  });

  it('when a group is shared by consumers of different topics, then each member sees the other as foreign', async () => {
    const groupId = `${run}-shared`;
    const [topicA, topicB] = environments.map((prefix) => prefix + TOPICS.orderCompleted) as [string, string];
    const members: Consumer[] = [];
    for (const topic of [topicA, topicB]) {
      const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async () => undefined });
      members.push(consumer);
      cleanup.push(() => consumer.disconnect());
    }
    const foreign = await eventually(
      () => membersWithOtherTopics(members[0]!, [topicA]),
      (list) => list.length === 1,
      { timeoutMs: 45_000, what: 'the other member listed' },
    );
    expect(foreign[0]!.topics).toEqual([topicB]);
    expect(await membersWithOtherTopics(members[1]!, [topicB])).toEqual([expect.objectContaining({ topics: [topicA] })]);
  });
});
