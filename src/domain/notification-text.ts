// The e-mail text of an order outcome, as the notifier writes it into notifications.message and the demo seed writes
// it for its finished orders. Pure: no I/O.
import type { OrderOutcomeEvent } from './events.ts';

/** notifications.message is varchar(500). */
export const MAX_MESSAGE_LENGTH = 500;

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
