// Paged lists: the body stays a JSON array (the original contract); `limit` sizes a page and the next page is the
// URL in the Link header, which keeps the request's filters. Pages never skip or repeat a row.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApi, type ApiResponse, type TestApi } from '../../helpers/api.ts';
import { createOrder, createProduct, expectError, expectStatus, sql, type OrderDto, type ProductDto } from './support.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

/** The next page's URL from a Link header, or undefined on the last page. */
const nextLink = (res: ApiResponse): string | undefined => /^<([^>]+)>; rel="next"$/.exec(res.headers.get('link') ?? '')?.[1];

/** Follows Link headers from `first` and returns every page's ids. */
async function walk(first: string, token: string): Promise<number[][]> {
  const pages: number[][] = [];
  for (let url: string | undefined = first; url;) {
    const res: ApiResponse<Array<{ id: number }>> = await api.request('GET', url, { token });
    expectStatus(res, 200);
    pages.push(res.body.map((r) => r.id));
    url = nextLink(res);
    expect(pages.length).toBeLessThan(100);
  }
  return pages;
}

describe('GET /api/order paging and filters', () => {
  let token: string;
  let ids: number[];
  beforeAll(async () => {
    const user = await api.newUser();
    token = user.token;
    const product = await createProduct(api, token, { stock: 100 });
    ids = [];
    for (let i = 0; i < 7; i++) ids.push((await createOrder(api, token, [{ productId: product.id, quantity: 1 }])).id);
    await sql(api, "update orders set status = 'Cancelled' where id in (?, ?)", [ids[1], ids[5]]);
  });

  it('when pages of 3 are followed through the Link header, then every order appears once, newest first', async () => {
    const pages = await walk('/api/order?limit=3', token);

    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    const all = (await api.request<OrderDto[]>('GET', '/api/order', { token })).body.map((o) => o.id);
    expect(pages.flat()).toEqual(all);
    expect([...all].sort((a, b) => a - b)).toEqual(ids);
  });

  it('when filtered by status, then only those orders are listed, and the next page keeps the filter', async () => {
    const first = await api.request<OrderDto[]>('GET', '/api/order?status=Cancelled&limit=1', { token });

    expect(nextLink(first)).toMatch(/status=Cancelled/);
    const pages = await walk('/api/order?status=Cancelled&limit=1', token);
    expect(pages.flat().sort((a, b) => a - b)).toEqual([ids[1], ids[5]]);
  });

  it('when filtered by createdAfter, then only orders created later are listed', async () => {
    const [row] = await sql<{ t: string }>(
      api,
      `select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as t from orders where id = ?`,
      [ids[5]],
    );
    const after = row!.t;

    const res = await api.request<OrderDto[]>('GET', `/api/order?createdAfter=${encodeURIComponent(after)}`, { token });

    expectStatus(res, 200);
    expect(res.body.map((o) => o.id)).toEqual([ids[6]]);
  });

  it('when no limit is given, then the default page size applies and a short list has no Link', async () => {
    const res = await api.request<OrderDto[]>('GET', '/api/order', { token });

    expect(res.body).toHaveLength(7);
    expect(res.headers.get('link')).toBeNull();
  });

  it.each(['limit=0', 'limit=501', 'limit=abc', 'cursor=0', 'cursor=abc', 'status=Lost', 'createdAfter=yesterday'])(
    'when the query has %s, then 400 naming the parameter',
    async (query) => {
      const res = await api.request('GET', `/api/order?${query}`, { token });

      expectError(res, 400);
      expect(res.body.errors[0].path).toBe(query.split('=')[0]);
    },
  );
});

describe('GET /api/product and GET /api/notification paging', () => {
  it('when products are walked in pages of 2, then each product appears once, in id order', async () => {
    const { token } = await api.newUser();
    await createProduct(api, token);
    const all = (await api.request<ProductDto[]>('GET', `/api/product?limit=500`, { token })).body.map((p) => p.id);

    const pages = await walk('/api/product?limit=2', token);

    expect(pages.flat()).toEqual(all);
    expect(all).toEqual([...all].sort((a, b) => a - b));
  });

  it('when notifications are walked in pages of 1, then each appears once, newest first', async () => {
    const user = await api.newUser();
    const product = await createProduct(api, user.token);
    const orders = [];
    for (let i = 0; i < 3; i++) orders.push(await createOrder(api, user.token, [{ productId: product.id, quantity: 1 }]));
    for (const order of orders) {
      await sql(
        api,
        `insert into notifications (user_id, order_id, message, event_type, created_at, updated_at) values (?, ?, 'm', 'OrderCompleted', now(), now())`,
        [user.id, order.id],
      );
    }

    const pages = await walk('/api/notification?limit=1', user.token);

    expect(pages.map((p) => p.length)).toEqual([1, 1, 1]);
    const all = (await api.request<Array<{ id: number; orderId: number }>>('GET', '/api/notification', { token: user.token })).body;
    expect(pages.flat()).toEqual(all.map((n) => n.id));
    expect(all.map((n) => n.orderId)).toEqual(orders.map((o) => o.id).reverse());
  });
});
