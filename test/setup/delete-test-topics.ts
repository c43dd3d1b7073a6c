// Jest global teardown: removes the Kafka topics this run created under its prefix, so runs do not pile up topics
// on a broker that outlives them.
import { createKafka } from '../../src/messaging/kafka.ts';
import { testConfig, testLogger, testTopicPrefix } from '../helpers/config.ts';

export default async function deleteTestTopics(): Promise<void> {
  const config = testConfig();
  const admin = createKafka(config, testLogger(config)).admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(testTopicPrefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } catch {
    // Best effort: a broker that is gone has nothing left to clean.
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
