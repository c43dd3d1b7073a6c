// /api/notification: the caller's notifications (written by the notifier from order outcomes), newest first.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from '@hono/zod-openapi';
import { Notification, type INotification } from '../../db/entities.ts';
import { entityManager, type AppEnv } from '../context.ts';
import { ok, route, router } from '../openapi.ts';
import { DEFAULT_PAGE_SIZE, linkHeader, linkNext, pageOf, PageQuery } from '../pagination.ts';

const timestamp = z.string().openapi({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' });

export const NotificationDto = z
  .object({
    id: z.number().int(),
    orderId: z.number().int(),
    message: z.string().openapi({ example: 'Order #1 for user test@example.com was cancelled.' }),
    status: z
      .string()
      .openapi({ description: 'the order outcome: OrderCompleted, OrderExpired or OrderCancelled', example: 'OrderCancelled' }),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .openapi('Notification');

const toNotificationDto = (n: INotification): z.infer<typeof NotificationDto> => ({
  id: n.id,
  orderId: n.order.id,
  message: n.message,
  status: n.eventType,
  createdAt: n.createdAt.toISOString(),
  updatedAt: n.updatedAt.toISOString(),
});

const list = route({
  method: 'get',
  path: '/api/notification',
  operationId: 'listNotifications',
  tags: ['Notifications'],
  summary: 'Your notifications, newest first (paged: follow the Link header)',
  access: 'authenticated',
  request: { query: PageQuery },
  responses: { 200: ok(z.array(NotificationDto), 'Notifications of the caller', linkHeader) },
});

export function notificationRoutes(): OpenAPIHono<AppEnv> {
  const app = router();
  app.openapi(list, async (c) => {
    const { limit = DEFAULT_PAGE_SIZE, cursor } = c.req.valid('query');
    // Newest first by id: notifications are written in the order the outcomes happen.
    const rows = await entityManager(c).find(
      Notification,
      { user: c.get('userId'), ...(cursor !== undefined ? { id: { $lt: cursor } } : {}) },
      { orderBy: { id: 'desc' }, limit: limit + 1 },
    );
    const { rows: notifications, next } = pageOf(rows, limit);
    linkNext(c, next);
    return c.json(notifications.map(toNotificationDto), 200);
  });
  return app;
}
