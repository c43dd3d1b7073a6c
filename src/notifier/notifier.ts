// The notifier: turns each order outcome (completed, expired, cancelled) into one notification row and one fake
// e-mail (a log line). Kafka delivers at least once, so the row's UNIQUE (order_id, status) decides whether this
// delivery is the first: only an insert that actually happened sends the e-mail, a redelivery does nothing.
import { ForeignKeyConstraintViolationException } from '@mikro-orm/core';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { PermanentError, startConsumer, type RunningConsumer } from '../messaging/consumer.ts';
import { OrderOutcomeEvent } from '../domain/events.ts';
import { notificationText } from '../domain/notification-text.ts';
import type { Kafka } from '../messaging/kafka.ts';
import { consumerGroup, OUTCOME_TOPICS } from '../messaging/topics.ts';

const INSERT = `insert into notifications (user_id, order_id, message, event_type, created_at, updated_at)
  values (?, ?, ?, ?, ?, ?)
  on conflict (order_id, event_type) do nothing
  returning id`;

/** The consumer's handler: one forked EntityManager per message. */
export function handleOutcome(orm: Orm, log: Logger, metrics?: Metrics): (event: OrderOutcomeEvent) => Promise<void> {
  const notifications = metrics?.notifier.notifications;
  return async (event) => {
    const em = orm.em.fork();
    const [user] = await em.execute<{ email: string }[]>('select email from users where id = ?', [event.userId]);
    if (!user) throw new PermanentError(`user ${event.userId} of order ${event.orderId} does not exist`, 'unknown_user');
    const text = notificationText(event, user.email);
    let inserted: { id: number }[];
    try {
      const now = new Date(); // timestamps come from the app, in UTC, like every other table's
      inserted = await em.execute<{ id: number }[]>(INSERT, [event.userId, event.orderId, text, event.type, now, now]);
    } catch (err) {
      // The order (or meanwhile the user) is gone: no retry can bring it back. Anything else, e.g. PostgreSQL being
      // down, is left to the consumer loop to retry.
      if (err instanceof ForeignKeyConstraintViolationException) {
        // PostgreSQL's detail names the missing key; err.message would carry the whole statement into the DLQ header.
        const { detail } = err as { detail?: string };
        throw new PermanentError(
          `order ${event.orderId} or user ${event.userId} does not exist: ${detail ?? 'foreign key violation'}`,
          'unknown_order_or_user',
        );
      }
      throw err;
    }
    notifications?.inc({ event_type: event.type, result: inserted.length === 0 ? 'duplicate' : 'sent' });
    if (inserted.length === 0) return;
    log.info({ to: user.email, orderId: event.orderId }, 'e-mail: ' + text);
  };
}

export type NotifierOptions = { orm: Orm; kafka: Kafka; log: Logger; topicPrefix?: string; groupId?: string; metrics?: Metrics };

/** Consumes the outcome topics; tests pass a group and topic prefix of their own so runs never share offsets or events. */
export function startNotifier({ orm, kafka, log, topicPrefix = '', groupId, metrics }: NotifierOptions): Promise<RunningConsumer> {
  return startConsumer({
    kafka,
    name: 'notifier',
    groupId: groupId ?? consumerGroup('notifier', topicPrefix),
    topics: OUTCOME_TOPICS.map((topic) => topicPrefix + topic),
    schema: OrderOutcomeEvent,
    handle: handleOutcome(orm, log, metrics),
    log,
    metrics,
  });
}
