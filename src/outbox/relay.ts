// Outbox relay: publishes pending outbox rows to Kafka in id order and marks them sent.
//
// Each batch is one transaction that first takes a transaction-level advisory lock. Only the holder publishes, so
// any number of relay processes is safe and rows leave in global id order (hence per-order order); the others skip
// the round. A crash or failed commit after the publish leaves the rows pending, so they are published again next
// round: delivery is at-least-once and every consumer is idempotent.
//
// A row's trace context (written with it, see outbox.ts) goes out as the message's W3C trace headers, through a
// PRODUCER span of this relay when tracing is on: the trace survives any delay or relay restart between write and send.
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { Partitioners, type Kafka, type Producer } from '../messaging/kafka.ts';
import type { LoopState } from '../lib/loop-state.ts';
import { SpanKind, startChildSpan, type HandSpan, type TraceCarrier } from '../telemetry/tracing.ts';

export type RelayDeps = {
  orm: Orm;
  /** Give it few retries (see relay.role.ts): connect() retries on its own, and an outage should surface in seconds. */
  kafka: Kafka;
  log: Logger;
  pollIntervalMs: number;
  batchSize: number;
  /** KAFKA_TOPIC_PREFIX: the outbox stores plain topic names; environments sharing a broker publish under a prefix. */
  topicPrefix?: string;
  /** Counts published events by topic and failed rounds by cause. */
  metrics?: Metrics;
};

export type Relay = {
  /** Stops polling, lets the in-flight batch finish, disconnects the producer. */
  stop: () => Promise<void>;
  /** Ready while a polling round completed (published, found nothing, or saw another relay's lock) within maxAgeMs. */
  loopState: (maxAgeMs: number) => LoopState;
};

/** Key of the advisory lock: "outbox" in ASCII, unlikely to clash with other locks in this database. */
const RELAY_LOCK = 0x6f7574626f78;
const BACKOFF_START_MS = 200;
const BACKOFF_MAX_MS = 10_000;

type Row = { id: string; topic: string; message_key: string; event_type: string; payload: string; trace_context: TraceCarrier | null };

/** A failed publish, carrying the rows it left pending so their attempts can be counted after the rollback. */
class PublishError extends Error {
  readonly ids: string[];
  constructor(ids: string[], cause: unknown) {
    super(`cannot publish to Kafka: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.ids = ids;
  }
}

/** A Postgres array literal: binds the whole id list as one parameter (the driver would expand a JS array). */
const idArray = (ids: string[]) => `{${ids.join(',')}}`;

export async function startRelay(deps: RelayDeps): Promise<Relay> {
  const { orm, kafka, log, pollIntervalMs, batchSize, topicPrefix = '' } = deps;
  const metrics = deps.metrics?.relay;
  let producer: Producer | undefined;
  let connected = false;

  const dropProducer = async () => {
    const old = producer;
    producer = undefined;
    connected = false;
    await old?.disconnect().catch(() => undefined);
  };

  /** This batch's publish spans (none without tracing or without rows carrying a trace context). */
  const spans: HandSpan[] = [];
  const traced = (row: Row, topic: string): HandSpan => {
    if (!row.trace_context) return { carrier: {}, end: () => undefined };
    const span = startChildSpan(`publish ${topic}`, row.trace_context, {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.destination.name': topic,
        'order.id': Number(row.message_key),
        'outbox.id': row.id,
      },
    });
    spans.push(span);
    return span;
  };

  const publish = async (rows: Row[]) => {
    try {
      // A bounded retry makes a send fail in seconds instead of holding the batch's transaction through an outage.
      producer ??= kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: { retries: 2 },
      });
      if (!connected) {
        await producer.connect();
        connected = true;
      }
      const topics = [...new Set(rows.map((r) => r.topic))];
      const topicMessages = topics.map((topic) => ({
        topic: topicPrefix + topic,
        messages: rows
          .filter((r) => r.topic === topic)
          .map((r) => ({
            key: r.message_key,
            value: r.payload,
            headers: { 'event-type': r.event_type, 'outbox-id': r.id, ...traced(r, topicPrefix + topic).carrier },
          })),
      }));
      let failure: unknown;
      try {
        await producer.sendBatch({ acks: -1, topicMessages });
      } catch (err) {
        failure = err;
        throw err;
      } finally {
        for (const span of spans.splice(0)) span.end(failure);
      }
      if (metrics)
        for (const topic of topics) metrics.published.inc({ topic: topicPrefix + topic }, rows.filter((r) => r.topic === topic).length);
    } catch (err) {
      // After a failed send the producer's sequence numbers may no longer match the broker's; the next attempt starts
      // with a fresh producer (and a fresh producer id) rather than risk an OutOfOrderSequence error.
      await dropProducer();
      throw new PublishError(
        rows.map((r) => r.id),
        err,
      );
    }
  };

  const recordFailure = async (err: PublishError) => {
    await orm.em
      .fork()
      .execute('update outbox set attempts = attempts + 1, last_error = ? where id = any(?::bigint[]) and sent_at is null', [
        err.message.slice(0, 1000),
        idArray(err.ids),
      ])
      .catch((e: unknown) => log.debug({ err: String(e) }, 'could not record the failed outbox attempt'));
  };

  /** Rows published, or undefined when another relay holds the lock. */
  const publishBatch = async (): Promise<number | undefined> => {
    try {
      return await orm.em.fork().transactional(async (tx) => {
        const [lock] = await tx.execute<{ locked: boolean }[]>('select pg_try_advisory_xact_lock(?) as locked', [RELAY_LOCK]);
        if (!lock?.locked) return undefined;
        // FOR UPDATE makes discardPendingEvents wait for this batch instead of deleting a row being published.
        const rows = await tx.execute<Row[]>(
          `select id, topic, message_key, payload->>'type' as event_type, payload::text as payload, trace_context
             from outbox where sent_at is null order by id limit ? for update`,
          [batchSize],
        );
        if (rows.length === 0) return 0;
        await publish(rows);
        await tx.execute('update outbox set sent_at = now() where id = any(?::bigint[])', [idArray(rows.map((r) => r.id))]);
        return rows.length;
      });
    } catch (err) {
      if (err instanceof PublishError) await recordFailure(err);
      throw err;
    }
  };

  let stopping = false;
  let wake = () => {};
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopping) return resolve();
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  // Start counts as a success: a relay is not unready before its first round had a chance to run.
  let lastRoundAt = Date.now();
  let lastError: string | undefined;
  const loop = async () => {
    let failures = 0;
    while (!stopping) {
      try {
        const published = await publishBatch();
        lastRoundAt = Date.now();
        lastError = undefined;
        // A round skipped for another relay's lock proves nothing. (During a Kafka outage rows stay pending, so a
        // completed round there means Kafka took them.)
        if (published !== undefined && failures > 0) {
          log.info({ failedAttempts: failures }, 'outbox relay recovered');
          failures = 0;
        }
        // A full batch means a backlog: keep draining without waiting.
        if (published !== batchSize) await pause(pollIntervalMs);
      } catch (err) {
        failures++;
        metrics?.failures.inc({ cause: err instanceof PublishError ? 'kafka' : 'database' });
        const backoffMs = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** Math.min(failures - 1, 16));
        const detail = { err: err instanceof Error ? err.message : String(err), retryInMs: backoffMs };
        lastError = detail.err;
        // One warning per outage; the rows' attempts and last_error keep the per-attempt record.
        if (failures === 1) log.warn(detail, 'outbox relay cannot publish; events stay pending and are retried with backoff');
        else log.debug({ ...detail, failures }, 'outbox relay still failing');
        await pause(backoffMs);
      }
    }
  };
  const running = loop();
  log.info({ pollIntervalMs, batchSize }, 'outbox relay started');

  return {
    loopState: (maxAgeMs) => {
      if (stopping) return { ok: false, error: 'relay stopping' };
      const age = Date.now() - lastRoundAt;
      if (age <= maxAgeMs) return { ok: true };
      const why = lastError ? `; last error: ${lastError}` : ' (a round is still running)';
      return { ok: false, error: `no completed outbox polling round for ${Math.round(age / 1000)} s${why}` };
    },
    stop: async () => {
      stopping = true;
      wake();
      await running;
      // The loop has ended, so no batch is in flight any more.
      await dropProducer();
    },
  };
}
