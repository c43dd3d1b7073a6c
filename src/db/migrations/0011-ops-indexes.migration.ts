// Indexes for the operator console's figures (src/orders/order-overview.ts), so each is a bounded scan however many
// orders exist: the open orders with the columns their phase needs (0009's index of the open orders, now covering
// status and payment_due_at: an index-only scan), and orders by creation for the per-minute rates. Finished orders by
// finishing time use 0009's idx_orders_finished (a final order is never changed again, so updated_at is when it
// finished).
import { Migration } from '@mikro-orm/migrations';

export class OpsIndexes extends Migration {
  override name = '0011-ops-indexes';

  override up(): void {
    this.addSql('drop index idx_orders_open');
    this.addSql("create index idx_orders_open on orders (id) include (status, payment_due_at) where status in ('Pending', 'Processing')");
    this.addSql('create index idx_orders_created_at on orders (created_at)');
  }
}
