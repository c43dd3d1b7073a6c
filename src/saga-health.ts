// How far behind the saga is, for GET /health/saga: the oldest OrderCreated not yet on Kafka (relay), the messages the
// bridge has not yet turned into workflows (consumer lag), and the age of the oldest task waiting on the order task
// queue plus whether any worker polls it (Temporal). /ready says whether this process can reach its dependencies;
// this says whether orders are flowing. Each measurement has its own deadline; one that fails is reported unknown.
import type { Client } from '@temporalio/client';
import type { Orm } from './db/orm.ts';
import type { Kafka } from './messaging/kafka.ts';
import { consumerGroup, TOPICS } from './messaging/topics.ts';

export type SagaThresholds = { outboxAgeSeconds: number; bridgeLag: number; taskAgeSeconds: number };
export type SagaMeasurements = {
  outbox: { pending: number; oldestAgeSeconds: number } | { error: string };
  bridge: { lag: number } | { error: string };
  workflowTasks: { backlog: number; oldestAgeSeconds: number; pollers: number } | { error: string };
};
export type SagaHealthReport = SagaMeasurements & { status: 'ok' | 'degraded'; reasons: string[] };

const MEASURE_TIMEOUT_MS = 3000;

async function measure<T extends object>(work: () => Promise<T>): Promise<T | { error: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${MEASURE_TIMEOUT_MS} ms`)), MEASURE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work(), timeout]);
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** Degraded when any measurement is over its threshold, failed, or no worker polls the task queue. */
export function assessSaga(m: SagaMeasurements, limits: SagaThresholds): SagaHealthReport {
  const reasons: string[] = [];
  for (const [name, value] of Object.entries(m)) if ('error' in value) reasons.push(`${name}: ${value.error}`);
  if ('oldestAgeSeconds' in m.outbox && m.outbox.oldestAgeSeconds > limits.outboxAgeSeconds) {
    reasons.push(`outbox: oldest unsent event is ${m.outbox.oldestAgeSeconds} s old (limit ${limits.outboxAgeSeconds} s)`);
  }
  if ('lag' in m.bridge && m.bridge.lag > limits.bridgeLag) {
    reasons.push(`bridge: ${m.bridge.lag} OrderCreated events not yet consumed (limit ${limits.bridgeLag})`);
  }
  if ('pollers' in m.workflowTasks) {
    if (m.workflowTasks.pollers === 0) reasons.push('workflowTasks: no worker polls the task queue');
    if (m.workflowTasks.oldestAgeSeconds > limits.taskAgeSeconds) {
      reasons.push(`workflowTasks: oldest task waits ${m.workflowTasks.oldestAgeSeconds} s (limit ${limits.taskAgeSeconds} s)`);
    }
  }
  return { status: reasons.length === 0 ? 'ok' : 'degraded', reasons, ...m };
}

export type SagaHealthDeps = {
  orm: Orm;
  kafka: Kafka;
  temporal: Client;
  topicPrefix: string;
  taskQueue: string;
  namespace: string;
  thresholds: SagaThresholds;
};

export function sagaHealth({ orm, kafka, temporal, topicPrefix, taskQueue, namespace, thresholds }: SagaHealthDeps) {
  const outbox = async () => {
    const [row] = await orm.em
      .getConnection()
      .execute<{ pending: number; age: number | null }[]>(
        'select count(*)::int as pending, extract(epoch from now() - min(created_at))::float8 as age from outbox where sent_at is null',
      );
    return { pending: row?.pending ?? 0, oldestAgeSeconds: Math.round(row?.age ?? 0) };
  };
  const bridge = async () => {
    const topic = topicPrefix + TOPICS.orderCreated;
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [ends, [committed]] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId: consumerGroup('bridge', topicPrefix), topics: [topic] }),
      ]);
      const done = new Map(committed?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
      const lag = ends.reduce((sum, p) => {
        const at = done.get(p.partition) ?? -1;
        return sum + Number(p.high) - (at < 0 ? Number(p.low) : at);
      }, 0);
      return { lag };
    } finally {
      await admin.disconnect();
    }
  };
  const workflowTasks = async () => {
    const res = await temporal.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
      reportStats: true,
    });
    const age = res.stats?.approximateBacklogAge;
    return {
      backlog: Number(res.stats?.approximateBacklogCount ?? 0),
      oldestAgeSeconds: Math.round(Number(age?.seconds ?? 0) + (age?.nanos ?? 0) / 1e9),
      pollers: res.pollers?.length ?? 0,
    };
  };
  return async (): Promise<SagaHealthReport> => {
    const [o, b, w] = await Promise.all([measure(outbox), measure(bridge), measure(workflowTasks)]);
    return assessSaga({ outbox: o, bridge: b, workflowTasks: w }, thresholds);
  };
}
