// Metrics without servers: the settings, the exposition with an appended source (the Temporal SDK's), and that the
// Prometheus rules, the Grafana dashboard and the metric table of docs/observability.md name only metrics the app
// really exports.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config.ts';
import type { Orm } from '../../src/db/orm.ts';
import type { Kafka } from '../../src/messaging/kafka.ts';
import { Metrics } from '../../src/metrics/metrics.ts';
import { registerSagaState } from '../../src/health/saga-state.ts';
import { parseMetrics, valueOf } from '../helpers/metrics.ts';

const read = (path: string) => readFile(new URL(`../../${path}`, import.meta.url), 'utf8');

/** Every metric family the app registers (each role's, and the saga-state gauges), by name. */
function exportedNames(): Set<string> {
  const metrics = new Metrics({ defaultMetrics: false });
  void [
    metrics.http,
    metrics.relay,
    metrics.consumer,
    metrics.bridge,
    metrics.notifier,
    metrics.admission,
    metrics.reconciler,
    metrics.deadLetters,
  ];
  // Registering touches neither the database nor Kafka; only a scrape would.
  registerSagaState(metrics, { orm: {} as Orm, kafka: {} as Kafka, topicPrefix: '' });
  return new Set(metrics.registry.getMetricsAsArray().map((m) => m.name));
}

/** Metric names of the app (saga_*, http_*) in a PromQL expression, histogram series mapped to their family. */
function appMetricsIn(expr: string): string[] {
  const names = expr.match(/(?<![:\w])(saga_|http_request_)[a-z0-9_]*(?![:\w])/g) ?? [];
  return names.map((n) => n.replace(/_(bucket|count|sum)$/, ''));
}
const recordedIn = (expr: string): string[] => expr.match(/[a-z_]+:[a-z0-9_]+:[a-z0-9_]+/g) ?? [];

describe('metrics settings', () => {
  it('when nothing is set, then metrics are on and processes without the API role serve none', () => {
    const config = loadConfig({});
    expect(config.METRICS_ENABLED).toBe(true);
    expect(config.METRICS_PORT).toBeUndefined();
  });

  it('when METRICS_ENABLED and METRICS_PORT are set, then they are parsed, and a bad port is refused', () => {
    expect(loadConfig({ METRICS_ENABLED: 'false' }).METRICS_ENABLED).toBe(false);
    expect(loadConfig({ METRICS_PORT: '9464' }).METRICS_PORT).toBe(9464);
    expect(() => loadConfig({ METRICS_PORT: 'ninety' })).toThrow(/METRICS_PORT/);
    expect(() => loadConfig({ METRICS_ENABLED: 'maybe' })).toThrow(/METRICS_ENABLED/);
  });
});

describe('the exposition', () => {
  it("when a text source answers and another fails, then the registry's metrics are followed by the answer alone", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.relay.published.inc({ topic: 'order-created-events' }, 3);
    metrics.addTextSource(async () => '# TYPE temporal_sticky_cache_size gauge\ntemporal_sticky_cache_size{task_queue="orders"} 7');
    metrics.addTextSource(() => Promise.reject(new Error('exporter down')));
    const samples = parseMetrics(await metrics.render());
    expect(valueOf(samples, 'saga_outbox_published_total', { topic: 'order-created-events' })).toBe(3);
    expect(valueOf(samples, 'temporal_sticky_cache_size', { task_queue: 'orders' })).toBe(7);
  });

  it("when a process runs one role, then only that role's families are registered", () => {
    const metrics = new Metrics({ defaultMetrics: false });
    void metrics.relay;
    expect(metrics.registry.getMetricsAsArray().map((m) => m.name)).toEqual([
      'saga_outbox_published_total',
      'saga_outbox_publish_failures_total',
    ]);
  });
});

describe('names used outside the code', () => {
  const exported = exportedNames();

  it('when prometheus/rules.yml aggregates or alerts, then every metric it reads is exported and every recorded name it uses is recorded', async () => {
    const rules = await read('prometheus/rules.yml');
    const recorded = new Set([...rules.matchAll(/- record: (\S+)/g)].map((m) => m[1]!));
    const exprs = [...rules.matchAll(/expr: (.+)/g)].map((m) => m[1]!);
    expect(exprs.length).toBeGreaterThan(10);
    for (const expr of exprs) {
      for (const name of appMetricsIn(expr)) expect({ expr, name, exported: exported.has(name) }).toEqual({ expr, name, exported: true });
      for (const name of recordedIn(expr)) expect({ expr, name, recorded: recorded.has(name) }).toEqual({ expr, name, recorded: true });
    }
  });

  it('when the Grafana dashboard queries, then every metric and recorded name it uses exists', async () => {
    const dashboard = JSON.parse(await read('grafana/dashboards/order-saga.json')) as {
      panels: Array<{ targets?: Array<{ expr: string }> }>;
    };
    const recorded = new Set([...(await read('prometheus/rules.yml')).matchAll(/- record: (\S+)/g)].map((m) => m[1]!));
    const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    expect(exprs.length).toBeGreaterThan(20);
    for (const expr of exprs) {
      for (const name of appMetricsIn(expr)) expect({ expr, name, exported: exported.has(name) }).toEqual({ expr, name, exported: true });
      for (const name of recordedIn(expr)) expect({ expr, name, recorded: recorded.has(name) }).toEqual({ expr, name, recorded: true });
    }
  });

  it("when docs/observability.md lists the metrics, then its table names exactly the app's own metrics", async () => {
    const page = await read('docs/observability.md');
    const listed = [...page.matchAll(/^\| `((?:saga_|http_)[a-z0-9_]+)`/gm)].map((m) => m[1]!);
    expect([...listed].sort()).toEqual([...exported].sort());
  });
});
