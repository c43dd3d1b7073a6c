// Applies a lifecycle transition (order-lifecycle.ts) to the database as one conditional step inside the caller's
// transaction: `update orders set status = to where id = ? and status in (from)`, then, only if a row changed, the
// stock release and the outbox event the table names. Applied twice, it changes nothing the second time.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { OrderOutcomeEvent } from '../messaging/events.ts';
import { enqueueEvent } from '../outbox/outbox.ts';
import { TRANSITIONS, type OrderStatus, type OutcomeEventType, type StatusTransitionName } from './order-lifecycle.ts';
import { releaseOrderStock } from './order-stock.ts';

type ChangedOrder = { id: number; user_id: number; total: string };

/** The outcome event of each kind, built from the order just changed. */
const outcomeEvents: Record<OutcomeEventType, (tx: EntityManager, order: ChangedOrder) => Promise<OrderOutcomeEvent>> = {
  OrderCompleted: async (tx, order) => {
    const items = await tx.execute<{ product_id: number; name: string; quantity: number; price: string }[]>(
      `select i.product_id, p.name, i.quantity, i.price from order_items i join products p on p.id = i.product_id
        where i.order_id = ? order by i.id`,
      [order.id],
    );
    return {
      type: 'OrderCompleted',
      version: 1,
      orderId: order.id,
      userId: order.user_id,
      total: order.total,
      items: items.map((i) => ({ productId: i.product_id, productName: i.name, quantity: i.quantity, price: i.price })),
      completedAt: new Date().toISOString(),
    };
  },
  OrderCancelled: async (_tx, order) => ({
    type: 'OrderCancelled',
    version: 1,
    orderId: order.id,
    userId: order.user_id,
    cancelledAt: new Date().toISOString(),
  }),
  OrderExpired: async (_tx, order) => ({
    type: 'OrderExpired',
    version: 1,
    orderId: order.id,
    userId: order.user_id,
    expiredAt: new Date().toISOString(),
  }),
};

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
  if (event) await enqueueEvent(tx, await outcomeEvents[event](tx, order));
  return true;
}

/** The order's status now, or undefined when it does not exist. */
export async function currentStatus(tx: EntityManager, orderId: number): Promise<OrderStatus | undefined> {
  const [row] = await tx.execute<{ status: OrderStatus }[]>('select status from orders where id = ?', [orderId]);
  return row?.status;
}
