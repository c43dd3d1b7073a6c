// Builds the Hono application from its dependencies; never listens (see src/roles/api.role.ts).
import { Hono } from 'hono';
import { checkReadiness, type Probe } from '../readiness.ts';

export type AppDeps = { probes: Record<string, Probe> };

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.get('/ready', async (c) => {
    const report = await checkReadiness(deps.probes);
    return c.json({ status: report.ready ? 'ready' : 'not ready', checks: report.checks }, report.ready ? 200 : 503);
  });
  app.notFound((c) => c.json({ message: `Route ${c.req.method} ${c.req.path} not found` }, 404));
  return app;
}
