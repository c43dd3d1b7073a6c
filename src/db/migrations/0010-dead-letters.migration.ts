// The dead-letter store (src/dead-letters/): every message a consumer dead-lettered, recorded from the `.dlq` topics
// with its reason, its origin and the message itself, so an operator can list, read and redrive them; and one audit
// row per redrive. The DLQ position is unique: the recorder may read a dead letter twice, it stores it once.
import { Migration } from '@mikro-orm/migrations';

export class DeadLetters extends Migration {
  override name = '0010-dead-letters';

  override up(): void {
    this.addSql(`
      create table dead_letters (
        id bigserial primary key,
        topic text not null,
        source_topic text not null,
        source_partition int not null,
        source_offset bigint not null,
        dlq_topic text not null,
        dlq_partition int not null,
        dlq_offset bigint not null,
        order_id int null,
        reason text not null,
        reason_code text not null,
        message_key text null,
        message_value text null,
        headers jsonb not null default '{}',
        first_failed_at timestamptz not null,
        last_failed_at timestamptz not null,
        attempts int not null default 1,
        state text not null default 'dead' check (state in ('dead', 'redriven')),
        redriven_at timestamptz null,
        constraint dead_letters_dlq_position unique (dlq_topic, dlq_partition, dlq_offset)
      )`);
    // The list is newest first by id, filtered by any of these; a redrive picks the 'dead' ones.
    this.addSql('create index idx_dead_letters_topic on dead_letters (topic, id)');
    this.addSql('create index idx_dead_letters_reason_code on dead_letters (reason_code, id)');
    this.addSql('create index idx_dead_letters_order_id on dead_letters (order_id)');
    this.addSql('create index idx_dead_letters_last_failed_at on dead_letters (last_failed_at)');
    this.addSql(`create index idx_dead_letters_dead on dead_letters (id) where state = 'dead'`);
    this.addSql(`
      create table dead_letter_redrives (
        id bigserial primary key,
        actor text not null,
        at timestamptz not null default now(),
        filter jsonb not null,
        count int not null,
        ids int8[] not null
      )`);
  }
}
