// Tracing off is the default and must cost nothing: without OTEL_EXPORTER_OTLP_ENDPOINT nothing is installed, the
// OpenTelemetry API stays the no-op one, no trace context is produced for the outbox and spans are never opened.
import { describe, expect, it } from '@jest/globals';
import { propagation, trace } from '@opentelemetry/api';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import {
  carrierFromHeaders,
  currentTracing,
  inSpan,
  installTracing,
  otlpTracesUrl,
  serviceName,
  startChildSpan,
  traceCarrier,
  tracingEnabled,
} from '../../src/telemetry/tracing.ts';

describe('tracing off (OTEL_EXPORTER_OTLP_ENDPOINT unset)', () => {
  it('when tracing is set up without an endpoint, then nothing is installed and the API stays the no-op one', () => {
    expect(installTracing(loadConfig({}), 'api')).toBeUndefined();
    expect(installTracing(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }), 'api')).toBeUndefined();
    expect(tracingEnabled()).toBe(false);
    expect(currentTracing()).toBeUndefined();
    expect(trace.getTracer('any').startSpan('any').isRecording()).toBe(false);
    expect(propagation.fields()).toEqual([]);
  });

  it('when an event is written or a message handled, then no trace context is produced and no span is opened', async () => {
    expect(traceCarrier()).toBeUndefined();
    let given: unknown = 'not called';
    await inSpan('work', {}, async (span) => {
      given = span;
      expect(traceCarrier()).toBeUndefined();
    });
    expect(given).toBeUndefined();
    // A stored context (written by a process with tracing on) is passed through by a relay without tracing.
    const stored = { traceparent: '00-a1b2c3d4e5f60718293a4b5c6d7e8f90-1122334455667788-01' };
    expect(startChildSpan('publish', stored).carrier).toBe(stored);
    expect(startChildSpan('publish', {}).carrier).toEqual({});
  });

  it('when a line is logged, then it carries no trace ids', () => {
    const lines: string[] = [];
    createLogger(loadConfig({ LOG_LEVEL: 'info' }), { write: (line: string) => lines.push(line) }).info({ orderId: 7 }, 'about an order');
    expect(Object.keys(JSON.parse(lines[0]!))).not.toContain('traceId');
  });
});

describe('tracing settings', () => {
  it('when an endpoint is given, then traces go to its /v1/traces path (with or without a trailing slash)', () => {
    expect(otlpTracesUrl('http://collector:4318')).toBe('http://collector:4318/v1/traces');
    expect(otlpTracesUrl('http://collector:4318/')).toBe('http://collector:4318/v1/traces');
  });

  it('when OTEL_SERVICE_NAME is unset, then each role names its service, and the variable overrides it', () => {
    expect(serviceName({ OTEL_SERVICE_NAME: undefined }, 'api')).toBe('order-saga-api');
    expect(serviceName({ OTEL_SERVICE_NAME: undefined }, 'all')).toBe('order-saga');
    expect(serviceName({ OTEL_SERVICE_NAME: undefined }, 'api,relay')).toBe('order-saga');
    expect(serviceName({ OTEL_SERVICE_NAME: 'shop-orders' }, 'worker')).toBe('shop-orders');
  });

  it('when the endpoint is not a URL, then the configuration is refused with the variable named', () => {
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });

  it('when Kafka headers carry a trace context, then it is read back as text', () => {
    const traceparent = '00-a1b2c3d4e5f60718293a4b5c6d7e8f90-1122334455667788-01';
    expect(carrierFromHeaders({ traceparent: Buffer.from(traceparent), 'outbox-id': Buffer.from('1') })).toEqual({ traceparent });
    expect(carrierFromHeaders(undefined)).toEqual({});
  });
});
