// OpenTelemetry tracing, set up once per process: one trace per order, from the HTTP request through the outbox row,
// the Kafka message, the bridge, the workflow and its activities, the outcome event, to the notifier. Spans go to an
// OTLP collector (http/protobuf) when OTEL_EXPORTER_OTLP_ENDPOINT is set. Unset, nothing is installed: the API stays
// the no-op one, no Temporal interceptor is added and the span helpers return at once (tracingEnabled() is false).
// Tests install an in-memory exporter instead (test/integration/tracing.test.ts).
import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { Config } from '../config.ts';

export type Tracing = {
  tracer: Tracer;
  /** Also receives the workflow spans, which the Temporal worker hands over through a sink (src/temporal/worker.ts). */
  processor: SpanProcessor;
  resource: Resource;
  /** Exports what is still buffered, then stops. */
  shutdown: () => Promise<void>;
};

/** The name spans carry as their instrumentation scope. */
export const TRACER_NAME = 'order-saga';

let installed: Tracing | undefined;

/** Whether this process records spans. False unless tracing was installed. */
export function tracingEnabled(): boolean {
  return installed !== undefined;
}

/** The installed tracing, if any (the Temporal client and worker take their interceptors from it). */
export function currentTracing(): Tracing | undefined {
  return installed;
}

/** OTLP over HTTP posts traces to <endpoint>/v1/traces (the signal path the OTLP spec appends to a base endpoint). */
export function otlpTracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/** `order-saga-<role>` (`order-saga` for `all` or a list of roles in one process), unless OTEL_SERVICE_NAME says otherwise. */
export function serviceName(config: Pick<Config, 'OTEL_SERVICE_NAME'>, role: string): string {
  return config.OTEL_SERVICE_NAME ?? (role === 'all' || role.includes(',') ? 'order-saga' : `order-saga-${role}`);
}

/**
 * Installs tracing for the process when OTEL_EXPORTER_OTLP_ENDPOINT is set (or a test passes its own exporter);
 * returns undefined, installing nothing, otherwise. Spans are batched; a test's exporter gets each span at its end.
 */
export function installTracing(
  config: Pick<Config, 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_SERVICE_NAME'>,
  role: string,
  { exporter }: { exporter?: SpanExporter } = {},
): Tracing | undefined {
  if (installed) return installed;
  const endpoint = config.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!exporter && !endpoint) return undefined;
  const processor = exporter
    ? new SimpleSpanProcessor(exporter)
    : new BatchSpanProcessor(new OTLPTraceExporter({ url: otlpTracesUrl(endpoint!) }));
  const resource = new Resource({ 'service.name': serviceName(config, role) });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  // Global tracer provider, W3C trace-context propagator and an AsyncLocalStorage context manager, so the active span
  // follows the request or message through every await.
  provider.register();
  const tracing: Tracing = {
    tracer: trace.getTracer(TRACER_NAME),
    processor,
    resource,
    shutdown: async () => {
      installed = undefined;
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
  installed = tracing;
  return tracing;
}

/** W3C trace-context fields (traceparent, tracestate) of a context; the active one by default. */
export type TraceCarrier = Record<string, string>;

/** The active span's trace context to store or send on, or undefined when there is none (or tracing is off). */
export function traceCarrier(): TraceCarrier | undefined {
  if (!installed || !trace.getActiveSpan()) return undefined;
  const carrier: TraceCarrier = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? carrier : undefined;
}

/** The W3C trace-context fields, the ones the registered propagator reads and writes. */
const TRACE_FIELDS = ['traceparent', 'tracestate'];

/** The trace-context fields of Kafka message headers (Buffers or strings) as a carrier. */
export function carrierFromHeaders(headers: Record<string, unknown> | undefined): TraceCarrier {
  const carrier: TraceCarrier = {};
  for (const field of TRACE_FIELDS) {
    const value = headers?.[field];
    // kafkajs gives a header sent more than once as an array: the first one counts.
    const first: unknown = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') carrier[field] = first;
    else if (Buffer.isBuffer(first)) carrier[field] = first.toString('utf8');
  }
  return carrier;
}

export type SpanOptions = { kind?: SpanKind; attributes?: Attributes; parent?: TraceCarrier };

/**
 * Runs `fn` inside a new active span (a child of `parent` when given, else of the active span), ends it when `fn`
 * settles and marks it failed when `fn` throws. With tracing off it only calls `fn`.
 */
export async function inSpan<T>(name: string, options: SpanOptions, fn: (span?: Span) => Promise<T>): Promise<T> {
  const tracing = installed;
  if (!tracing) return fn();
  const parent = options.parent ? propagation.extract(context.active(), options.parent) : context.active();
  return tracing.tracer.startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes },
    parent,
    async (span) => {
      try {
        return await fn(span);
      } catch (err) {
        failSpan(span, err);
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

/** Records `err` on the span and marks it failed. */
export function failSpan(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

/** Sets attributes on the active span, if tracing is on and one is active (e.g. the order id once it is known). */
export function annotateActiveSpan(attributes: Attributes): void {
  if (installed) trace.getActiveSpan()?.setAttributes(attributes);
}

/** The active span's ids for log lines, or undefined without one (src/logger.ts). */
export function activeTraceIds(): { traceId: string; spanId: string } | undefined {
  if (!installed) return undefined;
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const { traceId, spanId } = span.spanContext();
  return { traceId, spanId };
}

export { SpanKind };

/** A span that is ended by hand (a relay publish covers a whole batch), with the carrier to send on. */
export type HandSpan = { carrier: TraceCarrier; end: (err?: unknown) => void };

/**
 * Starts a span, child of `parent`, whose context the caller sends on: the carrier continues the trace through this
 * span. With tracing off (or no parent), the parent's carrier is passed through unchanged.
 */
export function startChildSpan(name: string, parent: TraceCarrier, options: Omit<SpanOptions, 'parent'> = {}): HandSpan {
  const tracing = installed;
  if (!tracing || !parent.traceparent) return { carrier: parent, end: () => undefined };
  const parentContext = propagation.extract(context.active(), parent);
  const span = tracing.tracer.startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes }, parentContext);
  const carrier: TraceCarrier = {};
  propagation.inject(trace.setSpan(parentContext, span), carrier);
  return {
    carrier,
    end: (err) => {
      if (err !== undefined) failSpan(span, err);
      span.end();
    },
  };
}
