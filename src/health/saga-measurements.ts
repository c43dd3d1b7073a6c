// What the saga's health is measured from, once: the outbox backlog, open orders by status, each consumer group's lag
// per partition, and the order task queue's backlog in Temporal. GET /health/saga (saga-health.ts) and the saga-state
// gauges (saga-state.ts) both read these, so the two can never disagree on what a backlog is.
//
// Bounded cost: the outbox's unsent rows through its partial index; one grouped scan of orders, the outbox consulted
// only for open ones; one short-lived Kafka admin connection; one DescribeTaskQueue call.
import type { Client } from '@temporalio/client';
import type { Orm } from '../db/orm.ts';
import { OPEN_STATUSES } from '../domain/order-lifecycle.ts';
import { measured } from '../lib/deadline.ts';
import type { Kafka } from '../messaging/kafka.ts';
import { consumerGroup, OUTCOME_TOPICS, TOPICS } from '../messaging/topics.ts';

export type OutboxBacklog = { pending: number; oldestAgeSeconds: number };

/** Unsent outbox rows and the age of the oldest (0 when none). */
export async function outboxBacklog(orm: Orm): Promise<OutboxBacklog> {
  const [row] = await orm.em
    .getConnection()
    .execute<{ pending: number; age: number | null }[]>(
      'select count(*)::int as pending, extract(epoch from now() - min(created_at))::float8 as age from outbox where sent_at is null',
    );
  return { pending: row?.pending ?? 0, oldestAgeSeconds: Math.max(0, row?.age ?? 0) };
}

export type OrdersByStatus = Array<{ status: string; count: number; oldestAgeSeconds: number | null }>;

/**
 * Orders per status, and for open statuses the age of the oldest among those that entered the saga (their
 * OrderCreated is in the outbox, written in the same transaction as the order): the seeded demo orders never did and
 * would otherwise read as a stuck saga forever. The existence check runs only for open orders (idx_outbox_order_id).
 */
export function ordersByStatus(orm: Orm): Promise<OrdersByStatus> {
  return orm.em.getConnection().execute<OrdersByStatus>(
    `select o.status, count(*)::int as count,
            extract(epoch from now() - min(o.created_at) filter (
              where o.status in (${OPEN_STATUSES.map((st) => `'${st}'`).join(', ')})
                and exists (select 1 from outbox x where x.order_id = o.id and x.topic = ?)))::float8 as "oldestAgeSeconds"
       from orders o group by o.status`,
    [TOPICS.orderCreated],
  );
}

/** The consumer groups and the topics each consumes, as the bridge and notifier subscribe. */
export function consumedTopics(topicPrefix: string): Array<{ group: string; topics: string[] }> {
  return [
    { group: consumerGroup('bridge', topicPrefix), topics: [topicPrefix + TOPICS.orderCreated] },
    { group: consumerGroup('notifier', topicPrefix), topics: OUTCOME_TOPICS.map((t) => topicPrefix + t) },
  ];
}

export type PartitionLag = { group: string; topic: string; partition: number; lag: number };
export type KafkaAdminRetry = { retries: number; initialRetryTime: number; maxRetryTime: number };

/** Messages of each partition a group has not consumed yet: end offset minus the group's committed offset. */
export async function consumerLags(
  kafka: Kafka,
  groups: Array<{ group: string; topics: string[] }>,
  retry?: KafkaAdminRetry,
): Promise<PartitionLag[]> {
  const admin = kafka.admin(retry ? { retry } : undefined);
  await admin.connect();
  try {
    const topics = groups.flatMap((g) => g.topics);
    const [ends, committed] = await Promise.all([
      Promise.all(topics.map(async (topic) => ({ topic, offsets: await admin.fetchTopicOffsets(topic) }))),
      Promise.all(groups.map(async (g) => ({ group: g.group, offsets: await admin.fetchOffsets({ groupId: g.group, topics: g.topics }) }))),
    ]);
    const endOf = new Map(ends.map((e) => [e.topic, e.offsets]));
    const lags: PartitionLag[] = [];
    for (const { group, offsets } of committed) {
      for (const { topic, partitions } of offsets) {
        const done = new Map(partitions.map((p) => [p.partition, Number(p.offset)]));
        for (const end of endOf.get(topic) ?? []) {
          // No committed offset yet (-1): everything from the earliest retained message is still to consume.
          const at = done.get(end.partition) ?? -1;
          lags.push({ group, topic, partition: end.partition, lag: Math.max(0, Number(end.high) - (at < 0 ? Number(end.low) : at)) });
        }
      }
    }
    return lags;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export type TaskQueueBacklog = { backlog: number; oldestAgeSeconds: number; pollers: number };

/** Workflow tasks waiting on the task queue, the age of the oldest, and how many workers poll it. */
export async function workflowTaskBacklog(temporal: Client, namespace: string, taskQueue: string): Promise<TaskQueueBacklog> {
  const res = await temporal.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueue },
    taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
    reportStats: true,
  });
  const age = res.stats?.approximateBacklogAge;
  return {
    backlog: Number(res.stats?.approximateBacklogCount ?? 0),
    oldestAgeSeconds: Number(age?.seconds ?? 0) + (age?.nanos ?? 0) / 1e9,
    pollers: res.pollers?.length ?? 0,
  };
}

export type BacklogDeps = { orm: Orm; kafka: Kafka; temporal: Client; topicPrefix: string; namespace: string; taskQueue: string };

/** The three flow backlogs admission control watches, each under its own deadline (a failed one is unknown). */
export function backlogMeter({ orm, kafka, temporal, topicPrefix, namespace, taskQueue }: BacklogDeps, deadlineMs = 3000) {
  const [bridgeGroup] = consumedTopics(topicPrefix);
  return async () => {
    const [outboxAgeSeconds, bridgeLag, taskAgeSeconds] = await Promise.all([
      measured(async () => (await outboxBacklog(orm)).oldestAgeSeconds, deadlineMs),
      measured(async () => (await consumerLags(kafka, [bridgeGroup!])).reduce((sum, l) => sum + l.lag, 0), deadlineMs),
      measured(async () => (await workflowTaskBacklog(temporal, namespace, taskQueue)).oldestAgeSeconds, deadlineMs),
    ]);
    return { outboxAgeSeconds, bridgeLag, taskAgeSeconds };
  };
}
