// Writing to the outbox: call inside the transaction that makes the change the event announces.
import type { EntityManager } from '@mikro-orm/postgresql';
import { topicOf, type OrderEvent } from '../domain/events.ts';
import { traceCarrier } from '../telemetry/tracing.ts';

/** An outbox insert and its parameters, for a statement that writes the event together with other rows. */
export type OutboxInsert = { sql: string; params: unknown[] };

/** The row keeps the active span's trace context (null without tracing): the event's consumers continue that trace. */
export function outboxInsert(event: OrderEvent): OutboxInsert {
  const trace = traceCarrier();
  return {
    sql: 'insert into outbox (order_id, topic, message_key, payload, trace_context) values (?, ?, ?, ?, ?)',
    params: [event.orderId, topicOf[event.type], String(event.orderId), JSON.stringify(event), trace ? JSON.stringify(trace) : null],
  };
}

export async function enqueueEvent(tx: EntityManager, event: OrderEvent): Promise<void> {
  const { sql, params } = outboxInsert(event);
  await tx.execute(sql, params);
}

/** Drops an order's not-yet-published events (its deletion makes them meaningless). */
export async function discardPendingEvents(tx: EntityManager, orderId: number): Promise<void> {
  await tx.execute('delete from outbox where order_id = ? and sent_at is null', [orderId]);
}
