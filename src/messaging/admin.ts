// Creates the service's topics at start-up, idempotently, with a fixed partition count (auto-creation is off on our
// brokers: it races and yields "There is no leader for this topic-partition").
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
      await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor })), waitForLeaders: true });
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}
