// The first step of every consumed message: bytes → JSON → the topic's event schema. A message that fails here can
// never succeed, so the caller dead-letters it with the reason rather than retrying.
import type { z } from 'zod';

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string; code: 'invalid_json' | 'invalid_schema' };

/**
 * Parses and validates a message value; `reason` says what is wrong (for the dead letter's header), `code` is the
 * fixed label of saga_dead_letters_total.
 * @example parseEvent(Buffer.from('{"type":"OrderCreated",…}'), OrderCreated)
 */
export function parseEvent<T>(raw: Buffer | null, schema: z.ZodType<T>): Parsed<T> {
  let json: unknown;
  try {
    json = JSON.parse(raw?.toString('utf8') ?? '');
  } catch {
    return { ok: false, reason: 'not valid JSON', code: 'invalid_json' };
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    return { ok: false, reason: `schema: ${issues}`, code: 'invalid_schema' };
  }
  return { ok: true, value: result.data };
}

/** Every event topic is keyed by order id: log lines about a message name its order (when the key is one). */
export function orderIdOf(key: Buffer | null): number | undefined {
  const text = key?.toString('utf8') ?? '';
  return /^\d{1,10}$/.test(text) ? Number(text) : undefined;
}
