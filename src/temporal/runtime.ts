// Routes the Temporal SDK's own logs (worker state, webpack bundling, core) through pino at warn level and above,
// so `npm run stack` output stays readable, and optionally has the SDK core export its own metrics (task slots,
// schedule-to-start latency, sticky cache, polls) in Prometheus format on a bind address (src/metrics/temporal-sdk.ts
// proxies them into the process's /metrics). Must run before the first native connection is made.
import { IllegalStateError } from '@temporalio/common';
import { Runtime, type LogLevel, type LogMetadata, type Logger as TemporalLogger } from '@temporalio/worker';
import type { Logger } from '../logger.ts';

const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * Installs the SDK runtime once per process. With `metricsBindAddress` (host:port) the core serves its metrics there,
 * named by Prometheus conventions (`temporal_` prefix, `_total` counters, `_seconds` histograms). Returns whether it
 * does: false when the runtime was installed already or the address could not be bound (then it runs without).
 */
export function installTemporalRuntime(log: Logger, { metricsBindAddress }: { metricsBindAddress?: string } = {}): boolean {
  const sdkLog = log.child({ role: 'temporal-sdk' });
  sdkLog.level = 'warn';
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => sdkLog[levels[level]](meta ?? {}, message);
  const logger: TemporalLogger = {
    log: write,
    trace: (m, meta) => write('TRACE', m, meta),
    debug: (m, meta) => write('DEBUG', m, meta),
    info: (m, meta) => write('INFO', m, meta),
    warn: (m, meta) => write('WARN', m, meta),
    error: (m, meta) => write('ERROR', m, meta),
  };
  const metrics = metricsBindAddress
    ? {
        metrics: {
          prometheus: { bindAddress: metricsBindAddress, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true },
        },
      }
    : undefined;
  // shutdownSignals: [] — the process owns SIGINT/SIGTERM (src/main.ts) and shuts workers down in order itself.
  const install = (telemetryOptions?: typeof metrics) =>
    Runtime.install({ logger, shutdownSignals: [], ...(telemetryOptions ? { telemetryOptions } : {}) });
  try {
    install(metrics);
    return metrics !== undefined;
  } catch (err) {
    // Installed already (e.g. a second call in tests): the first logger stays.
    if (metrics && !(err instanceof IllegalStateError)) {
      sdkLog.warn({ err: String(err) }, `cannot export the Temporal SDK's metrics on ${metricsBindAddress}; the worker runs without them`);
      try {
        install();
      } catch {
        // as above
      }
    }
    return false;
  }
}
