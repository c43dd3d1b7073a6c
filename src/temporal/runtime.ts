// Routes the Temporal SDK's own logs (worker state, webpack bundling, core) through pino at warn level and above,
// so `npm run stack` output stays readable. Must run before the first native connection is made.
import { Runtime, type LogLevel, type LogMetadata, type Logger as TemporalLogger } from '@temporalio/worker';
import type { Logger } from '../logger.ts';

const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

export function installTemporalRuntime(log: Logger): void {
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
  try {
    // shutdownSignals: [] — the process owns SIGINT/SIGTERM (src/main.ts) and shuts workers down in order itself.
    Runtime.install({ logger, shutdownSignals: [] });
  } catch {
    // Installed already (e.g. a second call in tests): the first logger stays.
  }
}
