// The one deadline every probe and measurement runs under: a dependency that hangs answers "no answer within N ms"
// instead of hanging the request or the scrape that asked.

/** Runs `work`, rejecting when it has not settled within `ms`. */
export function withDeadline<T>(work: () => Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work(), timeout]).finally(() => clearTimeout(timer));
}

/** A measurement's outcome: its value, or why there is none. */
export type Measured<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Runs `work` under the deadline and never rejects.
 * @example const outbox = await measured(() => outboxBacklog(orm), 3000); if (!outbox.ok) log.warn(outbox.error);
 */
export async function measured<T>(work: () => Promise<T>, ms: number): Promise<Measured<T>> {
  try {
    return { ok: true, value: await withDeadline(work, ms) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}
