// Idempotency keys of PUT /api/order (src/orders/order-idempotency.ts): one row per user and key, holding a digest
// of the request and the first answer. Rows older than 24 hours are deleted when their user next uses a key.
import { Migration } from '@mikro-orm/migrations';

export class IdempotencyKeys extends Migration {
  override name = '0005-idempotency-keys';

  override up(): void {
    this.addSql(`
      create table idempotency_keys (
        user_id int not null references users(id) on delete cascade,
        key varchar(200) not null,
        fingerprint char(64) not null,
        order_id int null references orders(id) on delete set null,
        response jsonb null,
        created_at timestamptz not null default now(),
        primary key (user_id, key)
      )`);
  }
}
