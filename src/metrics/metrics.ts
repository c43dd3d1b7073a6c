// Prometheus metrics of one process (prom-client, text format 0.0.4): one registry per process, which every role the
// process runs records into, rendered by /metrics (the API's route, or the metrics-only server on METRICS_PORT of a
// process without the API role). Each role's metric families are created the first time the role asks for them, so
// a process shows only the metrics of the roles it runs. Conventions: units in names (`_seconds`, `_total`), label
// values from small fixed sets (route templates, topics, statuses, reason codes), never an order or user id.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds; an HTTP request may wait up to ORDER_REQUEST_TIMEOUT (10 s) for a workflow. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Seconds; a handler retries a transient failure with backoff, each attempt is observed on its own. */
const HANDLER_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds from an order's commit to its workflow started: sub-second when flowing, minutes during an outage. */
const START_LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

export type HttpMetrics = { requestDuration: Histogram<'method' | 'route' | 'status'> };
export type RelayMetrics = { published: Counter<'topic'>; failures: Counter<'cause'> };
export type ConsumerMetrics = {
  handlerDuration: Histogram<'group' | 'topic' | 'result'>;
  deadLettered: Counter<'topic' | 'reason'>;
};
export type BridgeMetrics = { workflowStartLatency: Histogram; workflowStarts: Counter<'outcome'> };
export type NotifierMetrics = { notifications: Counter<'event_type' | 'result'> };
export type AdmissionMetrics = { refusals: Counter };
export type ReconcilerMetrics = {
  found: Counter<'kind'>;
  repaired: Counter<'kind'>;
  open: Gauge<'kind'>;
  passes: Counter<'result'>;
  passDuration: Histogram;
};
export type DeadLetterMetrics = { redriven: Counter<'topic'> };

/** Another exposition appended to the registry's (e.g. the Temporal SDK's own exporter); undefined when unavailable. */
export type TextSource = () => Promise<string | undefined>;

export class Metrics {
  readonly registry = new Registry();
  readonly contentType: string = this.registry.contentType;
  #families = new Map<string, unknown>();
  #sources: TextSource[] = [];

  constructor({ defaultMetrics = true }: { defaultMetrics?: boolean } = {}) {
    // Node's own: CPU, memory, heap, event-loop lag, GC, handles (collected on scrape, no timers).
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  #once<T>(key: string, create: () => T): T {
    let value = this.#families.get(key) as T | undefined;
    if (value === undefined) {
      value = create();
      this.#families.set(key, value);
    }
    return value;
  }

  get http(): HttpMetrics {
    return this.#once('http', () => ({
      requestDuration: new Histogram({
        name: 'http_request_duration_seconds',
        help: 'HTTP requests the API answered, by method, route template (unmatched: no route) and status code',
        labelNames: ['method', 'route', 'status'] as const,
        buckets: HTTP_BUCKETS,
        registers: [this.registry],
      }),
    }));
  }

  get relay(): RelayMetrics {
    return this.#once('relay', () => ({
      published: new Counter({
        name: 'saga_outbox_published_total',
        help: 'Outbox events the relay published and Kafka acknowledged, by topic (a retried batch counts again)',
        labelNames: ['topic'] as const,
        registers: [this.registry],
      }),
      failures: new Counter({
        name: 'saga_outbox_publish_failures_total',
        help: 'Relay rounds that failed, by cause (kafka: the publish; database: reading or marking rows)',
        labelNames: ['cause'] as const,
        registers: [this.registry],
      }),
    }));
  }

  get consumer(): ConsumerMetrics {
    return this.#once('consumer', () => ({
      handlerDuration: new Histogram({
        name: 'saga_consumer_handler_duration_seconds',
        help: 'One handler attempt per message, by consumer group, topic and result (ok, retry: a transient failure, dead_letter)',
        labelNames: ['group', 'topic', 'result'] as const,
        buckets: HANDLER_BUCKETS,
        registers: [this.registry],
      }),
      deadLettered: new Counter({
        name: 'saga_dead_letters_total',
        help: 'Messages sent to the dead-letter topic, by the topic they came from and reason code',
        labelNames: ['topic', 'reason'] as const,
        registers: [this.registry],
      }),
    }));
  }

  get bridge(): BridgeMetrics {
    return this.#once('bridge', () => ({
      workflowStartLatency: new Histogram({
        name: 'saga_workflow_start_latency_seconds',
        help: "From an order's commit (OrderCreated.createdAt) until the bridge has its workflow started or running",
        buckets: START_LATENCY_BUCKETS,
        registers: [this.registry],
      }),
      workflowStarts: new Counter({
        name: 'saga_bridge_workflow_starts_total',
        help: 'OrderCreated events the bridge handled, by outcome (started_or_running, already_closed, id_taken)',
        labelNames: ['outcome'] as const,
        registers: [this.registry],
      }),
    }));
  }

  get notifier(): NotifierMetrics {
    return this.#once('notifier', () => ({
      notifications: new Counter({
        name: 'saga_notifications_total',
        help: 'Order outcomes the notifier handled, by event type and result (sent: new row and e-mail; duplicate: a redelivery)',
        labelNames: ['event_type', 'result'] as const,
        registers: [this.registry],
      }),
    }));
  }

  get admission(): AdmissionMetrics {
    return this.#once('admission', () => ({
      refusals: new Counter({
        name: 'saga_admission_refusals_total',
        help: 'New orders refused with 503 because the saga backlog was over an admission limit (ADMISSION_MAX_*)',
        registers: [this.registry],
      }),
    }));
  }

  get reconciler(): ReconcilerMetrics {
    return this.#once('reconciler', () => ({
      found: new Counter({
        name: 'saga_drift_found_total',
        help: 'Disagreements between the database and Temporal the reconciler found, by drift kind (each pass counts again)',
        labelNames: ['kind'] as const,
        registers: [this.registry],
      }),
      repaired: new Counter({
        name: 'saga_drift_repaired_total',
        help: 'Drift the reconciler repaired, by drift kind',
        labelNames: ['kind'] as const,
        registers: [this.registry],
      }),
      open: new Gauge({
        name: 'saga_drift_open',
        help: 'Drift the last reconciler pass found and left as it was (report mode, report-only kinds, failed repairs), by kind',
        labelNames: ['kind'] as const,
        registers: [this.registry],
      }),
      passes: new Counter({
        name: 'saga_reconcile_passes_total',
        help: 'Reconciler passes, by result (done; skipped: another reconciler held the lock; failed: PostgreSQL or Temporal unreachable)',
        labelNames: ['result'] as const,
        registers: [this.registry],
      }),
      passDuration: new Histogram({
        name: 'saga_reconcile_pass_seconds',
        help: 'Time of one completed reconciler pass',
        buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
        registers: [this.registry],
      }),
    }));
  }

  get deadLetters(): DeadLetterMetrics {
    return this.#once('deadLetters', () => ({
      redriven: new Counter({
        name: 'saga_dead_letters_redriven_total',
        help: 'Stored dead letters an operator sent back to their source topic (API or npm run ops), by that topic',
        labelNames: ['topic'] as const,
        registers: [this.registry],
      }),
    }));
  }

  /** Appends another exposition to every render (its metric names must not clash with the registry's). */
  addTextSource(source: TextSource): void {
    this.#sources.push(source);
  }

  /** The whole exposition: the registry's metrics, then each text source that answered. */
  async render(): Promise<string> {
    const [own, ...others] = await Promise.all([this.registry.metrics(), ...this.#sources.map((s) => s().catch(() => undefined))]);
    const parts = [own, ...others.filter((t): t is string => Boolean(t))];
    return parts.map((p) => (p.endsWith('\n') ? p : `${p}\n`)).join('');
  }
}
