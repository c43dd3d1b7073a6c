// Gauges of the saga's state, measured when Prometheus scrapes (no timers): the outbox backlog, orders by status, and
// each consumer group's lag per partition. The API process registers them (like GET /health/saga, it watches the
// whole saga), so they keep reporting while the relay, bridge or notifier is down. With several API processes each
// reports the same values: aggregate with max, not sum (prometheus/rules.yml does).
//
// Per scrape: the outbox, orders and consumer-lag measurements of saga-measurements.ts (two SQL statements, one
// short-lived Kafka admin connection), each under a deadline. A failed measurement leaves its gauges empty (or NaN)
// and sets saga_state_up{source} to 0. Measurements are shared by the gauges of one scrape and reused for
// SNAPSHOT_TTL_MS.
import { Gauge } from 'prom-client';
import type { Orm } from '../db/orm.ts';
import { OPEN_STATUSES, ORDER_STATUSES } from '../domain/order-lifecycle.ts';
import { measured, type Measured } from '../lib/deadline.ts';
import type { Kafka } from '../messaging/kafka.ts';
import type { Metrics } from '../metrics/metrics.ts';
import {
  consumedTopics,
  consumerLags,
  outboxBacklog,
  ordersByStatus,
  type OrdersByStatus,
  type OutboxBacklog,
  type PartitionLag,
} from './saga-measurements.ts';

const MEASURE_TIMEOUT_MS = 3000;
const SNAPSHOT_TTL_MS = 1000;
/** Retries of the Kafka client measuring lag: a blip is ridden out, an outage fails in well under MEASURE_TIMEOUT_MS. */
export const SAGA_STATE_KAFKA_RETRY = { retries: 2, initialRetryTime: 100, maxRetryTime: 500 };

type Snapshot = { outbox: Measured<OutboxBacklog>; orders: Measured<OrdersByStatus>; consumerLag: Measured<PartitionLag[]> };

export type SagaStateDeps = {
  orm: Orm;
  /**
   * A client with SAGA_STATE_KAFKA_RETRY and quiet logging (see api.role.ts): a scrape during a Kafka outage should
   * fail within its deadline, leave no connection attempts behind and not log a stack of connection errors.
   */
  kafka: Kafka;
  topicPrefix: string;
};

export function registerSagaState(metrics: Metrics, { orm, kafka, topicPrefix }: SagaStateDeps): void {
  const outbox = () => outboxBacklog(orm);
  const orders = () => ordersByStatus(orm);
  const consumerLag = () => consumerLags(kafka, consumedTopics(topicPrefix), SAGA_STATE_KAFKA_RETRY);

  let cached: { at: number; snapshot: Promise<Snapshot> } | undefined;
  const snapshot = (): Promise<Snapshot> => {
    const now = Date.now();
    if (!cached || now - cached.at > SNAPSHOT_TTL_MS) {
      const taken = Promise.all([
        measured(outbox, MEASURE_TIMEOUT_MS),
        measured(orders, MEASURE_TIMEOUT_MS),
        measured(consumerLag, MEASURE_TIMEOUT_MS),
      ]).then(([o, r, l]) => ({
        outbox: o,
        orders: r,
        consumerLag: l,
      }));
      cached = { at: now, snapshot: taken };
    }
    return cached.snapshot;
  };

  const registers = [metrics.registry];
  new Gauge({
    name: 'saga_state_up',
    help: 'Whether the last measurement of a saga-state source worked (1) or failed (0): outbox, orders, consumer_lag',
    labelNames: ['source'] as const,
    registers,
    async collect() {
      const s = await snapshot();
      for (const source of ['outbox', 'orders', 'consumerLag'] as const) {
        this.set({ source: source === 'consumerLag' ? 'consumer_lag' : source }, s[source].ok ? 1 : 0);
      }
    },
  });
  const outboxGauge = (name: string, help: string, figure: keyof OutboxBacklog) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        const { outbox } = await snapshot();
        this.set(outbox.ok ? outbox.value[figure] : Number.NaN);
      },
    });
  outboxGauge(
    'saga_outbox_pending_events',
    'Outbox events not yet published by the relay (NaN when the database did not answer)',
    'pending',
  );
  outboxGauge(
    'saga_outbox_oldest_pending_age_seconds',
    'Age of the oldest outbox event not yet published (0 when none; NaN when the database did not answer)',
    'oldestAgeSeconds',
  );
  /** A per-status gauge of the orders measurement: `value` for each of `statuses`, nothing when it failed. */
  const ordersGauge = (
    name: string,
    help: string,
    statuses: readonly string[],
    value: (row: OrdersByStatus[number] | undefined) => number,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['status'] as const,
      registers,
      async collect() {
        this.reset();
        const { orders } = await snapshot();
        if (!orders.ok) return;
        const byStatus = new Map(orders.value.map((r) => [r.status, r]));
        for (const status of statuses) this.set({ status }, value(byStatus.get(status)));
      },
    });
  ordersGauge('saga_orders', 'Orders by status (every status, 0 when none)', ORDER_STATUSES, (row) => row?.count ?? 0);
  ordersGauge(
    'saga_orders_oldest_age_seconds',
    'Age of the oldest order still Pending (the saga backlog) or Processing (charging or awaiting payment) among orders placed through the API (with an OrderCreated event); 0 when none',
    OPEN_STATUSES,
    (row) => Math.max(0, row?.oldestAgeSeconds ?? 0),
  );
  new Gauge({
    name: 'saga_consumer_lag_messages',
    help: "Messages of a topic partition a consumer group has not consumed yet (end offset minus the group's committed offset)",
    labelNames: ['group', 'topic', 'partition'] as const,
    registers,
    async collect() {
      this.reset();
      const { consumerLag } = await snapshot();
      if (!consumerLag.ok) return;
      for (const l of consumerLag.value) this.set({ group: l.group, topic: l.topic, partition: String(l.partition) }, l.lag);
    },
  });
}
