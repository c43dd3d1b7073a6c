// The outbox relay process: makes sure the topics exist, then publishes outbox rows to Kafka until stopped.
import { createKafka } from '../messaging/kafka.ts';
import { appTopicOptions, ensureTopicsEventually } from '../messaging/admin.ts';
import { startRelay } from '../outbox/relay.ts';
import type { RoleStarter } from './role.ts';

export const startRelayRole: RoleStarter = async (resources) => {
  const { config } = resources;
  const log = resources.log.child({ role: 'relay' });
  const topicPrefix = config.KAFKA_TOPIC_PREFIX;
  const orm = await resources.orm();
  // Kafka may be down right now: the relay must start anyway (orders keep being accepted into the outbox), so the
  // topics are ensured in the background; publishing fails and backs off until they exist.
  void ensureTopicsEventually(resources.kafka(), appTopicOptions(config), log);
  // The relay's own client: two retries make producer.connect() give up within seconds (the default takes ~10 s)
  // so the relay's backoff applies, and kafkajs stays quiet below debug because during an outage it logs two errors
  // per retry; the relay reports the outage itself, once, and outbox.last_error keeps each attempt's reason.
  const kafkaLog = log.child({}, { level: log.isLevelEnabled('debug') ? log.level : 'silent' });
  const relay = await startRelay({
    orm,
    kafka: createKafka(config, kafkaLog, { retry: { retries: 2 } }),
    log,
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL,
    batchSize: config.OUTBOX_BATCH_SIZE,
    topicPrefix,
    metrics: resources.metrics(),
  });
  return { name: 'relay', stop: relay.stop, loop: () => relay.loopState(config.HEALTH_MAX_LOOP_AGE) };
};
