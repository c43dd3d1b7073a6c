// The dead-letter tables in PostgreSQL (migration 0010): record a dead letter, list them, and the steps of a redrive.
// Recording is idempotent: a dead letter read twice is stored once (its DLQ position is unique), and a redriven
// message that failed again counts once on the entry it came from (only a later failure than the last one counts).
import type { EntityManager } from '@mikro-orm/postgresql';
import { whereOf, type DeadLetterFilter, type DeadLetterState } from './dead-letter-filter.ts';
import type { DeadLetterRecord, StoredMessage } from './dead-letter-messages.ts';

/** An array parameter as PostgreSQL's array literal (the driver would expand a JS array into a list). */
const pgArray = (ids: number[]) => `{${ids.map((id) => Math.trunc(id)).join(',')}}`;

export type RecordOutcome = { outcome: 'stored' | 'failed-again' | 'duplicate'; id: number | undefined };

const INSERT = `insert into dead_letters (topic, source_topic, source_partition, source_offset, dlq_topic, dlq_partition,
    dlq_offset, order_id, reason, reason_code, message_key, message_value, headers, first_failed_at, last_failed_at)
  values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  on conflict (dlq_topic, dlq_partition, dlq_offset) do nothing
  returning id`;

const FAILED_AGAIN = `update dead_letters
  set attempts = attempts + 1, reason = ?, reason_code = ?, headers = ?, last_failed_at = ?, state = 'dead'
  where id = ? and last_failed_at < ?
  returning id`;

/** Stores a dead letter, or counts the failure on the entry it was a redrive of. */
export async function recordDeadLetter(em: EntityManager, r: DeadLetterRecord): Promise<RecordOutcome> {
  const headers = JSON.stringify(r.headers);
  if (r.redriveOf !== null) {
    const updated = await em.execute<{ id: string }[]>(FAILED_AGAIN, [
      r.reason,
      r.reasonCode,
      headers,
      r.failedAt,
      r.redriveOf,
      r.failedAt,
    ]);
    if (updated.length > 0) return { outcome: 'failed-again', id: r.redriveOf };
    const [known] = await em.execute<{ id: string }[]>('select id from dead_letters where id = ?', [r.redriveOf]);
    if (known) return { outcome: 'duplicate', id: r.redriveOf };
    // An entry this store never had (another environment's, or deleted): stored as a dead letter of its own.
  }
  const [inserted] = await em.execute<{ id: string }[]>(INSERT, [
    r.topic,
    r.sourceTopic,
    r.sourcePartition,
    r.sourceOffset,
    r.dlqTopic,
    r.dlqPartition,
    r.dlqOffset,
    r.orderId,
    r.reason,
    r.reasonCode,
    r.key,
    r.value,
    headers,
    r.failedAt,
    r.failedAt,
  ]);
  return inserted ? { outcome: 'stored', id: Number(inserted.id) } : { outcome: 'duplicate', id: undefined };
}

/** One stored dead letter as the list shows it. */
export type DeadLetterEntry = {
  id: number;
  topic: string;
  reason: string;
  reasonCode: string;
  orderId: number | null;
  firstFailedAt: string;
  lastFailedAt: string;
  attempts: number;
  state: DeadLetterState;
  redrivenAt: string | null;
  message: { key: string | null; value: string | null; headers: Record<string, string> };
};

type Row = {
  id: string;
  topic: string;
  reason: string;
  reason_code: string;
  order_id: number | null;
  first_failed_at: Date;
  last_failed_at: Date;
  attempts: number;
  state: DeadLetterState;
  redriven_at: Date | null;
  message_key: string | null;
  message_value: string | null;
  headers: Record<string, string>;
};

const toEntry = (row: Row): DeadLetterEntry => ({
  id: Number(row.id),
  topic: row.topic,
  reason: row.reason,
  reasonCode: row.reason_code,
  orderId: row.order_id,
  firstFailedAt: new Date(row.first_failed_at).toISOString(),
  lastFailedAt: new Date(row.last_failed_at).toISOString(),
  attempts: row.attempts,
  state: row.state,
  redrivenAt: row.redriven_at ? new Date(row.redriven_at).toISOString() : null,
  message: { key: row.message_key, value: row.message_value, headers: row.headers },
});

/** Newest first; `limit` rows after the cursor (the id of the previous page's last row). */
export async function listDeadLetters(
  em: EntityManager,
  filter: DeadLetterFilter,
  page: { limit: number; after?: number },
): Promise<DeadLetterEntry[]> {
  const where = whereOf(filter, { afterId: page.after });
  const rows = await em.execute<Row[]>(
    `select id, topic, reason, reason_code, order_id, first_failed_at, last_failed_at, attempts, state, redriven_at,
       message_key, message_value, headers
     from dead_letters where ${where.sql} order by id desc limit ?`,
    [...where.params, page.limit],
  );
  return rows.map(toEntry);
}

/**
 * The entries of a redrive: those of the filter still 'dead', oldest first, at most `limit`. With `lock`, inside a
 * transaction, they are locked and entries another redrive holds are skipped, so two redrives never send one twice.
 */
export async function redrivable(em: EntityManager, filter: DeadLetterFilter, limit: number, lock: boolean): Promise<StoredMessage[]> {
  const where = whereOf({ ...filter, state: 'dead' });
  const rows = await em.execute<
    { id: string; source_topic: string; message_key: string | null; message_value: string | null; headers: Record<string, string> }[]
  >(
    `select id, source_topic, message_key, message_value, headers from dead_letters where ${where.sql}
     order by id limit ?${lock ? ' for update skip locked' : ''}`,
    [...where.params, limit],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    sourceTopic: r.source_topic,
    key: r.message_key,
    value: r.message_value,
    headers: r.headers,
  }));
}

/** Marks the entries redriven (only those still 'dead'). */
export async function markRedriven(em: EntityManager, ids: number[], at: Date): Promise<void> {
  if (ids.length === 0) return;
  await em.execute(`update dead_letters set state = 'redriven', redriven_at = ? where id = any(?::int8[]) and state = 'dead'`, [
    at,
    pgArray(ids),
  ]);
}

/** The audit row of one redrive. */
export async function auditRedrive(
  em: EntityManager,
  audit: { actor: string; at: Date; filter: Record<string, unknown>; ids: number[] },
): Promise<void> {
  await em.execute('insert into dead_letter_redrives (actor, at, filter, count, ids) values (?, ?, ?, ?, ?::int8[])', [
    audit.actor,
    audit.at,
    JSON.stringify(audit.filter),
    audit.ids.length,
    pgArray(audit.ids),
  ]);
}
