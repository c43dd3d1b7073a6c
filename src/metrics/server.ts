// The HTTP server of a process without the API role (relay, bridge, worker, notifier run alone), on METRICS_PORT:
// GET /metrics (unless METRICS_ENABLED=false), /health/live (the process answers) and /health/ready (each role's own
// loop is healthy: 503 with the failing check's reason otherwise, in /ready's report shape). A process with the API
// role serves /metrics, /health and /ready on the API's own port instead.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Metrics } from './metrics.ts';
import type { ReadinessReport } from '../lib/loop-state.ts';

export type MetricsServer = { port: number; close: () => Promise<void> };

export type MetricsServerOptions = { host: string; port: number; ready?: () => ReadinessReport };

const text = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) =>
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers }).end(body);
const json = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));

export async function startMetricsServer(
  metrics: Metrics | undefined,
  { host, port, ready }: MetricsServerOptions,
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const known = (metrics && path === '/metrics') || path === '/health/live' || path === '/health/ready';
    if (!known) return text(res, 404, `Not found: this server answers ${metrics ? '/metrics, ' : ''}/health/live and /health/ready\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(res, 405, 'Method not allowed\n', { allow: 'GET, HEAD' });
    if (path === '/health/live') return json(res, 200, { status: 'ok' });
    if (path === '/health/ready') {
      const report = ready?.() ?? { ready: true, checks: {} };
      return json(res, report.ready ? 200 : 503, { status: report.ready ? 'ready' : 'not ready', checks: report.checks });
    }
    metrics!.render().then(
      (body) => res.writeHead(200, { 'content-type': metrics!.contentType }).end(req.method === 'HEAD' ? undefined : body),
      (err: unknown) => text(res, 500, `metrics failed: ${String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
