// The Temporal worker SDK's own metrics: its core serves them in Prometheus format on a loopback port picked at start
// (never published), and the process's /metrics appends them, so one scrape of a worker (or of `all`) has both.
import type { TextSource } from './metrics.ts';

const FETCH_TIMEOUT_MS = 2000;

/** The exporter's text, or undefined when it does not answer in time. */
export function temporalSdkMetrics(url: string): TextSource {
  return async () => {
    const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    return res.ok ? await res.text() : undefined;
  };
}
