// Keyset pagination for the list routes. The answer stays what the original contract returns, a JSON array; the
// next page is announced in a `Link: <…>; rel="next"` header (RFC 8288) whose URL repeats the request's filters and
// sets `cursor` to the id of the page's last row. Lists are ordered by id (products ascending, orders and
// notifications newest first: ids are handed out in creation order), so every integer is a usable cursor and pages
// neither skip nor repeat rows when others are inserted meanwhile.
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 500;
const INT_MAX = 2_147_483_647;

const integerParam = (name: string, min: number, max: number, description: string, extra: Record<string, unknown> = {}) =>
  z
    .string()
    .regex(/^\d{1,10}$/, `${name} must be an integer from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${name} must be an integer from ${min} to ${max}`)
    .optional()
    .openapi({ param: { name, in: 'query' }, type: 'integer', minimum: min, maximum: max, description, ...extra });

export const PageQuery = z.object({
  limit: integerParam('limit', 1, MAX_PAGE_SIZE, 'page size', { default: DEFAULT_PAGE_SIZE }),
  cursor: integerParam('cursor', 1, INT_MAX, 'continue after the row with this id; take the whole next-page URL from the `Link` header'),
});

export const linkHeader = {
  Link: {
    description: 'the next page, when there is one: `</api/…?cursor=…>; rel="next"`',
    schema: { type: 'string' as const },
  },
};

/** Keeps `limit` of the `limit + 1` rows fetched; the extra row says a next page exists, which starts after the last kept. */
export function pageOf<T extends { id: number }>(rows: T[], limit: number): { rows: T[]; next?: number } {
  if (rows.length <= limit) return { rows };
  const kept = rows.slice(0, limit);
  return { rows: kept, next: kept[kept.length - 1]!.id };
}

/** Announces the next page (when there is one) in a Link header that repeats the request's other parameters. */
export function linkNext(c: Context, next: number | undefined): void {
  if (next === undefined) return;
  const url = new URL(c.req.url);
  url.searchParams.set('cursor', String(next));
  c.header('Link', `<${url.pathname}${url.search}>; rel="next"`);
}
