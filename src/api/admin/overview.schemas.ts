// The shape of GET /api/admin/overview, for the OpenAPI document (the console's page reads exactly this).
import { z } from '@hono/zod-openapi';
import { ORDER_STATUSES } from '../../domain/order-lifecycle.ts';
import { ORDER_PHASES } from '../../orders/order-view.ts';
import { OrderStatusName } from '../schemas.ts';

const count = z.number().int().min(0);
const seconds = z.number().min(0);
const time = z.string().openapi({ format: 'date-time' });
/** A measurement that failed (a dependency down or slower than its deadline). */
const Failed = z.object({ error: z.string() });
const countsOf = (names: readonly string[]) => z.object(Object.fromEntries(names.map((n) => [n, count])));

const Backlog = z.object({
  outbox: z.union([z.object({ pending: count, oldestAgeSeconds: seconds }), Failed]),
  consumerLag: z.union([z.object({ bridge: count, notifier: count }), Failed]),
  workflowTasks: z.union([z.object({ backlog: count, oldestAgeSeconds: seconds, pollers: count }), Failed]),
  measuredAt: time.nullable(),
});

const Admission = z.object({
  enabled: z.boolean().openapi({ description: 'whether any ADMISSION_MAX_* limit is set' }),
  admitting: z.boolean(),
  reasons: z.array(z.string()),
  since: time.nullable(),
  checkedAt: time.nullable(),
});

const MinuteRate = z.object({ minute: time, placed: count, completed: count, expired: count, cancelled: count });

const RecentOrder = z.object({
  id: z.number().int(),
  userId: z.number().int(),
  status: OrderStatusName,
  phase: z.enum(ORDER_PHASES as [string, ...string[]]),
  createdAt: time,
  updatedAt: time,
  workflowId: z.string(),
  workflowUrl: z.string().openapi({ description: "the order's workflow in the Temporal Web UI" }),
  timelineUrl: z.string().openapi({ description: 'GET this for what happened to the order' }),
});

export const OverviewDto = z
  .object({
    generatedAt: time,
    backlog: Backlog,
    admission: Admission,
    orders: z.object({ byStatus: countsOf(ORDER_STATUSES), byPhase: countsOf(ORDER_PHASES) }),
    rates: z.object({ minutes: count, perMinute: z.array(MinuteRate).openapi({ description: 'oldest minute first' }) }),
    links: z.object({ temporalUi: z.string(), namespace: z.string(), workflowIdPrefix: z.string() }),
    recentOrders: z.array(RecentOrder),
  })
  .openapi('AdminOverview');
