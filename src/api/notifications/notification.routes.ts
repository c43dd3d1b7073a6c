// /api/notification: the caller's notifications (written by the notifier from order outcomes), newest first.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from '@hono/zod-openapi';
import { Notification, type INotification } from '../../db/entities.ts';
import type { AppEnv } from '../context.ts';
import { ok, route, router } from '../openapi.ts';

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
  operationId: 'listNotifications',
  method: 'get',
  path: '/api/notification',
  tags: ['Notifications'],
  summary: 'Your notifications, newest first',
  access: 'authenticated',
  responses: { 200: ok(z.array(NotificationDto), 'Notifications of the caller') },
});

export function notificationRoutes(): OpenAPIHono<AppEnv> {
  const app = router();
  app.openapi(list, async (c) => {
    // id breaks ties between rows written in the same instant (e.g. one transaction's now()).
    const rows = await c.var.em.find(Notification, { user: c.var.userId }, { orderBy: { createdAt: 'desc', id: 'desc' } });
    return c.json(rows.map(toNotificationDto), 200);
  });
  return app;
}
