// The dead-letter recorder: reads every `<prefix><topic>.dlq` topic of the app's event topics (group
// `<prefix>dead-letter-recorder`) and stores each dead letter in PostgreSQL, where the API and `npm run ops -- dlq`
// list and redrive them. A dead letter of a redriven message counts as one more failure of the entry it came from.
//
// Not the shared consumer loop (src/messaging/consumer.ts): that one parses values against an event schema, and a
// dead letter is exactly a message that may not parse; the recorder needs key, value and headers as they are. Like
// that loop, it commits an offset only after the row is written, retries a database failure with backoff without
// skipping the message, and restarts after a crash kafkajs does not recover from.
//
// Started by the reconciler role; the `.dlq` topics must exist (roles ensure them at start, ensureTopics):
//   const recorder = await startDeadLetterRecorder({ orm, kafka, log, topicPrefix: config.KAFKA_TOPIC_PREFIX, metrics });
//   ... await recorder.stop();
import type { Orm } from '../db/orm.ts';
import { backoffMs } from '../lib/backoff.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { RunningConsumer } from '../messaging/consumer.ts';
import { ConsumerHealth } from '../messaging/consuming/consumer-health.ts';
import type { Consumer, EachMessagePayload, Kafka } from '../messaging/kafka.ts';
import { consumerGroup, deadLetterTopics } from '../messaging/topics.ts';
import { recordOf } from './dead-letter-messages.ts';
import { recordDeadLetter } from './dead-letter.store.ts';

export type RecorderOptions = {
  orm: Orm;
  kafka: Kafka;
  log: Logger;
  topicPrefix?: string;
  /** Default `<prefix>dead-letter-recorder`; tests pass their own. */
  groupId?: string;
  /** Times each write attempt (saga_consumer_handler_duration_seconds of the recorder's group). */
  metrics?: Metrics;
  maxBackoffMs?: number;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startDeadLetterRecorder(options: RecorderOptions): Promise<RunningConsumer> {
  const { orm, kafka, topicPrefix = '' } = options;
  const log = options.log.child({ component: 'dead-letter-recorder' });
  const groupId = options.groupId ?? consumerGroup('deadLetterRecorder', topicPrefix);
  const topics = deadLetterTopics(topicPrefix);
  const retryPause = { startMs: 200, maxMs: options.maxBackoffMs ?? 10_000, maxDoublings: 10 };
  const handlerDuration = options.metrics?.consumer.handlerDuration;
  const health = new ConsumerHealth(groupId);

  /** Writes the dead letter, retrying until it is written or the recorder stops (then it stays uncommitted). */
  const eachMessage = async (payload: EachMessagePayload) => {
    const record = recordOf(payload, topicPrefix);
    const where = `${payload.topic}/${payload.partition}@${payload.message.offset}`;
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      const startedAt = Date.now();
      const observe = (result: 'ok' | 'retry') =>
        handlerDuration?.observe({ group: groupId, topic: payload.topic, result }, (performance.now() - started) / 1000);
      try {
        const { outcome, id } = await recordDeadLetter(orm.em.fork(), record);
        observe('ok');
        health.settled(where);
        const line = { id, orderId: record.orderId, topic: record.topic, reasonCode: record.reasonCode, reason: record.reason };
        if (outcome === 'stored') log.info(line, 'dead letter recorded');
        else if (outcome === 'failed-again') log.warn(line, 'redriven message failed again; dead letter back to dead');
        else log.debug({ ...line, where }, 'dead letter already recorded');
        return;
      } catch (err) {
        observe('retry');
        health.failed(where, startedAt, String(err));
        if (health.stopping) throw err;
        const retryInMs = backoffMs(retryPause, attempt);
        log.warn({ where, attempt, err: String(err), retryInMs }, 'could not record the dead letter, retrying');
        await sleep(retryInMs);
        await payload.heartbeat().catch(() => undefined);
      }
    }
  };

  let consumer: Consumer;
  const start = async () => {
    consumer = kafka.consumer({ groupId, retry: { retries: 10 } });
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload as { error: Error; restart: boolean };
      log.error({ err: String(error), restart }, 'dead-letter recorder crashed');
      health.enter('crashed', String(error));
      if (!restart && !health.stopping) void restartUntilRunning();
    });
    consumer.on(consumer.events.GROUP_JOIN, () => health.enter('joined'));
    consumer.on(consumer.events.REBALANCING, () => health.enter('rebalancing'));
    health.enter('connecting');
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({ eachMessage });
  };
  const restartUntilRunning = async () => {
    await consumer.disconnect().catch(() => undefined);
    for (let attempt = 1; !health.stopping; attempt++) {
      await sleep(backoffMs({ ...retryPause, startMs: 1000 }, attempt));
      if (health.stopping) return;
      try {
        await start();
        log.info({ groupId, attempt }, 'dead-letter recorder restarted');
        return;
      } catch (err) {
        log.error({ err: String(err), groupId, attempt }, 'dead-letter recorder restart failed; retrying');
        await consumer.disconnect().catch(() => undefined);
      }
    }
  };

  await start();
  log.info({ groupId, topics }, 'recording dead letters');
  return {
    loopState: (maxAgeMs) => health.loopState(maxAgeMs),
    stop: async () => {
      health.stopping = true;
      await consumer.disconnect();
    },
  };
}
