// An order as the use cases return it: plain data read with one SQL statement (no entity hydration, which was the
// largest share of the API's CPU per request), timestamps as ISO-8601 UTC strings, money as exact decimal strings.
import type { EntityManager } from '@mikro-orm/postgresql';
import { isoTimestamp } from '../db/sql.ts';
import type { OrderStatus } from './order-lifecycle.ts';

export type OrderItemView = { id: number; productId: number; productName: string; quantity: number; price: string };
export type OrderView = {
  id: number;
  userId: number;
  total: string;
  status: OrderStatus;
  createdAt: string;
  updatedAt: string;
  items: OrderItemView[];
};

/** Orders with their items (in id order), each as one row; `where` and `orderBy` name `o` (orders). */
const SELECT = `
  select o.id, o.user_id as "userId", o.total::text as total, o.status,
         ${isoTimestamp('o.created_at')} as "createdAt", ${isoTimestamp('o.updated_at')} as "updatedAt",
         coalesce(json_agg(json_build_object(
           'id', i.id, 'productId', i.product_id, 'productName', p.name, 'quantity', i.quantity, 'price', i.price::text
         ) order by i.id) filter (where i.id is not null), '[]') as items
    from orders o
    left join order_items i on i.order_id = o.id
    left join products p on p.id = i.product_id`;

type Row = Omit<OrderView, 'items'> & { items: OrderItemView[] | string };

const toView = (row: Row): OrderView => ({
  ...row,
  items: typeof row.items === 'string' ? (JSON.parse(row.items) as OrderItemView[]) : row.items,
});

export async function findOrderView(em: EntityManager, id: number): Promise<OrderView | undefined> {
  const [row] = await em.execute<Row[]>(`${SELECT} where o.id = ? group by o.id`, [id]);
  return row ? toView(row) : undefined;
}

export async function listOrderViews(em: EntityManager, userId: number): Promise<OrderView[]> {
  const rows = await em.execute<Row[]>(`${SELECT} where o.user_id = ? group by o.id order by o.created_at desc, o.id desc`, [userId]);
  return rows.map(toView);
}
