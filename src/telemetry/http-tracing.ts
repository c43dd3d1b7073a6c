// The API's side of tracing: one SERVER span per request, named by its route template (`PUT /api/order`), a child of
// the caller's span when the request carries a W3C `traceparent` header. The order service stores the span's context
// in the order's OrderCreated outbox row (src/outbox/outbox.ts), which starts the order's trace across the saga.
import { SpanStatusCode } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import { routeTemplate } from '../metrics/http.ts';
import { inSpan, SpanKind, type TraceCarrier } from './tracing.ts';

export function httpTracingMiddleware(): MiddlewareHandler<{ Variables: { requestId: string } }> {
  return (c, next) => {
    const parent: TraceCarrier = {};
    const traceparent = c.req.header('traceparent');
    const tracestate = c.req.header('tracestate');
    if (traceparent) parent.traceparent = traceparent;
    if (tracestate) parent.tracestate = tracestate;
    const attributes = { 'http.request.method': c.req.method, 'url.path': c.req.path, 'request.id': c.get('requestId') };
    // The route is known only after routing; the span starts under the method and is renamed at the end.
    return inSpan(c.req.method, { kind: SpanKind.SERVER, attributes, parent }, async (span) => {
      await next();
      const route = routeTemplate(c);
      // An exception that escaped every handler still ends as a 500 answer.
      const status = c.finalized ? c.res.status : 500;
      span?.updateName(`${c.req.method} ${route}`);
      span?.setAttributes({ 'http.route': route, 'http.response.status_code': status });
      if (status >= 500) span?.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
    });
  };
}
