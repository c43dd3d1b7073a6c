// How far behind the saga is, for GET /health/saga: the oldest OrderCreated not yet on Kafka (relay), the messages the
// bridge has not yet turned into workflows (consumer lag), and the age of the oldest task waiting on the order task
// queue plus whether any worker polls it (Temporal). /ready says whether this process can reach its dependencies;
// this says whether orders are flowing. Each measurement has its own deadline; one that fails is reported unknown.
import type { Client } from '@temporalio/client';
import type { Orm } from '../db/orm.ts';
import { measured, type Measured } from '../lib/deadline.ts';
import type { AdmissionState } from './admission.ts';
import type { Kafka } from '../messaging/kafka.ts';
import { consumedTopics, consumerLags, outboxBacklog, workflowTaskBacklog } from './saga-measurements.ts';

export type SagaThresholds = { outboxAgeSeconds: number; bridgeLag: number; taskAgeSeconds: number };
export type SagaMeasurements = {
  outbox: { pending: number; oldestAgeSeconds: number } | { error: string };
  bridge: { lag: number } | { error: string };
  workflowTasks: { backlog: number; oldestAgeSeconds: number; pollers: number } | { error: string };
};
export type SagaHealthReport = SagaMeasurements & { status: 'ok' | 'degraded'; reasons: string[]; admission?: AdmissionState };

const MEASURE_TIMEOUT_MS = 3000;

/** A measurement as the report shows it: its figures, or `{ error }`. */
const reported = <T extends object>(m: Measured<T>): T | { error: string } => (m.ok ? m.value : { error: m.error });

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
    const { pending, oldestAgeSeconds } = await outboxBacklog(orm);
    return { pending, oldestAgeSeconds: Math.round(oldestAgeSeconds) };
  };
  const bridge = async () => {
    const [bridgeGroup] = consumedTopics(topicPrefix);
    const lags = await consumerLags(kafka, [bridgeGroup!]);
    return { lag: lags.reduce((sum, l) => sum + l.lag, 0) };
  };
  const workflowTasks = async () => {
    const tasks = await workflowTaskBacklog(temporal, namespace, taskQueue);
    return { ...tasks, oldestAgeSeconds: Math.round(tasks.oldestAgeSeconds) };
  };
  return async (): Promise<SagaHealthReport> => {
    const [o, b, w] = await Promise.all([
      measured(outbox, MEASURE_TIMEOUT_MS),
      measured(bridge, MEASURE_TIMEOUT_MS),
      measured(workflowTasks, MEASURE_TIMEOUT_MS),
    ]);
    return assessSaga({ outbox: reported(o), bridge: reported(b), workflowTasks: reported(w) }, thresholds);
  };
}

/** The report with admission control's state; refusing new orders makes the saga degraded, saying why. */
export function withAdmission(report: SagaHealthReport, admission: AdmissionState | undefined): SagaHealthReport {
  if (!admission) return report;
  if (admission.admitting) return { ...report, admission };
  const reasons = [...report.reasons, ...admission.reasons.map((r) => `admission: refusing new orders: ${r}`)];
  return { ...report, status: 'degraded', reasons, admission };
}
