// When an order whose payment was declined expires unless paid: written by OrderWorkflow when it starts waiting, so
// the order resource can show `phase` and `paymentDueAt` without asking Temporal on every read.
import { Migration } from '@mikro-orm/migrations';

export class OrderPaymentDue extends Migration {
  override name = '0006-order-payment-due';

  override up(): void {
    this.addSql('alter table orders add column payment_due_at timestamptz null');
  }
}
