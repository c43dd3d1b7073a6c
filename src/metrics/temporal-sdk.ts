// The Temporal worker SDK's own metrics: its core serves them in Prometheus format on a loopback port picked at start
// (never published), and the process's /metrics appends them, so one scrape of a worker (or of `all`) has both.
import { createServer } from 'node:net';
import type { TextSource } from './metrics.ts';

const FETCH_TIMEOUT_MS = 2000;

/** A port free on 127.0.0.1 right now, for the SDK core's exporter to bind. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The exporter's text, or undefined when it does not answer in time. */
export function temporalSdkMetrics(url: string): TextSource {
  return async () => {
    const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    return res.ok ? await res.text() : undefined;
  };
}
