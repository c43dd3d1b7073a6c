// /api/order: a user's own orders. Placing one reserves stock; only Pending orders can be deleted.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { z } from '@hono/zod-openapi';
import { parseOrderStatus } from '../../domain/order-lifecycle.ts';
import { deleteOrder, listOrders, loadOrder, ownOrder, placeOrder } from '../../orders/order.service.ts';
import { isRequestable, requestStatus, type OrderWorkflows, type RequestableStatus } from '../../orders/order-status-requests.ts';
import { StateConflictError } from '../../domain/errors.ts';
import { fingerprintOf, hasIdempotentOrder } from '../../orders/order-idempotency.ts';
import type { AdmissionControl } from '../../health/admission.ts';
import type { Metrics } from '../../metrics/metrics.ts';
import { orderTimeline } from '../../orders/order-timeline.ts';
import { db, type AppEnv } from '../context.ts';
import { toOrderDto } from '../dto.ts';
import { AppError } from '../errors.ts';
import { errors, jsonBody, link, ok, route, router } from '../openapi.ts';
import { DEFAULT_PAGE_SIZE, linkHeader, linkNext, pageOf, PageQuery } from '../pagination.ts';
import { CreateOrderRequest, IdParam, Message, OrderDto, OrderStatusName, UpdateOrderStatusRequest } from '../schemas.ts';
import type { Logger } from '../../logger.ts';

const tags = ['Orders'];
const accepted =
  "Accepted: the request is recorded in the order's workflow and takes effect later (at once when the order's charge " +
  'is in flight, phase `charging`; otherwise when the workflow did not act on it within ORDER_REQUEST_TIMEOUT, a ' +
  'backlog); the body shows the order as it is now and Location points to it';
const ListQuery = PageQuery.extend({
  status: OrderStatusName.optional().openapi({ param: { name: 'status', in: 'query' }, description: 'only orders in this status' }),
  createdAfter: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({
      param: { name: 'createdAfter', in: 'query' },
      description: 'only orders created after this time',
      example: '2026-11-27T10:00:00Z',
    }),
});
const list = route({
  method: 'get',
  path: '/api/order',
  operationId: 'listOrders',
  tags,
  summary: 'Your orders, newest first (paged: follow the Link header)',
  access: 'authenticated',
  request: { query: ListQuery },
  responses: { 200: ok(z.array(OrderDto), 'Orders of the caller', linkHeader) },
});
const getOne = route({
  operationId: 'getOrder',
  method: 'get',
  path: '/api/order/{id}',
  tags,
  summary: 'Get one of your orders (an admin: any order)',
  access: 'authenticated',
  request: { params: IdParam },
  responses: { 200: ok(OrderDto, 'The order'), ...errors(403, 404) },
});
const IdempotencyHeader = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(200)
    .regex(/^[\x21-\x7e]+$/, 'Idempotency-Key must be 1-200 visible ASCII characters')
    .optional()
    .openapi({
      param: { name: 'idempotency-key', in: 'header' },
      description:
        'a key of your choosing (e.g. a UUID) that makes retries safe: the same key and body within 24 hours return the first ' +
        'answer (201, the same order, no second reservation); the same key with another body is 422',
      example: '5f0c6a52-3d1e-4a8e-9d0b-7a4f1c2e9b10',
    }),
});
const create = route({
  method: 'put',
  path: '/api/order',
  operationId: 'createOrder',
  tags,
  summary: 'Place an order (prices from the catalogue, stock reserved)',
  access: 'authenticated',
  request: { headers: IdempotencyHeader, body: jsonBody(CreateOrderRequest) },
  responses: {
    201: ok(
      OrderDto,
      'The new Pending order (or, for a repeated Idempotency-Key, the order the first request placed)',
      {
        Location: { description: 'the order', schema: { type: 'string' } },
        'Idempotent-Replayed': {
          description: '`true` when this answer repeats an earlier request with the same key',
          schema: { type: 'string' },
        },
      },
      {
        getOrder: link('getOrder'),
        payOrder: link('payOrder'),
        cancelOrder: link('cancelOrder'),
        requestProcessing: link('updateOrderStatus', 'body', { id: '$response.body#/id', status: 'Processing' }),
        deleteOrder: link('deleteOrder'),
      },
    ),
    ...errors(409, 422),
  },
});
const update = route({
  operationId: 'updateOrderStatus',
  method: 'post',
  path: '/api/order/{id}',
  tags,
  summary: 'Request a status change: Processing (start now), Completed (payment confirmed) or Cancelled',
  access: 'authenticated',
  request: { params: IdParam, body: jsonBody(UpdateOrderStatusRequest) },
  responses: {
    200: ok(OrderDto, 'The order'),
    202: ok(OrderDto, accepted),
    ...errors(403, 404, 409),
  },
});
/** POST /api/order/{id}/<action>: a status request without a body. */
const statusAction = (action: string, summary: string, target: RequestableStatus) =>
  route({
    operationId: `${action}Order`,
    method: 'post',
    path: `/api/order/{id}/${action}`,
    tags,
    summary,
    access: 'authenticated',
    request: { params: IdParam },
    responses: {
      200: ok(OrderDto, `The ${target} order (also when it already was)`),
      202: ok(OrderDto, accepted),
      ...errors(403, 404, 409),
    },
  });
const pay = statusAction('pay', 'Payment provider callback: the payment for this order went through', 'Completed');
const cancel = statusAction('cancel', 'Cancel one of your orders; its reserved stock is released', 'Cancelled');
const remove = route({
  operationId: 'deleteOrder',
  method: 'delete',
  path: '/api/order/{id}',
  tags,
  summary: 'Delete a Pending order and release its stock',
  access: 'authenticated',
  request: { params: IdParam },
  responses: { 200: ok(Message, 'Deleted', undefined, { getDeletedOrder: link('getOrder', 'path') }), ...errors(403, 404, 409) },
});

const TimelineEntryDto = z
  .object({
    at: z.string().openapi({ format: 'date-time' }),
    source: z.enum(['database', 'outbox', 'workflow', 'notifications', 'reconciler']),
    event: z.string().openapi({ example: 'event-published' }),
    detail: z.string().openapi({ example: 'OrderCreated published to order-created' }),
  })
  .openapi('TimelineEntry');
const OrderTimelineDto = z
  .object({
    orderId: z.number().int(),
    status: OrderStatusName,
    entries: z.array(TimelineEntryDto),
    missing: z
      .array(z.object({ part: z.literal('workflow'), reason: z.string() }))
      .openapi({ description: 'parts that could not be read (e.g. Temporal unreachable); the entries hold the rest' }),
  })
  .openapi('OrderTimeline');
const timeline = route({
  method: 'get',
  path: '/api/order/{id}/timeline',
  operationId: 'getOrderTimeline',
  tags,
  summary: 'What happened to one of your orders, in time order (database, outbox, workflow history, notifications)',
  access: 'authenticated',
  request: { params: IdParam },
  responses: { 200: ok(OrderTimelineDto, 'The timeline; `missing` names any part that could not be read'), ...errors(403, 404) },
});

export type OrderRouteDeps = {
  workflows: OrderWorkflows;
  log: Logger;
  requestTimeoutMs: number;
  /** Refuses new orders while the saga's backlog is over its limits (the api role gives it). */
  admission?: AdmissionControl;
  /** Seconds a refused client is told to wait (Retry-After). */
  retryAfterSeconds?: number;
  metrics?: Metrics;
};

export function orderRoutes({
  workflows,
  log,
  requestTimeoutMs,
  admission,
  retryAfterSeconds = 5,
  metrics,
}: OrderRouteDeps): OpenAPIHono<AppEnv> {
  const app = router();
  // Registered at start, so /metrics shows 0 before the first refusal.
  const refusals = metrics?.admission.refusals;
  /** Throws 503 overloaded while admission is closed, unless the request is the retry of an order already accepted. */
  const admit = async (c: Context<AppEnv>, key: string | undefined) => {
    const state = admission?.state();
    if (!state || state.admitting) return;
    if (key !== undefined && (await hasIdempotentOrder(db(c), c.get('userId'), key))) return;
    refusals?.inc();
    throw new AppError('overloaded', `Not accepting new orders right now: ${state.reasons.join('; ')}. Please retry later`, {
      headers: { 'Retry-After': String(retryAfterSeconds) },
      details: { reasons: state.reasons },
    });
  };
  /** 200 with the order once it got there, 202 with Location while the workflow is still on it. */
  const answer = async (c: Context<AppEnv>, orderId: number, target: RequestableStatus, alreadyThereIsSuccess: boolean) => {
    const request = { userId: c.get('userId'), orderId, target, timeoutMs: requestTimeoutMs, alreadyThereIsSuccess };
    const { order, done } = await requestStatus(db(c), workflows, log, request);
    if (!done) c.header('Location', `/api/order/${order.id}`);
    return c.json(toOrderDto(order), done ? 200 : 202);
  };

  app.openapi(list, async (c) => {
    const { limit = DEFAULT_PAGE_SIZE, cursor, status, createdAfter } = c.req.valid('query');
    const query = { limit, after: cursor, status, createdAfter };
    const { rows: orders, next } = pageOf(await listOrders(db(c), c.get('userId'), query), limit);
    linkNext(c, next);
    return c.json(orders.map(toOrderDto), 200);
  });

  app.openapi(getOne, async (c) => {
    const { id } = c.req.valid('param');
    // A customer reads their own orders; an admin (support) any order.
    const order = c.get('role') === 'admin' ? await loadOrder(db(c), id) : await ownOrder(db(c), c.get('userId'), id);
    return c.json(toOrderDto(order), 200);
  });

  app.openapi(create, async (c) => {
    const { items } = c.req.valid('json');
    const key = c.req.valid('header')['idempotency-key'];
    await admit(c, key);
    const idempotency = key === undefined ? undefined : { key, fingerprint: fingerprintOf(items) };
    const { order, replayed } = await placeOrder(db(c), c.get('userId'), items, idempotency);
    c.header('Location', `/api/order/${order.id}`);
    if (replayed) c.header('Idempotent-Replayed', 'true');
    return c.json(toOrderDto(order), 201);
  });

  app.openapi(update, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    if (body.id !== id) throw new AppError('id-mismatch', `Order ID mismatch: the path says ${id}, the body says ${body.id}`);
    const status = parseOrderStatus(body.status);
    if (!status) throw new AppError('validation-failed', `Unknown order status: ${String(body.status)}`);
    if (!isRequestable(status)) {
      const order = await ownOrder(db(c), c.get('userId'), id);
      throw new StateConflictError(`Cannot change order status from '${order.status}' to '${status}'`, { currentStatus: order.status });
    }
    // The original contract: asking for the status an order already has is a conflict, unlike a retried /pay.
    return answer(c, id, status, false);
  });

  app.openapi(timeline, async (c) => {
    const { id } = c.req.valid('param');
    const order = c.get('role') === 'admin' ? await loadOrder(db(c), id) : await ownOrder(db(c), c.get('userId'), id);
    return c.json(await orderTimeline(db(c), order, (orderId) => workflows.timeline(orderId)), 200);
  });

  app.openapi(pay, (c) => answer(c, c.req.valid('param').id, 'Completed', true));
  app.openapi(cancel, (c) => answer(c, c.req.valid('param').id, 'Cancelled', true));

  app.openapi(remove, async (c) => {
    await deleteOrder(db(c), c.get('userId'), c.req.valid('param').id);
    return c.json({ message: 'Order deleted successfully' }, 200);
  });
  return app;
}
