// Hostile and malformed input: every answer is a deliberate 4xx with a JSON message (never a 500, never a stack
// trace), and strings that look like SQL or markup are data, stored and returned verbatim.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApi, type ApiResponse, type RequestOptions, type TestApi } from '../../helpers/api.ts';
import { createProduct, expectError, sql, uniqueName, type ProductDto } from './support.ts';

let api: TestApi;
let token: string;
beforeAll(async () => {
  api = await startTestApi();
  token = (await api.newUser('Hostile Tester')).token;
});
afterAll(async () => {
  await api.close();
});

/** Every request of this file goes through here: no 5xx and no stack trace, whatever was sent. */
async function send<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  const res = await api.request<T>(method, path, options);
  expect(res.status < 500 ? 'no server error' : `${res.status} ${res.text.slice(0, 1000)}`).toBe('no server error');
  expect(res.text).not.toContain('    at ');
  return res;
}

/** Asserts a 4xx error whose status is one of `statuses`, with a JSON message. */
function expectOneOf(res: ApiResponse, statuses: number[]): void {
  expect(statuses).toContain(res.status);
  expectError(res, res.status);
}

const validProduct = () => ({ name: uniqueName('Hostile product'), description: 'x', price: 1, stock: 1 });

describe('malformed bodies', () => {
  it.each([
    { route: 'POST /api/auth/login', authenticated: false },
    { route: 'PUT /api/user', authenticated: false },
    { route: 'PUT /api/product', authenticated: true },
    { route: 'PUT /api/order', authenticated: true },
  ])('when $route gets malformed JSON, then 400 with a message', async ({ route, authenticated }) => {
    const [method, path] = route.split(' ') as [string, string];

    const res = await send(method, path, { rawBody: '{"name": "unterminated', ...(authenticated ? { token } : {}) });

    expectError(res, 400);
  });

  it.each([
    { case: 'null', rawBody: 'null' },
    { case: 'a string', rawBody: '"a product"' },
    { case: 'a number', rawBody: '42' },
    { case: 'an array', rawBody: '[]' },
    { case: 'empty', rawBody: '' },
  ])('when the JSON body of PUT /api/product is $case, then 400 with a message', async ({ rawBody }) => {
    expectError(await send('PUT', '/api/product', { token, rawBody, headers: { 'content-type': 'application/json' } }), 400);
  });

  it('when the JSON is nested a thousand levels deep, then 400 with a message', async () => {
    const rawBody = `{"items": ${'['.repeat(1000)}${']'.repeat(1000)}}`;

    expectError(await send('PUT', '/api/order', { token, rawBody }), 400);
  });

  it('when the body is larger than 1 MiB (a 2 MiB name), then 413 with a message', async () => {
    const res = await send('PUT', '/api/product', { token, body: { ...validProduct(), name: 'x'.repeat(2 * 1024 * 1024) } });

    expectError(res, 413);
  });
});

describe('wrong types and out-of-range numbers', () => {
  it.each([
    { case: 'the price is "abc"', change: { price: 'abc' } },
    { case: 'the price is null', change: { price: null } },
    { case: 'the stock is 1.5', change: { stock: 1.5 } },
    { case: 'the stock is "10"', change: { stock: '10' } },
    { case: 'the stock is 2147483648 (beyond int)', change: { stock: 2147483648 } },
    { case: 'the price is 1e20 (beyond numeric(18,2))', change: { price: 1e20 } },
    { case: 'the name is a number', change: { name: 123 } },
    { case: 'the name is an object', change: { name: { $ne: null } } },
    { case: 'the description is a number', change: { description: 42 } },
  ])('when on PUT /api/product $case, then 400 with a message', async ({ change }) => {
    expectError(await send('PUT', '/api/product', { token, body: { ...validProduct(), ...change } }), 400);
  });

  it.each([
    { case: 'the items are "x"', body: (_id: number) => ({ items: 'x' }) },
    { case: 'the quantity is 2147483648 (beyond int)', body: (id: number) => ({ items: [{ productId: id, quantity: 2147483648 }] }) },
    { case: 'the quantity is "1"', body: (id: number) => ({ items: [{ productId: id, quantity: '1' }] }) },
    { case: 'the quantity is true', body: (id: number) => ({ items: [{ productId: id, quantity: true }] }) },
    { case: 'the product id is "abc"', body: () => ({ items: [{ productId: 'abc', quantity: 1 }] }) },
    { case: 'an item is null', body: () => ({ items: [null] }) },
  ])('when on PUT /api/order $case, then 400 with a message and no stock is taken', async ({ body }) => {
    const item = await createProduct(api, token, { stock: 5 });

    expectError(await send('PUT', '/api/order', { token, body: body(item.id) }), 400);
    expect((await send<ProductDto>('GET', `/api/product/${item.id}`, { token })).body.stock).toBe(5);
  });

  it('when on PUT /api/order the product id is 2147483648 (beyond int), then 400 or 422 with a message', async () => {
    const res = await send('PUT', '/api/order', { token, body: { items: [{ productId: 2147483648, quantity: 1 }] } });

    expectOneOf(res, [400, 422]);
  });
});

describe('hostile ids in the path', () => {
  // GETs may use ids a lenient parser would turn into existing rows (0x10 -> 16, "1 OR 1=1" -> 1): that must not happen.
  // DELETEs only use ids that cannot alias an existing row, so a lenient parser cannot destroy another test's data.
  const readIds = ['abc', '1.5', '-1', '0x10', '1%20OR%201%3D1', '99999999999999999999'];
  const deleteIds = ['abc', '1.5', '-1', '0x7FFFFFFF', '99999999999999999999'];
  const cases = [
    ...['GET /api/product/:id', 'GET /api/order/:id', 'GET /api/user/:id'].flatMap((route) => readIds.map((id) => ({ route, id }))),
    ...['DELETE /api/product/:id', 'DELETE /api/order/:id'].flatMap((route) => deleteIds.map((id) => ({ route, id }))),
  ];

  it.each(cases)('when $route is called with id $id, then 400 or 404 with a message', async ({ route, id }) => {
    const [method, template] = route.split(' ') as [string, string];

    const res = await send(method, template.replace(':id', id), { token });

    expectOneOf(res, [400, 404]);
  });

  it('when POST /api/product/abc is called with a matching body, then 400 or 404 with a message', async () => {
    const res = await send('POST', '/api/product/abc', { token, body: { id: 'abc', name: 'x', description: 'x', price: 1, stock: 1 } });

    expectOneOf(res, [400, 404]);
  });
});

describe('unknown routes', () => {
  it.each(['GET /api/does-not-exist', 'POST /nowhere', 'GET /api/product/1/extra'])(
    'when %s is requested, then 404 JSON with a message',
    async (route) => {
      const [method, path] = route.split(' ') as [string, string];

      const res = await send(method, path, { token });

      expectError(res, 404);
    },
  );
});

describe('strings that look like code', () => {
  it.each([
    { case: 'an SQL injection', text: "Robert'); DROP TABLE products;--" },
    { case: 'a quoted tautology', text: "' OR '1'='1" },
    { case: 'a script tag', text: '<script>alert("pwned")</script>' },
    { case: 'emoji and non-Latin scripts', text: '🛒🔥 Ünïcødé 日本語 עברית' },
    { case: 'backslashes, quotes and wildcards', text: '\\"; -- %_ $1 ${x} {{x}}' },
  ])('when a product name and description contain $case, then they are stored and returned verbatim', async ({ text }) => {
    const res = await send<ProductDto>('PUT', '/api/product', { token, body: { name: text, description: text, price: 1, stock: 1 } });

    expect(res.status).toBe(201);
    expect(res.body).toEqual(expect.objectContaining({ name: text, description: text }));
    const read = await send<ProductDto>('GET', `/api/product/${res.body.id}`, { token });
    expect(read.body).toEqual(res.body);
    const rows = await sql(api, 'select name, description from products where id = ?', [res.body.id]);
    expect(rows).toEqual([{ name: text, description: text }]);
    const tables = await sql<{ table_name: string }>(api, "select table_name from information_schema.tables where table_schema = 'public'");
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['users', 'products', 'orders', 'order_items']));
  });

  it('when a name contains a NUL character, then it is rejected with 400 or stored verbatim, never a 500', async () => {
    const text = 'nul\u0000byte';

    const res = await send<ProductDto>('PUT', '/api/product', { token, body: { name: text, description: 'x', price: 1, stock: 1 } });

    if (res.status === 201) expect(res.body.name).toBe(text);
    else expectError(res, 400);
  });

  it.each([
    { case: 'an SQL tautology as the e-mail', email: "' OR 1=1 --", password: 'x' },
    { case: 'a comment after a real e-mail', email: "admin@example.com' --", password: 'x' },
    { case: 'an SQL tautology as the password', email: 'admin@example.com', password: "' OR '1'='1" },
  ])('when logging in with $case, then 400 or 401 and no token', async ({ email, password }) => {
    const res = await send<{ token?: string }>('POST', '/api/auth/login', { body: { email, password } });

    expectOneOf(res, [400, 401]);
    expect(res.body.token).toBeUndefined();
  });

  it('when a JSON body carries a __proto__ key, then it is answered without a 5xx and nothing is polluted', async () => {
    const rawBody = `{"__proto__": {"polluted": "yes"}, "name": "${uniqueName('Proto')}", "description": "x", "price": 1, "stock": 1}`;

    const res = await send('PUT', '/api/product', { token, rawBody });

    expect([201, 400]).toContain(res.status);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('when the bearer token is 10 000 characters of garbage, then 401 with a message', async () => {
    const res = await send('GET', '/api/product', { headers: { authorization: `Bearer ${'a'.repeat(10_000)}` } });

    expectError(res, 401);
  });
});

describe('cases a fuzzing run broke (each once a 500 or a wrong number)', () => {
  it('when the login e-mail is a NUL character, then 400 with a message', async () => {
    const res = await send('POST', '/api/auth/login', { body: { email: '\u0000', password: 'x' } });

    expectError(res, 400);
  });

  it('when stock is set so high that releasing an open order would overflow it, then 422 and releasing still works', async () => {
    const product = await createProduct(api, token, { stock: 2_147_483_647 });
    const order = await send<{ id: number }>('PUT', '/api/order', { token, body: { items: [{ productId: product.id, quantity: 5 }] } });
    expect(order.status).toBe(201);
    const update = (stock: number) =>
      send<ProductDto>('POST', `/api/product/${product.id}`, { token, body: { ...validProduct(), id: product.id, stock } });

    const tooHigh = await update(2_147_483_647);

    expectError(tooHigh, 422, /5 units reserved by open orders/);
    expect(tooHigh.body).toEqual(expect.objectContaining({ reserved: 5, maxStock: 2_147_483_642 }));
    expect((await update(2_147_483_642)).status).toBe(200);
    expect((await send('DELETE', `/api/order/${order.body.id}`, { token })).status).toBe(200);
    expect((await send<ProductDto>('GET', `/api/product/${product.id}`, { token })).body.stock).toBe(2_147_483_647);
  });

  it('when an order total would not survive as a JSON number (999999999999.99 × 9001), then 422 and no stock is taken', async () => {
    const product = await createProduct(api, token, { price: 999_999_999_999.99, stock: 10_000 });

    const res = await send('PUT', '/api/order', { token, body: { items: [{ productId: product.id, quantity: 9001 }] } });

    expectError(res, 422, /exceeds 9999999999999\.99/);
    expect((await send<ProductDto>('GET', `/api/product/${product.id}`, { token })).body.stock).toBe(10_000);
  });

  it('when an order total is the largest amount allowed, then 201 and the JSON total is exactly that amount', async () => {
    const product = await createProduct(api, token, { price: 999_999_999_999.99, stock: 10 });

    const res = await send<{ total: number }>('PUT', '/api/order', { token, body: { items: [{ productId: product.id, quantity: 10 }] } });

    expect(res.status).toBe(201);
    expect(res.text).toContain('"total":9999999999999.9,');
    const [row] = await sql<{ total: string }>(api, 'select total::text as total from orders where id = ?', [
      (res.body as { id?: number }).id,
    ]);
    expect(row?.total).toBe('9999999999999.90');
  });
});
