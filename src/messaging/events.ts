// Event contracts on Kafka: JSON with `type` and `version`, validated with zod on both sides. Money travels as a
// decimal string ("1029.98"), never as a binary float; ids are numbers; times are ISO-8601 UTC strings.
import { z } from 'zod';
import { TOPICS, type Topic } from './topics.ts';

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

export const topicOf: Record<OrderEvent['type'], Topic> = {
  OrderCreated: TOPICS.orderCreated,
  OrderCompleted: TOPICS.orderCompleted,
  OrderExpired: TOPICS.orderExpired,
  OrderCancelled: TOPICS.orderCancelled,
};
