// The saga's backlog as the operator console shows it: the outbox (unsent rows, the oldest one's age), each consumer
// group's lag (bridge and notifier) and the order task queue (backlog, oldest task's age, pollers). The figures come
// from the measurements GET /health/saga and the saga-state gauges use (saga-measurements.ts), each under its own
// deadline, a failed one reported as `{ error }`. Consoles poll every few seconds, so one measurement is shared by the
// requests of SNAPSHOT_TTL_MS.
import type { Client } from '@temporalio/client';
import type { Orm } from '../db/orm.ts';
import { measured, type Measured } from '../lib/deadline.ts';
import type { Kafka } from '../messaging/kafka.ts';
import {
  consumedTopics,
  consumerLags,
  outboxBacklog,
  workflowTaskBacklog,
  type OutboxBacklog,
  type TaskQueueBacklog,
} from './saga-measurements.ts';

const MEASURE_TIMEOUT_MS = 3000;
const SNAPSHOT_TTL_MS = 2000;

type Failed = { error: string };
export type SagaBacklog = {
  outbox: OutboxBacklog | Failed;
  consumerLag: { bridge: number; notifier: number } | Failed;
  workflowTasks: TaskQueueBacklog | Failed;
  measuredAt: string;
};

export type SagaBacklogDeps = { orm: Orm; kafka: Kafka; temporal: Client; topicPrefix: string; namespace: string; taskQueue: string };

const reported = <T extends object>(m: Measured<T>): T | Failed => (m.ok ? m.value : { error: m.error });

export function sagaBacklog({ orm, kafka, temporal, topicPrefix, namespace, taskQueue }: SagaBacklogDeps): () => Promise<SagaBacklog> {
  const [bridge, notifier] = consumedTopics(topicPrefix);
  const lagOf = async () => {
    const lags = await consumerLags(kafka, [bridge!, notifier!]);
    const total = (group: string) => lags.filter((l) => l.group === group).reduce((sum, l) => sum + l.lag, 0);
    return { bridge: total(bridge!.group), notifier: total(notifier!.group) };
  };
  const measure = async (): Promise<SagaBacklog> => {
    const [outbox, consumerLag, workflowTasks] = await Promise.all([
      measured(() => outboxBacklog(orm), MEASURE_TIMEOUT_MS),
      measured(lagOf, MEASURE_TIMEOUT_MS),
      measured(() => workflowTaskBacklog(temporal, namespace, taskQueue), MEASURE_TIMEOUT_MS),
    ]);
    return {
      outbox: reported(outbox),
      consumerLag: reported(consumerLag),
      workflowTasks: reported(workflowTasks),
      measuredAt: new Date().toISOString(),
    };
  };
  let cached: { at: number; taken: Promise<SagaBacklog> } | undefined;
  return () => {
    const now = Date.now();
    if (!cached || now - cached.at > SNAPSHOT_TTL_MS) cached = { at: now, taken: measure() };
    return cached.taken;
  };
}
