// Observing the saga of a running stack from outside: order statuses in PostgreSQL, the outbox backlog, the bridge's
// Kafka consumer lag and Temporal's workflow start times. Shared by the pipeline, burst, sustained and memory suites.
import { Client, Connection } from '@temporalio/client';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import pg from 'pg';
import type { Config } from '../src/config.ts';
import { consumerGroup, TOPICS } from '../src/messaging/topics.ts';
import { orderWorkflowId } from '../workflows/order.definitions.ts';
import { createProduct, login, mapLimit, placeOrder, progress, sleep } from './bench.lib.ts';

export const FINAL_STATUSES = ['Completed', 'Cancelled', 'Expired'];

export type StackClients = {
  baseUrl: string;
  config: Config;
  db: pg.Pool;
  temporal: Client;
  token: string;
  userId: number;
  close: () => Promise<void>;
  /** The app process's environment when it was started by `stack.sh up` (read from /proc), else undefined. */
  appEnv?: Record<string, string>;
};

export async function connectStack(baseUrl: string, config: Config, email: string, password: string): Promise<StackClients> {
  const db = new pg.Pool({ connectionString: config.DATABASE_URL, max: 4 });
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS, connectTimeout: 5000 });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const token = await login(baseUrl, email, password);
  const { rows } = await db.query<{ id: number }>('select id from users where email = $1', [email]);
  if (!rows[0]) throw new Error(`user ${email} not found in ${config.DATABASE_URL}`);
  const close = async () => {
    await Promise.allSettled([db.end(), connection.close()]);
  };
  return { baseUrl, config, db, temporal, token, userId: rows[0].id, close };
}

export const benchProduct = (stack: StackClients, suite: string) =>
  createProduct(stack.baseUrl, stack.token, `bench-${suite}-${Date.now()}`, 2_000_000_000);

export type Counts = Map<string, number>;
export const count = (counts: Counts, ...statuses: string[]) => statuses.reduce((sum, s) => sum + (counts.get(s) ?? 0), 0);

/** Orders of `ids` per status. */
export async function statusCounts(db: pg.Pool, ids: number[]): Promise<Counts> {
  const { rows } = await db.query<{ status: string; n: number }>(
    'select status, count(*)::int as n from orders where id = any($1::int[]) group by status',
    [ids],
  );
  return new Map(rows.map((r) => [r.status, r.n]));
}

/**
 * Polls the statuses of `ids` every `intervalMs` until `done` holds or the deadline passes; returns the last counts and
 * the Date.now() at which `done` was first seen (undefined if never).
 */
export async function waitForStatuses(
  db: pg.Pool,
  ids: number[],
  done: (counts: Counts) => boolean,
  { deadline, label, intervalMs = 100 }: { deadline: number; label: string; intervalMs?: number },
): Promise<{ counts: Counts; at: number | undefined }> {
  let lastReport = Date.now();
  for (;;) {
    const counts = await statusCounts(db, ids);
    if (done(counts)) return { counts, at: Date.now() };
    if (Date.now() >= deadline) return { counts, at: undefined };
    if (Date.now() - lastReport >= 10_000) {
      progress(`  waiting for ${label}: ${JSON.stringify(Object.fromEntries(counts))}`);
      lastReport = Date.now();
    }
    await sleep(intervalMs);
  }
}

/** The latest updated_at (ms since epoch) of the orders of `ids` in `status`. */
export async function lastUpdate(db: pg.Pool, ids: number[], status: string): Promise<number> {
  const { rows } = await db.query<{ at: Date | null }>(
    'select max(updated_at) as at from orders where id = any($1::int[]) and status = $2',
    [ids, status],
  );
  return rows[0]?.at?.getTime() ?? Number.NaN;
}

/** Places `n` orders over HTTP, `concurrency` at a time (progress every 1 000); resolves with their ids. */
export async function placeOrders(stack: StackClients, productId: number, n: number, concurrency: number): Promise<number[]> {
  let placed = 0;
  return mapLimit(Array.from({ length: n }), concurrency, async () => {
    const id = await placeOrder(stack.baseUrl, stack.token, productId);
    if (++placed % 1000 === 0 && placed < n) progress(`  ${placed}/${n} orders placed`);
    return id;
  });
}

/** Why orders are not final: no workflow yet, or their workflow id already taken by an earlier order. */
export async function diagnose(stack: StackClients, ids: number[], prefix = stack.config.TEMPORAL_WORKFLOW_ID_PREFIX): Promise<string[]> {
  const { rows } = await stack.db.query<{ id: number; status: string; created_at: Date }>(
    `select id, status, created_at from orders where id = any($1::int[]) and status not in ('Completed', 'Cancelled', 'Expired') order by id`,
    [ids],
  );
  const kinds = new Map<string, number[]>();
  await mapLimit(rows.slice(0, 200), 16, async (row) => {
    let kind: string;
    try {
      const wf = await stack.temporal.workflow.getHandle(orderWorkflowId(prefix, row.id)).describe();
      kind =
        wf.startTime < row.created_at
          ? `${row.status}, workflow id taken by a workflow started before the order was committed (${wf.status.name})`
          : `${row.status}, workflow ${wf.status.name}`;
    } catch {
      kind = `${row.status}, no workflow (not yet started by relay + bridge)`;
    }
    kinds.set(kind, [...(kinds.get(kind) ?? []), row.id]);
  });
  return [...kinds].map(([kind, of]) => {
    const sample = of.sort((a, b) => a - b).slice(0, 6);
    return `${of.length} × ${kind}: ids ${sample.join(', ')}${of.length > sample.length ? ', …' : ''}`;
  });
}

export type Backlog = { unsent: number; oldestAgeMs: number };

/** Unsent outbox rows and the age of the oldest (0 when none): what the relay has not published yet. */
export async function outboxBacklog(db: pg.Pool): Promise<Backlog> {
  const { rows } = await db.query<{ unsent: number; age: number | null }>(
    `select count(*)::int as unsent, extract(epoch from clock_timestamp() - min(created_at)) * 1000 as age
       from outbox where sent_at is null`,
  );
  return { unsent: rows[0]?.unsent ?? 0, oldestAgeMs: Math.max(0, Number(rows[0]?.age ?? 0)) };
}

/**
 * Waits (up to `maxS`) until the relay has published everything, so a suite does not measure the backlog of the one
 * before it; returns a warning when it gives up.
 */
export async function quiesce(db: pg.Pool, maxS = 120): Promise<string | undefined> {
  const deadline = Date.now() + maxS * 1000;
  let backlog = await outboxBacklog(db);
  if (backlog.unsent > 0) progress(`waiting for the relay to publish ${backlog.unsent} outbox rows left from earlier work …`);
  while (backlog.unsent > 0 && Date.now() < deadline) {
    await sleep(500);
    backlog = await outboxBacklog(db);
  }
  if (backlog.unsent > 0) return `${backlog.unsent} outbox rows were still unsent when the suite started: the figures include that backlog`;
  return undefined;
}

/** The bridge's consumer lag on order-created-events: messages published but not yet committed by its group. */
export class ConsumerLag {
  private readonly admin: Admin;
  readonly group: string;
  readonly topic: string;

  private constructor(admin: Admin, group: string, topic: string) {
    this.admin = admin;
    this.group = group;
    this.topic = topic;
  }

  static async connect(config: Config): Promise<ConsumerLag> {
    const admin = await kafkaAdmin(config, 'order-saga-bench');
    const prefix = config.KAFKA_TOPIC_PREFIX;
    return new ConsumerLag(admin, consumerGroup('bridge', prefix), prefix + TOPICS.orderCreated);
  }

  /** Sum over partitions of (high watermark − committed offset); a partition without a commit counts from its low. */
  sample(): Promise<number> {
    return groupLag(this.admin, this.group, [this.topic]);
  }

  close(): Promise<void> {
    return this.admin.disconnect();
  }
}

/** A connected Kafka admin client on the stack's brokers, quiet but for errors, for reading offsets and lags. */
export async function kafkaAdmin(config: Pick<Config, 'KAFKA_BROKERS'>, clientId: string): Promise<Admin> {
  const kafka = new Kafka({ clientId, brokers: config.KAFKA_BROKERS, logLevel: logLevel.ERROR, connectionTimeout: 5000 });
  const admin = kafka.admin();
  await admin.connect();
  return admin;
}

/**
 * A consumer group's lag over `topics`: the sum over their partitions of (high watermark − committed offset), a
 * partition without a commit counted from its low watermark.
 */
export async function groupLag(admin: Admin, groupId: string, topics: string[]): Promise<number> {
  const [committed, ...ends] = await Promise.all([
    admin.fetchOffsets({ groupId, topics }),
    ...topics.map((topic) => admin.fetchTopicOffsets(topic)),
  ]);
  let lag = 0;
  topics.forEach((topic, i) => {
    const partitions = committed.find((c) => c.topic === topic)?.partitions ?? [];
    const byPartition = new Map(partitions.map((p) => [p.partition, Number(p.offset)]));
    for (const { partition, high, low } of ends[i] ?? []) {
      const at = byPartition.get(partition) ?? -1;
      // Never below zero: the two answers come from different requests, and the commit may be the newer.
      lag += Math.max(0, Number(high) - (at < 0 ? Number(low) : at));
    }
  });
  return lag;
}

/** Temporal's workflow startTime minus the order's commit (orders.created_at), for each of `orders`. */
export async function workflowStartLags(
  stack: StackClients,
  orders: Array<{ id: number; createdAt: number }>,
  prefix = stack.config.TEMPORAL_WORKFLOW_ID_PREFIX,
): Promise<number[]> {
  const lags = await mapLimit(orders, 16, async ({ id, createdAt }) => {
    try {
      const { startTime } = await stack.temporal.workflow.getHandle(orderWorkflowId(prefix, id)).describe();
      return startTime.getTime() - createdAt;
    } catch {
      return Number.NaN;
    }
  });
  return lags.filter((l) => Number.isFinite(l));
}

export type OrderTimes = { id: number; status: string; createdAt: number; updatedAt: number };

export async function orderTimes(db: pg.Pool, ids: number[]): Promise<OrderTimes[]> {
  const { rows } = await db.query<{ id: number; status: string; created_at: Date; updated_at: Date }>(
    'select id, status, created_at, updated_at from orders where id = any($1::int[])',
    [ids],
  );
  return rows.map((r) => ({ id: r.id, status: r.status, createdAt: r.created_at.getTime(), updatedAt: r.updated_at.getTime() }));
}

/** Evenly spaced elements of `items`, at most `max` of them. */
export function spread<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  return Array.from({ length: max }, (_, i) => items[Math.floor((i * items.length) / max)] as T);
}
