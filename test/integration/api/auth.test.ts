// POST /api/auth/login and the bearer-token guard in front of every authenticated route (JWT HS256 with issuer,
// audience and the numeric user id as a string in `sub`).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';
import { startTestApi, type TestApi } from '../../helpers/api.ts';
import {
  createOrder,
  createProduct,
  expectError,
  expectNoPasswordMaterial,
  expectStatus,
  passwordHashOf,
  sql,
  uniqueName,
  userDto,
  type LoginDto,
  type UserDto,
} from './support.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

const INVALID_CREDENTIALS = 'Invalid email or password';
const nowSeconds = () => Math.floor(Date.now() / 1000);
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

type Claims = { sub?: string; iss?: string; aud?: string; iat?: number; exp?: number; ver?: number };

/** Signs claims with HS256; every claim defaults to what the API issues for `userId`, valid for five minutes. */
function forgeToken(userId: number, claims: Claims = {}, secret = api.config.JWT_SECRET): string {
  const payload: Claims = {
    sub: String(userId),
    iss: api.config.JWT_ISSUER,
    aud: api.config.JWT_AUDIENCE,
    iat: nowSeconds(),
    exp: nowSeconds() + 300,
    ver: 1,
    ...claims,
  };
  for (const key of Object.keys(payload) as (keyof Claims)[]) if (payload[key] === undefined) delete payload[key];
  return jwt.sign(payload, secret, { algorithm: 'HS256' });
}

describe('POST /api/auth/login', () => {
  it('when the credentials are right, then 200 with a token and the UserDto', async () => {
    const name = uniqueName('Login Person');
    const user = await api.newUser(name);

    const res = await api.request<LoginDto>('POST', '/api/auth/login', { body: { email: user.email, password: user.password } });

    expectStatus(res, 200);
    expect(res.body).toEqual({ token: expect.any(String), user: userDto({ id: user.id, name, email: user.email }) });
    expectNoPasswordMaterial(res, [await passwordHashOf(api, user.id)]);
  });

  it('when a token is issued, then it is an HS256 JWT with the configured issuer and audience and the user id as sub', async () => {
    const user = await api.newUser();

    const token = await api.login(user.email, user.password);

    const decoded = jwt.decode(token, { complete: true });
    expect(decoded?.header.alg).toBe('HS256');
    const payload = jwt.verify(token, api.config.JWT_SECRET, {
      algorithms: ['HS256'],
      issuer: api.config.JWT_ISSUER,
      audience: api.config.JWT_AUDIENCE,
    }) as jwt.JwtPayload;
    expect(payload.sub).toBe(String(user.id));
    expect(payload.exp).toEqual(expect.any(Number));
    expect(payload.exp!).toBeGreaterThan(nowSeconds());
  });

  it('when the issued token is presented, then an authenticated route accepts it', async () => {
    const user = await api.newUser();

    const res = await api.request<UserDto>('GET', `/api/user/${user.id}`, { token: user.token });

    expectStatus(res, 200);
    expect(res.body.id).toBe(user.id);
  });

  it('when the e-mail is unknown, then 401 "Invalid email or password"', async () => {
    const res = await api.request('POST', '/api/auth/login', {
      body: { email: `${uniqueName('nobody').replace(/\W+/g, '-')}@example.com`, password: 'Secret123!' },
    });

    expectError(res, 401, INVALID_CREDENTIALS);
  });

  it('when the password is wrong, then 401 with exactly the same body as for an unknown e-mail', async () => {
    const user = await api.newUser();

    const wrongPassword = await api.request('POST', '/api/auth/login', { body: { email: user.email, password: 'Wrong-password-1' } });
    const unknownEmail = await api.request('POST', '/api/auth/login', { body: { email: `x${user.email}`, password: user.password } });

    expectError(wrongPassword, 401, INVALID_CREDENTIALS);
    expectError(unknownEmail, 401, INVALID_CREDENTIALS);
    // Identical but for the request id, which names each request.
    expect({ ...wrongPassword.body, requestId: 'x' }).toEqual({ ...unknownEmail.body, requestId: 'x' });
  });

  it('when a user registered with a mixed-case e-mail logs in with it lower-cased, then 200 (e-mails are stored lower-cased)', async () => {
    const local = uniqueName('Foo').replace(/\W+/g, '-');
    const registeredAs = `${local}@Example.com`;
    const registered = await api.request<UserDto>('PUT', '/api/user', {
      body: { name: 'Mixed Case', email: registeredAs, password: 'Secret123!' },
    });
    expectStatus(registered, 201);
    expect(registered.body.email).toBe(registeredAs.toLowerCase());

    const lower = await api.request<LoginDto>('POST', '/api/auth/login', {
      body: { email: registeredAs.toLowerCase(), password: 'Secret123!' },
    });
    const asRegistered = await api.request<LoginDto>('POST', '/api/auth/login', { body: { email: registeredAs, password: 'Secret123!' } });

    expectStatus(lower, 200);
    expect(lower.body.user.id).toBe(registered.body.id);
    expectStatus(asRegistered, 200);
    expect(asRegistered.body.user.id).toBe(registered.body.id);
    const rows = await sql<{ email: string }>(api, 'select email from users where id = ?', [registered.body.id]);
    expect(rows).toEqual([{ email: registeredAs.toLowerCase() }]);
  });

  it.each([
    { case: 'the body is empty', body: {} },
    { case: 'the password is missing', body: { email: 'someone@example.com' } },
    { case: 'the e-mail is missing', body: { password: 'Secret123!' } },
    { case: 'the e-mail is not a string', body: { email: 42, password: 'Secret123!' } },
    { case: 'the password is not a string', body: { email: 'someone@example.com', password: 123456 } },
    { case: 'the body is an array', body: [{ email: 'someone@example.com', password: 'Secret123!' }] },
  ])('when $case, then 400 with a message', async ({ body }) => {
    const res = await api.request('POST', '/api/auth/login', { body });

    expectError(res, 400);
  });
});

describe('bearer tokens', () => {
  let user: { id: number; token: string };
  beforeAll(async () => {
    user = await api.newUser();
  });

  it('when a token is signed with the right secret, issuer, audience, sub and credential version, then it is accepted (the forging below is sound)', async () => {
    const res = await api.request<UserDto>('GET', `/api/user/${user.id}`, { token: forgeToken(user.id) });

    expectStatus(res, 200);
    expect(res.body.id).toBe(user.id);
  });

  const rejected: { case: string; authorization: () => string | undefined }[] = [
    { case: 'there is no Authorization header', authorization: () => undefined },
    { case: 'the bearer token is garbage', authorization: () => 'Bearer not-a-jwt' },
    { case: 'the scheme is not Bearer', authorization: () => `Basic ${user.token}` },
    {
      case: 'the token is expired',
      authorization: () => `Bearer ${forgeToken(user.id, { iat: nowSeconds() - 3600, exp: nowSeconds() - 60 })}`,
    },
    {
      case: 'the token is signed with another secret',
      authorization: () => `Bearer ${forgeToken(user.id, {}, 'a-different-secret-that-is-long-enough-0123456789')}`,
    },
    {
      case: 'the token is unsigned (alg none)',
      authorization: () => {
        const payload = {
          sub: String(user.id),
          iss: api.config.JWT_ISSUER,
          aud: api.config.JWT_AUDIENCE,
          iat: nowSeconds(),
          exp: nowSeconds() + 300,
        };
        return `Bearer ${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payload)}.`;
      },
    },
    { case: 'the token has no expiry', authorization: () => `Bearer ${forgeToken(user.id, { exp: undefined })}` },
    { case: 'the token names no credential version', authorization: () => `Bearer ${forgeToken(user.id, { ver: undefined })}` },
    { case: 'the token names another credential version', authorization: () => `Bearer ${forgeToken(user.id, { ver: 2 })}` },
    { case: 'the token names a user that does not exist', authorization: () => `Bearer ${forgeToken(1_999_999_999)}` },
    { case: 'the issuer is wrong', authorization: () => `Bearer ${forgeToken(user.id, { iss: 'someone-else' })}` },
    { case: 'the audience is wrong', authorization: () => `Bearer ${forgeToken(user.id, { aud: 'another-audience' })}` },
    {
      case: 'the payload of a real token was altered (sub changed, signature kept)',
      authorization: () => {
        const [header, , signature] = user.token.split('.');
        const payload = base64url({ ...(jwt.decode(user.token) as object), sub: String(user.id + 1) });
        return `Bearer ${header}.${payload}.${signature}`;
      },
    },
  ];

  it.each(rejected)('when $case, then 401 with a message', async ({ authorization }) => {
    const value = authorization();
    const res = await api.request('GET', `/api/user/${user.id}`, value === undefined ? {} : { headers: { authorization: value } });

    expectError(res, 401);
  });
});

describe('token invalidation', () => {
  it('when the password changes, then tokens issued before stop working (401) and a fresh login works', async () => {
    const user = await api.newUser();
    const body = { id: user.id, name: 'Changed Password', email: user.email, password: 'New-secret-42' };
    expectStatus(await api.request('POST', '/api/user', { token: user.token, body }), 200);

    expectError(await api.request('GET', `/api/user/${user.id}`, { token: user.token }), 401, /password changed/);
    const fresh = await api.login(user.email, 'New-secret-42');
    expectStatus(await api.request('GET', `/api/user/${user.id}`, { token: fresh }), 200);
  });

  it('when the profile changes without a new password, then the token keeps working', async () => {
    const user = await api.newUser();
    const body = { id: user.id, name: 'Only The Name', email: user.email };
    expectStatus(await api.request('POST', '/api/user', { token: user.token, body }), 200);

    expectStatus(await api.request('GET', `/api/user/${user.id}`, { token: user.token }), 200);
  });

  it('when a deleted user places an order with their old token, then 401 (not a 500) and no order exists', async () => {
    const user = await api.newUser();
    const product = await createProduct(api, user.token);
    expectStatus(await api.request('DELETE', `/api/user/${user.id}`, { token: user.token }), 200);

    const res = await api.request('PUT', '/api/order', { token: user.token, body: { items: [{ productId: product.id, quantity: 1 }] } });

    expectError(res, 401);
    expect(await sql(api, 'select id from orders where user_id = ?', [user.id])).toEqual([]);
  });
});

describe('every authenticated route', () => {
  type Ids = { user: number; product: number; order: number };
  let ids: Ids;
  beforeAll(async () => {
    const owner = await api.newUser();
    const product = await createProduct(api, owner.token);
    const order = await createOrder(api, owner.token, [{ productId: product.id, quantity: 1 }]);
    ids = { user: owner.id, product: product.id, order: order.id };
  });

  const routes: { method: string; route: string; body?: (ids: Ids) => unknown }[] = [
    { method: 'POST', route: '/api/user', body: (ids) => ({ id: ids.user, name: 'Nobody', email: 'nobody-unauthorised@example.com' }) },
    { method: 'GET', route: '/api/user/{user}' },
    { method: 'DELETE', route: '/api/user/{user}' },
    { method: 'GET', route: '/api/product' },
    { method: 'GET', route: '/api/product/{product}' },
    { method: 'PUT', route: '/api/product', body: () => ({ name: 'Unauthorised product', description: 'x', price: 1, stock: 1 }) },
    {
      method: 'POST',
      route: '/api/product/{product}',
      body: (ids) => ({ id: ids.product, name: 'Renamed without a token', description: 'x', price: 1, stock: 1 }),
    },
    { method: 'DELETE', route: '/api/product/{product}' },
    { method: 'GET', route: '/api/order' },
    { method: 'GET', route: '/api/order/{order}' },
    { method: 'PUT', route: '/api/order', body: (ids) => ({ items: [{ productId: ids.product, quantity: 1 }] }) },
    { method: 'POST', route: '/api/order/{order}', body: (ids) => ({ id: ids.order, status: 'Processing' }) },
    { method: 'DELETE', route: '/api/order/{order}' },
  ];

  it.each(routes)('when $method $route is called without a token, then 401 with a message', async ({ method, route, body }) => {
    const path = route.replace(/\{(user|product|order)\}/, (_, key: keyof Ids) => String(ids[key]));

    const res = await api.request(method, path, body ? { body: body(ids) } : {});

    expectError(res, 401);
  });
});

describe('access declared on each route', () => {
  type Operation = { method: string; path: string; secured: boolean };
  let operations: Operation[];
  beforeAll(async () => {
    const doc = (await api.request('GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    operations = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/api/'))
      .flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path, secured: (op.security ?? []).length > 0 })),
      );
  });

  it('when the document is read, then only login and registration are public', () => {
    expect(operations.length).toBeGreaterThan(2);
    expect(operations.filter((o) => !o.secured).map((o) => `${o.method} ${o.path}`)).toEqual(
      expect.arrayContaining(['POST /api/auth/login', 'PUT /api/user']),
    );
    expect(operations.filter((o) => !o.secured)).toHaveLength(2);
  });

  it('when every operation the document marks secured is called without a token, then each answers 401', async () => {
    const answers = await Promise.all(
      operations
        .filter((o) => o.secured)
        .map(async (o) => {
          const res = await api.request(o.method, o.path.replace(/\{[^}]+\}/g, '1'), o.method === 'GET' ? {} : { body: {} });
          return `${o.method} ${o.path} → ${res.status}`;
        }),
    );
    expect(answers.filter((a) => !a.endsWith('→ 401'))).toEqual([]);
    expect(answers.length).toBe(operations.length - 2);
  });
});
