// The generic consumer loop (src/messaging/consumer.ts) on a real broker, each test on a one-partition topic of its
// own: what goes to the dead-letter topic and why, that a bad message never blocks its partition, that transient
// failures are retried rather than skipped, and that the group's offset only moves past a handled message, also when
// several messages of a partition are handled at once (messagesConcurrently, the bridge's mode).
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { ensureTopics } from '../../src/messaging/admin.ts';
import { startConsumer, type RunningConsumer } from '../../src/messaging/consumer.ts';
import { createKafka, Partitioners, type Admin, type Producer } from '../../src/messaging/kafka.ts';
import { dlqTopic } from '../../src/messaging/topics.ts';
import { testConfig, testLogger } from '../helpers/config.ts';
import { eventually } from '../helpers/eventually.ts';
import { topicReaders } from '../helpers/kafka.ts';

const config = testConfig();
const log = testLogger(config);
const kafka = createKafka(config, log);

const Numbered = z.object({ n: z.number().int() });
type Numbered = z.infer<typeof Numbered>;

let admin: Admin;
let producer: Producer;
const topics: string[] = [];
const groups: string[] = [];
/** Consumers started by the current test, stopped after it (a stopped consumer's stop is a no-op here). */
let running: Array<{ stop: () => Promise<void> }> = [];
let sequence = 0;
/** Readers of the dead-letter topics (a group of their own each), closed once every test is done. */
const readers = topicReaders(kafka, `consumer-loop-test-${process.pid}-${Date.now()}`);

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
});
afterEach(async () => {
  // In parallel: each disconnect waits for its consumer's long-poll fetch to return.
  await Promise.all(running.map((consumer) => consumer.stop()));
  running = [];
});
afterAll(async () => {
  await readers.close();
  await producer.disconnect();
  await admin.deleteGroups([...groups, ...readers.groups]).catch(() => undefined);
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
});

const once = (stop: () => Promise<void>) => {
  let stopped: Promise<void> | undefined;
  return () => (stopped ??= stop());
};

/** A fresh topic (and its DLQ), a consumer group on it running `handle`, and a reader of the DLQ. */
async function harness(handle: (event: Numbered) => Promise<void>, messagesConcurrently?: number) {
  sequence += 1;
  const topic = `consumer-loop-test-${process.pid}-${Date.now()}-${sequence}`;
  const groupId = `${topic}-group`;
  topics.push(topic, dlqTopic(topic));
  groups.push(groupId);
  await ensureTopics(kafka, { topics: [topic, dlqTopic(topic)], partitions: 1 });
  const start = async (handler = handle) => {
    const consumer: RunningConsumer = await startConsumer({
      kafka,
      groupId,
      topics: [topic],
      schema: Numbered,
      handle: handler,
      log,
      maxBackoffMs: 50,
      messagesConcurrently,
    });
    const stop = once(consumer.stop);
    running.push({ stop });
    return stop;
  };
  const stop = await start();
  const deadLetters = await readers.collect(dlqTopic(topic));
  /** Produces raw values in order to partition 0; returns their offsets. */
  const produce = async (values: string[]): Promise<string[]> => {
    const [meta] = await producer.send({ topic, acks: -1, messages: values.map((value) => ({ key: 'k', value, partition: 0 })) });
    return values.map((_, i) => (BigInt(meta!.baseOffset!) + BigInt(i)).toString());
  };
  const committed = async (): Promise<number> => {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Number(offsets!.partitions[0]!.offset);
  };
  const endOffset = async (t: string): Promise<number> => Number((await admin.fetchTopicOffsets(t))[0]!.high);
  return { topic, groupId, stop, start, deadLetters, produce, committed, endOffset };
}

const json = (n: number) => JSON.stringify({ n });

describe('consumer loop: dead letters', () => {
  it('when a message is not JSON, then it lands in the DLQ with reason "not valid JSON" and the next message on the partition is handled', async () => {
    const handled: number[] = [];
    const h = await harness(async (e) => void handled.push(e.n));

    const [badOffset] = await h.produce(['{"n": 1', json(2)]);

    await eventually(
      async () => handled,
      (x) => x.length === 1,
      { what: 'the valid message handled' },
    );
    const dead = await eventually(
      async () => h.deadLetters,
      (d) => d.length === 1,
      { what: 'one dead letter' },
    );
    expect(handled).toEqual([2]);
    expect(dead[0]).toEqual({
      key: 'k',
      value: '{"n": 1',
      headers: {
        'dlq-reason': 'not valid JSON',
        'dlq-reason-code': 'invalid_json',
        'dlq-failed-at': expect.stringMatching(/^\d{4}-\d{2}-\d{2}T.*Z$/),
        'dlq-topic': h.topic,
        'dlq-partition': '0',
        'dlq-offset': badOffset,
      },
    });
  });

  it('when a message does not match the schema, then it lands in the DLQ with a reason naming the field, and the next one is handled', async () => {
    const handled: number[] = [];
    const h = await harness(async (e) => void handled.push(e.n));

    const [badOffset] = await h.produce([JSON.stringify({ n: 'three' }), json(4)]);

    await eventually(
      async () => handled,
      (x) => x.length === 1,
      { what: 'the valid message handled' },
    );
    const dead = await eventually(
      async () => h.deadLetters,
      (d) => d.length === 1,
      { what: 'one dead letter' },
    );
    expect(handled).toEqual([4]);
    expect(dead[0]!.headers).toEqual(expect.objectContaining({ 'dlq-topic': h.topic, 'dlq-offset': badOffset }));
    expect(dead[0]!.headers['dlq-reason']).toMatch(/^schema: n: /);
    expect(dead[0]!.headers['dlq-reason-code']).toBe('invalid_schema');
  });
});

describe('consumer loop: retries', () => {
  it('when the handler fails twice with a plain error, then it is retried and the message is handled exactly once, not dead-lettered', async () => {
    let attempts = 0;
    const handled: number[] = [];
    const h = await harness(async (e) => {
      attempts += 1;
      if (attempts <= 2) throw new Error('database briefly unavailable');
      handled.push(e.n);
    });

    await h.produce([json(5)]);

    await eventually(
      async () => handled,
      (x) => x.length === 1,
      { what: 'the message handled' },
    );
    await eventually(h.committed, (offset) => offset === 1, { what: 'offset committed' });
    await h.stop();
    expect(attempts).toBe(3);
    expect(handled).toEqual([5]);
    expect(await h.endOffset(dlqTopic(h.topic))).toBe(0);
  });

  it('when the consumer stops while the handler still fails, then the offset stays put and the message is redelivered to the group', async () => {
    let failures = 0;
    const h = await harness(async () => {
      failures += 1;
      throw new Error('still failing');
    });

    await h.produce([json(6)]);
    await eventually(
      async () => failures,
      (n) => n >= 1,
      { what: 'a failed attempt' },
    );
    await h.stop();
    expect(await h.committed()).toBeLessThan(1);

    const handled: number[] = [];
    await h.start(async (e) => void handled.push(e.n));
    await eventually(
      async () => handled,
      (x) => x.length === 1,
      { what: 'the message redelivered' },
    );
    expect(handled).toEqual([6]);
    expect(await h.endOffset(dlqTopic(h.topic))).toBe(0);
  });
});

describe('consumer loop: offsets', () => {
  it('when the consumer handled N messages and stopped, then the committed offset is the end offset, and never passed an unhandled message', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let blocked = false;
    const handled: number[] = [];
    const h = await harness(async (e) => {
      if (e.n === 2) {
        blocked = true;
        await gate;
      }
      handled.push(e.n);
    });

    await h.produce([0, 1, 2, 3, 4].map(json));
    await eventually(async () => blocked, Boolean, { what: 'the handler of offset 2 in progress' });
    // The message at offset 2 is not handled yet, so the group may at most resume at it (-1 means nothing committed).
    expect(await h.committed()).toBeLessThanOrEqual(2);
    release();
    await eventually(
      async () => handled,
      (x) => x.length === 5,
      { what: 'all five handled' },
    );
    await h.stop();

    expect(handled).toEqual([0, 1, 2, 3, 4]);
    expect(await h.endOffset(h.topic)).toBe(5);
    expect(await h.committed()).toBe(5);
  });
});

describe('consumer loop: several messages of a partition at once', () => {
  it('when messagesConcurrently is 4 and one message waits, then its neighbours run meanwhile, the offset stays before it, and each message is handled once', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const started = new Set<number>();
    const handled: number[] = [];
    const h = await harness(async (e) => {
      started.add(e.n);
      if (e.n === 1) await gate;
      handled.push(e.n);
    }, 4);

    await h.produce([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(json));
    // Offsets 0-3 form the first group: 3 starts while 1 still waits (one at a time it could not).
    await eventually(
      async () => [...started],
      (x) => [0, 1, 2, 3].every((n) => x.includes(n)),
      { what: 'the first four handlers started together' },
    );
    expect(handled).not.toContain(1);
    expect(await h.committed()).toBeLessThanOrEqual(1);
    expect(started.has(4)).toBe(false); // the next group waits for the whole first one
    release();
    await eventually(
      async () => handled,
      (x) => x.length === 10,
      { what: 'all ten handled' },
    );
    await h.stop();

    expect([...handled].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await h.committed()).toBe(10);
  });

  it('when a message of a group fails twice and another is not JSON, then the first is retried, the second dead-lettered, and the offset reaches the end', async () => {
    let failures = 0;
    const handled: number[] = [];
    const h = await harness(async (e) => {
      if (e.n === 2 && failures < 2) {
        failures += 1;
        throw new Error('transient');
      }
      handled.push(e.n);
    }, 4);

    await h.produce([json(0), json(1), json(2), 'not json', json(4), json(5)]);
    await eventually(
      async () => handled,
      (x) => x.length === 5,
      { what: 'the five valid messages handled' },
    );
    const deadLetters = await eventually(
      async () => h.deadLetters,
      (x) => x.length === 1,
      { what: 'one dead letter' },
    );
    await h.stop();

    expect(failures).toBe(2);
    expect([...handled].sort((a, b) => a - b)).toEqual([0, 1, 2, 4, 5]);
    expect(deadLetters[0]!.headers['dlq-reason']).toBe('not valid JSON');
    expect(await h.committed()).toBe(6);
  });
});
