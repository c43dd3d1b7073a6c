// Database activities of OrderWorkflow: one per lifecycle transition (src/domain/order-lifecycle.ts), and
// recordPaymentDue, which notes when a declined order expires unless paid. Each transition is one
// conditional status change (only from the expected current status), with the stock release and the outbox event,
// where it has them, in the same transaction. Run twice, an activity changes nothing the second time and reports the
// status it finds.
import type { Orm } from '../src/db/orm.ts';
import type { StatusTransitionName } from '../src/domain/order-lifecycle.ts';
import { TRANSITIONS } from '../src/domain/order-lifecycle.ts';
import { applyAtomically, currentState } from '../src/orders/order-transitions.ts';
import type { StatusChange } from '../workflows/order.definitions.ts';

/** The transition each activity applies. The activity names are part of the recorded workflow histories: keep them. */
export const ACTIVITY_TRANSITIONS = {
  markProcessing: 'start',
  completeOrder: 'complete',
  cancelOrder: 'cancel',
  expireOrder: 'expire',
} as const satisfies Record<string, StatusTransitionName>;

type OrderActivities = Record<keyof typeof ACTIVITY_TRANSITIONS, (orderId: number) => Promise<StatusChange>> & {
  /** Records when the order expires unless paid (while it can still be paid); true when recorded. */
  recordPaymentDue(orderId: number, dueAt: string): Promise<boolean>;
};

/** The statuses in which an order can still be paid: those the `complete` transition leaves. */
const PAYABLE = TRANSITIONS.complete.from;

export function createOrderActivities({ orm }: { orm: Orm }): OrderActivities {
  const run = async (orderId: number, name: StatusTransitionName): Promise<StatusChange> => {
    if (await applyAtomically(orm.em, orderId, name)) return { status: TRANSITIONS[name].to, changed: true };
    const found = await currentState(orm.em.fork(), orderId);
    if (!found) return { status: 'Missing', changed: false };
    // A start that finds the order already Processing tells the run where the earlier run got to (v6 resumes).
    if (name === 'start' && found.status === 'Processing')
      return { status: found.status, changed: false, paymentDueAt: found.paymentDueAt };
    return { status: found.status, changed: false };
  };
  const entries = Object.entries(ACTIVITY_TRANSITIONS).map(([activity, name]) => [activity, (orderId: number) => run(orderId, name)]);
  const recordPaymentDue = async (orderId: number, dueAt: string): Promise<boolean> => {
    const rows = await orm.em
      .fork()
      .execute<{ id: number }[]>(
        `update orders set payment_due_at = ? where id = ? and status in (${PAYABLE.map(() => '?').join(', ')}) returning id`,
        [dueAt, orderId, ...PAYABLE],
      );
    return rows.length > 0;
  };
  return { ...(Object.fromEntries(entries) as Omit<OrderActivities, 'recordPaymentDue'>), recordPaymentDue };
}
