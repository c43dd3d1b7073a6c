// notifications.status held the outcome event's type (OrderCompleted, OrderExpired, OrderCancelled), not an order
// status: the column is named for what it holds. The API keeps showing it as `status` (the original contract).
import { Migration } from '@mikro-orm/migrations';

export class NotificationEventType extends Migration {
  override name = '0003-notification-event-type';

  override up(): void {
    this.addSql('alter table notifications rename column status to event_type');
    this.addSql('alter table notifications rename constraint notifications_order_status_unique to notifications_order_event_type_unique');
  }
}
