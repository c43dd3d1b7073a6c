// Keyset pagination for the list routes. The answer stays what the original contract returns, a JSON array; the
// next page is announced in a `Link: <…>; rel="next"` header (RFC 8288) whose URL repeats the request's filters
// with an opaque `cursor`. A cursor names the last row of the page by its sort key, so pages neither skip nor repeat
// rows when others are inserted meanwhile.
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 500;

/** Where the previous page ended: the sort key of its last row (`t`, a timestamp, for lists sorted by time). */
export type Cursor = { id: number; t?: string };

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export const encodeCursor = (cursor: Cursor): string => Buffer.from(JSON.stringify(cursor)).toString('base64url');

function decodeCursor(text: string): Cursor | undefined {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<Cursor> | null;
    if (!value || !Number.isSafeInteger(value.id) || (value.id as number) < 0) return undefined;
    if (value.t !== undefined && (typeof value.t !== 'string' || !TIMESTAMP.test(value.t))) return undefined;
    return { id: value.id as number, ...(value.t !== undefined ? { t: value.t } : {}) };
  } catch {
    return undefined;
  }
}

export const PageQuery = z.object({
  limit: z
    .string()
    .regex(/^\d{1,4}$/, `limit must be an integer from 1 to ${MAX_PAGE_SIZE}`)
    .transform(Number)
    .refine((n) => n >= 1 && n <= MAX_PAGE_SIZE, `limit must be an integer from 1 to ${MAX_PAGE_SIZE}`)
    .optional()
    .openapi({
      param: { name: 'limit', in: 'query' },
      type: 'integer',
      minimum: 1,
      maximum: MAX_PAGE_SIZE,
      default: DEFAULT_PAGE_SIZE,
      description: 'page size',
    }),
  cursor: z
    .string()
    .max(200)
    .transform((text, ctx) => {
      const cursor = decodeCursor(text);
      if (!cursor) {
        ctx.addIssue({ code: 'custom', message: 'cursor is not one this API issued (take it from the Link header)' });
        return z.NEVER;
      }
      return cursor;
    })
    .optional()
    .openapi({
      param: { name: 'cursor', in: 'query' },
      type: 'string',
      description: 'where the previous page ended; take the whole next-page URL from the `Link` header',
    }),
});

export const linkHeader = {
  Link: {
    description: 'the next page, when there is one: `</api/…?cursor=…>; rel="next"`',
    schema: { type: 'string' as const },
  },
};

/** Announces the next page (when there is one) in a Link header that repeats the request's other parameters. */
export function linkNext(c: Context, next: Cursor | undefined): void {
  if (!next) return;
  const url = new URL(c.req.url);
  url.searchParams.set('cursor', encodeCursor(next));
  c.header('Link', `<${url.pathname}${url.search}>; rel="next"`);
}

/** Keeps `limit` of the `limit + 1` rows fetched; the extra row says a next page exists, which starts after the last kept. */
export function pageOf<T>(rows: T[], limit: number, cursorOf: (row: T) => Cursor): { rows: T[]; next?: Cursor } {
  if (rows.length <= limit) return { rows };
  const kept = rows.slice(0, limit);
  return { rows: kept, next: cursorOf(kept[kept.length - 1]!) };
}
