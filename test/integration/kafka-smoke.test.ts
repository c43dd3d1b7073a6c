// Real Kafka broker: a message produced to a topic is consumed by a consumer group whose offset is committed.
import { afterAll, describe, expect, it } from '@jest/globals';
import { createKafka, Partitioners, type Consumer } from '../../src/messaging/kafka.ts';
import { testConfig, testLogger } from '../helpers/config.ts';
import { eventually } from '../helpers/eventually.ts';

describe('Kafka broker', () => {
  const config = testConfig();
  const kafka = createKafka(config, testLogger(config));
  const topic = `smoke-${process.pid}-${Date.now()}`;
  const groupId = `smoke-group-${process.pid}-${Date.now()}`;
  let consumer: Consumer | undefined;

  afterAll(async () => {
    await consumer?.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('when a message is produced, then a consumer group receives it and commits its offset', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'order-1', value: 'hello' }] });
    await producer.disconnect();

    const received: string[] = [];
    consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic: t, partition, message }) => {
        received.push(String(message.value));
        await consumer!.commitOffsets([{ topic: t, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
      },
    });

    await eventually(
      async () => received,
      (r) => r.length === 1,
      { what: 'message consumed' },
    );
    expect(received).toEqual(['hello']);
    const offsets = await eventually(
      () => admin.fetchOffsets({ groupId, topics: [topic] }),
      (o) => o[0]?.partitions[0]?.offset === '1',
      { what: 'offset committed' },
    );
    expect(offsets[0]?.partitions[0]?.offset).toBe('1');
    await admin.disconnect();
  });
});
