// Dead letters from end to end on the real broker, database and Temporal dev server: a real consumer dead-letters a
// message, the recorder stores it, an admin lists it and redrives it through the API, and the message is consumed
// again from its source topic; one that fails again goes back to 'dead' on the same entry. The topics sit under a
// sub-prefix of this file's own inside the run's prefix (so the recorder reads only this file's dead letters), the
// groups are this file's own, and the order ids are a block no other file uses.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { createApp } from '../../src/api/app.ts';
import { startDeadLetterRecorder } from '../../src/dead-letters/dead-letter-recorder.ts';
import { lazyPublisher } from '../../src/dead-letters/redrive.service.ts';
import { startBridge } from '../../src/bridge/bridge.ts';
import { ensureTopics } from '../../src/messaging/admin.ts';
import { PermanentError, startConsumer, type RunningConsumer } from '../../src/messaging/consumer.ts';
import type { ReasonCode } from '../../src/messaging/consuming/dead-letters.ts';
import { createKafka, Partitioners, type Admin, type Producer } from '../../src/messaging/kafka.ts';
import { allTopics, consumerGroup, deadLetterTopics, TOPICS } from '../../src/messaging/topics.ts';
import type { OrderWorkflows } from '../../src/orders/order-status-requests.ts';
import { startTestApi, type TestApi } from '../helpers/api.ts';
import { testConfig, testLogger } from '../helpers/config.ts';
import { eventually } from '../helpers/eventually.ts';
import { topicReaders, type CollectedMessage } from '../helpers/kafka.ts';
import { startTestSaga, type TestSaga } from '../helpers/saga.ts';
import { ISO_UTC, sql } from './api/support.ts';

const config = testConfig();
const log = testLogger(config);
const kafka = createKafka(config, log);
const run = `dead-letters-${process.pid}-${Date.now()}`;
const prefix = `${config.KAFKA_TOPIC_PREFIX}${run}.`;
const source = prefix + TOPICS.orderCompleted;
const groups = [`${run}-consumer`, `${run}-bridge`, `${run}-recorder-again`, consumerGroup('deadLetterRecorder', prefix)];
/** Order ids of this file only (the test database's own orders stay far below). */
const base = 1_600_000_000 + (process.pid % 1000) * 1000;

type Entry = { id: number; reason: string; reasonCode: string; attempts: number; state: string; redrivenAt: string | null } & Record<
  string,
  unknown
>;

let api: TestApi;
let app: ReturnType<typeof createApp>;
let adminToken: string;
let adminId: number;
let kafkaAdmin: Admin;
let producer: Producer;
let redriveProducer: Producer;
const running: RunningConsumer[] = [];
const readers = topicReaders(kafka, run);
let sourceMessages: CollectedMessage[];

/** Failures the test consumer throws per order, in order; once none are left, the message is handled. */
const script = new Map<number, ReasonCode[]>();
const handled: number[] = [];
const deliveries: number[] = [];

const noWorkflows: OrderWorkflows = {
  request: () => Promise.reject(new Error('no saga here')),
  timeline: () => Promise.reject(new Error('no saga here')),
};

beforeAll(async () => {
  api = await startTestApi();
  await ensureTopics(kafka, { partitions: 2, topics: allTopics(prefix) });
  kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  redriveProducer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await Promise.all([producer.connect(), redriveProducer.connect()]);
  app = createApp({
    orm: api.orm,
    config: api.config,
    log,
    probes: {},
    workflows: noWorkflows,
    redrivePublish: lazyPublisher(async () => redriveProducer),
  });
  adminToken = await api.login('admin@example.com', 'Password123!');
  adminId = (await sql<{ id: number }>(api, `select id from users where email = 'admin@example.com'`))[0]!.id;
  running.push(await startDeadLetterRecorder({ orm: api.orm, kafka, log, topicPrefix: prefix, maxBackoffMs: 200 }));
  running.push(
    await startConsumer({
      kafka,
      groupId: `${run}-consumer`,
      topics: [source],
      schema: z.object({ orderId: z.number().int(), n: z.number().int() }),
      log,
      maxBackoffMs: 50,
      handle: async ({ orderId }) => {
        deliveries.push(orderId);
        const code = script.get(orderId)?.shift();
        if (code) throw new PermanentError(`scripted ${code} for order ${orderId}`, code);
        handled.push(orderId);
      },
    }),
  );
  sourceMessages = await readers.collect(source);
});
afterAll(async () => {
  await Promise.all([...running.map((r) => r.stop()), readers.close()]);
  await Promise.all([producer?.disconnect(), redriveProducer?.disconnect()]);
  await kafkaAdmin?.deleteGroups([...groups, ...readers.groups]).catch(() => undefined);
  await kafkaAdmin?.deleteTopics({ topics: allTopics(prefix) }).catch(() => undefined);
  await kafkaAdmin?.disconnect();
  await api?.close();
});

async function call<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { authorization: `Bearer ${adminToken}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await app.request(path, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
  return { status: res.status, body: (await res.json()) as T };
}
const entriesOf = async (orderId: number) => (await call<Entry[]>('GET', `/api/admin/dead-letters?orderId=${orderId}`)).body;
const recorded = (orderId: number, accept: (entries: Entry[]) => boolean = (e) => e.length === 1) =>
  eventually(() => entriesOf(orderId), accept, { what: `the dead letter of order ${orderId} recorded` });
const endOffset = async (topic: string) => (await kafkaAdmin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
const auditsOf = (id: number) =>
  sql<{ actor: string; count: number; ids: string[]; filter: unknown }>(
    api,
    'select actor, count, ids, filter from dead_letter_redrives where ? = any(ids) order by id',
    [id],
  );
const publish = (topic: string, key: number, value: unknown) =>
  producer.send({ topic, acks: -1, messages: [{ key: String(key), value: JSON.stringify(value) }] });

describe('a dead letter, recorded and redriven', () => {
  it('when a message fails for good once, then it is recorded, a dry run changes nothing, a redrive has it handled, and a second redrive sends nothing', async () => {
    const orderId = base + 1;
    script.set(orderId, ['unknown_user']);
    await publish(source, orderId, { orderId, n: 1 });

    const [entry] = await recorded(orderId);
    expect(entry).toEqual({
      id: expect.any(Number),
      topic: 'order-completed-events',
      reason: `scripted unknown_user for order ${orderId}`,
      reasonCode: 'unknown_user',
      orderId,
      firstFailedAt: expect.stringMatching(ISO_UTC),
      lastFailedAt: entry!.firstFailedAt,
      attempts: 1,
      state: 'dead',
      redrivenAt: null,
      message: {
        key: String(orderId),
        value: JSON.stringify({ orderId, n: 1 }),
        headers: expect.objectContaining({
          'dlq-reason': `scripted unknown_user for order ${orderId}`,
          'dlq-reason-code': 'unknown_user',
          'dlq-topic': source,
          'dlq-failed-at': entry!.firstFailedAt,
        }),
      },
    });
    const id = entry!.id;

    const dry = await call('POST', '/api/admin/dead-letters/redrive', { orderIds: [orderId], dryRun: true });
    expect(dry).toEqual({ status: 200, body: { dryRun: true, count: 1, ids: [id], more: false } });
    expect((await entriesOf(orderId))[0]).toEqual(entry);
    expect(await auditsOf(id)).toEqual([]);

    const sourceEnd = await endOffset(source);
    const real = await call('POST', '/api/admin/dead-letters/redrive', { orderIds: [orderId] });
    expect(real).toEqual({ status: 200, body: { dryRun: false, count: 1, ids: [id], more: false } });
    expect(await endOffset(source)).toBe(sourceEnd + 1);
    await eventually(
      async () => handled,
      (h) => h.includes(orderId),
      { what: `order ${orderId} handled after the redrive` },
    );
    const redriven = await eventually(
      async () => sourceMessages.filter((m) => m.key === String(orderId)),
      (m) => m.length === 2,
      { what: 'the redriven message read from the source topic' },
    );
    expect(redriven[1]!.value).toBe(JSON.stringify({ orderId, n: 1 }));
    expect(redriven[1]!.headers).toEqual({ 'dlq-redrive-of': String(id), 'dlq-redriven-at': expect.stringMatching(ISO_UTC) });
    expect((await entriesOf(orderId))[0]).toEqual({ ...entry, state: 'redriven', redrivenAt: expect.stringMatching(ISO_UTC) });

    const again = await call('POST', '/api/admin/dead-letters/redrive', { orderIds: [orderId] });
    expect(again).toEqual({ status: 200, body: { dryRun: false, count: 0, ids: [], more: false } });
    expect(await endOffset(source)).toBe(sourceEnd + 1);
    expect(await auditsOf(id)).toEqual([
      { actor: `user:${adminId}:admin@example.com`, count: 1, ids: [String(id)], filter: { orderIds: [orderId] } },
    ]);
    expect(deliveries.filter((d) => d === orderId)).toHaveLength(2);
  });

  it('when a redriven message fails again with another reason, then its entry is dead again with 2 attempts and the new reason, and no second entry exists', async () => {
    const orderId = base + 2;
    script.set(orderId, ['unknown_user', 'unknown_order_or_user']);
    await publish(source, orderId, { orderId, n: 2 });
    const [entry] = await recorded(orderId);

    const res = await call('POST', '/api/admin/dead-letters/redrive', { orderIds: [orderId], topic: 'order-completed-events' });
    expect(res.body).toEqual({ dryRun: false, count: 1, ids: [entry!.id], more: false });

    const [after, ...others] = await recorded(orderId, (e) => e[0]?.attempts === 2);
    expect(others).toEqual([]);
    expect(after).toEqual(
      expect.objectContaining({
        id: entry!.id,
        attempts: 2,
        state: 'dead',
        reasonCode: 'unknown_order_or_user',
        reason: `scripted unknown_order_or_user for order ${orderId}`,
        firstFailedAt: entry!.firstFailedAt,
        redrivenAt: expect.stringMatching(ISO_UTC),
      }),
    );
    expect(Date.parse(after!.lastFailedAt as string)).toBeGreaterThanOrEqual(Date.parse(entry!.firstFailedAt as string));
    expect(handled).not.toContain(orderId);
  });

  it('when the dead letters are read again from the beginning, then nothing is stored or counted twice', async () => {
    const before = await sql<{ id: string; attempts: number }>(
      api,
      'select id, attempts from dead_letters where order_id between ? and ? order by id',
      [base, base + 999],
    );
    expect(before.length).toBeGreaterThanOrEqual(2);
    const deadLettersWritten = (await Promise.all(deadLetterTopics(prefix).map(endOffset))).reduce((a, b) => a + b, 0);
    expect(deadLettersWritten).toBeGreaterThanOrEqual(3);
    const groupId = `${run}-recorder-again`;
    running.push(await startDeadLetterRecorder({ orm: api.orm, kafka, log, topicPrefix: prefix, groupId }));

    const readToTheEnd = async () => {
      const topics = deadLetterTopics(prefix);
      const ends = await Promise.all(topics.map((t) => kafkaAdmin.fetchTopicOffsets(t)));
      const committed = await kafkaAdmin.fetchOffsets({ groupId, topics });
      return topics.every((topic, i) =>
        ends[i]!.every(({ partition, high }) => {
          const offset = committed.find((c) => c.topic === topic)?.partitions.find((p) => p.partition === partition)?.offset;
          return high === '0' || offset === high;
        }),
      );
    };
    await eventually(readToTheEnd, Boolean, { what: 'the second recorder at the end of every dead-letter topic' });

    expect(
      await sql<{ id: string; attempts: number }>(api, 'select id, attempts from dead_letters where order_id between ? and ? order by id', [
        base,
        base + 999,
      ]),
    ).toEqual(before);
  });
});

describe('a redriven OrderCreated through the real bridge', () => {
  let saga: TestSaga;
  let bridge: RunningConsumer;
  beforeAll(async () => {
    saga = await startTestSaga(api.orm, api.config);
    bridge = await startBridge({ kafka, workflows: saga.workflows, log, topicPrefix: prefix, groupId: `${run}-bridge` });
    running.push(bridge);
  });
  afterAll(async () => {
    await bridge?.stop();
    await saga?.stop();
  });

  it('when its order no longer exists and its workflow id belongs to an earlier run, then it is dead-lettered again with its reason, and the bridge keeps running', async () => {
    // What a database reset leaves behind: no order row, and a closed workflow of an earlier order with the same id.
    const orderId = base + 10;
    const event = { type: 'OrderCreated', version: 1, orderId, userId: 1, total: '10.00' };
    await publish(prefix + TOPICS.orderCreated, orderId, { ...event, createdAt: '2026-01-01T00:00:00.000Z' });
    const earlier = saga.client.workflow.getHandle(saga.workflows.workflowId(orderId));
    await eventually(
      async () => (await earlier.describe()).status.name,
      (status) => status === 'COMPLETED',
      { what: `the workflow of the missing order ${orderId} closed` },
    );
    await publish(prefix + TOPICS.orderCreated, orderId, { ...event, createdAt: '2026-02-01T00:00:00.000Z' });
    const [entry] = await recorded(orderId);
    expect(entry).toEqual(expect.objectContaining({ topic: 'order-created-events', reasonCode: 'workflow_id_taken', attempts: 1 }));

    const res = await call('POST', '/api/admin/dead-letters/redrive', { orderIds: [orderId], reason: 'workflow_id_taken' });
    expect(res.body).toEqual({ dryRun: false, count: 1, ids: [entry!.id], more: false });

    const [after] = await recorded(orderId, (e) => e[0]?.attempts === 2);
    expect(after).toEqual(expect.objectContaining({ id: entry!.id, state: 'dead', reasonCode: 'workflow_id_taken', attempts: 2 }));
    expect(after!.reason).toMatch(/belongs to an earlier order with the same id/);
    expect(bridge.loopState(60_000)).toEqual({ ok: true });
  });
});
