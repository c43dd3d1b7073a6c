// pino, one child logger per role so interleaved output from `npm run stack` says who is talking.
// One JSON line per event by default (log shippers, `grep`, `jq`); LOG_PRETTY=true gives readable single lines, which
// the foreground `npm run stack` turns on. Every line about an order carries `orderId`; with tracing on, a line logged
// inside a span also carries its `traceId` and `spanId`, which find the order's trace.
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.ts';
import { activeTraceIds } from './telemetry/tracing.ts';

export type { Logger };

/** `destination` (JSON output only) lets a test read the lines; the default is stdout. */
export function createLogger(config: Pick<Config, 'LOG_LEVEL' | 'LOG_PRETTY'>, destination?: DestinationStream): Logger {
  const pretty = config.LOG_PRETTY ?? false;
  // Called per line: without tracing it returns at once.
  const mixin = () => activeTraceIds() ?? {};
  if (!pretty && destination) return pino({ level: config.LOG_LEVEL, base: undefined, mixin }, destination);
  return pino({
    level: config.LOG_LEVEL,
    base: undefined,
    mixin,
    ...(pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: {
              translateTime: 'HH:MM:ss.l',
              ignore: 'pid,hostname,role',
              messageFormat: '[{role}] {msg}',
              hideObject: false,
              singleLine: true,
            },
          },
        }
      : {}),
  });
}
