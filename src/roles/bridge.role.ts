// The bridge process: OrderCreated events (Kafka) → OrderWorkflow starts (Temporal).
import { startBridge } from '../bridge/bridge.ts';
import { appTopicOptions, ensureTopics } from '../messaging/admin.ts';
import type { RoleStarter } from './role.ts';

export const startBridgeRole: RoleStarter = async (resources) => {
  const log = resources.log.child({ role: 'bridge' });
  const kafka = resources.kafka();
  const { KAFKA_TOPIC_PREFIX } = resources.config;
  await ensureTopics(kafka, appTopicOptions(resources.config));
  const consumer = await startBridge({
    kafka,
    workflows: await resources.bridgeWorkflows(),
    log,
    topicPrefix: KAFKA_TOPIC_PREFIX,
    messagesConcurrently: resources.config.BRIDGE_CONCURRENCY,
    metrics: resources.metrics(),
  });
  return { name: 'bridge', stop: () => consumer.stop(), loop: () => consumer.loopState(resources.config.HEALTH_MAX_LOOP_AGE) };
};
