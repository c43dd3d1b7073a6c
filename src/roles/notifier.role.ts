// The notifier process: consumes order outcomes (group [prefix]notification-group) into notifications and fake e-mails.
import { appTopicOptions, ensureTopics } from '../messaging/admin.ts';
import { startNotifier } from '../notifier/notifier.ts';
import type { RoleStarter } from './role.ts';

export const startNotifierRole: RoleStarter = async (resources) => {
  const { KAFKA_TOPIC_PREFIX } = resources.config;
  const log = resources.log.child({ role: 'notifier' });
  const kafka = resources.kafka();
  const orm = await resources.orm();
  // Topic auto-creation is off on our brokers; subscribing to a missing topic would fail.
  await ensureTopics(kafka, appTopicOptions(resources.config));
  const consumer = await startNotifier({ orm, kafka, log, topicPrefix: KAFKA_TOPIC_PREFIX, metrics: resources.metrics() });
  return { name: 'notifier', stop: consumer.stop, loop: () => consumer.loopState(resources.config.HEALTH_MAX_LOOP_AGE) };
};
