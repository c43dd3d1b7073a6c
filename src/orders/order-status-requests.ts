// Status changes a customer requests (POST /api/order/{id}, /pay, /cancel). Nothing here writes an order's status:
// the request goes to the order's workflow (update-with-start, so a request that beats the bridge starts the same
// workflow), and the database then tells whether the order got where the request wanted. Which statuses accept a
// request, and when it counts as done, both follow from the lifecycle table (order-lifecycle.ts).
import type { EntityManager } from '@mikro-orm/postgresql';
import { StateConflictError, UnavailableError } from '../domain/errors.ts';
import type { Logger } from '../logger.ts';
import type { OrderWorkflowClient, UpdateOutcome } from '../temporal/order-workflow.client.ts';
import { canReach, hasReached, type OrderStatus } from './order-lifecycle.ts';
import { loadOrder, ownOrder } from './order.service.ts';
import type { OrderView } from './order-view.ts';

/** The workflow updates the API sends. */
/** What the API asks of an order's workflow: the three status requests, and its history for the timeline. */
export type OrderWorkflowUpdates = Pick<OrderWorkflowClient, 'awaitProcessing' | 'confirmPayment' | 'cancel' | 'timeline'>;

/** The statuses a customer may ask for, the update that gets the order there, and the words of a refusal. */
const requests = {
  Processing: { send: (w: OrderWorkflowUpdates) => w.awaitProcessing.bind(w), verb: 'process' },
  Completed: { send: (w: OrderWorkflowUpdates) => w.confirmPayment.bind(w), verb: 'confirm payment for' },
  Cancelled: { send: (w: OrderWorkflowUpdates) => w.cancel.bind(w), verb: 'cancel' },
} as const satisfies Partial<Record<OrderStatus, unknown>>;

export type RequestableStatus = keyof typeof requests;

export function isRequestable(status: OrderStatus): status is RequestableStatus {
  return status in requests;
}

const conflict = (verb: string, status: string) =>
  new StateConflictError(`Cannot ${verb} order with status '${status}'`, { currentStatus: status });

export type StatusRequest = {
  userId: number;
  orderId: number;
  target: RequestableStatus;
  /** How long to wait for the workflow before answering that the change is under way. */
  timeoutMs: number;
  /** Whether an order already at the target counts as success (a retried /pay or /cancel) rather than a conflict. */
  alreadyThereIsSuccess: boolean;
};

/** `done`: the order got to the target (or past it). Otherwise the workflow has the request and had not finished it
 * by the deadline; the order is shown as it is now. */
export type StatusRequestResult = { order: OrderView; done: boolean };

/**
 * Asks the caller's order to move to `target`. A request the order's status can no longer lead to is a
 * StateConflictError carrying the current status; Temporal unreachable is an UnavailableError.
 */
export async function requestStatus(
  em: EntityManager,
  workflows: OrderWorkflowUpdates,
  log: Logger,
  { userId, orderId, target, timeoutMs, alreadyThereIsSuccess }: StatusRequest,
): Promise<StatusRequestResult> {
  const { send, verb } = requests[target];
  const order = await ownOrder(em, userId, orderId);
  if (alreadyThereIsSuccess && hasReached(order.status, target)) return { order, done: true };
  if (!canReach(order.status, target)) throw conflict(verb, order.status);
  const ref = { orderId: order.id, userId: order.userId, total: order.total, createdAt: order.createdAt };
  let outcome: UpdateOutcome | undefined;
  try {
    outcome = await send(workflows)(ref, new Date(Date.now() + timeoutMs));
  } catch (err) {
    if (err instanceof UnavailableError) throw err;
    // Refused by the workflow (it had already finished, or finishes otherwise): the database tells the outcome.
    log.info({ orderId, target, err: String(err) }, 'order workflow refused the request');
  }
  const now = await loadOrder(em.fork(), orderId);
  if (hasReached(now.status, target)) return { order: now, done: true };
  if (outcome === 'in-progress' && canReach(now.status, target)) return { order: now, done: false };
  throw conflict(verb, now.status);
}
