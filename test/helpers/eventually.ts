// Polls a condition until it holds or a deadline passes: the tests' only way to wait for asynchronous effects.

/** Resolves with the first value `probe` returns that passes `accept`; rejects with the last value after the deadline. */
export async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean = Boolean,
  { timeoutMs = 30_000, intervalMs = 100, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      if (accept(last)) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const detail = lastError
        ? `last error: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)}`
        : `last value: ${JSON.stringify(last)}`;
      throw new Error(`${what} not met within ${timeoutMs} ms (${detail})`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
