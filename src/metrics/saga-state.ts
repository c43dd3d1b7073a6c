// Gauges of the saga's state, measured when Prometheus scrapes (no timers): the outbox backlog, orders by status, and
// each consumer group's lag per partition. The API process registers them (like GET /health/saga, it watches the
// whole saga), so they keep reporting while the relay, bridge or notifier is down. With several API processes each
// reports the same values: aggregate with max, not sum (prometheus/rules.yml does).
//
// Bounded cost per scrape: two SQL statements (the outbox's unsent rows through its partial index; one grouped scan
// of orders, the outbox consulted only for open ones) and one short-lived Kafka admin connection (end offsets of 4 topics, committed offsets of 2 groups),
// each under a deadline. A failed measurement leaves its gauges empty (or NaN) and sets saga_state_up{source} to 0.
// Measurements are shared by the gauges of one scrape and reused for SNAPSHOT_TTL_MS.
import { Gauge } from 'prom-client';
import type { Orm } from '../db/orm.ts';
import type { Kafka } from '../messaging/kafka.ts';
import { consumerGroup, OUTCOME_TOPICS, TOPICS } from '../messaging/topics.ts';
import { OPEN_STATUSES, ORDER_STATUSES } from '../domain/order-lifecycle.ts';
import type { Metrics } from './metrics.ts';

const MEASURE_TIMEOUT_MS = 3000;
const SNAPSHOT_TTL_MS = 1000;
/** Retries of the Kafka client measuring lag: a blip is ridden out, an outage fails in well under MEASURE_TIMEOUT_MS. */
export const SAGA_STATE_KAFKA_RETRY = { retries: 2, initialRetryTime: 100, maxRetryTime: 500 };

type OrdersRow = { status: string; count: number; oldest_age: number | null };
type Lag = { group: string; topic: string; partition: number; lag: number };
type Measured<T> = { ok: true; value: T } | { ok: false; error: string };
type Snapshot = {
  outbox: Measured<{ pending: number; oldestAgeSeconds: number }>;
  orders: Measured<OrdersRow[]>;
  consumerLag: Measured<Lag[]>;
};

async function measure<T>(work: () => Promise<T>): Promise<Measured<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${MEASURE_TIMEOUT_MS} ms`)), MEASURE_TIMEOUT_MS);
  });
  try {
    return { ok: true, value: await Promise.race([work(), timeout]) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

export type SagaStateDeps = {
  orm: Orm;
  /**
   * A client with SAGA_STATE_KAFKA_RETRY and quiet logging (see api.role.ts): a scrape during a Kafka outage should
   * fail within its deadline, leave no connection attempts behind and not log a stack of connection errors.
   */
  kafka: Kafka;
  topicPrefix: string;
};

/** The consumer groups and the topics each consumes, as the bridge and notifier subscribe. */
export function consumedTopics(topicPrefix: string): Array<{ group: string; topics: string[] }> {
  return [
    { group: consumerGroup('bridge', topicPrefix), topics: [topicPrefix + TOPICS.orderCreated] },
    { group: consumerGroup('notifier', topicPrefix), topics: OUTCOME_TOPICS.map((t) => topicPrefix + t) },
  ];
}

export function registerSagaState(metrics: Metrics, { orm, kafka, topicPrefix }: SagaStateDeps): void {
  const outbox = async () => {
    const [row] = await orm.em
      .getConnection()
      .execute<{ pending: number; age: number | null }[]>(
        'select count(*)::int as pending, extract(epoch from now() - min(created_at))::float8 as age from outbox where sent_at is null',
      );
    return { pending: row?.pending ?? 0, oldestAgeSeconds: Math.max(0, row?.age ?? 0) };
  };
  // The oldest open order among those that entered the saga (their OrderCreated is in the outbox, written in the same
  // transaction as the order): the seeded demo orders never did and would otherwise read as a stuck saga forever.
  // The existence check runs only for the few open orders (index idx_outbox_order_id).
  const orders = () =>
    orm.em.getConnection().execute<OrdersRow[]>(
      `select o.status, count(*)::int as count,
              extract(epoch from now() - min(o.created_at) filter (
                where o.status in (${OPEN_STATUSES.map((st) => `'${st}'`).join(', ')})
                  and exists (select 1 from outbox x where x.order_id = o.id and x.topic = ?)))::float8 as oldest_age
         from orders o group by o.status`,
      [TOPICS.orderCreated],
    );
  const consumerLag = async () => {
    const groups = consumedTopics(topicPrefix);
    const admin = kafka.admin({ retry: SAGA_STATE_KAFKA_RETRY });
    await admin.connect();
    try {
      const topics = groups.flatMap((g) => g.topics);
      const [ends, committed] = await Promise.all([
        Promise.all(topics.map(async (topic) => ({ topic, offsets: await admin.fetchTopicOffsets(topic) }))),
        Promise.all(
          groups.map(async (g) => ({ group: g.group, offsets: await admin.fetchOffsets({ groupId: g.group, topics: g.topics }) })),
        ),
      ]);
      const endOf = new Map(ends.map((e) => [e.topic, e.offsets]));
      const lags: Lag[] = [];
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
  };

  let cached: { at: number; snapshot: Promise<Snapshot> } | undefined;
  const snapshot = (): Promise<Snapshot> => {
    const now = Date.now();
    if (!cached || now - cached.at > SNAPSHOT_TTL_MS) {
      const taken = Promise.all([measure(outbox), measure(orders), measure(consumerLag)]).then(([o, r, l]) => ({
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
  new Gauge({
    name: 'saga_outbox_pending_events',
    help: 'Outbox events not yet published by the relay (NaN when the database did not answer)',
    registers,
    async collect() {
      const { outbox } = await snapshot();
      this.set(outbox.ok ? outbox.value.pending : Number.NaN);
    },
  });
  new Gauge({
    name: 'saga_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest outbox event not yet published (0 when none; NaN when the database did not answer)',
    registers,
    async collect() {
      const { outbox } = await snapshot();
      this.set(outbox.ok ? outbox.value.oldestAgeSeconds : Number.NaN);
    },
  });
  new Gauge({
    name: 'saga_orders',
    help: 'Orders by status (every status, 0 when none)',
    labelNames: ['status'] as const,
    registers,
    async collect() {
      this.reset();
      const { orders } = await snapshot();
      if (!orders.ok) return;
      const counts = new Map(orders.value.map((r) => [r.status, r.count]));
      for (const status of ORDER_STATUSES) this.set({ status }, counts.get(status) ?? 0);
    },
  });
  new Gauge({
    name: 'saga_orders_oldest_age_seconds',
    help: 'Age of the oldest order still Pending (the saga backlog) or Processing (charging or awaiting payment) among orders placed through the API (with an OrderCreated event); 0 when none',
    labelNames: ['status'] as const,
    registers,
    async collect() {
      this.reset();
      const { orders } = await snapshot();
      if (!orders.ok) return;
      const ages = new Map(orders.value.map((r) => [r.status, r.oldest_age]));
      for (const status of OPEN_STATUSES) this.set({ status }, Math.max(0, ages.get(status) ?? 0));
    },
  });
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
