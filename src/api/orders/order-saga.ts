// Status changes requested over HTTP. The API never writes an order's status itself: it asks the order's workflow
// (update-with-start, so a request that beats the bridge starts the same saga) and then reports what the database
// says. Requests that do not fit the order's state are answered 409 with the current status.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { OrderStatus } from '../../domain/order-status.ts';
import type { Logger } from '../../logger.ts';
import type { OrderWorkflowClient } from '../../temporal/order-workflow.client.ts';
import type { IOrder } from '../../db/entities.ts';
import { AppError } from '../errors.ts';
import { loadOrder, ownOrder } from './order.service.ts';

export type OrderWorkflowUpdates = Pick<OrderWorkflowClient, 'awaitProcessing' | 'confirmPayment' | 'cancel'>;
export type SagaAction = 'process' | 'pay' | 'cancel';

const rules: Record<SagaAction, { from: OrderStatus[]; done: (s: OrderStatus) => boolean; verb: string }> = {
  process: { from: ['Pending'], done: (s) => s !== 'Pending', verb: 'process' },
  pay: { from: ['Pending', 'Processing'], done: (s) => s === 'Completed', verb: 'confirm payment for' },
  cancel: { from: ['Pending', 'Processing'], done: (s) => s === 'Cancelled', verb: 'cancel' },
};

/** Maps a requested status (POST /api/order/{id}) to the saga action that reaches it, if any. */
export function actionFor(status: OrderStatus): SagaAction | undefined {
  return ({ Processing: 'process', Completed: 'pay', Cancelled: 'cancel' } as const satisfies Partial<Record<OrderStatus, SagaAction>>)[
    status as 'Processing'
  ];
}

const conflict = (verb: string, status: string) =>
  new AppError(409, `Cannot ${verb} order with status '${status}'`, { currentStatus: status });

function isUnavailable(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === 14) return true; // gRPC UNAVAILABLE
  }
  return false;
}

export async function runSagaAction(
  em: EntityManager,
  saga: OrderWorkflowUpdates,
  log: Logger,
  userId: number,
  id: number,
  action: SagaAction,
): Promise<IOrder> {
  const rule = rules[action];
  const order = await ownOrder(em, userId, id);
  if (!rule.from.includes(order.status as OrderStatus)) throw conflict(rule.verb, order.status);
  const ref = { orderId: order.id, userId: order.user.id, total: order.total, createdAt: order.createdAt.toISOString() };
  try {
    await (action === 'process' ? saga.awaitProcessing(ref) : action === 'pay' ? saga.confirmPayment(ref) : saga.cancel(ref));
  } catch (err) {
    if (isUnavailable(err)) throw new AppError(503, 'Order processing is temporarily unavailable; please retry');
    // Refused by the workflow (it had already finished, or finishes otherwise): the database tells the outcome.
    log.info({ orderId: id, action, err: String(err) }, 'order workflow refused the request');
  }
  const now = await loadOrder(em.fork(), id);
  if (!rule.done(now.status as OrderStatus)) throw conflict(rule.verb, now.status);
  return now;
}
