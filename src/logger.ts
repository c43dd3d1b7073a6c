// pino, one child logger per role so interleaved output from `npm run stack` says who is talking.
// Pretty, single-line output on a terminal (or LOG_PRETTY=true); JSON lines otherwise, for log shippers.
import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';

export type { Logger };

export function createLogger(config: Pick<Config, 'LOG_LEVEL' | 'LOG_PRETTY'>): Logger {
  const pretty = config.LOG_PRETTY ?? Boolean(process.stdout.isTTY);
  return pino({
    level: config.LOG_LEVEL,
    base: undefined,
    ...(pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,role', messageFormat: '[{role}] {msg}', hideObject: false },
          },
        }
      : {}),
  });
}
