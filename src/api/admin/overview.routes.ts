// GET /api/admin/overview: everything the operator console (/ops) polls, in one answer: the saga's backlog (the
// measurements /health/saga uses, src/health/saga-backlog.ts), the admission-control verdict, orders by status and by
// phase, orders placed and finished per minute over the last 15 minutes, the latest open or just-finished orders, and
// where their workflows are in the Temporal Web UI. Admins only; every figure comes from a bounded statement
// (src/orders/order-overview.ts).
import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from '@hono/zod-openapi';
import type { Config } from '../../config.ts';
import { FINAL_STATUSES, ORDER_STATUSES } from '../../domain/order-lifecycle.ts';
import type { AdmissionControl } from '../../health/admission.ts';
import type { SagaBacklog } from '../../health/saga-backlog.ts';
import { ordersByStatus } from '../../health/saga-measurements.ts';
import { openOrdersByPhase, RATE_MINUTES, ratesPerMinute, recentOrders } from '../../orders/order-overview.ts';
import { ORDER_PHASES } from '../../orders/order-view.ts';
import { orderWorkflowId } from '../../../workflows/order.definitions.ts';
import { db, type AppEnv } from '../context.ts';
import { ok, route, router } from '../openapi.ts';
import { OverviewDto } from './overview.schemas.ts';

const overview = route({
  method: 'get',
  path: '/api/admin/overview',
  operationId: 'getAdminOverview',
  access: 'admin',
  tags: ['Admin'],
  summary: 'The saga at a glance: backlog, admission, orders by status and phase, rates, recent orders',
  description: 'What the operator console at /ops shows. Admins only; the console sends its session cookie instead of a bearer token.',
  request: {
    query: z.object({
      limit: z.coerce
        .number()
        .int()
        .min(1)
        .max(100)
        .optional()
        .openapi({ param: { name: 'limit', in: 'query' }, description: 'recent orders to list (default 20)', example: 20 }),
    }),
  },
  responses: { 200: ok(OverviewDto, 'The overview') },
});

export type OverviewDeps = {
  config: Pick<Config, 'TEMPORAL_UI_URL' | 'TEMPORAL_NAMESPACE' | 'TEMPORAL_WORKFLOW_ID_PREFIX'>;
  /** Measures the backlog (the api role gives it); without one the backlog reads "not measured by this process". */
  backlog?: () => Promise<SagaBacklog>;
  admission?: AdmissionControl;
};

const notMeasured = { error: 'not measured by this process' };

export function overviewRoutes({ config, backlog, admission }: OverviewDeps): OpenAPIHono<AppEnv> {
  const app = router();
  const ui = config.TEMPORAL_UI_URL.replace(/\/+$/, '');
  const namespace = config.TEMPORAL_NAMESPACE;
  const workflowUrl = (workflowId: string) =>
    `${ui}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;

  app.openapi(overview, async (c) => {
    const { limit = 20 } = c.req.valid('query');
    const em = db(c);
    const [measuredBacklog, statusRows, phases, perMinute, recent] = await Promise.all([
      backlog ? backlog() : { outbox: notMeasured, consumerLag: notMeasured, workflowTasks: notMeasured, measuredAt: null },
      ordersByStatus(c.get('orm')),
      openOrdersByPhase(em),
      ratesPerMinute(em),
      recentOrders(em, limit),
    ]);
    const byStatus = Object.fromEntries(ORDER_STATUSES.map((s) => [s, statusRows.find((r) => r.status === s)?.count ?? 0]));
    const done = FINAL_STATUSES.reduce((sum, s) => sum + byStatus[s]!, 0);
    const byPhase = Object.fromEntries(ORDER_PHASES.map((p) => [p, p === 'done' ? done : (phases[p] ?? 0)]));
    const state = admission?.state() ?? { admitting: true as const, checkedAt: null };
    return c.json(
      {
        generatedAt: new Date().toISOString(),
        backlog: measuredBacklog,
        admission: {
          enabled: admission?.enabled ?? false,
          admitting: state.admitting,
          reasons: state.admitting ? [] : state.reasons,
          since: state.admitting ? null : state.since,
          checkedAt: state.checkedAt,
        },
        orders: { byStatus, byPhase },
        rates: { minutes: RATE_MINUTES, perMinute },
        links: { temporalUi: ui, namespace, workflowIdPrefix: config.TEMPORAL_WORKFLOW_ID_PREFIX },
        recentOrders: recent.map((o) => {
          const workflowId = orderWorkflowId(config.TEMPORAL_WORKFLOW_ID_PREFIX, o.id);
          return { ...o, workflowId, workflowUrl: workflowUrl(workflowId), timelineUrl: `/api/order/${o.id}/timeline` };
        }),
      },
      200,
    );
  });
  return app;
}
