// /api/admin/drift: what the reconciler (src/reconciler/) found wrong between the database and Temporal and what it
// did about it, newest first, with the drift its last pass left open. Admin only; the operator console reads it.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from '@hono/zod-openapi';
import { DRIFT_KIND_NAMES, listFindings, type DriftKind } from '../../reconciler/drift.ts';
import { lastPassOf } from '../../reconciler/reconciler.ts';
import { db, type AppEnv } from '../context.ts';
import { ok, route, router } from '../openapi.ts';
import { DEFAULT_PAGE_SIZE, linkHeader, linkNext, pageOf, PageQuery } from '../pagination.ts';

const timestamp = z.string().openapi({ format: 'date-time', example: '2026-12-06T10:00:00.000Z' });
const Kind = z.enum(DRIFT_KIND_NAMES as [DriftKind, ...DriftKind[]]);

const Finding = z
  .object({
    id: z.number().int(),
    orderId: z.number().int().nullable(),
    kind: Kind,
    action: z
      .enum(['repaired', 'reported', 'failed'])
      .openapi({ description: 'reported: left as it was (report mode or a kind no pass repairs)' }),
    mode: z.enum(['repair', 'report']),
    detail: z.string().openapi({ example: 'order is Processing but has a workflow that terminated (order-42): started a new run' }),
    foundAt: timestamp,
    repairedAt: timestamp.nullable(),
    lastSeenAt: timestamp.openapi({ description: 'a drift left open is seen again by every pass' }),
    timesSeen: z.number().int(),
  })
  .openapi('DriftFinding');

const DriftReport = z
  .object({
    lastPass: z
      .object({ at: timestamp, mode: z.enum(['repair', 'report']), durationMs: z.number(), open: z.record(z.string(), z.number().int()) })
      .nullable()
      .openapi({ description: 'the last completed pass and the drift it left open by kind; null before the first' }),
    open: z.record(z.string(), z.number().int()).openapi({ example: { outbox_unsent: 2 } }),
    items: z.array(Finding),
  })
  .openapi('DriftReport');

const list = route({
  method: 'get',
  path: '/api/admin/drift',
  operationId: 'listDrift',
  tags: ['Operations'],
  summary: 'Drift the reconciler found and what it did (newest first; paged: follow the Link header)',
  access: 'admin',
  request: {
    query: PageQuery.extend({
      kind: Kind.optional().openapi({ param: { name: 'kind', in: 'query' } }),
      orderId: z
        .string()
        .regex(/^\d{1,10}$/, 'orderId must be a positive integer')
        .transform(Number)
        .optional()
        .openapi({ param: { name: 'orderId', in: 'query' }, type: 'integer' }),
    }),
  },
  responses: { 200: ok(DriftReport, 'The findings and the last pass', linkHeader) },
});

export function driftRoutes(): OpenAPIHono<AppEnv> {
  const app = router();
  app.openapi(list, async (c) => {
    const { limit = DEFAULT_PAGE_SIZE, cursor, kind, orderId } = c.req.valid('query');
    const em = db(c);
    const [rows, lastPass] = await Promise.all([listFindings(em, { limit: limit + 1, before: cursor, kind, orderId }), lastPassOf(em)]);
    const page = pageOf(rows, limit);
    linkNext(c, page.next);
    const items = page.rows.map((r) => ({ ...r, repairedAt: r.action === 'repaired' ? r.foundAt : null }));
    return c.json({ lastPass, open: lastPass?.open ?? {}, items }, 200);
  });
  return app;
}
