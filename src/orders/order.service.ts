// Order use cases on PostgreSQL: place (reserve stock, insert the order and its OrderCreated outbox row in one
// transaction), read, and delete a Pending order. Status changes after creation belong to the workflow
// (order-status-requests.ts → activities/order.activities.ts); deletion locks the order row first, so the stock of
// a deleted order is released exactly once. Errors are domain errors (src/domain/errors.ts), never HTTP.
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Order, OrderItem, type IOrder } from '../db/entities.ts';
import { AccessDeniedError, notFound, RuleViolationError, StateConflictError } from '../domain/errors.ts';
import { formatCents, toCents } from '../domain/money.ts';
import { discardPendingEvents, enqueueEvent } from '../outbox/outbox.ts';
import { allows, TRANSITIONS } from './order-lifecycle.ts';
import { releaseOrderStock, reserveStock, type OrderLine } from './order-stock.ts';

export type { OrderLine } from './order-stock.ts';

/** numeric(18,2) holds at most 16 integer digits. */
const MAX_TOTAL_CENTS = 10n ** 18n - 1n;

const withItems = { populate: ['items', 'items.product'] } as const;

export async function placeOrder(em: EntityManager, userId: number, lines: OrderLine[]): Promise<IOrder> {
  const orderId = await em.transactional(async (tx) => {
    const products = await reserveStock(tx, lines);
    const totalCents = lines.reduce((sum, l) => sum + toCents(products.get(l.productId)!.price) * BigInt(l.quantity), 0n);
    if (totalCents > MAX_TOTAL_CENTS) throw new RuleViolationError('Order total exceeds the largest amount that can be recorded');
    const order = tx.create(Order, { user: userId, total: formatCents(totalCents), status: 'Pending' });
    for (const { productId, quantity } of lines) {
      tx.create(OrderItem, { order, product: productId, quantity, price: products.get(productId)!.price });
    }
    await tx.flush();
    // Same transaction: the order exists if and only if its OrderCreated will be published (src/outbox/relay.ts).
    await enqueueEvent(tx, {
      type: 'OrderCreated',
      version: 1,
      orderId: order.id,
      userId,
      total: order.total,
      createdAt: order.createdAt.toISOString(),
    });
    return order.id;
  });
  return loadOrder(em.fork(), orderId);
}

export async function loadOrder(em: EntityManager, id: number): Promise<IOrder> {
  const order = await em.findOne(Order, id, withItems);
  if (!order) throw notFound('Order', id);
  return order;
}

const ensureOwner = (order: IOrder, userId: number) => {
  if (order.user.id !== userId) throw new AccessDeniedError('This order belongs to another user');
};

export async function ownOrder(em: EntityManager, userId: number, id: number): Promise<IOrder> {
  const order = await loadOrder(em, id);
  ensureOwner(order, userId);
  return order;
}

export async function listOrders(em: EntityManager, userId: number): Promise<IOrder[]> {
  return em.find(Order, { user: userId }, { ...withItems, orderBy: { createdAt: 'desc', id: 'desc' } });
}

export async function deleteOrder(em: EntityManager, userId: number, id: number): Promise<void> {
  const rule = TRANSITIONS.delete;
  await em.transactional(async (tx) => {
    const order = await tx.findOne(Order, id, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!order) throw notFound('Order', id);
    ensureOwner(order, userId);
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
