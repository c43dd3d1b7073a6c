// Walks the lifecycle table (src/domain/order-lifecycle.ts) against the real database: for every transition and
// every status an order can be in, the activity (or, for delete, the API) does exactly what the table says — moves
// the order or leaves it untouched, releases stock or not, writes the outcome event or not. With the checks on the
// database's own status constraint and on the activity list, a status or transition cannot be half-added.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ACTIVITY_TRANSITIONS, createOrderActivities } from '../../activities/order.activities.ts';
import { initOrm, type Orm } from '../../src/db/orm.ts';
import { allows, ORDER_STATUSES, TRANSITIONS, type OrderStatus, type TransitionName } from '../../src/domain/order-lifecycle.ts';
import { startTestApi, type TestApi } from '../helpers/api.ts';
import { testConfig } from '../helpers/config.ts';
import { createOrder, createProduct, sql, uniqueName } from './api/support.ts';

let api: TestApi;
let orm: Orm;
let activities: ReturnType<typeof createOrderActivities>;
let buyer: { id: number; token: string };

beforeAll(async () => {
  api = await startTestApi();
  orm = await initOrm(testConfig());
  activities = createOrderActivities({ orm });
  buyer = await api.newUser('Lifecycle Buyer');
});
afterAll(async () => {
  await orm?.close();
  await api?.close();
});

/** An order of 3 from a product with stock 10 (so 7 left), put into `status` directly, as if it had got there. */
async function orderIn(status: OrderStatus) {
  const product = await createProduct(api, buyer.token, { name: uniqueName('Lifecycle product'), price: 4.25, stock: 10 });
  const order = await createOrder(api, buyer.token, [{ productId: product.id, quantity: 3 }]);
  await sql(api, 'update orders set status = ? where id = ?', [status, order.id]);
  return { orderId: order.id, productId: product.id };
}

async function snapshot({ orderId, productId }: { orderId: number; productId: number }) {
  const [order] = await sql<{ status: OrderStatus }>(api, 'select status from orders where id = ?', [orderId]);
  const [product] = await sql<{ stock: number }>(api, 'select stock from products where id = ?', [productId]);
  const events = await sql<{ type: string }>(api, `select payload->>'type' as type from outbox where order_id = ? order by id`, [orderId]);
  return { status: order?.status ?? null, stock: product!.stock, events: events.map((e) => e.type) };
}

const activityOf = Object.fromEntries(Object.entries(ACTIVITY_TRANSITIONS).map(([activity, name]) => [name, activity])) as Record<
  TransitionName,
  keyof typeof ACTIVITY_TRANSITIONS
>;
const cases = Object.entries(ACTIVITY_TRANSITIONS).flatMap(([activity, name]) =>
  ORDER_STATUSES.map((from) => ({ activity: activity as keyof typeof ACTIVITY_TRANSITIONS, name, from })),
);

describe('the lifecycle table against the database', () => {
  it("when the database's status constraint is read, then it allows exactly the table's statuses", async () => {
    const [row] = await sql<{ def: string }>(
      api,
      "select pg_get_constraintdef(oid) as def from pg_constraint where conname = 'orders_status_known'",
    );
    const allowed = [...row!.def.matchAll(/'([A-Za-z]+)'/g)].map((m) => m[1]);
    expect(allowed.sort()).toEqual([...ORDER_STATUSES].sort());
  });

  it('when the activities are listed, then every transition that keeps the order has exactly one', () => {
    const kept = Object.entries(TRANSITIONS)
      .filter(([, t]) => t.to !== null)
      .map(([name]) => name);
    expect(Object.values(ACTIVITY_TRANSITIONS).sort()).toEqual(kept.sort());
    expect(Object.keys(activityOf)).toHaveLength(kept.length);
  });

  it.each(cases)('when $activity ($name) runs on a $from order, then it does what the table says', async ({ activity, name, from }) => {
    const order = await orderIn(from);
    const before = await snapshot(order);
    const transition = TRANSITIONS[name];

    const result = await activities[activity](order.orderId);

    const after = await snapshot(order);
    if (allows(name, from)) {
      expect(result).toEqual({ status: transition.to, changed: true });
      expect(after).toEqual({
        status: transition.to,
        stock: transition.releasesStock ? 10 : 7,
        events: transition.event ? [...before.events, transition.event] : before.events,
      });
    } else {
      // A start that finds the order Processing also reports its payment due time (none here), for a resumed run (v6).
      const resumed = activity === 'markProcessing' && from === 'Processing' ? { paymentDueAt: null } : {};
      expect(result).toEqual({ status: from, changed: false, ...resumed });
      expect(after).toEqual(before);
    }
  });

  it.each(ORDER_STATUSES)('when a %s order is deleted, then it goes only if the table allows, releasing its stock', async (from) => {
    const order = await orderIn(from);
    const before = await snapshot(order);

    const res = await api.request('DELETE', `/api/order/${order.orderId}`, { token: buyer.token });

    if (allows('delete', from)) {
      expect(res.status).toBe(200);
      expect(await snapshot(order)).toEqual({ status: null, stock: TRANSITIONS.delete.releasesStock ? 10 : 7, events: [] });
    } else {
      expect(res.status).toBe(409);
      expect(res.body.currentStatus).toBe(from);
      expect(await snapshot(order)).toEqual(before);
    }
  });
});
