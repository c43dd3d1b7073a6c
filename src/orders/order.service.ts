// Order use cases on PostgreSQL: place (reserve stock, insert the order and its OrderCreated outbox row in one
// transaction), read, and delete a Pending order. Status changes after creation belong to the workflow
// (order-status-requests.ts → activities/order.activities.ts); deletion locks the order row first, so the stock of
// a deleted order is released exactly once. Errors are domain errors (src/domain/errors.ts), never HTTP.
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Order } from '../db/entities.ts';
import { isoTimestamp } from '../db/sql.ts';
import { AccessDeniedError, notFound, RuleViolationError, StateConflictError } from '../domain/errors.ts';
import { formatCents, MAX_EXACT_CENTS, toCents } from '../domain/money.ts';
import { discardPendingEvents, outboxInsert } from '../outbox/outbox.ts';
import { annotateActiveSpan } from '../telemetry/tracing.ts';
import { allows, TRANSITIONS } from '../domain/order-lifecycle.ts';
import { claimIdempotencyKey, recordIdempotentResponse, type IdempotencyKey } from './order-idempotency.ts';
import { releaseOrderStock, reserveStock, type StockLine } from '../products/product-stock.ts';
import { findOrderView, listOrderViews, type OrderView } from './order-view.ts';

/** One line of an order: a quantity of one product. */
export type OrderLine = StockLine;

export type PlacedOrder = { order: OrderView; /** the answer of an earlier request with the same idempotency key */ replayed: boolean };

/**
 * Places an order. With an idempotency key, a repeat of an earlier request (same key, same lines, within 24 hours)
 * returns that request's order instead of placing another one (src/orders/order-idempotency.ts).
 */
export async function placeOrder(
  em: EntityManager,
  userId: number,
  lines: OrderLine[],
  idempotency?: IdempotencyKey,
): Promise<PlacedOrder> {
  return em.transactional(async (tx) => {
    if (idempotency) {
      const earlier = await claimIdempotencyKey(tx, userId, idempotency);
      if (earlier) return { order: earlier, replayed: true };
    }
    const order = await insertOrder(tx, userId, lines);
    if (idempotency) await recordIdempotentResponse(tx, userId, idempotency.key, order);
    return { order, replayed: false };
  });
}

/**
 * The order, its items and its OrderCreated row. The product rows stay locked from the stock reservation to the commit,
 * and a hot product serializes every order of it on that lock, so only two statements run while it is held: the
 * reservation, then one statement that writes all three rows. The order's id and time are taken before it (now() is the
 * transaction's time, so the rows written later carry the same created_at); an order refused for its stock leaves a
 * gap in the ids, as any rolled-back insert does.
 */
async function insertOrder(tx: EntityManager, userId: number, lines: OrderLine[]): Promise<OrderView> {
  const [identity] = await tx.execute<{ id: number; createdAt: string }[]>(
    `select nextval(pg_get_serial_sequence('orders', 'id'))::int as id, ${isoTimestamp('now()')} as "createdAt"`,
  );
  const { id: orderId, createdAt } = identity!;
  const products = await reserveStock(tx, lines);
  const totalCents = lines.reduce((sum, l) => sum + toCents(products.get(l.productId)!.price) * BigInt(l.quantity), 0n);
  if (totalCents > MAX_EXACT_CENTS) {
    throw new RuleViolationError(
      `Order total ${formatCents(totalCents)} exceeds ${formatCents(MAX_EXACT_CENTS)}, the largest amount an order can have`,
    );
  }
  const total = formatCents(totalCents);
  // The request's span names its order: the start of the order's trace (its OrderCreated row carries the context).
  annotateActiveSpan({ 'order.id': orderId });
  // Same statement: the order exists if and only if its OrderCreated will be published (src/outbox/relay.ts). The
  // items reference the order inserted by the same statement: foreign keys are checked at the statement's end.
  const event = outboxInsert({ type: 'OrderCreated', version: 1, orderId, userId, total, createdAt });
  const inserted = await tx.execute<{ id: number; product_id: number; quantity: number; price: string }[]>(
    `with placed as (insert into orders (id, user_id, total, status, created_at, updated_at) values (?, ?, ?, 'Pending', now(), now())),
          announced as (${event.sql})
     insert into order_items (order_id, product_id, quantity, price, created_at, updated_at)
     values ${lines.map(() => '(?, ?, ?, ?, now(), now())').join(', ')} returning id, product_id, quantity, price::text as price`,
    [
      orderId,
      userId,
      total,
      ...event.params,
      ...lines.flatMap(({ productId, quantity }) => [orderId, productId, quantity, products.get(productId)!.price]),
    ],
  );
  const items = inserted
    .map((i) => ({
      id: i.id,
      productId: i.product_id,
      productName: products.get(i.product_id)!.name,
      quantity: i.quantity,
      price: i.price,
    }))
    .sort((a, b) => a.id - b.id);
  return { id: orderId, userId, total, status: 'Pending', phase: 'placed', paymentDueAt: null, createdAt, updatedAt: createdAt, items };
}

export async function loadOrder(em: EntityManager, id: number): Promise<OrderView> {
  const order = await findOrderView(em, id);
  if (!order) throw notFound('Order', id);
  return order;
}

const ensureOwner = (order: { userId: number }, userId: number) => {
  if (order.userId !== userId) throw new AccessDeniedError('This order belongs to another user');
};

export async function ownOrder(em: EntityManager, userId: number, id: number): Promise<OrderView> {
  const order = await loadOrder(em, id);
  ensureOwner(order, userId);
  return order;
}

export const listOrders = listOrderViews;

export async function deleteOrder(em: EntityManager, userId: number, id: number): Promise<void> {
  const rule = TRANSITIONS.delete;
  await em.transactional(async (tx) => {
    const order = await tx.findOne(Order, id, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!order) throw notFound('Order', id);
    ensureOwner({ userId: order.user.id }, userId);
    if (!allows('delete', order.status)) {
      throw new StateConflictError(`Cannot delete order with status '${order.status}'. Only pending orders can be deleted.`, {
        currentStatus: order.status,
      });
    }
    // A saga that starts later (OrderCreated already on Kafka) finds no order and ends quietly; an unpublished
    // OrderCreated is dropped here so no saga starts at all.
    if (rule.releasesStock) await releaseOrderStock(tx, id);
    await discardPendingEvents(tx, id);
    await tx.execute('delete from orders where id = ?', [id]);
  });
}
