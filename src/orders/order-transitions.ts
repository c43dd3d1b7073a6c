// Applies a lifecycle transition (order-lifecycle.ts) to the database as one conditional step inside the caller's
// transaction: `update orders set status = to where id = ? and status in (from)`, then, only if a row changed, the
// stock release and the outbox event the table names. Applied twice, it changes nothing the second time.
import type { EntityManager } from '@mikro-orm/postgresql';
import { outcomeEvent, type OutcomeOf } from '../domain/events.ts';
import { enqueueEvent } from '../outbox/outbox.ts';
import { OUTCOME_EVENTS, statusAnnouncedBy, TRANSITIONS, type OrderStatus, type StatusTransitionName } from '../domain/order-lifecycle.ts';
import { releaseOrderStock } from '../products/product-stock.ts';

type ChangedOrder = { id: number; user_id: number; total: string };

/** The order's lines as an OrderCompleted event lists them. */
async function eventItems(tx: EntityManager, orderId: number): Promise<OutcomeOf['items']> {
  const items = await tx.execute<{ product_id: number; name: string; quantity: number; price: string }[]>(
    `select i.product_id, p.name, i.quantity, i.price from order_items i join products p on p.id = i.product_id
      where i.order_id = ? order by i.id`,
    [orderId],
  );
  return items.map((i) => ({ productId: i.product_id, productName: i.name, quantity: i.quantity, price: i.price }));
}

/** Moves the order along `name` if its status allows; returns whether it did. */
export async function applyTransition(tx: EntityManager, orderId: number, name: StatusTransitionName): Promise<boolean> {
  const { from, to, releasesStock, event } = TRANSITIONS[name];
  const [order] = await tx.execute<ChangedOrder[]>(
    `update orders set status = ?, updated_at = ? where id = ? and status in (${from.map(() => '?').join(', ')})
     returning id, user_id, total`,
    [to, new Date(), orderId, ...from],
  );
  if (!order) return false;
  if (releasesStock) await releaseOrderStock(tx, orderId);
  if (event) {
    // Only a completion lists the order's lines; the other outcomes need no second query.
    const items = event === 'OrderCompleted' ? await eventItems(tx, order.id) : [];
    const of = { orderId: order.id, userId: order.user_id, total: order.total, items, at: new Date().toISOString() };
    await enqueueEvent(tx, outcomeEvent(event, of));
  }
  return true;
}

/**
 * applyTransition as one atomic step of its own: a transaction when the transition releases stock or writes an event,
 * the bare conditional UPDATE (atomic by itself, two round trips fewer) when it only changes the status.
 */
export function applyAtomically(em: EntityManager, orderId: number, name: StatusTransitionName): Promise<boolean> {
  const { releasesStock, event } = TRANSITIONS[name];
  const work = em.fork();
  return releasesStock || event ? work.transactional((tx) => applyTransition(tx, orderId, name)) : applyTransition(work, orderId, name);
}

/** The order's status and payment due time (ISO, or null) now, or undefined when it does not exist. */
export async function currentState(
  tx: EntityManager,
  orderId: number,
): Promise<{ status: OrderStatus; paymentDueAt: string | null } | undefined> {
  const [row] = await tx.execute<{ status: OrderStatus; payment_due_at: Date | null }[]>(
    'select status, payment_due_at from orders where id = ?',
    [orderId],
  );
  return row && { status: row.status, paymentDueAt: row.payment_due_at ? new Date(row.payment_due_at).toISOString() : null };
}

/**
 * Writes the outcome event of a finished order to the outbox again, as its transition wrote it (the reconciler's
 * repair of a missing notification: the notifier is idempotent, so a second delivery is harmless). Returns the event
 * type, or undefined when the order is gone or not final.
 */
export async function announceOutcomeAgain(tx: EntityManager, orderId: number): Promise<string | undefined> {
  const [order] = await tx.execute<(ChangedOrder & { status: OrderStatus; updated_at: Date })[]>(
    'select id, user_id, total, status, updated_at from orders where id = ?',
    [orderId],
  );
  const event = order && OUTCOME_EVENTS.find((e) => statusAnnouncedBy(e) === order.status);
  if (!order || !event) return undefined;
  const items = event === 'OrderCompleted' ? await eventItems(tx, order.id) : [];
  const at = new Date(order.updated_at).toISOString();
  await enqueueEvent(tx, outcomeEvent(event, { orderId: order.id, userId: order.user_id, total: order.total, items, at }));
  return event;
}
