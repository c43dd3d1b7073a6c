// The operator console's server side against the real services: the browser session (an HttpOnly, SameSite=Strict
// cookie set by POST /ops/session, never a token in a URL), the CSRF rule for state-changing requests the cookie
// authenticates, who gets the console, and GET /api/admin/overview's figures for orders this test creates (the
// backlog measured on PostgreSQL, Kafka and the Temporal dev server; admission control's verdict).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import { createApp } from '../../../src/api/app.ts';
import { adminOnly, authenticated } from '../../../src/api/auth/auth.middleware.ts';
import type { AppEnv } from '../../../src/api/context.ts';
import { initOrm, type Orm } from '../../../src/db/orm.ts';
import { AdmissionControl } from '../../../src/health/admission.ts';
import { sagaBacklog } from '../../../src/health/saga-backlog.ts';
import { ensureTopics } from '../../../src/messaging/admin.ts';
import { createKafka, Partitioners, type Admin } from '../../../src/messaging/kafka.ts';
import { allTopics, TOPICS } from '../../../src/messaging/topics.ts';
import { connectTemporal } from '../../../src/temporal/connection.ts';
import { testConfig, testLogger } from '../../helpers/config.ts';
import { eventually } from '../../helpers/eventually.ts';
import { expectError, ISO_UTC, uniqueName } from './support.ts';

const ADMIN = { email: 'admin@example.com', password: 'Password123!' };
const prefix = `ops-console-${process.pid}-${Date.now()}.`;
const taskQueue = `ops-console-no-worker-${prefix}`;
const config = testConfig({ TEMPORAL_UI_URL: 'http://temporal-ui.example:8080/', JWT_EXPIRES_IN: '30m' });
const kafka = createKafka(config, testLogger(config));

type Answer = { status: number; text: string; body: any; headers: Headers; cookies: string[] };

let app: OpenAPIHono<AppEnv>;
let orm: Orm;
let temporal: Client;
let admin: Admin;
let admission: AdmissionControl;
let outboxBehind = false;

async function send(method: string, path: string, options: { headers?: Record<string, string>; body?: string; base?: string } = {}) {
  const res = await app.request(`${options.base ?? 'http://localhost'}${path}`, {
    method,
    headers: options.headers ?? {},
    ...(options.body === undefined ? {} : { body: options.body }),
  });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const answer: Answer = { status: res.status, text, body, headers: res.headers, cookies: res.headers.getSetCookie() };
  return answer;
}

const json = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const form = (fields: Record<string, string>) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});
const cookieValue = (cookies: string[], name: string) =>
  cookies
    .find((c) => c.startsWith(`${name}=`))
    ?.split(';')[0]!
    .slice(name.length + 1);

type Session = { session: string; csrf: string; cookie: string; token: string };

/** Logs in through the console's form; the cookies it got. */
async function consoleLogin(email: string, password: string): Promise<Session> {
  const res = await send('POST', '/ops/session', form({ email, password }));
  if (res.status !== 303) throw new Error(`console login failed: ${res.status} ${res.text}`);
  const session = cookieValue(res.cookies, 'ops_session')!;
  const csrf = cookieValue(res.cookies, 'ops_csrf')!;
  return { session, csrf, token: session, cookie: `ops_session=${session}; ops_csrf=${csrf}` };
}

async function bearerLogin(email: string, password: string): Promise<string> {
  const res = await send('POST', '/api/auth/login', json({ email, password }));
  return res.body.token as string;
}

async function newCustomer(): Promise<{ email: string; password: string; token: string }> {
  const email = `${uniqueName('ops').replace(/\W+/g, '-')}@example.com`;
  const password = 'Secret123!';
  const res = await send('PUT', '/api/user', json({ name: 'Ops Console Customer', email, password }));
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.text}`);
  return { email, password, token: await bearerLogin(email, password) };
}

beforeAll(async () => {
  orm = await initOrm(config);
  temporal = await connectTemporal(config);
  admin = kafka.admin();
  await admin.connect();
  // Three OrderCreated events no bridge has consumed (the bridge's lag), none for the notifier.
  await ensureTopics(kafka, { partitions: 2, topics: allTopics(prefix) });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await producer.send({ topic: prefix + TOPICS.orderCreated, messages: ['1', '2', '3'].map((key) => ({ key, value: '{}' })) });
  await producer.disconnect();
  // Admitting until a test says the outbox is five minutes behind.
  admission = new AdmissionControl({
    measure: async () => ({
      outboxAgeSeconds: { ok: true, value: outboxBehind ? 300 : 0 },
      bridgeLag: { ok: true, value: 0 },
      taskAgeSeconds: { ok: true, value: 0 },
    }),
    limits: { outboxAgeSeconds: 120, bridgeLag: 0, taskAgeSeconds: 0 },
    refreshMs: 60_000,
  });
  await admission.refresh();
  app = createApp({
    orm,
    config,
    log: testLogger(config),
    probes: {},
    workflows: {
      request: () => Promise.reject(new Error('no saga in this test')),
      timeline: () => Promise.reject(new Error('no saga in this test')),
    },
    admission,
    sagaBacklog: sagaBacklog({ orm, kafka, temporal, topicPrefix: prefix, namespace: config.TEMPORAL_NAMESPACE, taskQueue }),
  });
  // A state-changing admin route, as the admin API's own will be: what the CSRF rule guards.
  app.post('/api/admin/ops-console-test', authenticated, adminOnly, (c) => c.json({ changed: true }, 200));
});

afterAll(async () => {
  await admin?.deleteTopics({ topics: allTopics(prefix) }).catch(() => undefined);
  await admin?.disconnect();
  await temporal?.connection.close();
  await orm?.close();
});

describe('logging in to the console', () => {
  it('when an admin logs in with the form, then 303 to /ops with an HttpOnly SameSite=Strict session cookie for the token lifetime', async () => {
    const res = await send('POST', '/ops/session', form(ADMIN));

    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/ops');
    const session = res.cookies.find((c) => c.startsWith('ops_session='))!;
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Strict/);
    expect(session).toMatch(/; Path=\/(;|$)/);
    expect(session).toMatch(/; Max-Age=1800(;|$)/);
    expect(session).not.toMatch(/; Secure/);
    const csrf = res.cookies.find((c) => c.startsWith('ops_csrf='))!;
    expect(csrf).toMatch(/; SameSite=Strict/);
    expect(csrf).not.toMatch(/HttpOnly/);
  });

  it('when the request is https, then the cookies are Secure', async () => {
    const res = await send('POST', '/ops/session', { ...form(ADMIN), base: 'https://localhost' });

    expect(res.status).toBe(303);
    expect(res.cookies.filter((c) => /; Secure/.test(c))).toHaveLength(2);
  });

  it('when logged in, then the token is in no URL and not in the page, only in the cookie', async () => {
    const login = await send('POST', '/ops/session', form(ADMIN));
    const session = cookieValue(login.cookies, 'ops_session')!;
    const csrf = cookieValue(login.cookies, 'ops_csrf')!;

    const page = await send('GET', '/ops', { headers: { cookie: `ops_session=${session}` } });

    expect(login.headers.get('location')).not.toContain(session);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.text).not.toContain(session);
    expect(page.text).toContain(`<meta name="csrf-token" content="${csrf}"`);
    expect(page.text).toMatch(/<script type="module" src="\/ops\/assets\/console\.js">/);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(page.headers.get('cache-control')).toBe('no-store');
  });

  it('when the password is wrong, then the form comes back with 401 and no cookie; as JSON, a 401 problem', async () => {
    const viaForm = await send('POST', '/ops/session', form({ ...ADMIN, password: 'wrong-password' }));
    const viaJson = await send('POST', '/ops/session', json({ ...ADMIN, password: 'wrong-password' }));

    expect(viaForm.status).toBe(401);
    expect(viaForm.text).toContain('Invalid email or password');
    expect(viaForm.text).toMatch(/<form method="post" action="\/ops\/session"/);
    expect(viaForm.cookies).toEqual([]);
    expectError({ ...viaJson, body: viaJson.body }, 401, 'Invalid email or password');
  });

  it('when logging in with JSON, then 200 with the user and the CSRF token, the session in the cookie', async () => {
    const res = await send('POST', '/ops/session', json(ADMIN));

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      user: expect.objectContaining({ email: ADMIN.email }),
      csrfToken: expect.any(String),
      expiresAt: expect.stringMatching(ISO_UTC),
    });
    expect(res.body.csrfToken).toBe(cookieValue(res.cookies, 'ops_csrf'));
    expect(res.text).not.toContain(cookieValue(res.cookies, 'ops_session')!);
  });

  it.each<Record<string, string>>([{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site', origin: 'null' }])(
    'when the login is posted from another site (%j), then 403',
    async (headers) => {
      const res = await send('POST', '/ops/session', { ...form(ADMIN), headers: { ...form(ADMIN).headers, ...headers } });

      expect(res.status).toBe(403);
      expect(res.cookies).toEqual([]);
    },
  );
});

describe('who gets the console', () => {
  it('when nobody is logged in, then /ops is the login form and the admin API answers 401', async () => {
    const page = await send('GET', '/ops');
    const apiAnswer = await send('GET', '/api/admin/overview');

    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<label for="email">/);
    expect(page.text).toMatch(/<input id="password" name="password" type="password"/);
    expectError(apiAnswer, 401);
  });

  it('when a customer is logged in (cookie or bearer), then /ops is a 403 page and the admin API answers 403', async () => {
    const customer = await newCustomer();
    const { cookie } = await consoleLogin(customer.email, customer.password);

    const page = await send('GET', '/ops', { headers: { cookie } });

    expect(page.status).toBe(403);
    expect(page.text).toContain('Admins only');
    expectError(await send('GET', '/api/admin/overview', { headers: { cookie } }), 403);
    expectError(await send('GET', '/api/admin/overview', { headers: { authorization: `Bearer ${customer.token}` } }), 403);
  });

  it('when the cookie is sent to a route outside the console, then it does not authenticate (401)', async () => {
    const { cookie } = await consoleLogin(ADMIN.email, ADMIN.password);

    expectError(await send('GET', '/api/order', { headers: { cookie } }), 401);
    expect((await send('GET', '/api/admin/overview', { headers: { cookie } })).status).toBe(200);
  });
});

describe('CSRF', () => {
  let session: Session;
  beforeAll(async () => {
    session = await consoleLogin(ADMIN.email, ADMIN.password);
  });

  it('when a state-changing request authenticated by the cookie has no X-CSRF-Token, then 403', async () => {
    expectError(await send('POST', '/api/admin/ops-console-test', { headers: { cookie: session.cookie } }), 403, /X-CSRF-Token/);
  });

  it('when its X-CSRF-Token is wrong (or another session’s), then 403', async () => {
    const customer = await newCustomer();
    const other = await consoleLogin(customer.email, customer.password);
    for (const token of ['wrong', other.csrf]) {
      const res = await send('POST', '/api/admin/ops-console-test', { headers: { cookie: session.cookie, 'x-csrf-token': token } });
      expectError(res, 403);
    }
  });

  it('when its X-CSRF-Token is the session’s, then it passes', async () => {
    const res = await send('POST', '/api/admin/ops-console-test', { headers: { cookie: session.cookie, 'x-csrf-token': session.csrf } });

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ changed: true });
  });

  it('when the same request carries a bearer token instead, then no CSRF token is needed (the Bearer path is unchanged)', async () => {
    const token = await bearerLogin(ADMIN.email, ADMIN.password);

    const res = await send('POST', '/api/admin/ops-console-test', { headers: { authorization: `Bearer ${token}` } });

    expect(res.status).toBe(200);
  });

  it('when the session is ended, then only with its CSRF token; afterwards the cookie is cleared', async () => {
    const own = await consoleLogin(ADMIN.email, ADMIN.password);
    expectError(await send('DELETE', '/ops/session', { headers: { cookie: own.cookie } }), 403);

    const res = await send('DELETE', '/ops/session', { headers: { cookie: own.cookie, 'x-csrf-token': own.csrf } });

    expect(res.status).toBe(204);
    expect(res.cookies.find((c) => c.startsWith('ops_session='))).toMatch(/Max-Age=0/);
  });
});

describe('GET /api/admin/overview', () => {
  type Rates = { perMinute: Array<Record<string, number>> };
  const get = async (cookie: string): Promise<any> => {
    const res = await send('GET', '/api/admin/overview?limit=100', { headers: { cookie } });
    expect(res.status).toBe(200);
    return res.body as unknown;
  };
  const sum = (rates: Rates, name: string) => rates.perMinute.reduce((total, m) => total + m[name]!, 0);
  const sql = (query: string, params: unknown[] = []) => orm.em.getConnection().execute(query, params);

  it('when a customer has placed orders that are now in every status, then the counts, rates and recent orders show them', async () => {
    const { cookie } = await consoleLogin(ADMIN.email, ADMIN.password);
    const customer = await newCustomer();
    const auth = { authorization: `Bearer ${customer.token}`, 'content-type': 'application/json' };
    const product = await send('PUT', '/api/product', {
      headers: auth,
      body: JSON.stringify({ name: uniqueName('Ops'), price: 5, stock: 50 }),
    });
    const before = await get(cookie);

    const ids: number[] = [];
    for (let i = 0; i < 6; i++) {
      const order = await send('PUT', '/api/order', {
        headers: auth,
        body: JSON.stringify({ items: [{ productId: product.body.id, quantity: 1 }] }),
      });
      expect(order.status).toBe(201);
      ids.push(order.body.id as number);
    }
    const [placed, charging, awaiting, completed, expired, cancelled] = ids as [number, number, number, number, number, number];
    await sql(`update orders set status = 'Processing', updated_at = now() where id in (?, ?)`, [charging, awaiting]);
    await sql(`update orders set payment_due_at = now() + interval '10 minutes' where id = ?`, [awaiting]);
    for (const [id, status] of [
      [completed, 'Completed'],
      [expired, 'Expired'],
      [cancelled, 'Cancelled'],
    ] as const) {
      await sql(`update orders set status = ?, updated_at = now() where id = ?`, [status, id]);
    }
    const after = await get(cookie);

    const delta = (part: 'byStatus' | 'byPhase') =>
      Object.fromEntries(Object.keys(after.orders[part]).map((k) => [k, after.orders[part][k] - before.orders[part][k]]));
    expect(delta('byStatus')).toEqual({ Pending: 1, Processing: 2, Completed: 1, Cancelled: 1, Expired: 1 });
    expect(delta('byPhase')).toEqual({ placed: 1, charging: 1, 'awaiting-payment': 1, done: 3 });
    expect(after.rates.minutes).toBe(15);
    expect(after.rates.perMinute).toHaveLength(15);
    for (const name of ['placed', 'completed', 'expired', 'cancelled']) {
      expect({ name, more: sum(after.rates, name) - sum(before.rates, name) }).toEqual({ name, more: name === 'placed' ? 6 : 1 });
    }
    const recent = new Map<number, unknown>((after.recentOrders as Array<{ id: number }>).map((o) => [o.id, o]));
    const expected = {
      [placed]: ['Pending', 'placed'],
      [charging]: ['Processing', 'charging'],
      [awaiting]: ['Processing', 'awaiting-payment'],
      [completed]: ['Completed', 'done'],
      [expired]: ['Expired', 'done'],
      [cancelled]: ['Cancelled', 'done'],
    };
    for (const id of ids) {
      const workflowId = `${config.TEMPORAL_WORKFLOW_ID_PREFIX}${id}`;
      expect(recent.get(id)).toEqual({
        id,
        userId: expect.any(Number),
        status: expected[id]![0],
        phase: expected[id]![1],
        createdAt: expect.stringMatching(ISO_UTC),
        updatedAt: expect.stringMatching(ISO_UTC),
        workflowId,
        workflowUrl: `http://temporal-ui.example:8080/namespaces/${config.TEMPORAL_NAMESPACE}/workflows/${workflowId}`,
        timelineUrl: `/api/order/${id}/timeline`,
      });
    }
    // An order's timeline, as the console's panel reads it with the cookie.
    const timeline = await send('GET', `/api/order/${completed}/timeline`, { headers: { cookie } });
    expect(timeline.status).toBe(200);
    expect(timeline.body).toEqual(expect.objectContaining({ orderId: completed, status: 'Completed' }));
  });

  it('when read, then the backlog is measured on the services, admission says why it refuses, and the links name the Temporal UI', async () => {
    const { cookie } = await consoleLogin(ADMIN.email, ADMIN.password);
    outboxBehind = true;
    await admission.refresh();

    // The backlog is measured at most every two seconds; the earlier test's orders show once a fresh one was taken.
    const overview = await eventually(
      () => get(cookie),
      (o) => o.backlog.outbox.pending >= 6,
      { what: "the earlier test's orders in the outbox backlog" },
    );

    expect(overview.backlog).toEqual({
      outbox: { pending: expect.any(Number), oldestAgeSeconds: expect.any(Number) },
      consumerLag: { bridge: 3, notifier: 0 },
      workflowTasks: { backlog: 0, oldestAgeSeconds: 0, pollers: 0 },
      measuredAt: expect.stringMatching(ISO_UTC),
    });
    expect(overview.admission).toEqual({
      enabled: true,
      admitting: false,
      reasons: [expect.stringMatching(/oldest unpublished event is 300 s old/)],
      since: expect.stringMatching(ISO_UTC),
      checkedAt: expect.stringMatching(ISO_UTC),
    });
    expect(overview.links).toEqual({
      temporalUi: 'http://temporal-ui.example:8080',
      namespace: config.TEMPORAL_NAMESPACE,
      workflowIdPrefix: config.TEMPORAL_WORKFLOW_ID_PREFIX,
    });
    expect(overview.generatedAt).toMatch(ISO_UTC);
  });

  it('when the OpenAPI document is read, then the overview is in it, admin-only (401 and 403 documented)', async () => {
    const doc = (await send('GET', '/openapi.json')).body;
    const op = doc.paths['/api/admin/overview'].get;

    expect(op.operationId).toBe('getAdminOverview');
    expect(op.security).toEqual([{ Bearer: [] }]);
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403']));
  });
});
