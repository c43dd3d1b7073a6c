// Reading whole topics in tests (e.g. a dead-letter topic): each read uses a consumer group of its own, from the
// beginning, and collects into an array the test polls with `eventually`.
import type { Consumer, Kafka } from '../../src/messaging/kafka.ts';

/** A message as read: key and value as UTF-8 text, `null` when the message has none (a dead letter keeps them). */
export type CollectedMessage = { key: string | null; value: string | null; headers: Record<string, string> };

export function topicReaders(kafka: Kafka, groupPrefix: string) {
  const readers: Consumer[] = [];
  const groups: string[] = [];
  return {
    /** The reader groups created so far (for the test's cleanup). */
    groups,
    /** Every message of `topic` from its beginning; the array fills as they arrive. */
    async collect(topic: string): Promise<CollectedMessage[]> {
      const messages: CollectedMessage[] = [];
      const groupId = `${groupPrefix}-reader-${groups.length}`;
      groups.push(groupId);
      const reader = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
      readers.push(reader);
      await reader.connect();
      await reader.subscribe({ topic, fromBeginning: true });
      await reader.run({
        eachMessage: async ({ message }) => {
          const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
          messages.push({ key: message.key?.toString() ?? null, value: message.value?.toString() ?? null, headers });
        },
      });
      return messages;
    },
    close: () => Promise.all(readers.map((r) => r.disconnect())),
  };
}
