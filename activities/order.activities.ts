// Database activities of OrderWorkflow. Each is one transaction whose status change is conditional on the expected
// current status; the outbox event (and, for cancel/expire, the stock release) ride in the same transaction. Run
// twice, an activity changes nothing the second time and reports the status it finds.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../src/db/orm.ts';
import { releaseOrderStock } from '../src/db/order-stock.ts';
import type { OrderStatus } from '../src/domain/order-status.ts';
import { enqueueEvent } from '../src/outbox/outbox.ts';
import type { StatusChange } from '../workflows/order.definitions.ts';

type Changed = { user_id: number; total: string };

/** `update orders set status = to where id and status in (from)`: the changed row, or undefined. */
async function transition(tx: EntityManager, orderId: number, from: OrderStatus[], to: OrderStatus): Promise<Changed | undefined> {
  const rows = await tx.execute<Changed[]>(
    `update orders set status = ?, updated_at = ? where id = ? and status in (${from.map(() => '?').join(', ')}) returning user_id, total`,
    [to, new Date(), orderId, ...from],
  );
  return rows[0];
}

async function currentStatus(tx: EntityManager, orderId: number): Promise<StatusChange> {
  const [row] = await tx.execute<{ status: OrderStatus }[]>('select status from orders where id = ?', [orderId]);
  return { status: row?.status ?? 'Missing', changed: false };
}

export function createOrderActivities({ orm }: { orm: Orm }) {
  const inTransaction = <T>(work: (tx: EntityManager) => Promise<T>) => orm.em.fork().transactional(work);

  return {
    async markProcessing(orderId: number): Promise<StatusChange> {
      return inTransaction(async (tx) =>
        (await transition(tx, orderId, ['Pending'], 'Processing')) ? { status: 'Processing', changed: true } : currentStatus(tx, orderId),
      );
    },

    async completeOrder(orderId: number): Promise<StatusChange> {
      return inTransaction(async (tx) => {
        const order = await transition(tx, orderId, ['Processing'], 'Completed');
        if (!order) return currentStatus(tx, orderId);
        const items = await tx.execute<{ product_id: number; name: string; quantity: number; price: string }[]>(
          `select i.product_id, p.name, i.quantity, i.price from order_items i join products p on p.id = i.product_id
            where i.order_id = ? order by i.id`,
          [orderId],
        );
        await enqueueEvent(tx, {
          type: 'OrderCompleted',
          version: 1,
          orderId,
          userId: order.user_id,
          total: order.total,
          items: items.map((i) => ({ productId: i.product_id, productName: i.name, quantity: i.quantity, price: i.price })),
          completedAt: new Date().toISOString(),
        });
        return { status: 'Completed', changed: true };
      });
    },

    async cancelOrder(orderId: number): Promise<StatusChange> {
      return inTransaction(async (tx) => {
        const order = await transition(tx, orderId, ['Pending', 'Processing'], 'Cancelled');
        if (!order) return currentStatus(tx, orderId);
        await releaseOrderStock(tx, orderId);
        await enqueueEvent(tx, {
          type: 'OrderCancelled',
          version: 1,
          orderId,
          userId: order.user_id,
          cancelledAt: new Date().toISOString(),
        });
        return { status: 'Cancelled', changed: true };
      });
    },

    async expireOrder(orderId: number): Promise<StatusChange> {
      return inTransaction(async (tx) => {
        const order = await transition(tx, orderId, ['Pending', 'Processing'], 'Expired');
        if (!order) return currentStatus(tx, orderId);
        await releaseOrderStock(tx, orderId);
        await enqueueEvent(tx, { type: 'OrderExpired', version: 1, orderId, userId: order.user_id, expiredAt: new Date().toISOString() });
        return { status: 'Expired', changed: true };
      });
    },
  };
}
