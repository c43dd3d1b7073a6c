// Secure by default: every /api route needs a live user's token unless its definition says public, roles decide who
// reads other users and orders and who changes the catalogue, login is throttled, browsers get CORS only for
// allowed origins, every answer carries the standard security headers, and unknown methods get 405 with Allow.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApi, type TestApi } from '../../helpers/api.ts';
import { createOrder, createProduct, expectError, expectStatus, uniqueName } from './support.ts';

const ADMIN = { email: 'admin@example.com', password: 'Password123!' };

describe('routes and the document', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it('when the app is built, then every /api route is in the OpenAPI document, and only login and registration are public', async () => {
    const doc = (await api.request('GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, { security?: unknown[]; operationId?: string }>>;
    };
    const documented = new Set<string>();
    const publicOps: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        documented.add(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
        expect(op.operationId).toEqual(expect.any(String));
        if (path.startsWith('/api/') && !op.security?.length) publicOps.push(op.operationId!);
      }
    }
    const served = api.app.routes.filter((r) => r.path.startsWith('/api/') && r.method !== 'ALL').map((r) => `${r.method} ${r.path}`);

    expect(served.length).toBeGreaterThan(10);
    expect(served.filter((r) => !documented.has(r))).toEqual([]);
    expect(publicOps.sort()).toEqual(['login', 'registerUser']);
  });

  it('when any answer is sent (a 200, a 404, a 401), then it carries the standard security headers', async () => {
    for (const [method, path] of [
      ['GET', '/health'],
      ['GET', '/api/nowhere'],
      ['GET', '/api/product'],
    ] as const) {
      const res = await api.request(method, path);
      expect({ path, nosniff: res.headers.get('x-content-type-options') }).toEqual({ path, nosniff: 'nosniff' });
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });

  it.each(['PATCH', 'PROPFIND'])('when %s is sent to a known path, then 405 with an Allow header listing its methods', async (method) => {
    const res = await api.request(method, '/api/product/1');

    expectError(res, 405);
    expect(res.headers.get('allow')).toBe('DELETE, GET, HEAD, OPTIONS, POST');
  });

  it('when OPTIONS is sent to a known path without CORS, then 204 with Allow; to an unknown path, 404', async () => {
    const res = await api.request('OPTIONS', '/api/order');

    expectStatus(res, 204);
    expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS, PUT');
    expectError(await api.request('OPTIONS', '/api/nowhere'), 404);
  });

  it('when no CORS origins are configured, then a cross-origin request gets no Access-Control-Allow-Origin', async () => {
    const res = await api.request('GET', '/health', { headers: { origin: 'https://evil.example' } });

    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('CORS with an allow-list', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ CORS_ORIGINS: 'https://shop.example' });
  });
  afterAll(async () => {
    await api.close();
  });

  it('when an allowed origin sends a preflight, then it may send Authorization and Idempotency-Key', async () => {
    const res = await api.request('OPTIONS', '/api/order', {
      headers: {
        origin: 'https://shop.example',
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'authorization',
      },
    });

    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Idempotency-Key/);
  });

  it('when another origin asks, then no Access-Control-Allow-Origin names it', async () => {
    const res = await api.request('GET', '/health', { headers: { origin: 'https://evil.example' } });

    expect(res.headers.get('access-control-allow-origin')).not.toBe('https://evil.example');
  });
});

describe('roles', () => {
  let api: TestApi;
  let adminToken: string;
  beforeAll(async () => {
    api = await startTestApi({ PRODUCT_WRITE_ACCESS: 'admin' });
    adminToken = await api.login(ADMIN.email, ADMIN.password);
  });
  afterAll(async () => {
    await api.close();
  });

  it('when PRODUCT_WRITE_ACCESS=admin, then a customer may read the catalogue but not create, change or delete products', async () => {
    const customer = await api.newUser();
    const product = await createProduct(api, adminToken, { name: uniqueName('Admin product') });
    const body = { name: 'Renamed by a customer', description: null, price: 1, stock: 1 };

    expectStatus(await api.request('GET', `/api/product/${product.id}`, { token: customer.token }), 200);
    expectError(await api.request('PUT', '/api/product', { token: customer.token, body }), 403);
    expectError(await api.request('POST', `/api/product/${product.id}`, { token: customer.token, body: { ...body, id: product.id } }), 403);
    expectError(await api.request('DELETE', `/api/product/${product.id}`, { token: customer.token }), 403);
    expect((await api.request('GET', `/api/product/${product.id}`, { token: customer.token })).body.name).toBe(product.name);
  });

  it('when PRODUCT_WRITE_ACCESS=admin, then the admin creates, changes and deletes products', async () => {
    const product = await createProduct(api, adminToken);

    const body = { id: product.id, name: uniqueName('Changed'), description: null, price: 2, stock: 3 };
    expectStatus(await api.request('POST', `/api/product/${product.id}`, { token: adminToken, body }), 200);
    expectStatus(await api.request('DELETE', `/api/product/${product.id}`, { token: adminToken }), 200);
  });

  it("when the admin reads a customer's order, then 200; another customer gets 403", async () => {
    const owner = await api.newUser();
    const stranger = await api.newUser();
    const product = await createProduct(api, adminToken);
    const order = await createOrder(api, owner.token, [{ productId: product.id, quantity: 1 }]);

    expectStatus(await api.request('GET', `/api/order/${order.id}`, { token: adminToken }), 200);
    expectError(await api.request('GET', `/api/order/${order.id}`, { token: stranger.token }), 403);
  });
});

describe('login throttling', () => {
  it('when an account has had too many failed logins, then 429 with Retry-After, even with the right password; other accounts still log in', async () => {
    const api = await startTestApi({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '3', LOGIN_RATE_WINDOW: '10m' });
    try {
      const victim = await api.newUser();
      const bystander = await api.newUser();
      for (let i = 0; i < 3; i++) {
        expectError(await api.request('POST', '/api/auth/login', { body: { email: victim.email, password: `wrong-${i}` } }), 401);
      }

      const locked = await api.request('POST', '/api/auth/login', { body: { email: victim.email, password: victim.password } });

      expectError(locked, 429);
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(locked.headers.get('retry-after'))).toBeLessThanOrEqual(600);
      expect(locked.body.token).toBeUndefined();
      expectStatus(await api.request('POST', '/api/auth/login', { body: { email: bystander.email, password: bystander.password } }), 200);
    } finally {
      await api.close();
    }
  });

  it('when one address makes too many attempts, then 429 for every account from it', async () => {
    const api = await startTestApi({ LOGIN_MAX_ATTEMPTS_PER_ADDRESS: '4' });
    try {
      const user = await api.newUser(); // logs in once
      for (let i = 0; i < 3; i++) {
        expectStatus(await api.request('POST', '/api/auth/login', { body: { email: `nobody-${i}@example.com`, password: 'x' } }), 401);
      }

      const res = await api.request('POST', '/api/auth/login', { body: { email: user.email, password: user.password } });

      expectError(res, 429, /from this address/);
    } finally {
      await api.close();
    }
  });
});
