// Transactional outbox: events are written in the same transaction as the state change they announce, and the
// relay (src/outbox/relay.ts) publishes them to Kafka afterwards. Nothing is lost when Kafka is down.
import { Migration } from '@mikro-orm/migrations';

export class Outbox extends Migration {
  override name = '0002-outbox';

  override up(): void {
    this.addSql(`
      create table outbox (
        id bigint generated always as identity primary key,
        order_id int not null,
        topic varchar(200) not null,
        message_key varchar(200) not null,
        payload jsonb not null,
        created_at timestamptz not null default now(),
        sent_at timestamptz null,
        attempts int not null default 0,
        last_error varchar(1000) null
      )`);
    // The relay only ever scans unsent rows in id order; this index stays as small as the backlog.
    this.addSql('create index idx_outbox_unsent on outbox (id) where sent_at is null');
    this.addSql('create index idx_outbox_order_id on outbox (order_id)');
  }
}
