// The relay's SQL: claim the next batch of unsent outbox rows (only the holder of a transaction-level advisory lock
// does, so any number of relays is safe and rows leave in global id order), mark them sent, and note a failed attempt
// on rows that stay pending.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { TraceCarrier } from '../../telemetry/tracing.ts';

/** Key of the advisory lock: "outbox" in ASCII, unlikely to clash with other locks in this database. */
const RELAY_LOCK = 0x6f7574626f78;

export type OutboxRow = {
  id: string;
  topic: string;
  message_key: string;
  event_type: string;
  payload: string;
  trace_context: TraceCarrier | null;
};

/** A Postgres array literal: binds the whole id list as one parameter (the driver would expand a JS array). */
const idArray = (ids: string[]) => `{${ids.join(',')}}`;

/**
 * Inside the caller's transaction: the next `batchSize` unsent rows in id order, locked FOR UPDATE (so
 * discardPendingEvents waits for this batch instead of deleting a row being published), or undefined when another
 * relay holds the lock.
 */
export async function claimBatch(tx: EntityManager, batchSize: number): Promise<OutboxRow[] | undefined> {
  const [lock] = await tx.execute<{ locked: boolean }[]>('select pg_try_advisory_xact_lock(?) as locked', [RELAY_LOCK]);
  if (!lock?.locked) return undefined;
  return tx.execute<OutboxRow[]>(
    `select id, topic, message_key, payload->>'type' as event_type, payload::text as payload, trace_context
       from outbox where sent_at is null order by id limit ? for update`,
    [batchSize],
  );
}

/** Inside the batch's transaction, after Kafka acknowledged the rows. */
export async function markSent(tx: EntityManager, ids: string[]): Promise<void> {
  await tx.execute('update outbox set sent_at = now() where id = any(?::bigint[])', [idArray(ids)]);
}

/** After the batch's transaction rolled back: counts the attempt and keeps the error on rows still pending. */
export async function recordFailedAttempt(em: EntityManager, ids: string[], error: string): Promise<void> {
  await em.execute('update outbox set attempts = attempts + 1, last_error = ? where id = any(?::bigint[]) and sent_at is null', [
    error.slice(0, 1000),
    idArray(ids),
  ]);
}
