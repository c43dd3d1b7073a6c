// Kafka topic names and the dead-letter topic of each consumed topic. Every message is keyed by order id, so all
// events of one order land on one partition in order.
// The names themselves belong to the events (src/domain/events.ts).
import { topicOf } from '../domain/events.ts';

export { OUTCOME_TOPICS, type Topic } from '../domain/events.ts';

export const TOPICS = {
  orderCreated: topicOf.OrderCreated,
  orderCompleted: topicOf.OrderCompleted,
  orderExpired: topicOf.OrderExpired,
  orderCancelled: topicOf.OrderCancelled,
} as const;

export const dlqTopic = (topic: string) => `${topic}.dlq`;

const CONSUMER_GROUPS = {
  bridge: 'order-processing-group',
  notifier: 'notification-group',
  deadLetterRecorder: 'dead-letter-recorder',
} as const;

/**
 * The consumer group of a role in an environment. Groups carry the environment's prefix like topics do: kafkajs's
 * assigner hands a group's partitions to its members whether or not they subscribed to the topic, so two
 * environments sharing one group would starve each other's topics.
 */
export const consumerGroup = (role: keyof typeof CONSUMER_GROUPS, prefix = '') => prefix + CONSUMER_GROUPS[role];

/** The dead-letter topic of every event topic the service consumes, under an optional environment prefix. */
export const deadLetterTopics = (prefix = ''): string[] => Object.values(TOPICS).map((t) => dlqTopic(prefix + t));

/** Every topic the service uses, dead-letter topics included, under an optional environment prefix. */
export function allTopics(prefix = ''): string[] {
  const topics = Object.values(TOPICS).map((t) => prefix + t);
  return [...topics, ...topics.map(dlqTopic)];
}
