// Outbox rows as one Kafka batch: grouped by topic (under the environment's prefix), in row order within each topic,
// keyed by order id, with the event type, the outbox id and the row's trace context as headers.
import type { OutboxRow } from './outbox-rows.ts';

export type TopicMessages = {
  topic: string;
  messages: Array<{ key: string; value: string; headers: Record<string, string> }>;
};

/**
 * The batch for `rows`. `traceHeaders` gives the W3C trace headers of a row's publish (empty without tracing).
 * @example topicMessagesOf(rows, 'staging.', () => ({})) // [{ topic: 'staging.order-created-events', messages: […] }]
 */
export function topicMessagesOf(
  rows: OutboxRow[],
  topicPrefix: string,
  traceHeaders: (row: OutboxRow, topic: string) => Record<string, string>,
): TopicMessages[] {
  const topics = [...new Set(rows.map((r) => r.topic))];
  return topics.map((topic) => ({
    topic: topicPrefix + topic,
    messages: rows
      .filter((r) => r.topic === topic)
      .map((r) => ({
        key: r.message_key,
        value: r.payload,
        headers: { 'event-type': r.event_type, 'outbox-id': r.id, ...traceHeaders(r, topicPrefix + topic) },
      })),
  }));
}
