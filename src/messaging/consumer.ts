// The one consumer loop of the service (bridge and notifier use it):
// - partitions are processed concurrently; within a partition, in order, or with `messagesConcurrently` > 1 (the
//   bridge: each message is an idempotent start of its own order's workflow) up to that many of a fetched batch at
//   once, the offset moving past a message only when it and every message before it are done;
// - a message is parsed and validated first; one that can never succeed (bad JSON, wrong schema, PermanentError)
//   goes to `<topic>.dlq` with the reason, and the partition moves on;
// - any other failure is transient: retried with capped exponential backoff (heartbeating meanwhile), never skipped;
// - the offset is committed only after the handler finished (kafkajs resolves an offset when eachMessage returns);
// - with tracing on, each message is handled inside a CONSUMER span, a child of the trace its headers carry (the
//   outbox relay sends the trace context of the span that wrote the event), so the handler's work joins that trace.
import type { z } from 'zod';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { Partitioners, type Consumer, type EachBatchPayload, type EachMessagePayload, type Kafka, type Producer } from './kafka.ts';
import { dlqTopic } from './topics.ts';
import { membersWithOtherTopics } from './group-members.ts';
import type { LoopState } from '../lib/loop-state.ts';
import { carrierFromHeaders, inSpan, SpanKind, tracingEnabled } from '../telemetry/tracing.ts';

/**
 * A failure that retrying cannot fix: the message goes to the dead-letter topic. `reason` is a short code from a
 * fixed set (it labels saga_dead_letters_total); the message, with ids, goes into the dead letter's header.
 */
export class PermanentError extends Error {
  readonly reason: string;
  constructor(message: string, reason = 'permanent_error') {
    super(message);
    this.reason = reason;
  }
}

export type ConsumerOptions<T> = {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  schema: z.ZodType<T>;
  handle: (event: T, meta: { topic: string; partition: number; offset: string }) => Promise<void>;
  log: Logger;
  partitionsConsumedConcurrently?: number;
  /**
   * Messages of one partition handled at once (default 1: strictly in order). Only for handlers whose messages are
   * independent of each other's order; a message retried for long holds back the offsets after it, never skips them.
   */
  messagesConcurrently?: number;
  maxBackoffMs?: number;
  /** Times each handler attempt and counts dead letters by reason code. */
  metrics?: Metrics;
  /** Who consumes (`bridge`, `notifier`): names the message's span, `<name> <topic>`. Default: the group id. */
  name?: string;
};

export type RunningConsumer = {
  stop: () => Promise<void>;
  /** Ready while joined to its group (a rebalance shorter than maxAgeMs included) and no message has failed for longer. */
  loopState: (maxAgeMs: number) => LoopState;
};

type Phase = 'connecting' | 'joined' | 'rebalancing' | 'crashed' | 'stopped';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every event topic is keyed by order id: log lines about a message name its order (when the key is one). */
const orderIdOf = (key: Buffer | null): number | undefined => {
  const text = key?.toString('utf8') ?? '';
  return /^\d{1,10}$/.test(text) ? Number(text) : undefined;
};

export async function startConsumer<T>(options: ConsumerOptions<T>): Promise<RunningConsumer> {
  const { kafka, groupId, topics, schema, handle, log } = options;
  const maxBackoffMs = options.maxBackoffMs ?? 10_000;
  const metrics = options.metrics?.consumer;
  let stopping = false;
  let phase: { name: Phase; since: number; error?: string } = { name: 'connecting', since: Date.now() };
  const enter = (name: Phase, error?: string) => (phase = { name, since: Date.now(), ...(error !== undefined && { error }) });
  /** Messages being retried (`topic/partition@offset`): since when, and the last error. */
  const failing = new Map<string, { since: number; error: string }>();
  const dlq: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await dlq.connect();

  const deadLetter = async ({ topic, partition, message }: EachMessagePayload, reason: string, code: string) => {
    log.warn(
      { orderId: orderIdOf(message.key), topic, partition, offset: message.offset, reason },
      'message sent to the dead-letter topic',
    );
    await dlq.send({
      topic: dlqTopic(topic),
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            'dlq-reason': reason.slice(0, 2000),
            'dlq-topic': topic,
            'dlq-partition': String(partition),
            'dlq-offset': message.offset,
          },
        },
      ],
    });
    metrics?.deadLettered.inc({ topic, reason: code });
  };

  const parse = (raw: Buffer | null): { ok: true; value: T } | { ok: false; reason: string; code: string } => {
    let json: unknown;
    try {
      json = JSON.parse(raw?.toString('utf8') ?? '');
    } catch {
      return { ok: false, reason: 'not valid JSON', code: 'invalid_json' };
    }
    const result = schema.safeParse(json);
    if (!result.success)
      return {
        ok: false,
        reason: `schema: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        code: 'invalid_schema',
      };
    return { ok: true, value: result.data };
  };

  const handleMessage = async (payload: EachMessagePayload) => {
    const { topic, partition, message } = payload;
    const parsed = parse(message.value);
    if (!parsed.ok) return deadLetter(payload, parsed.reason, parsed.code);
    const where = `${topic}/${partition}@${message.offset}`;
    try {
      await handleWithRetries(payload, parsed.value, where);
    } finally {
      failing.delete(where);
    }
  };

  const handleWithRetries = async (payload: EachMessagePayload, value: T, where: string) => {
    const { topic, partition, message } = payload;
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      const observe = (result: 'ok' | 'retry' | 'dead_letter') =>
        metrics?.handlerDuration.observe({ group: groupId, topic, result }, (performance.now() - started) / 1000);
      try {
        await handle(value, { topic, partition, offset: message.offset });
        observe('ok');
        return;
      } catch (err) {
        if (err instanceof PermanentError) {
          observe('dead_letter');
          return deadLetter(payload, err.message, err.reason);
        }
        observe('retry');
        failing.set(where, { since: failing.get(where)?.since ?? started, error: String(err) });
        // Leaving now keeps the offset uncommitted: the message is redelivered after restart or rebalance.
        if (stopping) throw err;
        const backoff = Math.min(maxBackoffMs, 200 * 2 ** Math.min(attempt - 1, 10));
        const line = {
          orderId: orderIdOf(message.key),
          topic,
          partition,
          offset: message.offset,
          attempt,
          err: String(err),
          retryInMs: backoff,
        };
        log.warn(line, 'handler failed, retrying');
        await sleep(backoff);
        await payload.heartbeat().catch(() => undefined);
      }
    }
  };

  const spanName = options.name ?? groupId;
  const eachMessage = async (payload: EachMessagePayload) => {
    if (!tracingEnabled()) return handleMessage(payload);
    const { topic, partition, message } = payload;
    const orderId = orderIdOf(message.key);
    const attributes = {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.destination.name': topic,
      'messaging.consumer.group.name': groupId,
      'messaging.destination.partition.id': String(partition),
      'messaging.kafka.offset': Number(message.offset),
      ...(orderId !== undefined && { 'order.id': orderId }),
    };
    const parent = carrierFromHeaders(message.headers);
    return inSpan(`${spanName} ${topic}`, { kind: SpanKind.CONSUMER, attributes, parent }, () => handleMessage(payload));
  };

  /**
   * A fetched batch, `messagesConcurrently` messages at a time. The offset is resolved after each whole group, so a
   * message being retried holds back its partition as it would one at a time; stopping or a rebalance ends the batch
   * after the current group, and the rest is fetched again by whoever owns the partition.
   */
  const messagesConcurrently = Math.max(1, options.messagesConcurrently ?? 1);
  const eachBatch = async (payload: EachBatchPayload) => {
    const { batch } = payload;
    const { topic, partition } = batch;
    const heartbeat = () => payload.heartbeat();
    const pause = () => payload.pause();
    for (let i = 0; i < batch.messages.length; i += messagesConcurrently) {
      if (!payload.isRunning() || payload.isStale()) return;
      const group = batch.messages.slice(i, i + messagesConcurrently);
      await Promise.all(group.map((message) => eachMessage({ topic, partition, message, heartbeat, pause })));
      payload.resolveOffset(group[group.length - 1]!.offset);
      await payload.heartbeat();
    }
  };

  const warnAboutForeignMembers = async (joined: Consumer) => {
    try {
      const foreign = await membersWithOtherTopics(joined, topics);
      if (foreign.length > 0) {
        log.warn(
          { groupId, topics, foreign },
          'consumer group shared with members subscribed to other topics: their partitions may go unconsumed; give each environment its own KAFKA_TOPIC_PREFIX',
        );
      }
    } catch (err) {
      log.debug({ err: String(err), groupId }, 'could not describe the consumer group');
    }
  };

  let consumer: Consumer;
  const restartUntilRunning = async (crashed: Consumer) => {
    await crashed.disconnect().catch(() => undefined);
    for (let attempt = 1; !stopping; attempt++) {
      await sleep(Math.min(maxBackoffMs * 3, 1000 * 2 ** Math.min(attempt - 1, 5)));
      if (stopping) return;
      try {
        await start();
        log.info({ groupId, attempt }, 'consumer restarted');
        return;
      } catch (err) {
        log.error({ err: String(err), groupId, attempt }, 'consumer restart failed; retrying');
        await consumer.disconnect().catch(() => undefined);
      }
    }
  };
  const start = async () => {
    consumer = kafka.consumer({ groupId, retry: { retries: 10 } });
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload as { error: Error; restart: boolean };
      log.error({ err: String(error), restart }, 'consumer crashed');
      enter('crashed', `${String(error)} (${restart ? 'kafkajs restarts it' : 'restarting with backoff'})`);
      // kafkajs restarts by itself after retriable errors; after any other it stays down unless restarted here, and
      // a restart that fails (the broker still away) is tried again with backoff until one succeeds or we stop.
      if (!restart && !stopping) void restartUntilRunning(consumer);
    });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      enter('joined');
      void warnAboutForeignMembers(consumer);
    });
    consumer.on(consumer.events.REBALANCING, () => enter('rebalancing'));
    enter('connecting');
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    const partitionsConsumedConcurrently = options.partitionsConsumedConcurrently ?? 6;
    await consumer.run(
      messagesConcurrently > 1
        ? { partitionsConsumedConcurrently, eachBatch, eachBatchAutoResolve: false }
        : { partitionsConsumedConcurrently, eachMessage },
    );
  };
  await start();
  log.info({ groupId, topics }, 'consuming');

  return {
    loopState: (maxAgeMs) => {
      const now = Date.now();
      if (stopping) return { ok: false, error: 'consumer stopping' };
      const age = Math.round((now - phase.since) / 1000);
      if (phase.name === 'crashed') return { ok: false, error: `consumer crashed ${age} s ago: ${phase.error ?? 'unknown error'}` };
      if (phase.name === 'connecting') return { ok: false, error: `consumer (re)joining group ${groupId} for ${age} s` };
      if (phase.name === 'rebalancing' && now - phase.since > maxAgeMs)
        return { ok: false, error: `group ${groupId} rebalancing for ${age} s` };
      const oldest = [...failing.entries()].sort((a, b) => a[1].since - b[1].since)[0];
      if (oldest && now - oldest[1].since > maxAgeMs) {
        const [where, f] = oldest;
        return { ok: false, error: `message on ${where} failing for ${Math.round((now - f.since) / 1000)} s: ${f.error}` };
      }
      return { ok: true };
    },
    stop: async () => {
      stopping = true;
      // disconnect() stops fetching, waits for in-flight eachMessage calls, commits their offsets, leaves the group.
      await consumer.disconnect();
      await dlq.disconnect();
    },
  };
}
