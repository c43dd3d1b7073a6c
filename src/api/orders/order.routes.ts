// /api/order: a user's own orders. Placing one reserves stock; only Pending orders can be deleted.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from '@hono/zod-openapi';
import { parseOrderStatus } from '../../domain/order-status.ts';
import type { AppEnv } from '../context.ts';
import { toOrderDto } from '../dto.ts';
import { AppError } from '../errors.ts';
import { bearer, errors, jsonBody, ok, route } from '../openapi.ts';
import { Conflict, CreateOrderRequest, IdParam, Message, OrderDto, UpdateOrderStatusRequest } from '../schemas.ts';
import { deleteOrder, listOrders, ownOrder, placeOrder } from './order.service.ts';
import { actionFor, runSagaAction, type OrderWorkflowUpdates } from './order-saga.ts';
import type { Logger } from '../../logger.ts';

const tags = ['Orders'];
const list = route({
  method: 'get',
  path: '/api/order',
  tags,
  summary: 'Your orders, newest first',
  security: bearer,
  responses: { 200: ok(z.array(OrderDto), 'Orders of the caller'), ...errors(401) },
});
const getOne = route({
  method: 'get',
  path: '/api/order/{id}',
  tags,
  summary: 'Get one of your orders',
  security: bearer,
  request: { params: IdParam },
  responses: { 200: ok(OrderDto, 'The order'), ...errors(400, 401, 403, 404) },
});
const create = route({
  method: 'put',
  path: '/api/order',
  tags,
  summary: 'Place an order (prices from the catalogue, stock reserved)',
  security: bearer,
  request: { body: jsonBody(CreateOrderRequest) },
  responses: { 201: ok(OrderDto, 'The new Pending order'), ...errors(400, 401, 422) },
});
const update = route({
  method: 'post',
  path: '/api/order/{id}',
  tags,
  summary: 'Request a status change: Processing (start now), Completed (payment confirmed) or Cancelled',
  security: bearer,
  request: { params: IdParam, body: jsonBody(UpdateOrderStatusRequest) },
  responses: { 200: ok(OrderDto, 'The order'), 409: ok(Conflict, 'Transition not allowed (currentStatus)'), ...errors(400, 401, 403, 404) },
});
const pay = route({
  method: 'post',
  path: '/api/order/{id}/pay',
  tags,
  summary: 'Payment provider callback: the payment for this order went through',
  security: bearer,
  request: { params: IdParam },
  responses: {
    200: ok(OrderDto, 'The Completed order'),
    409: ok(Conflict, 'Already final (currentStatus)'),
    ...errors(400, 401, 403, 404),
  },
});
const cancel = route({
  method: 'post',
  path: '/api/order/{id}/cancel',
  tags,
  summary: 'Cancel one of your orders; its reserved stock is released',
  security: bearer,
  request: { params: IdParam },
  responses: {
    200: ok(OrderDto, 'The Cancelled order'),
    409: ok(Conflict, 'Already final (currentStatus)'),
    ...errors(400, 401, 403, 404),
  },
});
const remove = route({
  method: 'delete',
  path: '/api/order/{id}',
  tags,
  summary: 'Delete a Pending order and release its stock',
  security: bearer,
  request: { params: IdParam },
  responses: { 200: ok(Message, 'Deleted'), 409: ok(Conflict, 'Not Pending (currentStatus)'), ...errors(400, 401, 403, 404) },
});

export function orderRoutes(app: OpenAPIHono<AppEnv>, saga: OrderWorkflowUpdates, log: Logger): void {
  app.openapi(list, async (c) => c.json((await listOrders(c.var.em, c.var.userId)).map(toOrderDto), 200));

  app.openapi(getOne, async (c) => c.json(toOrderDto(await ownOrder(c.var.em, c.var.userId, c.req.valid('param').id)), 200));

  app.openapi(create, async (c) => {
    const order = await placeOrder(c.var.em, c.var.userId, c.req.valid('json').items);
    c.header('Location', `/api/order/${order.id}`);
    return c.json(toOrderDto(order), 201);
  });

  app.openapi(update, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    if (body.id !== id) throw new AppError(400, `Order ID mismatch: the path says ${id}, the body says ${body.id}`);
    const status = parseOrderStatus(body.status);
    if (!status) throw new AppError(400, `Unknown order status: ${String(body.status)}`);
    const action = actionFor(status);
    if (!action) {
      const order = await ownOrder(c.var.em, c.var.userId, id);
      throw new AppError(409, `Cannot change order status from '${order.status}' to '${status}'`, { currentStatus: order.status });
    }
    return c.json(toOrderDto(await runSagaAction(c.var.em, saga, log, c.var.userId, id, action)), 200);
  });

  app.openapi(pay, async (c) =>
    c.json(toOrderDto(await runSagaAction(c.var.em, saga, log, c.var.userId, c.req.valid('param').id, 'pay')), 200),
  );

  app.openapi(cancel, async (c) =>
    c.json(toOrderDto(await runSagaAction(c.var.em, saga, log, c.var.userId, c.req.valid('param').id, 'cancel')), 200),
  );

  app.openapi(remove, async (c) => {
    await deleteOrder(c.var.em, c.var.userId, c.req.valid('param').id);
    return c.json({ message: 'Order deleted successfully' }, 200);
  });
}
