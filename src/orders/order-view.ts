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

/** A page of a user's orders: newest first, optionally only one status and only orders created after a time. */
export type OrderListQuery = {
  limit: number;
  /** Where the previous page ended: its last order's id and created_at (microseconds, UTC). */
  after?: { id: number; t?: string };
  status?: OrderStatus;
  createdAfter?: Date;
};
export type OrderPage = { orders: OrderView[]; next?: { id: number; t: string } };

export async function listOrderViews(em: EntityManager, userId: number, query: OrderListQuery): Promise<OrderPage> {
  const where = ['o.user_id = ?'];
  const params: unknown[] = [userId];
  if (query.status) {
    where.push('o.status = ?');
    params.push(query.status);
  }
  if (query.createdAfter) {
    where.push('o.created_at > ?');
    params.push(query.createdAfter);
  }
  if (query.after) {
    where.push('(o.created_at, o.id) < (?::timestamptz, ?)');
    params.push(query.after.t ?? 'infinity', query.after.id);
  }
  const rows = await em.execute<(Row & { sortKey: string })[]>(
    `${SELECT.replace('select o.id,', `select to_char(o.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as "sortKey", o.id,`)}
      where ${where.join(' and ')} group by o.id order by o.created_at desc, o.id desc limit ?`,
    [...params, query.limit + 1],
  );
  const orders = rows.slice(0, query.limit).map((row) => {
    const { sortKey, ...rest } = row;
    void sortKey;
    return toView(rest);
  });
  const last = rows.length > query.limit ? rows[query.limit - 1] : undefined;
  return { orders, ...(last ? { next: { id: last.id, t: last.sortKey } } : {}) };
}
