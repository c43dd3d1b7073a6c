// Writing to the outbox: call inside the transaction that makes the change the event announces.
import type { EntityManager } from '@mikro-orm/postgresql';
import { topicOf, type OrderEvent } from '../domain/events.ts';
import { traceCarrier } from '../telemetry/tracing.ts';

/** The row keeps the active span's trace context (null without tracing): the event's consumers continue that trace. */
export async function enqueueEvent(tx: EntityManager, event: OrderEvent): Promise<void> {
  const trace = traceCarrier();
  await tx.execute('insert into outbox (order_id, topic, message_key, payload, trace_context) values (?, ?, ?, ?, ?)', [
    event.orderId,
    topicOf[event.type],
    String(event.orderId),
    JSON.stringify(event),
    trace ? JSON.stringify(trace) : null,
  ]);
}

/** Drops an order's not-yet-published events (its deletion makes them meaningless). */
export async function discardPendingEvents(tx: EntityManager, orderId: number): Promise<void> {
  await tx.execute('delete from outbox where order_id = ? and sent_at is null', [orderId]);
}
