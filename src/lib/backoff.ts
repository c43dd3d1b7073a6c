// Capped exponential backoff, the one shape every retry loop here uses (the consumer's handler retries and restarts,
// the outbox relay's rounds): `startMs` doubled per attempt, never more than `maxMs`.

export type Backoff = {
  startMs: number;
  maxMs: number;
  /** Doublings at most (keeps 2 ** n finite for long outages). */ maxDoublings?: number;
};

/**
 * The pause before retrying after the `attempt`-th failure (1-based).
 * @example backoffMs({ startMs: 200, maxMs: 10_000 }, 3) // 800
 */
export function backoffMs({ startMs, maxMs, maxDoublings = 16 }: Backoff, attempt: number): number {
  return Math.min(maxMs, startMs * 2 ** Math.min(Math.max(attempt, 1) - 1, maxDoublings));
}
