// Which dead letters an operator means: the filter of the list and of a redrive, validated the same way whether it
// comes from the API's query string or body or from `npm run ops -- dlq`. Topics are the app's event topics as users
// see them (without KAFKA_TOPIC_PREFIX) and reasons the fixed reason codes, so a typo is a 400 naming the bad value and
// the allowed ones instead of an empty answer, or a redrive of nothing. Times bound `last_failed_at`.
import { z } from 'zod';
import { topicOf } from '../domain/events.ts';
import { REASON_CODES, type ReasonCode } from '../messaging/consuming/dead-letters.ts';

export const EVENT_TOPICS = Object.values(topicOf);
export type EventTopic = (typeof EVENT_TOPICS)[number];
export const STATES = ['dead', 'redriven'] as const;
export type DeadLetterState = (typeof STATES)[number];
export { REASON_CODES, type ReasonCode };

/** The most entries one redrive sends; a larger match is answered with `more: true` and needs another run. */
export const MAX_REDRIVE = 1000;
const INT_MAX = 2_147_483_647;

export type DeadLetterFilter = {
  topic?: EventTopic;
  reason?: ReasonCode;
  orderIds?: number[];
  state?: DeadLetterState;
  /** Last failed at or after. */
  from?: Date;
  /** Last failed before. */
  to?: Date;
};

const oneOf = <const T extends readonly [string, ...string[]]>(what: string, values: T) =>
  z.enum(values, { error: (issue) => `unknown ${what} '${String(issue.input)}'; allowed: ${values.join(', ')}` });

export const TopicName = oneOf('topic', EVENT_TOPICS as [EventTopic, ...EventTopic[]]);
export const ReasonName = oneOf('reason', REASON_CODES);
export const StateName = oneOf('state', STATES);
export const Timestamp = z.iso.datetime({
  offset: true,
  error: (issue) => `'${String(issue.input)}' is not an ISO-8601 date-time such as 2026-11-27T10:00:00Z`,
});
export const OrderId = z.number().int().min(1).max(INT_MAX);

/** Problems with the time range that no single field shows. */
export function rangeProblem(from: string | undefined, to: string | undefined): string | undefined {
  if (from !== undefined && to !== undefined && Date.parse(from) > Date.parse(to)) return `from (${from}) is after to (${to})`;
  return undefined;
}

/** The filter from validated fields (times as ISO strings). */
export function filterOf(fields: {
  topic?: EventTopic;
  reason?: ReasonCode;
  orderIds?: number[];
  state?: DeadLetterState;
  from?: string;
  to?: string;
}): DeadLetterFilter {
  return {
    ...(fields.topic !== undefined && { topic: fields.topic }),
    ...(fields.reason !== undefined && { reason: fields.reason }),
    ...(fields.orderIds !== undefined && { orderIds: fields.orderIds }),
    ...(fields.state !== undefined && { state: fields.state }),
    ...(fields.from !== undefined && { from: new Date(fields.from) }),
    ...(fields.to !== undefined && { to: new Date(fields.to) }),
  };
}

/** Whether a redrive filter narrows anything down: a redrive of "everything" must be asked for field by field. */
export const narrows = (filter: DeadLetterFilter): boolean =>
  filter.topic !== undefined ||
  filter.reason !== undefined ||
  (filter.orderIds !== undefined && filter.orderIds.length > 0) ||
  filter.from !== undefined ||
  filter.to !== undefined;

/** The filter as the audit row and the answers show it (times as ISO strings). */
export function describeFilter(filter: DeadLetterFilter): Record<string, unknown> {
  return {
    ...filter,
    ...(filter.from && { from: filter.from.toISOString() }),
    ...(filter.to && { to: filter.to.toISOString() }),
  };
}

/**
 * The SQL condition of a filter over `dead_letters`, with `?` placeholders; `afterId` continues a newest-first list
 * after that id (the keyset cursor).
 * @example whereOf({ topic: 'order-created-events' }) // { sql: 'topic = ?', params: ['order-created-events'] }
 */
export function whereOf(filter: DeadLetterFilter, { afterId }: { afterId?: number } = {}): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, ...values: unknown[]) => {
    parts.push(sql);
    params.push(...values);
  };
  if (filter.topic !== undefined) add('topic = ?', filter.topic);
  if (filter.reason !== undefined) add('reason_code = ?', filter.reason);
  if (filter.orderIds !== undefined && filter.orderIds.length > 0)
    add(`order_id in (${filter.orderIds.map(() => '?').join(', ')})`, ...filter.orderIds);
  if (filter.state !== undefined) add('state = ?', filter.state);
  if (filter.from !== undefined) add('last_failed_at >= ?', filter.from);
  if (filter.to !== undefined) add('last_failed_at < ?', filter.to);
  if (afterId !== undefined) add('id < ?', afterId);
  return { sql: parts.length > 0 ? parts.join(' and ') : 'true', params };
}
