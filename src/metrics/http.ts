// The API's side of the metrics: a middleware timing every request by route template, and the GET /metrics handler.
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Metrics } from './metrics.ts';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);
/** The route label of a request no route matched (404, 405): the raw path would make the label set unbounded. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The template of the route that matched the request (`/api/order/:id`), never the raw path. Middleware is
 * registered for every method (`ALL`); the last entry with a method of its own is the route. This is the path
 * `c.req.routePath` gives inside the route's handler, also when a middleware answered first (413, 401).
 */
export function routeTemplate(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i]!;
    if (route.method !== 'ALL') return route.path;
  }
  return UNMATCHED_ROUTE;
}

/** Observes `http_request_duration_seconds{method, route, status}` for every request, errors included. */
export function httpMetricsMiddleware(metrics: Metrics): MiddlewareHandler {
  const { requestDuration } = metrics.http;
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const method = METHODS.has(c.req.method) ? c.req.method : 'other';
      // An exception that escaped every handler still ends as a 500 answer.
      const status = c.finalized ? String(c.res.status) : '500';
      requestDuration.observe({ method, route: routeTemplate(c), status }, (performance.now() - started) / 1000);
    }
  };
}

/** GET /metrics: the process's exposition in Prometheus text format. */
export function metricsHandler(metrics: Metrics): (c: Context) => Promise<Response> {
  return async (c) => c.body(await metrics.render(), 200, { 'content-type': metrics.contentType });
}
