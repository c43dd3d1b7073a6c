// What the reconciler (src/reconciler/) needs: the drift it found and what it did about it (the operator's record,
// shown in each order's timeline and on /ops), its cursors, and two partial indexes so that a pass reads only open
// orders and recently finished ones, however many orders the table holds.
import { Migration } from '@mikro-orm/migrations';

export class Reconciler extends Migration {
  override name = '0009-reconciler';

  override up(): void {
    this.addSql(`
      create table drift_findings (
        id bigserial primary key,
        kind text not null,
        order_id int null,
        action text not null check (action in ('repaired', 'reported', 'failed')),
        mode text not null check (mode in ('repair', 'report')),
        detail text not null,
        found_at timestamptz not null default now(),
        last_seen_at timestamptz not null default now(),
        times_seen int not null default 1
      )`);
    this.addSql('create index idx_drift_findings_order_id on drift_findings (order_id)');
    // A drift reported (or failing to be repaired) pass after pass is one row whose last_seen_at moves on.
    this.addSql(`create unique index idx_drift_findings_open on drift_findings (kind, coalesce(order_id, 0), action)
                   where action in ('reported', 'failed')`);
    this.addSql(
      'create table reconciler_cursors (name text primary key, position jsonb not null, updated_at timestamptz not null default now())',
    );
    this.addSql(`create index idx_orders_open on orders (id) where status in ('Pending', 'Processing')`);
    this.addSql(`create index idx_orders_finished on orders (updated_at, id) where status in ('Completed', 'Cancelled', 'Expired')`);
  }
}
