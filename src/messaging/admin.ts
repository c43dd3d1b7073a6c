// Creates the service's topics at start-up, idempotently, with a fixed partition count (auto-creation is off on our
// brokers: it races and yields "There is no leader for this topic-partition").
// Replication is set at creation only: a topic that already exists keeps its replication factor and settings.
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Kafka } from './kafka.ts';
import { allTopics } from './topics.ts';

export type TopicOptions = { partitions?: number; replicationFactor?: number; minInsyncReplicas?: number | undefined; topics?: string[] };

/** The service's topics as the config asks for them (partitions, replication, environment prefix). */
export function appTopicOptions(
  config: Pick<Config, 'KAFKA_PARTITIONS' | 'KAFKA_TOPIC_PREFIX' | 'KAFKA_REPLICATION_FACTOR' | 'KAFKA_MIN_INSYNC_REPLICAS'>,
): TopicOptions {
  return {
    partitions: config.KAFKA_PARTITIONS,
    replicationFactor: config.KAFKA_REPLICATION_FACTOR,
    minInsyncReplicas: config.KAFKA_MIN_INSYNC_REPLICAS,
    topics: allTopics(config.KAFKA_TOPIC_PREFIX),
  };
}

export async function ensureTopics(
  kafka: Kafka,
  { partitions = 6, replicationFactor = 1, minInsyncReplicas, topics = allTopics() }: TopicOptions = {},
): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      // createTopics reports false (not an error) for topics another process created meanwhile.
      await admin.createTopics({
        topics: missing.map((topic) => ({
          topic,
          numPartitions: partitions,
          replicationFactor,
          // With acks=all (the relay's producer) a write then needs this many replicas: one broker may be down.
          ...(minInsyncReplicas !== undefined && { configEntries: [{ name: 'min.insync.replicas', value: String(minInsyncReplicas) }] }),
        })),
        waitForLeaders: true,
      });
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}

/** ensureTopics, retried with capped backoff until the broker answers (never throws). */
export async function ensureTopicsEventually(kafka: Kafka, options: TopicOptions, log: Logger): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ensureTopics(kafka, options);
      return;
    } catch (err) {
      if (attempt === 1) log.warn({ err: String(err) }, 'cannot create Kafka topics yet; retrying in the background');
      await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 500 * attempt)));
    }
  }
}
