// What the operator console shows of the orders, each figure from one bounded statement: open orders by phase (the
// partial index idx_orders_open holds exactly the open orders, with the columns the phase needs), orders placed and
// finished per minute over the last RATE_MINUTES (range scans of idx_orders_created_at / idx_orders_finished: a
// final order is never updated again, so its updated_at is when it finished), and the latest open or just-finished
// orders. Counts by status over all orders are the saga-state measurement (src/health/saga-measurements.ts).
import type { EntityManager } from '@mikro-orm/postgresql';
import { isoTimestamp } from '../db/sql.ts';
import { FINAL_STATUSES, OPEN_STATUSES, type OrderStatus } from '../domain/order-lifecycle.ts';
import type { OrderPhase } from './order-view.ts';

export const RATE_MINUTES = 15;

const list = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');
const OPEN = list(OPEN_STATUSES);
const FINAL = list(FINAL_STATUSES);
/** The phase of order-view.ts, in SQL (o: orders). */
const PHASE = `case when o.status in (${FINAL}) then 'done' when o.status = 'Pending' then 'placed'
  when o.payment_due_at is null then 'charging' else 'awaiting-payment' end`;
const WINDOW_START = `date_trunc('minute', now()) - interval '${RATE_MINUTES - 1} minutes'`;

/** Open orders per phase (`placed`, `charging`, `awaiting-payment`); phases without orders are absent. */
export async function openOrdersByPhase(em: EntityManager): Promise<Partial<Record<OrderPhase, number>>> {
  const rows = await em.execute<{ phase: OrderPhase; count: number }[]>(
    `select ${PHASE} as phase, count(*)::int as count from orders o where o.status in (${OPEN}) group by 1`,
  );
  return Object.fromEntries(rows.map((r) => [r.phase, r.count]));
}

export type MinuteRate = { minute: string; placed: number; completed: number; expired: number; cancelled: number };

/** Per minute, oldest first, the last RATE_MINUTES minutes (the current one included): orders placed and finished. */
export function ratesPerMinute(em: EntityManager): Promise<MinuteRate[]> {
  return em.execute<MinuteRate[]>(
    `with minutes as (select generate_series(${WINDOW_START}, date_trunc('minute', now()), interval '1 minute') as minute),
          placed as (select date_trunc('minute', created_at) as minute, count(*)::int as n
                       from orders where created_at >= ${WINDOW_START} group by 1),
          finished as (select date_trunc('minute', updated_at) as minute,
                              count(*) filter (where status = 'Completed')::int as completed,
                              count(*) filter (where status = 'Expired')::int as expired,
                              count(*) filter (where status = 'Cancelled')::int as cancelled
                         from orders where updated_at >= ${WINDOW_START} and status in (${FINAL}) group by 1)
     select ${isoTimestamp('m.minute')} as minute, coalesce(p.n, 0) as placed, coalesce(f.completed, 0) as completed,
            coalesce(f.expired, 0) as expired, coalesce(f.cancelled, 0) as cancelled
       from minutes m left join placed p using (minute) left join finished f using (minute)
      order by m.minute`,
  );
}

export type RecentOrder = { id: number; userId: number; status: OrderStatus; phase: OrderPhase; createdAt: string; updatedAt: string };

/** The `limit` latest orders that are open or finished within the last RATE_MINUTES, latest change first. */
export function recentOrders(em: EntityManager, limit: number): Promise<RecentOrder[]> {
  const columns = `o.id, o.user_id as "userId", o.status, ${PHASE} as phase, o.updated_at,
    ${isoTimestamp('o.created_at')} as "createdAt", ${isoTimestamp('o.updated_at')} as "updatedAt"`;
  return em.execute<RecentOrder[]>(
    `select id, "userId", status, phase, "createdAt", "updatedAt" from (
       (select ${columns} from orders o where o.status in (${OPEN}) order by o.id desc limit ?)
       union all
       (select ${columns} from orders o where o.updated_at >= now() - interval '${RATE_MINUTES} minutes' and o.status in (${FINAL})
         order by o.updated_at desc limit ?)
     ) recent order by updated_at desc, id desc limit ?`,
    [limit, limit, limit],
  );
}
