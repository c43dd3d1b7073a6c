// Event contracts on Kafka: JSON with `type` and `version`, validated with zod on both sides. Money travels as a
// decimal string ("1029.98"), never as a binary float; ids are numbers; times are ISO-8601 UTC strings.
import { z } from 'zod';
import { OUTCOME_EVENTS, type OutcomeEventType } from './order-lifecycle.ts';

const money = z.string().regex(/^\d+\.\d{2}$/, 'money must be a decimal string with two decimals');
const id = z.number().int().positive();
const timestamp = z.iso.datetime();

export const OrderCreated = z.object({
  type: z.literal('OrderCreated'),
  version: z.literal(1),
  orderId: id,
  userId: id,
  total: money,
  createdAt: timestamp,
});

export const OrderCompleted = z.object({
  type: z.literal('OrderCompleted'),
  version: z.literal(1),
  orderId: id,
  userId: id,
  total: money,
  items: z.array(z.object({ productId: id, productName: z.string(), quantity: z.number().int().positive(), price: money })).min(1),
  completedAt: timestamp,
});

export const OrderExpired = z.object({
  type: z.literal('OrderExpired'),
  version: z.literal(1),
  orderId: id,
  userId: id,
  expiredAt: timestamp,
});

export const OrderCancelled = z.object({
  type: z.literal('OrderCancelled'),
  version: z.literal(1),
  orderId: id,
  userId: id,
  cancelledAt: timestamp,
});

export type OrderCreated = z.infer<typeof OrderCreated>;
export type OrderCompleted = z.infer<typeof OrderCompleted>;
export type OrderExpired = z.infer<typeof OrderExpired>;
export type OrderCancelled = z.infer<typeof OrderCancelled>;
export type OrderEvent = OrderCreated | OrderCompleted | OrderExpired | OrderCancelled;
export const OrderOutcomeEvent = z.discriminatedUnion('type', [OrderCompleted, OrderExpired, OrderCancelled]);
export type OrderOutcomeEvent = z.infer<typeof OrderOutcomeEvent>;

/** The Kafka topic each event travels on, before the environment's KAFKA_TOPIC_PREFIX. */
export const topicOf = {
  OrderCreated: 'order-created-events',
  OrderCompleted: 'order-completed-events',
  OrderExpired: 'order-expired-events',
  OrderCancelled: 'order-cancelled-events',
} as const satisfies Record<OrderEvent['type'], string>;
export type Topic = (typeof topicOf)[keyof typeof topicOf];

/** The topics of the outcome events (the notifier consumes them), in the lifecycle table's order. An event the table
 * announces without a schema and topic here does not compile. */
export const OUTCOME_TOPICS: readonly Topic[] = OUTCOME_EVENTS.map((type) => topicOf[type]);

/** What an outcome event says about its order; `items` only matter to OrderCompleted. */
export type OutcomeOf = { orderId: number; userId: number; total: string; items: OrderCompleted['items']; at: string };

/** The outcome event of `type` for an order: the one builder the activities and the demo seed share. */
export function outcomeEvent(type: OutcomeEventType, { orderId, userId, total, items, at }: OutcomeOf): OrderOutcomeEvent {
  const common = { version: 1 as const, orderId, userId };
  switch (type) {
    case 'OrderCompleted':
      return { type, ...common, total, items, completedAt: at };
    case 'OrderCancelled':
      return { type, ...common, cancelledAt: at };
    case 'OrderExpired':
      return { type, ...common, expiredAt: at };
  }
}
