// Builds the Hono application from its dependencies; never listens (src/roles/api.role.ts does).
// Pipeline: request id → trace span (when tracing is on) → access log → security headers → CORS (allow-list) → body
// limit → per-request EntityManager → the route's own bearer auth (unless it is declared public) → zod validation
// (400 with the failing fields) → route → one error handler. Every error answer is a problem document (src/api/errors.ts).
// The operator console (/ops, src/api/ops/) is served here too, outside the OpenAPI document like /docs.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { createMiddleware } from 'hono/factory';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import type { Config } from '../config.ts';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import { httpMetricsMiddleware, metricsHandler, routeTemplate } from '../metrics/http.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { checkReadiness, type Probe } from '../health/readiness.ts';
import { httpTracingMiddleware } from '../telemetry/http-tracing.ts';
import { tracingEnabled } from '../telemetry/tracing.ts';
import type { AdmissionControl } from '../health/admission.ts';
import { withAdmission, type SagaHealthReport } from '../health/saga-health.ts';
import type { Publish } from '../dead-letters/redrive.service.ts';
import { deadLetterRoutes } from './admin/dead-letter.routes.ts';
import type { SagaBacklog } from '../health/saga-backlog.ts';
import { overviewRoutes } from './admin/overview.routes.ts';
import { authRoutes } from './auth/auth.routes.ts';
import { driftRoutes } from './admin/drift.routes.ts';
import { CredentialStore } from './auth/credentials.ts';
import { LoginThrottle } from './auth/login-throttle.ts';
import type { AppEnv } from './context.ts';
import { docsRoutes } from './docs.ts';
import { errorHandler, problem } from './errors.ts';
import { allowedMethods } from './methods.ts';
import { ok, route, router } from './openapi.ts';
import { orderRoutes } from './orders/order.routes.ts';
import { notificationRoutes } from './notifications/notification.routes.ts';
import { opsRoutes } from './ops/ops.routes.ts';
import type { OrderWorkflows } from '../orders/order-status-requests.ts';
import { productRoutes } from './products/product.routes.ts';
import { userRoutes } from './users/user.routes.ts';

export type AppDeps = {
  orm: Orm;
  config: Config;
  log: Logger;
  probes: Record<string, Probe>;
  workflows: OrderWorkflows;
  /** Serves GET /health/saga when given (the api role gives it; in-process test apps need not). */
  sagaHealth?: () => Promise<SagaHealthReport>;
  /** Times every request and serves GET /metrics when given (the api role gives it, unless METRICS_ENABLED=false). */
  metrics?: Metrics;
  /** Remembers token checks while it hears PostgreSQL's change notifications; without one, every request reads. */
  credentials?: CredentialStore;
  /** Refuses new orders while the saga's backlog is over its limits; without one, every order is accepted. */
  admission?: AdmissionControl;
  /** Publishes redriven dead letters (the api role gives one); without it, a redrive can only be a dry run. */
  redrivePublish?: Publish;
  /** The saga's backlog for GET /api/admin/overview (the api role gives it; without one it reads "not measured"). */
  sagaBacklog?: () => Promise<SagaBacklog>;
};

const ReadinessReport = z
  .object({
    status: z.enum(['ready', 'not ready']),
    checks: z.record(z.string(), z.object({ ok: z.boolean(), error: z.string().optional() })),
  })
  .openapi('Readiness');
const health = route({
  method: 'get',
  path: '/health',
  operationId: 'health',
  access: 'public',
  tags: ['Health'],
  summary: 'Liveness: the process answers',
  responses: { 200: ok(z.object({ status: z.literal('ok') }), 'Alive') },
});
const ready = route({
  method: 'get',
  path: '/ready',
  operationId: 'ready',
  access: 'public',
  tags: ['Health'],
  summary: 'Readiness: PostgreSQL, Kafka and Temporal answer this process',
  responses: { 200: ok(ReadinessReport, 'Ready'), 503: ok(ReadinessReport, 'Not ready: the failing checks say which') },
});

export function createApp({
  orm,
  config,
  log,
  probes,
  workflows,
  sagaHealth,
  metrics,
  credentials,
  admission,
  redrivePublish,
  sagaBacklog,
}: AppDeps): OpenAPIHono<AppEnv> {
  const app = router();
  const credentialStore = credentials ?? new CredentialStore({ ttlMs: 0 });

  app.use(requestId());
  // Tracing is installed per process before the app is built (src/telemetry/tracing.ts); off, no middleware at all.
  if (tracingEnabled()) app.use(httpTracingMiddleware());
  if (metrics) app.use(httpMetricsMiddleware(metrics));
  // Hono hands only Error instances to onError; anything else thrown (a string, an error object from another realm,
  // as jest's module sandbox makes of Node's socket errors) is wrapped so it gets the same JSON answer and log line.
  app.use(async (_c, next) => {
    try {
      await next();
    } catch (err) {
      throw err instanceof Error ? err : new Error(String((err as { message?: unknown })?.message ?? err), { cause: err });
    }
  });
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    const ms = Math.round(performance.now() - started);
    // One line per request at info: which route (its template), the status and the time; the request id ties it to
    // the answer's X-Request-Id and to any error logged for it.
    const line = {
      requestId: c.get('requestId'),
      method: c.req.method,
      route: routeTemplate(c),
      path: c.req.path,
      status: c.res.status,
      ms,
    };
    log.info(line, 'request');
  });
  app.use(secureHeaders());
  if (config.CORS_ORIGINS.length > 0) {
    app.use(
      cors({
        origin: config.CORS_ORIGINS,
        allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key'],
        allowMethods: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'],
        exposeHeaders: ['Location', 'Link', 'Retry-After', 'X-Request-Id'],
        maxAge: 600,
      }),
    );
  }
  const limitBody = bodyLimit({
    maxSize: config.BODY_LIMIT_BYTES,
    onError: (c) => problem(c, 'payload-too-large', `Request body too large (limit ${config.BODY_LIMIT_BYTES} bytes)`),
  });
  // The limiter reads the body stream, which makes the Node adapter build a full fetch Request. GET and HEAD bodies are
  // never read by any route, so those skip the limiter and that cost (the catalogue's hot path).
  app.use((c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limitBody(c, next)));
  const requestContext = createMiddleware<AppEnv>(async (c, next) => {
    c.set('orm', orm);
    c.set('credentials', credentialStore);
    c.set('authConfig', config);
    await next();
  });
  app.use('/api/*', requestContext);
  app.use('/ops', requestContext);
  app.use('/ops/*', requestContext);

  // Each router's routes declare their own access (src/api/openapi.ts): authenticated unless marked public.
  // One throttle for both ways of logging in (the API's and the operator console's).
  const loginThrottle = new LoginThrottle(config);
  app.route('/', authRoutes(config, loginThrottle));
  app.route('/', userRoutes());
  app.route('/', productRoutes());
  const retryAfterSeconds = Math.max(1, Math.round(config.ADMISSION_RETRY_AFTER / 1000));
  app.route('/', orderRoutes({ workflows, log, requestTimeoutMs: config.ORDER_REQUEST_TIMEOUT, admission, retryAfterSeconds, metrics }));
  app.route('/', notificationRoutes());
  app.route('/', driftRoutes());
  app.route('/', deadLetterRoutes({ publish: redrivePublish, log, metrics }));
  app.route('/', overviewRoutes({ config, backlog: sagaBacklog, admission }));

  app.openapi(health, (c) => c.json({ status: 'ok' as const }, 200));
  app.openapi(ready, async (c) => {
    const report = await checkReadiness(probes);
    return c.json({ status: report.ready ? 'ready' : 'not ready', checks: report.checks }, report.ready ? 200 : 503);
  });
  if (sagaHealth) {
    app.get('/health/saga', async (c) => {
      const report = withAdmission(await sagaHealth(), admission?.state());
      return c.json(report, report.status === 'ok' ? 200 : 503);
    });
  }
  // Prometheus text format for scrapers, outside the OpenAPI document (like /health/saga): not part of the contract.
  if (metrics) app.get('/metrics', metricsHandler(metrics));
  app.openAPIRegistry.registerComponent('securitySchemes', 'Bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'order-saga API',
      version: '1.0.0',
      description: 'Users, products and orders. Log in with POST /api/auth/login, then Authorize with the token.',
    },
  });
  docsRoutes(app);
  opsRoutes(app, config, loginThrottle);

  const methodsOf = allowedMethods(app.routes);
  app.notFound((c) => {
    const allow = methodsOf(c.req.path);
    if (allow.length === 0) return problem(c, 'not-found', `Route ${c.req.method} ${c.req.path} not found`);
    c.header('Allow', allow.join(', '));
    if (c.req.method === 'OPTIONS') return c.body(null, 204);
    return problem(c, 'method-not-allowed', `${c.req.method} is not allowed on ${c.req.path}; allowed: ${allow.join(', ')}`);
  });
  app.onError(errorHandler(log));
  return app;
}
