// The saga's health measurements against the real services: unsent outbox rows and their age (PostgreSQL), the
// bridge group's lag on its topic (Kafka), and the workflow task queue's pollers (Temporal dev server).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { initOrm, type Orm } from '../../src/db/orm.ts';
import { ensureTopics } from '../../src/messaging/admin.ts';
import { createKafka, Partitioners, type Admin } from '../../src/messaging/kafka.ts';
import { allTopics, TOPICS } from '../../src/messaging/topics.ts';
import { sagaHealth } from '../../src/health/saga-health.ts';
import { connectTemporal } from '../../src/temporal/connection.ts';
import type { Client } from '@temporalio/client';
import { testConfig, testLogger } from '../helpers/config.ts';
import { eventually } from '../helpers/eventually.ts';
import { startTestSaga, type TestSaga } from '../helpers/saga.ts';

const config = testConfig();
const kafka = createKafka(config, testLogger(config));
const prefix = `saga-health-${process.pid}-${Date.now()}.`;
const limits = { outboxAgeSeconds: 60, bridgeLag: 2, taskAgeSeconds: 60 };

let orm: Orm;
let admin: Admin;
let temporal: Client;
let saga: TestSaga;
let outboxRowId: number;
const healthOf = (taskQueue: string) =>
  sagaHealth({ orm, kafka, temporal, topicPrefix: prefix, taskQueue, namespace: config.TEMPORAL_NAMESPACE, thresholds: limits });

beforeAll(async () => {
  orm = await initOrm(config);
  temporal = await connectTemporal(config);
  saga = await startTestSaga(orm, config);
  admin = kafka.admin();
  await admin.connect();
  await ensureTopics(kafka, { partitions: 2, topics: allTopics(prefix) });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await producer.send({ topic: prefix + TOPICS.orderCreated, messages: ['1', '2', '3'].map((key) => ({ key, value: '{}' })) });
  await producer.disconnect();
  // An event that has waited two minutes for the relay. Its order id names no order: no relay runs in this file, and
  // the row is removed again below.
  const [row] = await orm.em
    .getConnection()
    .execute<{ id: number }[]>(
      `insert into outbox (order_id, topic, message_key, payload, created_at) values (0, 'nowhere', '0', '{}', now() - interval '120 seconds') returning id`,
    );
  outboxRowId = row!.id;
});
afterAll(async () => {
  await orm?.em.getConnection().execute('delete from outbox where id = ?', [outboxRowId]);
  await saga?.stop();
  await admin?.deleteTopics({ topics: allTopics(prefix) }).catch(() => undefined);
  await admin?.disconnect();
  await temporal?.connection.close();
  await orm?.close();
});

describe('saga health on the real services', () => {
  it('when an event waits in the outbox and the bridge has consumed nothing, then both are measured and over their limits', async () => {
    const report = await healthOf(`no-worker-${prefix}`)();
    expect(report.outbox).toEqual({ pending: expect.any(Number), oldestAgeSeconds: expect.any(Number) });
    expect((report.outbox as { oldestAgeSeconds: number }).oldestAgeSeconds).toBeGreaterThanOrEqual(120);
    expect(report.bridge).toEqual({ lag: 3 });
    expect(report.status).toBe('degraded');
    expect(report.reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^outbox: oldest unsent event/),
        'bridge: 3 OrderCreated events not yet consumed (limit 2)',
        'workflowTasks: no worker polls the task queue',
      ]),
    );
  });

  it('when a worker polls the task queue, then its poller is seen', async () => {
    const tasks = await eventually(
      async () => (await healthOf(saga.taskQueue)()).workflowTasks,
      (w) => 'pollers' in w && w.pollers > 0,
      { what: 'a poller on the saga task queue' },
    );
    expect(tasks).toEqual({ backlog: expect.any(Number), oldestAgeSeconds: expect.any(Number), pollers: expect.any(Number) });
  });
});
