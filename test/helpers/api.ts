// In-process HTTP harness for API integration tests: the real Hono app (createApp) over the real test database,
// driven through app.request() (full request pipeline, no socket). Seed data is present (global setup seeds).
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../src/api/context.ts';
import { createApp } from '../../src/api/app.ts';
import type { CredentialStore } from '../../src/api/auth/credentials.ts';
import { initOrm, type Orm } from '../../src/db/orm.ts';
import { testConfig, testLogger } from './config.ts';
import type { Logger } from '../../src/logger.ts';
import type { Config } from '../../src/config.ts';
import type { OrderWorkflows } from '../../src/orders/order-status-requests.ts';
import { startTestSaga, type TestSaga } from './saga.ts';
import type { AdmissionControl } from '../../src/health/admission.ts';
import type { Metrics } from '../../src/metrics/metrics.ts';

export type ApiResponse<T = any> = { status: number; body: T; text: string; headers: Headers };
export type RequestOptions = { body?: unknown; rawBody?: string; token?: string; headers?: Record<string, string> };

export type TestApi = {
  app: OpenAPIHono<AppEnv>;
  orm: Orm;
  config: Config;
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  /** Logs in and returns the bearer token (throws unless 200). */
  login(email: string, password: string): Promise<string>;
  /** Registers a fresh user with a unique e-mail and returns its id, email and token. */
  newUser(name?: string): Promise<{ id: number; email: string; password: string; token: string }>;
  /** The real saga (Temporal dev server + worker), when started with { saga: true }. */
  saga: TestSaga | undefined;
  close(): Promise<void>;
};

let counter = 0;

/** Stands in for the saga where a test never changes an order's status. */
const noSaga: OrderWorkflows = {
  request: () => Promise.reject(new Error('this test API runs without a saga: use startTestApi({ saga: true })')),
  timeline: () => Promise.reject(new Error('this test API runs without a saga')),
};

export async function startTestApi(
  overrides: Record<string, string> = {},
  options: {
    saga?: boolean;
    polling?: boolean;
    log?: Logger;
    credentials?: CredentialStore;
    /** Admission control for PUT /api/order, built from the app's config and the test saga (when there is one). */
    admission?: (deps: { orm: Orm; config: Config; saga: TestSaga | undefined }) => AdmissionControl;
    metrics?: Metrics;
  } = {},
): Promise<TestApi> {
  const config = testConfig(overrides);
  const orm = await initOrm(config);
  const saga = options.saga ? await startTestSaga(orm, config, { polling: options.polling ?? true }) : undefined;
  const app = createApp({
    orm,
    config,
    log: options.log ?? testLogger(config),
    probes: {},
    workflows: saga?.workflows ?? noSaga,
    credentials: options.credentials,
    ...(options.admission && { admission: options.admission({ orm, config, saga }) }),
    ...(options.metrics && { metrics: options.metrics }),
  });

  const request: TestApi['request'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
      headers['content-type'] = 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const res = await app.request(path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed as any, text, headers: res.headers };
  };

  const login: TestApi['login'] = async (email, password) => {
    const res = await request('POST', '/api/auth/login', { body: { email, password } });
    if (res.status !== 200) throw new Error(`login ${email} failed: ${res.status} ${res.text}`);
    return res.body.token as string;
  };

  const newUser: TestApi['newUser'] = async (name = 'Test Person') => {
    counter += 1;
    const email = `user-${process.pid}-${Date.now()}-${counter}@example.com`;
    const password = 'Secret123!';
    const res = await request('PUT', '/api/user', { body: { name, email, password } });
    if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.text}`);
    return { id: res.body.id as number, email, password, token: await login(email, password) };
  };

  return {
    app,
    orm,
    config,
    saga,
    request,
    login,
    newUser,
    close: async () => {
      await saga?.stop();
      await orm.close();
    },
  };
}
