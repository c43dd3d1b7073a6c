// The bridge: each OrderCreated on Kafka becomes the order's workflow in Temporal. The offset is committed only
// after Temporal acknowledged the start (the consumer loop commits after this handler returns); Temporal being
// unreachable is an ordinary error, retried with backoff by the loop without skipping the offset.
import type { Logger } from '../logger.ts';
import type { Kafka } from '../messaging/kafka.ts';
import { PermanentError, startConsumer, type RunningConsumer } from '../messaging/consumer.ts';
import { OrderCreated } from '../messaging/events.ts';
import { consumerGroup, TOPICS } from '../messaging/topics.ts';
import type { OrderWorkflowClient } from '../temporal/order-workflow.client.ts';

export type BridgeDeps = {
  kafka: Kafka;
  workflows: OrderWorkflowClient;
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
    groupId: groupId ?? consumerGroup('bridge', topicPrefix),
    topics: [topicPrefix + TOPICS.orderCreated],
    schema: OrderCreated,
    partitionsConsumedConcurrently,
    handle: async (event) => {
      const { orderId, userId, total, createdAt } = event;
      const outcome = await workflows.ensureStarted({ orderId, userId, total, createdAt });
      if (outcome === 'id-used-by-another-order') {
        throw new PermanentError(
          `workflow ${workflows.workflowId(event.orderId)} belongs to an earlier order with the same id: ` +
            'was the database reset while Temporal kept its history? Reset both, or set TEMPORAL_WORKFLOW_ID_PREFIX',
        );
      }
      log.debug({ orderId: event.orderId, outcome }, 'order workflow ensured');
    },
  });
}
