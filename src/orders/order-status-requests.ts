// Status changes a customer requests (POST /api/order/{id}, /pay, /cancel). The request is recorded in the order's
// workflow as a signal (signal-with-start, so a request that beats the bridge starts the same workflow), and the
// database then tells whether the order got where the request wanted. Which statuses accept a request, and when it
// counts as done, both follow from the lifecycle table (order-lifecycle.ts).
//
// Why a signal and a look at the database rather than a workflow update: the charge runs inside the workflow task
// that moved the order to Processing (workflow v4), so for its 5 s nothing new reaches the workflow. An update sent
// then is answered only when the charge returns; a signal is in the history at once. The answer is then the order as
// the database has it: 200 once it got there, 202 with Location while the request waits for the charge (or for a
// backlog to clear), 409 when it can no longer get there.
//
// Processing is the one status the API writes itself, as the original contract does: it applies the workflow's own
// first step (Pending → Processing, the same conditional transition) while the signal-with-start starts the saga, and
// answers at once, without waiting for a worker to pick the workflow up. Whichever of the two comes second finds the
// order Processing and changes nothing; the workflow then charges as usual, and every outcome stays the workflow's.
// The saga does not depend on the signal: the order's OrderCreated starts it through the bridge (or the reconciler
// does), so an order moved to Processing while Temporal is unreachable is still charged once Temporal is back.
import type { EntityManager } from '@mikro-orm/postgresql';
import { StateConflictError } from '../domain/errors.ts';
import type { Logger } from '../logger.ts';
import type { OrderRef, OrderWorkflowClient, RequestOutcome } from '../temporal/order-workflow.client.ts';
import type { OrderRequest } from '../../workflows/order.definitions.ts';
import { canReach, hasReached, type OrderStatus } from '../domain/order-lifecycle.ts';
import { loadOrder, ownOrder } from './order.service.ts';
import { findOrderStatus, type OrderView } from './order-view.ts';
import { applyAtomically } from './order-transitions.ts';

/** What the API asks of an order's workflow: record a customer's request, and read its history for the timeline. */
export type OrderWorkflows = Pick<OrderWorkflowClient, 'request' | 'timeline'>;

/** The statuses a customer may ask for, the request that gets the order there, and the words of a refusal. */
const requests = {
  Processing: { request: 'process', verb: 'process' },
  Completed: { request: 'pay', verb: 'confirm payment for' },
  Cancelled: { request: 'cancel', verb: 'cancel' },
} as const satisfies Partial<Record<OrderStatus, { request: OrderRequest; verb: string }>>;

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

/** `done`: the order got to the target (or past it). Otherwise the workflow has the request and had not acted on it
 * yet (its charge in flight, or a backlog); the order is shown as it is now. */
export type StatusRequestResult = { order: OrderView; done: boolean };

/**
 * The pause before the next look at the order, by how long the request has watched: a request usually takes effect
 * within tens of milliseconds, and each look is one primary-key read, so look often at first and rarely later.
 */
const pauseAfter = (watchedMs: number) => (watchedMs < 500 ? 10 : watchedMs < 2000 ? 50 : 200);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Watches the order until it has reached `target`, can no longer reach it, or `until` passes. */
async function watch(em: EntityManager, orderId: number, target: RequestableStatus, until: number): Promise<void> {
  const started = Date.now();
  for (;;) {
    const status = await findOrderStatus(em, orderId);
    if (!status || hasReached(status, target) || !canReach(status, target) || Date.now() >= until) return;
    await pause(Math.min(pauseAfter(Date.now() - started), Math.max(0, until - Date.now())));
  }
}

const noteResumed = (log: Logger, orderId: number, target: RequestableStatus, outcome: RequestOutcome) => {
  if (outcome === 'resumed') log.warn({ orderId, target }, 'order workflow had ended unfinished; a new run resumes the order');
};

/**
 * A Processing request for a Pending order: the saga's first step in the database and the signal-with-start, both at
 * once. Temporal unreachable is an UnavailableError only when the order did not move (nothing was done).
 */
async function startNow(em: EntityManager, workflows: OrderWorkflows, log: Logger, ref: OrderRef, deadline: number) {
  const { orderId } = ref;
  const [recording, moved] = await Promise.allSettled([
    workflows.request(ref, 'process', new Date(deadline)),
    applyAtomically(em, orderId, 'start'),
  ]);
  if (moved.status === 'rejected') throw moved.reason;
  if (recording.status === 'rejected') {
    if (!moved.value) throw recording.reason;
    log.warn(
      { orderId, err: recording.reason },
      'order moved to Processing; its workflow starts when Temporal answers (bridge or reconciler)',
    );
  } else noteResumed(log, orderId, 'Processing', recording.value);
  const now = await loadOrder(em.fork(), orderId);
  if (hasReached(now.status, 'Processing')) return { order: now, done: true };
  throw conflict(requests.Processing.verb, now.status);
}

/**
 * Asks the caller's order to move to `target`. A request the order's status can no longer lead to is a
 * StateConflictError carrying the current status; Temporal unreachable is an UnavailableError.
 */
export async function requestStatus(
  em: EntityManager,
  workflows: OrderWorkflows,
  log: Logger,
  { userId, orderId, target, timeoutMs, alreadyThereIsSuccess }: StatusRequest,
): Promise<StatusRequestResult> {
  const { request, verb } = requests[target];
  const deadline = Date.now() + timeoutMs;
  const order = await ownOrder(em, userId, orderId);
  if (alreadyThereIsSuccess && hasReached(order.status, target)) return { order, done: true };
  if (!canReach(order.status, target)) throw conflict(verb, order.status);
  const ref = { orderId: order.id, userId: order.userId, total: order.total, createdAt: order.createdAt };
  if (target === 'Processing') return startNow(em, workflows, log, ref, deadline);
  const outcome = await workflows.request(ref, request, new Date(deadline));
  noteResumed(log, orderId, target, outcome);
  const recorded = outcome === 'closed' ? 'closed' : 'recorded';
  // A workflow that has ended acts on nothing more: the database already says how the order ended. A request that
  // found the order charging waits for the charge to return (seconds): it is under way, and the answer says so at
  // once. (Judged by the phase before the request: an order that was Pending shows `charging` for a moment while
  // its first workflow task, having the request already, moves it on without charging.)
  if (recorded === 'closed') log.info({ orderId, target }, 'order workflow already closed; answering from the database');
  const waitsForCharge = order.phase === 'charging';
  if (recorded === 'recorded' && !waitsForCharge) await watch(em, orderId, target, deadline);
  const now = await loadOrder(em.fork(), orderId);
  if (hasReached(now.status, target)) return { order: now, done: true };
  if (recorded === 'recorded' && canReach(now.status, target)) return { order: now, done: false };
  throw conflict(verb, now.status);
}
