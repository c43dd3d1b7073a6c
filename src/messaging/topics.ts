// Kafka topic names and the dead-letter topic of each consumed topic. Every message is keyed by order id, so all
// events of one order land on one partition in order.
export const TOPICS = {
  orderCreated: 'order-created-events',
  orderCompleted: 'order-completed-events',
  orderExpired: 'order-expired-events',
  orderCancelled: 'order-cancelled-events',
} as const;

export type Topic = (typeof TOPICS)[keyof typeof TOPICS];

export const dlqTopic = (topic: string) => `${topic}.dlq`;

export const CONSUMER_GROUPS = { bridge: 'order-processing-group', notifier: 'notification-group' } as const;

/** Every topic the service uses, dead-letter topics included, under an optional environment prefix. */
export function allTopics(prefix = ''): string[] {
  const topics = Object.values(TOPICS).map((t) => prefix + t);
  return [...topics, ...topics.map(dlqTopic)];
}
