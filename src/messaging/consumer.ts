// The one consumer loop of the service (bridge and notifier use it), composed from the parts in consuming/:
// - partitions are processed concurrently; within a partition, in order, or with `messagesConcurrently` > 1 (the
//   bridge: each message is an idempotent start of its own order's workflow) up to that many of a fetched batch at
//   once, the offset moving past a message only when it and every message before it are done (batch-groups.ts);
// - a message is parsed and validated first; one that can never succeed (bad JSON, wrong schema, PermanentError)
//   goes to `<topic>.dlq` with the reason, and the partition moves on (parse-event.ts, dead-letters.ts);
// - any other failure is transient: retried with capped exponential backoff (heartbeating meanwhile), never skipped;
// - the offset is committed only after the handler finished (kafkajs resolves an offset when eachMessage returns);
// - with tracing on, each message is handled inside a CONSUMER span joining the trace its headers carry
//   (message-span.ts);
// - /health/ready reports the group's phase and the messages failing for too long (consumer-health.ts).
import type { z } from 'zod';
import { backoffMs } from '../lib/backoff.ts';
import type { LoopState } from '../lib/loop-state.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { inGroups } from './consuming/batch-groups.ts';
import { ConsumerHealth } from './consuming/consumer-health.ts';
import { DeadLetters, PermanentError } from './consuming/dead-letters.ts';
import { inMessageSpan } from './consuming/message-span.ts';
import { orderIdOf, parseEvent } from './consuming/parse-event.ts';
import { membersWithOtherTopics } from './group-members.ts';
import type { Consumer, EachMessagePayload, Kafka } from './kafka.ts';

export { PermanentError } from './consuming/dead-letters.ts';

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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startConsumer<T>(options: ConsumerOptions<T>): Promise<RunningConsumer> {
  const { kafka, groupId, topics, schema, handle, log } = options;
  const maxBackoffMs = options.maxBackoffMs ?? 10_000;
  const retryPause = { startMs: 200, maxMs: maxBackoffMs, maxDoublings: 10 };
  const restartPause = { startMs: 1000, maxMs: maxBackoffMs * 3, maxDoublings: 5 };
  const metrics = options.metrics?.consumer;
  const health = new ConsumerHealth(groupId);
  const deadLetters = new DeadLetters(kafka, log, options.metrics);
  await deadLetters.connect();

  /** Runs the handler until it succeeds, fails for good (dead-lettered) or the consumer stops (left uncommitted). */
  const handleWithRetries = async (payload: EachMessagePayload, value: T, where: string) => {
    const { topic, partition, message } = payload;
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      const startedAt = Date.now();
      const observe = (result: 'ok' | 'retry' | 'dead_letter') =>
        metrics?.handlerDuration.observe({ group: groupId, topic, result }, (performance.now() - started) / 1000);
      try {
        await handle(value, { topic, partition, offset: message.offset });
        observe('ok');
        return;
      } catch (err) {
        if (err instanceof PermanentError) {
          observe('dead_letter');
          return deadLetters.send(payload, err.message, err.reason);
        }
        observe('retry');
        health.failed(where, startedAt, String(err));
        // Leaving now keeps the offset uncommitted: the message is redelivered after restart or rebalance.
        if (health.stopping) throw err;
        const retryInMs = backoffMs(retryPause, attempt);
        const line = { orderId: orderIdOf(message.key), topic, partition, offset: message.offset, attempt, err: String(err), retryInMs };
        log.warn(line, 'handler failed, retrying');
        await sleep(retryInMs);
        await payload.heartbeat().catch(() => undefined);
      }
    }
  };

  const handleMessage = async (payload: EachMessagePayload) => {
    const { topic, partition, message } = payload;
    const parsed = parseEvent(message.value, schema);
    if (!parsed.ok) return deadLetters.send(payload, parsed.reason, parsed.code);
    const where = `${topic}/${partition}@${message.offset}`;
    try {
      await handleWithRetries(payload, parsed.value, where);
    } finally {
      health.settled(where);
    }
  };

  const spanName = options.name ?? groupId;
  const eachMessage = (payload: EachMessagePayload) => inMessageSpan(spanName, groupId, payload, () => handleMessage(payload));
  const messagesConcurrently = Math.max(1, options.messagesConcurrently ?? 1);

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
    for (let attempt = 1; !health.stopping; attempt++) {
      await sleep(backoffMs(restartPause, attempt));
      if (health.stopping) return;
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
      health.enter('crashed', `${String(error)} (${restart ? 'kafkajs restarts it' : 'restarting with backoff'})`);
      // kafkajs restarts by itself after retriable errors; after any other it stays down unless restarted here, and
      // a restart that fails (the broker still away) is tried again with backoff until one succeeds or we stop.
      if (!restart && !health.stopping) void restartUntilRunning(consumer);
    });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      health.enter('joined');
      void warnAboutForeignMembers(consumer);
    });
    consumer.on(consumer.events.REBALANCING, () => health.enter('rebalancing'));
    health.enter('connecting');
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    const partitionsConsumedConcurrently = options.partitionsConsumedConcurrently ?? 6;
    await consumer.run(
      messagesConcurrently > 1
        ? { partitionsConsumedConcurrently, eachBatch: inGroups(messagesConcurrently, eachMessage), eachBatchAutoResolve: false }
        : { partitionsConsumedConcurrently, eachMessage },
    );
  };
  await start();
  log.info({ groupId, topics }, 'consuming');

  return {
    loopState: (maxAgeMs) => health.loopState(maxAgeMs),
    stop: async () => {
      health.stopping = true;
      // disconnect() stops fetching, waits for in-flight eachMessage calls, commits their offsets, leaves the group.
      await consumer.disconnect();
      await deadLetters.disconnect();
    },
  };
}
