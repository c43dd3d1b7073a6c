// Gives an order's reserved stock back. Call only in the transaction that moves the order out of reservation
// (cancel, expire, delete), right after a conditional change that succeeded, so it happens exactly once.
import type { EntityManager } from '@mikro-orm/postgresql';

export async function releaseOrderStock(tx: EntityManager, orderId: number): Promise<void> {
  await tx.execute(
    `update products p set stock = p.stock + r.quantity
       from (select product_id, sum(quantity) as quantity from order_items where order_id = ? group by product_id) r
      where p.id = r.product_id`,
    [orderId],
  );
}
