// Builds the Hono application from its dependencies; never listens (src/roles/api.role.ts does).
// Pipeline: request id → access log → body limit → per-request EntityManager → the route's own bearer auth (unless
// it is declared public) → zod validation (400 with the failing fields) → route → one error handler.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import type { Config } from '../config.ts';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import { checkReadiness, type Probe } from '../readiness.ts';
import type { SagaHealthReport } from '../saga-health.ts';
import { authRoutes } from './auth/auth.routes.ts';
import type { AppEnv } from './context.ts';
import { docsRoutes } from './docs.ts';
import { errorHandler } from './errors.ts';
import { router } from './openapi.ts';
import { orderRoutes } from './orders/order.routes.ts';
import { notificationRoutes } from './notifications/notification.routes.ts';
import type { OrderWorkflowUpdates } from '../orders/order-status-requests.ts';
import { productRoutes } from './products/product.routes.ts';
import { userRoutes } from './users/user.routes.ts';

export type AppDeps = {
  orm: Orm;
  config: Config;
  log: Logger;
  probes: Record<string, Probe>;
  workflows: OrderWorkflowUpdates;
  /** Serves GET /health/saga when given (the api role gives it; in-process test apps need not). */
  sagaHealth?: () => Promise<SagaHealthReport>;
};

export function createApp({ orm, config, log, probes, workflows, sagaHealth }: AppDeps): OpenAPIHono<AppEnv> {
  const app = router();

  app.use(requestId());
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
    log.debug({ requestId: c.var.requestId, method: c.req.method, path: c.req.path, status: c.res.status, ms }, 'request');
  });
  app.use(
    bodyLimit({
      maxSize: config.BODY_LIMIT_BYTES,
      onError: (c) => c.json({ message: `Request body too large (limit ${config.BODY_LIMIT_BYTES} bytes)` }, 413),
    }),
  );
  app.use('/api/*', async (c, next) => {
    c.set('em', orm.em.fork());
    c.set('tokenConfig', config);
    await next();
  });

  // Each router's routes declare their own access (src/api/openapi.ts): authenticated unless marked public.
  app.route('/', authRoutes(config));
  app.route('/', userRoutes());
  app.route('/', productRoutes());
  app.route('/', orderRoutes({ workflows, log, requestTimeoutMs: config.ORDER_REQUEST_TIMEOUT }));
  app.route('/', notificationRoutes());

  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.get('/ready', async (c) => {
    const report = await checkReadiness(probes);
    return c.json({ status: report.ready ? 'ready' : 'not ready', checks: report.checks }, report.ready ? 200 : 503);
  });
  if (sagaHealth) {
    app.get('/health/saga', async (c) => {
      const report = await sagaHealth();
      return c.json(report, report.status === 'ok' ? 200 : 503);
    });
  }
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

  app.notFound((c) => c.json({ message: `Route ${c.req.method} ${c.req.path} not found` }, 404));
  app.onError(errorHandler(log));
  return app;
}
