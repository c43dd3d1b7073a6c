// The bridge: each OrderCreated on Kafka becomes the order's workflow in Temporal. The offset is committed only
// after Temporal acknowledged the start (the consumer loop commits after this handler returns); Temporal being
// unreachable is an ordinary error, retried with backoff by the loop without skipping the offset.
import type { Logger } from '../logger.ts';
import type { Kafka } from '../messaging/kafka.ts';
import { startConsumer, type RunningConsumer } from '../messaging/consumer.ts';
import { OrderCreated } from '../messaging/events.ts';
import { CONSUMER_GROUPS, TOPICS } from '../messaging/topics.ts';
import type { OrderWorkflows } from '../temporal/order-workflows.ts';

export type BridgeDeps = {
  kafka: Kafka;
  workflows: OrderWorkflows;
  log: Logger;
  topicPrefix?: string;
  groupId?: string;
  partitionsConsumedConcurrently?: number;
};

export function startBridge({
  kafka,
  workflows,
  log,
  topicPrefix = '',
  groupId,
  partitionsConsumedConcurrently,
}: BridgeDeps): Promise<RunningConsumer> {
  return startConsumer({
    kafka,
    log,
    groupId: groupId ?? CONSUMER_GROUPS.bridge,
    topics: [topicPrefix + TOPICS.orderCreated],
    schema: OrderCreated,
    partitionsConsumedConcurrently,
    handle: async (event) => {
      const outcome = await workflows.ensureStarted({ orderId: event.orderId, userId: event.userId, total: event.total });
      log.debug({ orderId: event.orderId, outcome }, 'order workflow ensured');
    },
  });
}
