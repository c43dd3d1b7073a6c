// The bridge: each OrderCreated on Kafka becomes the order's workflow in Temporal. The offset is committed only
// after Temporal acknowledged the start (the consumer loop commits past an event only when it and every event before
// it on its partition were started, several of a batch at once with BRIDGE_CONCURRENCY); Temporal being
// unreachable is an ordinary error, retried with backoff by the loop without skipping the offset. With tracing on, the
// start runs inside the message's span and the Temporal client's interceptor carries that trace into the workflow.
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { Kafka } from '../messaging/kafka.ts';
import { PermanentError, startConsumer, type RunningConsumer } from '../messaging/consumer.ts';
import { OrderCreated } from '../domain/events.ts';
import { consumerGroup, TOPICS } from '../messaging/topics.ts';
import type { OrderWorkflowClient } from '../temporal/order-workflow.client.ts';

export type BridgeDeps = {
  kafka: Kafka;
  workflows: OrderWorkflowClient;
  log: Logger;
  topicPrefix?: string;
  groupId?: string;
  partitionsConsumedConcurrently?: number;
  /** Events of one partition started at once (see the consumer's `messagesConcurrently`); default 1. */
  messagesConcurrently?: number;
  /** The consumer's metrics, plus the commit → workflow started latency and the start outcomes. */
  metrics?: Metrics;
};

export function startBridge({
  kafka,
  workflows,
  log,
  topicPrefix = '',
  groupId,
  partitionsConsumedConcurrently,
  messagesConcurrently,
  metrics,
}: BridgeDeps): Promise<RunningConsumer> {
  const bridgeMetrics = metrics?.bridge;
  const outcomeLabel = {
    'started-or-running': 'started_or_running',
    'already-closed': 'already_closed',
    'id-used-by-another-order': 'id_taken',
  };
  return startConsumer({
    kafka,
    log,
    metrics,
    name: 'bridge',
    groupId: groupId ?? consumerGroup('bridge', topicPrefix),
    topics: [topicPrefix + TOPICS.orderCreated],
    schema: OrderCreated,
    partitionsConsumedConcurrently,
    messagesConcurrently,
    handle: async (event) => {
      const { orderId, userId, total, createdAt } = event;
      const outcome = await workflows.ensureStarted({ orderId, userId, total, createdAt });
      bridgeMetrics?.workflowStarts.inc({ outcome: outcomeLabel[outcome] });
      if (outcome === 'started-or-running') {
        bridgeMetrics?.workflowStartLatency.observe(Math.max(0, (Date.now() - Date.parse(createdAt)) / 1000));
      }
      if (outcome === 'id-used-by-another-order') {
        throw new PermanentError(
          `workflow ${workflows.workflowId(event.orderId)} belongs to an earlier order with the same id: ` +
            'was the database reset while Temporal kept its history? Reset both, or set TEMPORAL_WORKFLOW_ID_PREFIX',
          'workflow_id_taken',
        );
      }
      log.debug({ orderId: event.orderId, outcome }, 'order workflow ensured');
    },
  });
}
