// The notifier: turns each order outcome (completed, expired, cancelled) into one notification row and one fake
// e-mail (a log line). Kafka delivers at least once, so the row's UNIQUE (order_id, status) decides whether this
// delivery is the first: only an insert that actually happened sends the e-mail, a redelivery does nothing.
import { ForeignKeyConstraintViolationException } from '@mikro-orm/core';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { PermanentError, startConsumer, type RunningConsumer } from '../messaging/consumer.ts';
import { OrderOutcomeEvent } from '../messaging/events.ts';
import type { Kafka } from '../messaging/kafka.ts';
import { consumerGroup, TOPICS } from '../messaging/topics.ts';

/** notifications.message is varchar(500). */
export const MAX_MESSAGE_LENGTH = 500;

export const OUTCOME_TOPICS: string[] = [TOPICS.orderCompleted, TOPICS.orderExpired, TOPICS.orderCancelled];

/** The e-mail text of an outcome, cut to what the column holds. */
export function notificationText(event: OrderOutcomeEvent, email: string): string {
  const subject = `Order #${event.orderId} for user ${email}`;
  switch (event.type) {
    case 'OrderCompleted': {
      const items = event.items.map((i) => `${i.productName} (x${i.quantity})`).join(', ');
      return fitColumn(`${subject} was issued containing products: ${items}. Total: $${event.total}`);
    }
    case 'OrderExpired':
      return fitColumn(`${subject} has expired due to payment timeout.`);
    case 'OrderCancelled':
      return fitColumn(`${subject} was cancelled.`);
  }
}

function fitColumn(text: string): string {
  // PostgreSQL text cannot hold NUL (the insert would fail on every retry); product names in events are free text.
  const clean = text.replaceAll('\u0000', '');
  // varchar counts code points, and cutting by code point never splits a surrogate pair.
  const chars = Array.from(clean);
  return chars.length <= MAX_MESSAGE_LENGTH ? clean : `${chars.slice(0, MAX_MESSAGE_LENGTH - 1).join('')}…`;
}

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
