// An order as the use cases return it: plain data read with one SQL statement (no entity hydration, which was the
// largest share of the API's CPU per request), timestamps as ISO-8601 UTC strings, money as exact decimal strings.
import type { EntityManager } from '@mikro-orm/postgresql';
import { isoTimestamp } from '../db/sql.ts';
import { isFinalStatus, type OrderStatus } from '../domain/order-lifecycle.ts';

export type OrderItemView = { id: number; productId: number; productName: string; quantity: number; price: string };
/**
 * Where an order is in its saga: `placed` (Pending, the saga has not started it yet), `charging` (Processing, the
 * payment is being taken), `awaiting-payment` (Processing, the payment was declined and the order expires at
 * `paymentDueAt` unless paid), `done` (a final status).
 */
export type OrderPhase = 'placed' | 'charging' | 'awaiting-payment' | 'done';
export const ORDER_PHASES: readonly OrderPhase[] = ['placed', 'charging', 'awaiting-payment', 'done'];

export type OrderView = {
  id: number;
  userId: number;
  total: string;
  status: OrderStatus;
  phase: OrderPhase;
  /** Set while `awaiting-payment`. */
  paymentDueAt: string | null;
  createdAt: string;
  updatedAt: string;
  items: OrderItemView[];
};

function phaseOf(status: OrderStatus, paymentDueAt: string | null): OrderPhase {
  if (isFinalStatus(status)) return 'done';
  if (status === 'Pending') return 'placed';
  return paymentDueAt === null ? 'charging' : 'awaiting-payment';
}

/** The order's status alone (one primary-key read): what a request watching the order needs. */
export async function findOrderStatus(em: EntityManager, id: number): Promise<OrderStatus | undefined> {
  const [row] = await em.execute<{ status: OrderStatus }[]>('select status from orders where id = ?', [id]);
  return row?.status;
}

/** Orders with their items (in id order), each as one row; `where` and `orderBy` name `o` (orders). */
const SELECT = `
  select o.id, o.user_id as "userId", o.total::text as total, o.status,
         ${isoTimestamp('o.created_at')} as "createdAt", ${isoTimestamp('o.updated_at')} as "updatedAt",
         case when o.payment_due_at is null then null else ${isoTimestamp('o.payment_due_at')} end as "paymentDueAt",
         coalesce(json_agg(json_build_object(
           'id', i.id, 'productId', i.product_id, 'productName', p.name, 'quantity', i.quantity, 'price', i.price::text
         ) order by i.id) filter (where i.id is not null), '[]') as items
    from orders o
    left join order_items i on i.order_id = o.id
    left join products p on p.id = i.product_id`;

type Row = Omit<OrderView, 'items' | 'phase'> & { items: OrderItemView[] | string };

const toView = (row: Row): OrderView => {
  const phase = phaseOf(row.status, row.paymentDueAt);
  return {
    ...row,
    phase,
    paymentDueAt: phase === 'awaiting-payment' ? row.paymentDueAt : null,
    items: typeof row.items === 'string' ? (JSON.parse(row.items) as OrderItemView[]) : row.items,
  };
};

export async function findOrderView(em: EntityManager, id: number): Promise<OrderView | undefined> {
  const [row] = await em.execute<Row[]>(`${SELECT} where o.id = ? group by o.id`, [id]);
  return row ? toView(row) : undefined;
}

/** A page of a user's orders: newest first, optionally only one status and only orders created after a time. */
export type OrderListQuery = {
  limit: number;
  /** Continue after this order id (the last order of the previous page). */
  after?: number;
  status?: OrderStatus;
  /** ISO-8601 with an offset; compared by PostgreSQL at its full (microsecond) precision. */
  createdAfter?: string;
};

/** Orders newest first (ids are handed out in creation order), `limit + 1` of them: one extra says more exist. */
export async function listOrderViews(em: EntityManager, userId: number, query: OrderListQuery): Promise<OrderView[]> {
  const where = ['o.user_id = ?'];
  const params: unknown[] = [userId];
  if (query.status) {
    where.push('o.status = ?');
    params.push(query.status);
  }
  if (query.createdAfter) {
    where.push('o.created_at > ?::timestamptz');
    params.push(query.createdAfter);
  }
  if (query.after !== undefined) {
    where.push('o.id < ?');
    params.push(query.after);
  }
  const rows = await em.execute<Row[]>(`${SELECT} where ${where.join(' and ')} group by o.id order by o.id desc limit ?`, [
    ...params,
    query.limit + 1,
  ]);
  return rows.map(toView);
}
