// /api/admin/dead-letters: the stored dead letters (src/dead-letters/), for admins only. The list is newest first and
// paged like every list; a redrive sends the 'dead' entries of a filter back to their source topics, or with
// `dryRun` only says which it would send. Unknown topics and reason codes are 400s naming the allowed values.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from '@hono/zod-openapi';
import {
  EVENT_TOPICS,
  filterOf,
  MAX_REDRIVE,
  OrderId,
  REASON_CODES,
  rangeProblem,
  ReasonName,
  StateName,
  Timestamp,
  TopicName,
} from '../../dead-letters/dead-letter-filter.ts';
import { listDeadLetters } from '../../dead-letters/dead-letter.store.ts';
import { redriveDeadLetters, RedriveUnavailableError, type Publish } from '../../dead-letters/redrive.service.ts';
import type { Logger } from '../../logger.ts';
import type { Metrics } from '../../metrics/metrics.ts';
import { db, type AppEnv } from '../context.ts';
import { AppError } from '../errors.ts';
import { jsonBody, ok, route, router } from '../openapi.ts';
import { DEFAULT_PAGE_SIZE, linkHeader, linkNext, pageOf, PageQuery } from '../pagination.ts';

const tags = ['Dead letters'];
const INT_MAX = 2_147_483_647;
const timestamp = z.string().openapi({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' });
const queryParam = (name: string, description: string) => ({ param: { name, in: 'query' as const }, description });

const DeadLetterDto = z
  .object({
    id: z.number().int(),
    topic: z.string().openapi({ description: 'the topic the message failed on', example: 'order-created-events' }),
    reason: z.string().openapi({ example: 'not valid JSON' }),
    reasonCode: z.string().openapi({ example: 'invalid_json' }),
    orderId: z.number().int().nullable().openapi({ description: "the message key's order id, when it is one" }),
    firstFailedAt: timestamp,
    lastFailedAt: timestamp,
    attempts: z.number().int().openapi({ description: 'failures so far: 1, plus one per redrive that failed again' }),
    state: z.enum(['dead', 'redriven']),
    redrivenAt: timestamp.nullable(),
    message: z.object({
      key: z.string().nullable(),
      value: z.string().nullable().openapi({ description: 'the value as it was, as text (not necessarily JSON)' }),
      headers: z.record(z.string(), z.string()),
    }),
  })
  .openapi('DeadLetter');

const ListQuery = PageQuery.extend({
  topic: TopicName.optional().openapi(queryParam('topic', 'only dead letters of this topic')),
  reason: ReasonName.optional().openapi(queryParam('reason', 'only dead letters with this reason code')),
  orderId: z
    .string()
    .regex(/^\d{1,10}$/, 'orderId must be an integer from 1 to 2147483647')
    .transform(Number)
    .refine((n) => n >= 1 && n <= INT_MAX, 'orderId must be an integer from 1 to 2147483647')
    .optional()
    .openapi({
      ...queryParam('orderId', "only dead letters of this order (the message's key)"),
      type: 'integer',
      minimum: 1,
      maximum: INT_MAX,
    }),
  state: StateName.optional().openapi(queryParam('state', 'dead (waiting) or redriven')),
  from: Timestamp.optional().openapi(queryParam('from', 'only dead letters that last failed at or after this time')),
  to: Timestamp.optional().openapi(queryParam('to', 'only dead letters that last failed before this time')),
});

const filterNames = ['topic', 'reason', 'orderIds', 'from', 'to'] as const;
const RedriveRequest = z
  .object({
    topic: TopicName.optional(),
    reason: ReasonName.optional(),
    orderIds: z.array(OrderId).min(1).max(MAX_REDRIVE).optional(),
    from: Timestamp.optional().openapi({ description: 'last failed at or after' }),
    to: Timestamp.optional().openapi({ description: 'last failed before' }),
    dryRun: z.boolean().optional().openapi({ description: 'only answer which entries would be redriven' }),
  })
  .strict()
  .refine((body) => filterNames.some((name) => body[name] !== undefined), {
    error: `give at least one filter: ${filterNames.join(', ')} (a redrive of everything is asked for filter by filter)`,
  })
  .openapi('DeadLetterRedriveRequest', { anyOf: filterNames.map((name) => ({ required: [name] })) });

const RedriveResult = z
  .object({
    dryRun: z.boolean(),
    count: z.number().int(),
    ids: z.array(z.number().int()).openapi({ description: 'the entries redriven (or, in a dry run, that would be)' }),
    more: z.boolean().openapi({ description: `more entries matched than one redrive sends (${MAX_REDRIVE}): run it again` }),
  })
  .openapi('DeadLetterRedriveResult');

const list = route({
  method: 'get',
  path: '/api/admin/dead-letters',
  operationId: 'listDeadLetters',
  tags,
  summary: 'Dead letters, newest first (admins; paged: follow the Link header)',
  description: `Topics: ${EVENT_TOPICS.join(', ')}. Reason codes: ${REASON_CODES.join(', ')}.`,
  access: 'admin',
  request: { query: ListQuery },
  responses: { 200: ok(z.array(DeadLetterDto), 'Dead letters of the filter', linkHeader) },
});

const redrive = route({
  method: 'post',
  path: '/api/admin/dead-letters/redrive',
  operationId: 'redriveDeadLetters',
  tags,
  summary: `Send the dead entries of a filter back to their topics (admins; at most ${MAX_REDRIVE} per call)`,
  description:
    'Only entries in state `dead` are sent, each with `dlq-redrive-of: <id>`; they become `redriven`, and one audit row ' +
    'records who, when, the filter and the ids. A redriven message that fails again returns its entry to `dead`.',
  access: 'admin',
  request: { body: jsonBody(RedriveRequest) },
  responses: { 200: ok(RedriveResult, 'What was redriven (or, with dryRun, would be)') },
});

export type DeadLetterRouteDeps = { publish: Publish | undefined; log: Logger; metrics?: Metrics };

export function deadLetterRoutes({ publish, log, metrics }: DeadLetterRouteDeps): OpenAPIHono<AppEnv> {
  const app = router();

  app.openapi(list, async (c) => {
    const { limit = DEFAULT_PAGE_SIZE, cursor, orderId, ...fields } = c.req.valid('query');
    const problem = rangeProblem(fields.from, fields.to);
    if (problem) throw new AppError('validation-failed', problem);
    const filter = filterOf({ ...fields, ...(orderId !== undefined && { orderIds: [orderId] }) });
    const { rows, next } = pageOf(await listDeadLetters(db(c), filter, { limit: limit + 1, after: cursor }), limit);
    linkNext(c, next);
    return c.json(rows, 200);
  });

  app.openapi(redrive, async (c) => {
    const { dryRun = false, ...fields } = c.req.valid('json');
    const problem = rangeProblem(fields.from, fields.to);
    if (problem) throw new AppError('validation-failed', problem);
    const [user] = await db(c).execute<{ email: string }[]>('select email from users where id = ?', [c.get('userId')]);
    const actor = `user:${c.get('userId')}:${user?.email ?? 'unknown'}`;
    try {
      return c.json(await redriveDeadLetters({ em: db(c), publish, log, metrics }, filterOf(fields), { dryRun, actor }), 200);
    } catch (err) {
      if (err instanceof RedriveUnavailableError) throw new AppError('unavailable', err.message, { headers: { 'Retry-After': '5' } });
      throw err;
    }
  });
  return app;
}
