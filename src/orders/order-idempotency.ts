// Idempotency keys for placing orders: a client that retries `PUT /api/order` with the same Idempotency-Key and the
// same body within 24 hours gets the first answer again (the same order) instead of a second order and a second
// stock reservation. The key row is written in the order's own transaction, and its primary key makes a concurrent
// retry wait for the first attempt: once that commits the retry replays its answer, and if it rolled back (e.g.
// insufficient stock) the retry runs as the first attempt.
import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { IdempotencyKeyReusedError, StateConflictError } from '../domain/errors.ts';
import type { OrderView } from './order-view.ts';

/** How long a key is remembered. */
export const IDEMPOTENCY_WINDOW_HOURS = 24;

export type IdempotencyKey = { key: string; fingerprint: string };

/** A stable digest of what the request asks for; the same key with a different digest is refused. */
export const fingerprintOf = (request: unknown): string => createHash('sha256').update(JSON.stringify(request)).digest('hex');

/**
 * Claims the key for this transaction. Returns the order of the first request when the key was used before with the
 * same request, undefined when this request is the first; throws when the key was used for another request.
 */
export async function claimIdempotencyKey(
  tx: EntityManager,
  userId: number,
  { key, fingerprint }: IdempotencyKey,
): Promise<OrderView | undefined> {
  await tx.execute(`delete from idempotency_keys where user_id = ? and created_at < now() - interval '${IDEMPOTENCY_WINDOW_HOURS} hours'`, [
    userId,
  ]);
  const claimed = await tx.execute<{ key: string }[]>(
    'insert into idempotency_keys (user_id, key, fingerprint) values (?, ?, ?) on conflict do nothing returning key',
    [userId, key, fingerprint],
  );
  if (claimed.length > 0) return undefined;
  const [first] = await tx.execute<{ fingerprint: string; order_id: number | null; response: OrderView | string }[]>(
    'select fingerprint, order_id, response from idempotency_keys where user_id = ? and key = ?',
    [userId, key],
  );
  if (!first) throw new Error(`idempotency key ${key} vanished while claimed`);
  if (first.fingerprint !== fingerprint) {
    throw new IdempotencyKeyReusedError(
      'This Idempotency-Key was already used with a different request body; use a new key for a new order',
    );
  }
  if (first.order_id === null) {
    throw new StateConflictError('The order placed with this Idempotency-Key has since been deleted');
  }
  return typeof first.response === 'string' ? (JSON.parse(first.response) as OrderView) : first.response;
}

/** Whether an order placed with this key is on record (a retry of it would replay, not place another). */
export async function hasIdempotentOrder(em: EntityManager, userId: number, key: string): Promise<boolean> {
  const rows = await em.execute<{ key: string }[]>(
    `select key from idempotency_keys where user_id = ? and key = ? and order_id is not null
        and created_at >= now() - interval '${IDEMPOTENCY_WINDOW_HOURS} hours'`,
    [userId, key],
  );
  return rows.length > 0;
}

/** Stores the first answer under the key (same transaction as the order). */
export async function recordIdempotentResponse(tx: EntityManager, userId: number, key: string, order: OrderView): Promise<void> {
  await tx.execute('update idempotency_keys set order_id = ?, response = ? where user_id = ? and key = ?', [
    order.id,
    JSON.stringify(order),
    userId,
    key,
  ]);
}
