// Creates the service's topics at start-up, idempotently, with a fixed partition count (auto-creation is off on our
// brokers: it races and yields "There is no leader for this topic-partition").
import type { Logger } from '../logger.ts';
import type { Kafka } from './kafka.ts';
import { allTopics } from './topics.ts';

export async function ensureTopics(kafka: Kafka, { partitions = 6, replicationFactor = 1, topics = allTopics() } = {}): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      // createTopics reports false (not an error) for topics another process created meanwhile.
      await admin.createTopics({
        topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor })),
        waitForLeaders: true,
      });
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}

/** ensureTopics, retried with capped backoff until the broker answers (never throws). */
export async function ensureTopicsEventually(kafka: Kafka, options: Parameters<typeof ensureTopics>[1], log: Logger): Promise<void> {
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
