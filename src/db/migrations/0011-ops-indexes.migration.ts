// Indexes for the operator console's figures (src/orders/order-overview.ts), so each is a bounded scan however many
// orders exist: the open orders with the columns their phase needs (an index-only scan of the open orders, newest
// first), and orders by creation and by last change (a final order is never changed again, so updated_at is when it
// finished) for the per-minute rates and the recently finished orders.
import { Migration } from '@mikro-orm/migrations';

export class OpsIndexes extends Migration {
  override name = '0011-ops-indexes';

  override up(): void {
    this.addSql("create index idx_orders_open on orders (id) include (status, payment_due_at) where status in ('Pending', 'Processing')");
    this.addSql('create index idx_orders_created_at on orders (created_at)');
    this.addSql('create index idx_orders_updated_at on orders (updated_at)');
  }
}
