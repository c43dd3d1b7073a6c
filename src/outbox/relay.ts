// Outbox relay: publishes pending outbox rows to Kafka in id order and marks them sent.
//
// Each batch is one transaction that first takes a transaction-level advisory lock. Only the holder publishes, so
// any number of relay processes is safe and rows leave in global id order (hence per-order order); the others skip
// the round. A crash or failed commit after the publish leaves the rows pending, so they are published again next
// round: delivery is at-least-once and every consumer is idempotent.
//
// A row's trace context (written with it, see outbox.ts) goes out as the message's W3C trace headers, through a
// PRODUCER span of this relay when tracing is on: the trace survives any delay or relay restart between write and send.
//
// The parts are in relaying/: the SQL (outbox-rows.ts), the batch (topic-messages.ts), the producer
// (outbox-producer.ts) and the readiness rule (round-clock.ts); this file is the loop.
import type { Orm } from '../db/orm.ts';
import { backoffMs } from '../lib/backoff.ts';
import type { LoopState } from '../lib/loop-state.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { Kafka } from '../messaging/kafka.ts';
import { SpanKind, startChildSpan, type HandSpan } from '../telemetry/tracing.ts';
import { OutboxProducer, PublishError } from './relaying/outbox-producer.ts';
import { claimBatch, markSent, recordFailedAttempt, type OutboxRow } from './relaying/outbox-rows.ts';
import { RoundClock } from './relaying/round-clock.ts';
import { topicMessagesOf } from './relaying/topic-messages.ts';

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

const FAILURE_PAUSE = { startMs: 200, maxMs: 10_000 };

/** A PRODUCER span for a row's publish, child of the trace the row carries (none for a row without one). */
function publishSpan(row: OutboxRow, topic: string): HandSpan {
  if (!row.trace_context) return { carrier: {}, end: () => undefined };
  return startChildSpan(`publish ${topic}`, row.trace_context, {
    kind: SpanKind.PRODUCER,
    attributes: {
      'messaging.system': 'kafka',
      'messaging.destination.name': topic,
      'order.id': Number(row.message_key),
      'outbox.id': row.id,
    },
  });
}

export async function startRelay(deps: RelayDeps): Promise<Relay> {
  const { orm, kafka, log, pollIntervalMs, batchSize, topicPrefix = '' } = deps;
  const metrics = deps.metrics?.relay;
  const producer = new OutboxProducer(kafka);
  const clock = new RoundClock();

  const publish = async (rows: OutboxRow[]) => {
    const spans: HandSpan[] = [];
    const traceHeaders = (row: OutboxRow, topic: string) => {
      const span = publishSpan(row, topic);
      spans.push(span);
      return span.carrier;
    };
    const batch = topicMessagesOf(rows, topicPrefix, traceHeaders);
    let failure: unknown;
    try {
      await producer.send(batch);
    } catch (err) {
      failure = err;
      throw new PublishError(
        rows.map((r) => r.id),
        err,
      );
    } finally {
      for (const span of spans) span.end(failure);
    }
    if (metrics) for (const { topic, messages } of batch) metrics.published.inc({ topic }, messages.length);
  };

  /** Rows published, or undefined when another relay holds the lock. */
  const publishBatch = async (): Promise<number | undefined> => {
    try {
      return await orm.em.fork().transactional(async (tx) => {
        const rows = await claimBatch(tx, batchSize);
        if (!rows || rows.length === 0) return rows?.length;
        await publish(rows);
        await markSent(
          tx,
          rows.map((r) => r.id),
        );
        return rows.length;
      });
    } catch (err) {
      if (err instanceof PublishError) {
        await recordFailedAttempt(orm.em.fork(), err.ids, err.message).catch((e: unknown) =>
          log.debug({ err: String(e) }, 'could not record the failed outbox attempt'),
        );
      }
      throw err;
    }
  };

  let wake = () => {};
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (clock.stopping) return resolve();
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const loop = async () => {
    let failures = 0;
    while (!clock.stopping) {
      try {
        const published = await publishBatch();
        clock.completed();
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
        const detail = { err: err instanceof Error ? err.message : String(err), retryInMs: backoffMs(FAILURE_PAUSE, failures) };
        clock.failed(detail.err);
        // One warning per outage; the rows' attempts and last_error keep the per-attempt record.
        if (failures === 1) log.warn(detail, 'outbox relay cannot publish; events stay pending and are retried with backoff');
        else log.debug({ ...detail, failures }, 'outbox relay still failing');
        await pause(detail.retryInMs);
      }
    }
  };
  const running = loop();
  log.info({ pollIntervalMs, batchSize }, 'outbox relay started');

  return {
    loopState: (maxAgeMs) => clock.loopState(maxAgeMs),
    stop: async () => {
      clock.stopping = true;
      wake();
      await running;
      // The loop has ended, so no batch is in flight any more.
      await producer.drop();
    },
  };
}
