// What happened to an order, in time order, merged from where each fact lives: the order row (database), its events
// in the outbox (written, then published to Kafka), the workflow history (Temporal), and the notifications written
// for it, and what the reconciler found wrong with it and did about it. Works after the workflow closed; when a part cannot be read (Temporal unreachable, no workflow yet) the
// timeline has the rest and says which part is missing and why.
import type { EntityManager } from '@mikro-orm/postgresql';
import { isoTimestamp } from '../db/sql.ts';
import type { TimelineEntry } from '../temporal/order-history.ts';
import type { OrderView } from './order-view.ts';

export type { TimelineEntry } from '../temporal/order-history.ts';
export type OrderTimeline = {
  orderId: number;
  status: OrderView['status'];
  entries: TimelineEntry[];
  missing: Array<{ part: 'workflow'; reason: string }>;
};

/** Reads the workflow's part of the timeline (throws when it cannot). */
export type WorkflowTimelineReader = (orderId: number) => Promise<TimelineEntry[]>;

async function databaseEntries(em: EntityManager, order: OrderView): Promise<TimelineEntry[]> {
  const units = order.items.reduce((n, i) => n + i.quantity, 0);
  const entries: TimelineEntry[] = [
    {
      at: order.createdAt,
      source: 'database',
      event: 'order-placed',
      detail: `${units} unit(s) of ${order.items.length} product(s), total ${order.total}; stock reserved`,
    },
  ];
  if (order.status !== 'Pending') {
    entries.push({ at: order.updatedAt, source: 'database', event: 'status', detail: `status ${order.status} since then` });
  }
  const outbox = await em.execute<Array<{ type: string; topic: string; created: string; sent: string | null; attempts: number }>>(
    `select payload->>'type' as type, topic, ${isoTimestamp('created_at')} as created,
            case when sent_at is null then null else ${isoTimestamp('sent_at')} end as sent, attempts
       from outbox where order_id = ? order by id`,
    [order.id],
  );
  for (const row of outbox) {
    entries.push({ at: row.created, source: 'outbox', event: 'event-written', detail: `${row.type} written to the outbox` });
    if (row.sent) {
      const retries = row.attempts > 0 ? ` after ${row.attempts} failed attempt(s)` : '';
      entries.push({ at: row.sent, source: 'outbox', event: 'event-published', detail: `${row.type} published to ${row.topic}${retries}` });
    }
  }
  const notifications = await em.execute<Array<{ type: string; at: string }>>(
    `select event_type as type, ${isoTimestamp('created_at')} as at from notifications where order_id = ? order by id`,
    [order.id],
  );
  for (const n of notifications) {
    entries.push({ at: n.at, source: 'notifications', event: 'notification-written', detail: `e-mail notification for ${n.type}` });
  }
  const findings = await em.execute<Array<{ kind: string; action: string; detail: string; at: string }>>(
    `select kind, action, detail, ${isoTimestamp('found_at')} as at from drift_findings where order_id = ? order by id`,
    [order.id],
  );
  for (const f of findings) {
    entries.push({ at: f.at, source: 'reconciler', event: `drift-${f.action}`, detail: `${f.kind}: ${f.detail}` });
  }
  return entries;
}

export async function orderTimeline(em: EntityManager, order: OrderView, readWorkflow: WorkflowTimelineReader): Promise<OrderTimeline> {
  const [local, workflow] = await Promise.all([
    databaseEntries(em, order),
    readWorkflow(order.id).then(
      (entries) => ({ entries }),
      (err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }),
    ),
  ]);
  const missing: OrderTimeline['missing'] = [];
  const entries = [...local];
  if ('entries' in workflow) entries.push(...workflow.entries);
  else missing.push({ part: 'workflow', reason: `the workflow history could not be read: ${workflow.error}` });
  // Stable: entries of one instant keep their source's order.
  entries.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return { orderId: order.id, status: order.status, entries, missing };
}
